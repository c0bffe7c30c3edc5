import { AppApiError, type AppEvent } from '../app-api/contract.js';
import type { DraftView, PrivacySettingsView } from '../app-api/personal-settings-api.js';
import { directConversationId } from '../common/conversation-ids.js';
import { draftSchema, type PersonalSetting } from '../content/personal-settings.js';
import type { GroupAdds, OnlineVisibility, RequestAnswer, User } from '../protocol/frames.js';
import type { Mirror } from './mirror/mirror.js';

/**
 * The person's own settings as they change them here: archive, mute, the composer's draft, whom
 * they block, their answers to message requests, and their privacy. Each change writes its register (pending) and what the conversation list shows
 * in one transaction; the settings sync (settings-sync.ts) hears of the pending register from the
 * mirror and sends it when it can. The caller has checked that someone is signed in and, for a
 * conversation's setting, that the conversation exists.
 */
export class PersonalSettings {
  constructor(
    private readonly mirror: Mirror,
    private readonly emit: (event: AppEvent) => void,
  ) {}

  setArchived(conversationId: string, archived: boolean): void {
    // The seq it was archived at: a later message from someone else brings it back (settings.ts).
    const seq = this.mirror.appliedSeq(conversationId);
    this.write({ kind: 'archived', conversationId, value: { on: archived, seq } }, null);
  }

  setMuted(conversationId: string, muted: boolean): void {
    this.write({ kind: 'muted', conversationId, value: muted }, null);
  }

  setDraft(conversationId: string, text: string, replyTo: string | null): void {
    const draft = draftSchema.safeParse({ text, replyTo });
    if (!draft.success) throw new AppApiError('invalid_argument', 'A draft must be well-formed text.');
    // No draft and nothing typed: nothing to keep (and nothing to sync).
    const empty = draft.data.text === '' && draft.data.replyTo === null;
    if (empty && !this.mirror.settings.draft(conversationId)) return;
    this.write({ kind: 'draft', conversationId, value: draft.data }, null);
  }

  getDraft(conversationId: string): DraftView | null {
    const draft = this.mirror.settings.draft(conversationId);
    if (!draft || (draft.text === '' && draft.replyTo === null)) return null;
    return { text: draft.text, replyTo: draft.replyTo };
  }

  setBlocked(self: User, userId: string, blocked: boolean): void {
    if (userId === self.id) throw new AppApiError('refused', 'cannot_block_yourself');
    if (!this.mirror.user(userId)) throw new AppApiError('not_found', 'No one with that id is known here.');
    this.write({ kind: 'blocked', userId, value: blocked }, directConversationId(self.id, userId));
  }

  listBlocked(): User[] {
    return this.mirror.settings.blockedUsers();
  }

  privacy(): PrivacySettingsView {
    return {
      showOnline: this.mirror.settings.showOnline(),
      groupAdds: this.mirror.settings.groupAdds(),
      waiting: this.mirror.settings.privacyWaiting(),
    };
  }

  /** Enforced by the server once the register reaches it (request-rules.ts). */
  setGroupAdds(groupAdds: GroupAdds): void {
    this.write({ kind: 'group_adds', value: groupAdds }, null);
  }

  /**
   * Answers the conversation's message request at the highest seq the server has told of (applied
   * here or not): a later message from someone else brings a deleted direct one back
   * (request-rules.ts). A group deleted is left, so nothing brings it back.
   */
  answerRequest(conversationId: string, answer: RequestAnswer['answer']): void {
    const cursor = this.mirror.cursor(conversationId);
    const isGroup = this.mirror.peerOf(conversationId) === null;
    const seq =
      answer === 'deleted' && isGroup ? Number.MAX_SAFE_INTEGER : Math.max(cursor?.appliedSeq ?? 0, cursor?.knownSeq ?? 0);
    this.write({ kind: 'request', conversationId, value: { answer, seq } }, null);
  }

  /** Writing in a request, or starting the conversation yourself, accepts it. */
  acceptIfRequest(conversationId: string): void {
    if (this.mirror.settings.requestStanding(conversationId) !== 'none') this.answerRequest(conversationId, 'accepted');
  }

  /** A sticker pack installed here, for the person's other devices to install from its message. */
  setStickerPack(conversationId: string, messageId: string, packId: string): void {
    this.write({ kind: 'sticker_pack', conversationId, value: { packId, messageId } }, null);
  }

  /** Enforced by the server once the register reaches it (presence-rules.ts). */
  setShowOnline(showOnline: OnlineVisibility): void {
    this.write({ kind: 'show_online', value: showOnline }, null);
  }

  /**
   * A draft does not announce 'settings' (that tells an open composer a draft changed elsewhere);
   * the list is re-read either way. `direct`: the conversation a block is about, if any.
   */
  private write(setting: Exclude<PersonalSetting, { kind: 'sender_key' }>, direct: string | null): void {
    const wrote = this.mirror.transaction(() => {
      if (!this.mirror.settings.write(setting)) return false;
      // Unmuted in the archive: it stays there until a message from now on (settings-store.ts).
      if (setting.kind === 'muted' && !setting.value) this.mirror.settings.keptInArchive(setting.conversationId);
      return true;
    });
    if (!wrote) return;
    switch (setting.kind) {
      case 'draft':
      case 'sticker_pack':
        break;
      case 'archived':
      case 'muted':
      case 'request':
        this.emit({ type: 'settings', conversationIds: [setting.conversationId] });
        break;
      case 'blocked':
        this.emit({ type: 'settings', conversationIds: direct && this.mirror.hasConversation(direct) ? [direct] : [] });
        break;
      case 'show_online':
      case 'group_adds':
        this.emit({ type: 'settings', conversationIds: [] });
        break;
    }
    this.emit({ type: 'conversations' });
  }
}
