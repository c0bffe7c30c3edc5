import { LIMITS } from '../../protocol/limits.js';
import { REFUSALS } from '../refusals.js';
import type { GroupWatermark } from '../store/server-store.js';
import { only, refuse, type Fanout, type FrameOf, type HandlerContext, type HandlerResult } from './handler-result.js';

/**
 * Personal settings: the caller's own registers (archived, muted, draft, blocked, show_online, request, group_adds),
 * merged last writer wins by the store. Nobody else ever reads them; a block shows only in what the
 * pair are served from then on, "Show when I'm online" only in whose presence they are told.
 */

/**
 * Writes registers. The reply holds each key as stored after the merge (an older write answers
 * the newer register it lost to); the user's other connections hear of the ones that changed.
 */
export async function setSettings(ctx: HandlerContext, frame: FrameOf<'set_settings'>): Promise<HandlerResult> {
  const me = ctx.user.id;
  const result = await ctx.store.setSettings(me, frame.settings, ctx.limits.settingsBudget);
  if (result.status === 'refused') return refuse(frame.rid, REFUSALS[result.reason]);
  const fanout: Fanout[] = [];
  if (result.changed.length > 0) {
    fanout.push({ userIds: [me], frame: { type: 'settings_changed', settings: result.changed }, exceptRequester: true });
  }
  const contactsAgain: string[] = [];
  // Those who stop sharing presence with the user: as far as each can tell, the other is away, last
  // seen unknown (what anyone sees of a person who hides it). Told in the presence queue.
  const apart: string[] = [];
  for (const change of result.blockChanges) {
    if (change.standing) {
      apart.push(change.userId);
      continue;
    }
    if (change.revealedTo !== null && change.conversationId !== null) {
      // A conversation the block kept from one of them: theirs to see now (what it hid stays hidden).
      const conversation = await ctx.store.getConversationForMember(change.conversationId, change.revealedTo);
      if (conversation) {
        fanout.push({
          userIds: [change.revealedTo],
          frame: { type: 'conversation_added', conversation },
          exceptRequester: false,
        });
      }
    }
    if (change.conversationId !== null) fanout.push(...(await watermarksAgain(ctx, change.conversationId, [me, change.userId])));
    contactsAgain.push(change.userId);
  }
  for (const { viewerId, watermarks } of result.thawed) fanout.push(...ownWatermarksTo(ctx.user.id, viewerId, watermarks));
  const visibility = result.visibilityChange;
  if (visibility?.hidden) {
    // "Show when I'm online": nobody. Those who saw the user see them away, and (presence-rules.ts)
    // the user sees them so too: every device of theirs hears it.
    apart.push(...visibility.contacts.map((contact) => contact.userId));
  } else if (visibility) {
    contactsAgain.push(...visibility.contacts.map((contact) => contact.userId));
  }
  const reply = { type: 'settings', rid: frame.rid, settings: result.settings, hasMore: false } as const;
  return {
    reply,
    fanout,
    ...(apart.length > 0 ? { withdraw: { userId: me, others: apart } } : {}),
    // A block lifted, or shown again: those the presence rule lets share it hear each other's presence.
    ...(contactsAgain.length > 0 ? { introduce: { newcomers: [me], others: contactsAgain } } : {}),
  };
}

/** The caller's registers changed after `afterVersion`, oldest change first, a page at a time. */
export async function listSettings(ctx: HandlerContext, frame: FrameOf<'list_settings'>): Promise<HandlerResult> {
  const page = await ctx.store.listSettings(ctx.user.id, frame.afterVersion, frame.limit ?? LIMITS.maxSettingsPerFrame);
  return only({ type: 'settings', rid: frame.rid, settings: page.settings, hasMore: page.hasMore });
}

/**
 * While the block stood each was served the other's watermarks as they were when it began, and
 * told of no move; now both hear where every member's watermarks really are (a watermark only
 * moves forward, so telling someone what they know already changes nothing).
 */
async function watermarksAgain(ctx: HandlerContext, conversationId: string, pair: string[]): Promise<Fanout[]> {
  const conversation = await ctx.store.getConversationForMember(conversationId, ctx.user.id);
  if (!conversation) return [];
  return conversation.members.map((member) => ({
    userIds: pair,
    frame: {
      type: 'watermark' as const,
      conversationId,
      userId: member.id,
      deliveredSeq: member.deliveredSeq,
      readSeq: member.readSeq,
    },
    exceptRequester: false,
  }));
}

/**
 * The user no longer blocks `viewerId`: while they did, the viewer was served the user's watermarks
 * in the groups they share as they were when it began, and told of no move; now they hear where
 * the user's watermarks really are.
 */
function ownWatermarksTo(userId: string, viewerId: string, watermarks: readonly GroupWatermark[]): Fanout[] {
  return watermarks.map(({ conversationId, deliveredSeq, readSeq }) => ({
    userIds: [viewerId],
    frame: { type: 'watermark', conversationId, userId, deliveredSeq, readSeq },
    exceptRequester: false,
  }));
}
