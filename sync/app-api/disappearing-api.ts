/**
 * The app API's calls about disappearing messages (issue 33): the timer is content like a group's
 * new name, sealed and queued offline; every message carries the timer in force when it was
 * written. Declared here and spread into contract.ts, as polls-api.ts is.
 *
 * Pure: the renderer imports it.
 */
import { z } from 'zod';
import { LIMITS } from '../protocol/limits.js';
import { disappearingTimerMs } from '../protocol/disappearing.js';

const id = z.string().min(1).max(LIMITS.maxIdChars);

export const disappearingApiArgs = {
  /**
   * The timer new messages in the conversation get (null: off). In a group only the owner and
   * admins may set it, unless the group lets everyone: refused 'not_allowed' otherwise.
   */
  setDisappearingTimer: z.object({ conversationId: id, timerMs: disappearingTimerMs.nullable() }).strict(),
  /** A group's owner and admins: whether every member may change the timer. Refused 'not_allowed' for others. */
  setDisappearingPolicy: z.object({ conversationId: id, everyone: z.boolean() }).strict(),
} as const;

export interface DisappearingApiResults {
  setDisappearingTimer: null;
  setDisappearingPolicy: null;
}

/** A conversation's disappearing-message setting, as the "Disappearing messages" dialog shows it. */
export interface DisappearingView {
  /** The timer new messages get (your queued change applied); null when off. */
  timerMs: number | null;
  /** A group lets every member change it (else the owner and admins only); always true in a direct conversation. */
  everyoneMaySet: boolean;
  /** Whether you may change the timer now. */
  mayChange: boolean;
  /** Whether you may change who may set it (a group's owner and admins). */
  mayChangePolicy: boolean;
}
