import type { TurnConfig } from '../turn-credentials.js';
import type { CreationCaps } from '../store/cap-rules.js';
import type { SettingsBudget } from '../store/settings-rules.js';
import type { Runtime } from '../../common/runtime.js';
import type { ClientFrame, ConversationEvent, ErrorReply, ServerFrame, User } from '../../protocol/frames.js';
import type { FrameThrottle } from '../frame-throttle.js';
import type { SerialisedPart } from './catch-up-parts.js';
import type { Refusal } from '../refusals.js';
import type { ServerStore } from '../store/server-store.js';

/** What every frame handler gets and gives back. Handlers never touch sockets themselves. */

export interface HandlerContext {
  store: ServerStore;
  runtime: Runtime;
  /** The authenticated user whose connection sent the frame. */
  user: User;
  /** The device (session) the connection belongs to. */
  device: { sessionId: string; deviceNumber: number };
  limits: ServerLimits;
  /** Username lookups and typing relays, counted per user on this node. */
  throttle: FrameThrottle;
  /** The TURN relay calls may use (null: none configured). */
  turn: TurnConfig | null;
}

/** Limits an operator may set per server (the protocol's LIMITS cap them). */
export interface ServerLimits {
  maxGroupMembers: number;
  /** The largest file this server takes (ATTACHMENT_LIMITS.maxFileBytes caps it); told in the welcome. */
  maxFileBytes: number;
  /** What one person may create in an hour (ACCOUNT_CAPS unless set). */
  caps: CreationCaps;
  /** What one person's sealed settings may hold (ACCOUNT_CAPS unless set). */
  settingsBudget: SettingsBudget;
}

/** A push to every open connection of `userIds`, optionally not to the requesting one. */
export interface Fanout {
  userIds: string[];
  frame: ServerFrame;
  exceptRequester: boolean;
}

/**
 * The pushes that exclude the requester and come before any that includes it go out first, then
 * the reply, then the other pushes (`pushesAheadOfReply`), then the introductions: callers apply
 * them in that order.
 */
export interface HandlerResult {
  reply: ServerFrame;
  /** Frames of the reply that go before it, in order (the parts of a catch-up page), already serialised. */
  parts?: readonly SerialisedPart[];
  fanout: Fanout[];
  /**
   * People who just became contacts: each newcomer is told the presence of everyone in `newcomers`
   * and `others`, and they are told the newcomer's (it needs the store, so it comes later).
   */
  introduce?: { newcomers: string[]; others: string[] };
  /**
   * Someone who just left a group or was removed from it: they and the members who wrote there may
   * have stopped being contacts (it needs the store, so it comes later, after the introductions).
   */
  parted?: { userId: string; conversationId: string };
  /** These people stopped sharing presence with `userId` (a block, "nobody"): told in the presence queue. */
  withdraw?: { userId: string; others: string[] };
}

/**
 * How many of `fanout`, from its start, may go out before the reply: those that skip the
 * requesting connection, up to the first that reaches it (which must follow the reply, as must
 * everything after it, or some receiver would see two pushes in the other order).
 */
export function pushesAheadOfReply(fanout: readonly Fanout[]): number {
  const firstToRequester = fanout.findIndex((push) => !push.exceptRequester);
  return firstToRequester === -1 ? fanout.length : firstToRequester;
}

export type FrameOf<T extends ClientFrame['type']> = Extract<ClientFrame, { type: T }>;

export function errorReply(rid: string | undefined, code: ErrorReply['code'], message: string): ErrorReply {
  return rid === undefined ? { type: 'error', code, message } : { type: 'error', rid, code, message };
}

export function refuse(rid: string, refusal: Refusal): HandlerResult {
  return only({ type: 'error', rid, code: refusal.code, reason: refusal.reason, message: refusal.message });
}

export function only(reply: ServerFrame): HandlerResult {
  return { reply, fanout: [] };
}

/** A new event reaches every connection of every member except the one that sent it (the reply tells that one). */
export function eventFanout(event: ConversationEvent, memberIds: string[]): Fanout {
  return { userIds: memberIds, frame: { type: 'event', event }, exceptRequester: true };
}
