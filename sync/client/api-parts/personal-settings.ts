/**
 * The client core's part of the app API about a person's own settings
 * (app-api/personal-settings-api.ts), over PersonalSettings. The core spreads it in
 * (client-core.ts: apiParts).
 */
import type { AppApi } from '../../app-api/contract.js';
import type { personalSettingsApiArgs } from '../../app-api/personal-settings-api.js';
import type { User } from '../../protocol/frames.js';
import type { PersonalSettings } from '../personal-settings.js';

export type PersonalSettingsApi = Pick<AppApi, keyof typeof personalSettingsApiArgs>;

export interface PersonalSettingsApiSource {
  settings: PersonalSettings;
  /** The signed-in person; refuses with not_signed_in while signed out. */
  self: () => User;
  /** Refuses with not_found a conversation this device does not have. */
  requireConversation: (conversationId: string) => void;
}

export function personalSettingsApi({ settings, self, requireConversation }: PersonalSettingsApiSource): PersonalSettingsApi {
  /** Signed in, and the conversation is here. */
  const inConversation = (conversationId: string) => {
    self();
    requireConversation(conversationId);
  };
  return {
    setArchived: async ({ conversationId, archived }) => {
      inConversation(conversationId);
      settings.setArchived(conversationId, archived);
      return null;
    },
    setMuted: async ({ conversationId, muted }) => {
      inConversation(conversationId);
      settings.setMuted(conversationId, muted);
      return null;
    },
    setDraft: async ({ conversationId, text, replyTo }) => {
      inConversation(conversationId);
      settings.setDraft(conversationId, text, replyTo ?? null);
      return null;
    },
    getDraft: async ({ conversationId }) => {
      inConversation(conversationId);
      return settings.getDraft(conversationId);
    },
    setBlocked: async ({ userId, blocked }) => {
      settings.setBlocked(self(), userId, blocked);
      return null;
    },
    listBlocked: async () => {
      self();
      return settings.listBlocked();
    },
    getPrivacySettings: async () => {
      self();
      return settings.privacy();
    },
    setShowOnline: async ({ showOnline }) => {
      self();
      settings.setShowOnline(showOnline);
      return null;
    },
    setGroupAdds: async ({ groupAdds }) => {
      self();
      settings.setGroupAdds(groupAdds);
      return null;
    },
  };
}
