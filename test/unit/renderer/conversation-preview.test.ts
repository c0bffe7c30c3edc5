/**
 * The conversation list's line under a title (renderer/format/conversation-preview.ts): a poll
 * reads as its question after a chart sign, a location as its place name after a pin, a sticker as
 * "Sticker" (not its picture's file), with the same "You:" and sender prefixes as any message.
 */
import { describe, expect, it } from 'vitest';
import { conversationPreview } from '../../../renderer/format/conversation-preview.js';
import { conversationSummary } from '../../support/app-views.js';

const ann = { id: 'ann', username: 'ann', displayName: 'Ann' };
const last = (overrides: object) => ({ text: 'Where  to?', own: false, at: 1, deleted: false, senderName: 'Ann', ...overrides });

describe('the conversation list’s preview', () => {
  it('shows a poll as its question after a chart sign, and a plain message as it is', () => {
    const direct = (lastMessage: ReturnType<typeof last>) => conversationSummary(ann, { id: 'c1', lastMessage });
    expect(conversationPreview(direct(last({ poll: true })))).toBe('📊 Where to?');
    expect(conversationPreview(direct(last({ poll: true, own: true })))).toBe('You: 📊 Where to?');
    expect(conversationPreview(direct(last({})))).toBe('Where to?');
    const group = conversationSummary(ann, { id: 'g1', kind: 'group', peer: null, lastMessage: last({ poll: true }) });
    expect(conversationPreview(group)).toBe('Ann: 📊 Where to?');
  });

  it('shows a location as its place name after a pin, or as "Location" without one', () => {
    const direct = (lastMessage: ReturnType<typeof last>) => conversationSummary(ann, { id: 'c1', lastMessage });
    expect(conversationPreview(direct(last({ text: 'Harbour', location: true })))).toBe('📍 Harbour');
    expect(conversationPreview(direct(last({ text: '', location: true, own: true })))).toBe('You: 📍 Location');
  });

  it('shows a sticker as "Sticker", not as the photo its file is', () => {
    const direct = (lastMessage: ReturnType<typeof last>) => conversationSummary(ann, { id: 'c1', lastMessage });
    const attachment = { kind: 'image', name: 'sticker.webp' };
    expect(conversationPreview(direct(last({ text: '', sticker: true, attachment })))).toBe('Sticker');
    expect(conversationPreview(direct(last({ text: '', sticker: true, attachment, own: true })))).toBe('You: Sticker');
  });
});
