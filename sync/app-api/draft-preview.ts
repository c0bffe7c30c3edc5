/**
 * The start of a conversation's draft that the conversation list carries (ConversationSummary.draft).
 * A preview shorter than this is the whole draft, so the composer can show it the moment it appears,
 * before the core has answered for the draft itself.
 */
export const DRAFT_PREVIEW_CHARS = 160;

/** The whole draft when the list's preview is all of it; null when there is none or it was cut. */
export function wholeDraftIn(preview: string | null): string | null {
  return preview !== null && preview.length < DRAFT_PREVIEW_CHARS ? preview : null;
}
