/**
 * The renderer's placeholder for an envelope this device could not decrypt (a notice of kind
 * `undecryptable`, mirror/resend-requests.ts): the words with who sent it and when, in every
 * language. NoticeItem shows them as a text node, never as markup.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { noticeText } from '../../../renderer/format/notices.js';
import { formatTime } from '../../../renderer/format/time.js';
import { setLanguage } from '../../../renderer/i18n/index.js';
import { bob, notice } from './fake-api.js';

afterEach(() => setLanguage('en'));

const at = Date.UTC(2026, 10, 26, 14, 5);
const placeholder = notice({ seq: 7, at, kind: 'undecryptable', actor: bob, subjects: [] });

describe('a message that could not be decrypted', () => {
  it('says so, with who sent it and when, in every language', () => {
    const time = formatTime(at);
    expect(noticeText(placeholder)).toBe(`This message could not be decrypted (Bob Brown, ${time})`);
    setLanguage('ru');
    expect(noticeText(placeholder)).toBe(`Не удалось расшифровать это сообщение (Bob Brown, ${formatTime(at)})`);
    setLanguage('uk');
    expect(noticeText(placeholder)).toBe(`Не вдалося розшифрувати це повідомлення (Bob Brown, ${formatTime(at)})`);
  });
});
