import { z } from 'zod';

/**
 * In a group: the owner (its creator, until they leave), admins, and members. Owner and admins
 * manage members and the name; the owner makes and unmakes admins. In a direct conversation both
 * people are plain members.
 */
export const ROLES = ['owner', 'admin', 'member'] as const;
export const roleSchema = z.enum(ROLES);
export type Role = z.infer<typeof roleSchema>;
