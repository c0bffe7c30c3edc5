/**
 * Disappearing messages (issue 33): the timers a person can choose, shared by the content every
 * device judges and the envelope's `expiresInMs`, the one fact about them the server acts on (it
 * purges the ciphertext once the timer has run; it never reads what the envelope says).
 */
import { z } from 'zod';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The choices, shortest first: 30 seconds, 5 minutes, 1 hour, 8 hours, 1 day, 1 week, 4 weeks. */
export const DISAPPEARING_TIMERS_MS = [30 * SECOND, 5 * MINUTE, HOUR, 8 * HOUR, DAY, 7 * DAY, 28 * DAY] as const;
export type DisappearingTimerMs = (typeof DISAPPEARING_TIMERS_MS)[number];

export const disappearingTimerMs = z
  .number()
  .int()
  .refine((ms): ms is DisappearingTimerMs => (DISAPPEARING_TIMERS_MS as readonly number[]).includes(ms), {
    message: 'not one of the disappearing-message timers',
  });

export const DISAPPEARING_LIMITS = {
  /**
   * The server keeps an expiring envelope no longer than its timer plus this after it was stored,
   * even while a member has not read it (a device gone for good never raises its watermark).
   */
  unreadGraceMs: 7 * DAY,
} as const;
