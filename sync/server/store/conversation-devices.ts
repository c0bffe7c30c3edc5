import type { ConversationDevices } from '../../protocol/conversation-devices.js';

/**
 * A conversation's members and their devices with keys (protocol/conversation-devices.ts), as both
 * stores read them for a `conversation_devices_changed` refusal: the only time the server reads
 * them all, so the usual send compares one number (conversations.devices_version, kept by
 * triggers: sqlite-migrations.ts version 15, pg-migrations.ts version 12).
 */

/** One row per member and device with keys (device_number NULL for a member with none), by member then number. */
export function conversationDevicesSql(conversation: string): string {
  return `SELECT m.user_id, s.device_number, d.registration_id
          FROM members m
          LEFT JOIN device_keys d ON d.user_id = m.user_id
          LEFT JOIN sessions s ON s.id = d.session_id
          WHERE m.conversation_id = ${conversation}
          ORDER BY m.user_id, s.device_number`;
}

/** The conversation's devices version, when `user` is one of its members (one row), else none. */
export function memberDevicesVersionSql(conversation: string, user: string): string {
  return `SELECT c.devices_version AS version FROM conversations c
          JOIN members m ON m.conversation_id = c.id AND m.user_id = ${user}
          WHERE c.id = ${conversation}`;
}

export interface ConversationDeviceRow {
  user_id: string;
  device_number: number | null;
  registration_id: number | null;
}

/** The refusal's devices from conversationDevicesSql's rows, at the version read in the same transaction. */
export function toConversationDevices(version: number, rows: readonly ConversationDeviceRow[]): ConversationDevices {
  const members = new Map<string, ConversationDevices['members'][number]>();
  for (const row of rows) {
    const member = members.get(row.user_id) ?? { userId: row.user_id, devices: [] };
    members.set(row.user_id, member);
    if (row.device_number !== null && row.registration_id !== null) {
      member.devices.push({ deviceNumber: row.device_number, registrationId: row.registration_id });
    }
  }
  return { version, members: [...members.values()] };
}
