/**
 * What a reader's app does with a preview a message carries: it is the sender's client's word, so it
 * is shown only under one of the message's own links (which follow the rules of links in text).
 */
import { describe, expect, it } from 'vitest';
import { previewBelongsTo } from '../../../renderer/format/links.js';

describe('previewBelongsTo', () => {
  it('shows a preview of one of the message’s links, as the composer made it', () => {
    expect(previewBelongsTo('https://example.com/docs?x=1', 'Docs at https://example.com/docs?x=1')).toBe(true);
    // A link without a scheme gets https://, and the preview was made for that address.
    expect(previewBelongsTo('https://example.org/', 'see example.org!')).toBe(true);
    // The second link of a message is one of its links too.
    expect(previewBelongsTo('https://b.example/', 'https://a.example/ and https://b.example/')).toBe(true);
    // The same address written differently (the URL parser's form is compared).
    expect(previewBelongsTo('HTTPS://EXAMPLE.COM', 'at https://example.com/')).toBe(true);
    expect(previewBelongsTo('http://127.0.0.1:8080/page', 'local http://127.0.0.1:8080/page')).toBe(true);
  });

  it('refuses a preview of a page the message does not link', () => {
    expect(previewBelongsTo('https://evil.example/', 'Your bank: https://bank.example/')).toBe(false);
    expect(previewBelongsTo('https://bank.example/login', 'Your bank: https://bank.example/')).toBe(false);
    expect(previewBelongsTo('https://example.com/', 'no link at all')).toBe(false);
    expect(previewBelongsTo('https://example.com/', '')).toBe(false);
    // Mentioned as text in another scheme, it is no link of the message.
    expect(previewBelongsTo('https://example.com/', 'ftp://example.com/')).toBe(false);
  });

  it('refuses addresses that are never links', () => {
    expect(previewBelongsTo('javascript:alert(1)', 'javascript:alert(1)')).toBe(false);
    expect(previewBelongsTo('file:///etc/passwd', 'file:///etc/passwd')).toBe(false);
    expect(previewBelongsTo('https://bank.example@evil.example/', 'https://bank.example@evil.example/')).toBe(false);
  });
});
