/**
 * Links in message text: only http(s), exact hrefs, the text around them kept whole. (That the text
 * is rendered as text, never HTML, and mentions still marked is checked end to end: links-emoji.spec.ts.)
 */
import { describe, expect, it } from 'vitest';
import { firstLink, messagePieces, safeLinkHref, splitLinks } from '../../../renderer/format/links.js';

const links = (text: string) => splitLinks(text).filter((piece) => piece.kind === 'link');

describe('splitLinks', () => {
  it('finds http and https links, named by their text, with the exact href', () => {
    expect(splitLinks('See https://example.com/docs?x=1#top now')).toEqual([
      { kind: 'text', text: 'See ' },
      { kind: 'link', text: 'https://example.com/docs?x=1#top', href: 'https://example.com/docs?x=1#top' },
      { kind: 'text', text: ' now' },
    ]);
    expect(links('http://127.0.0.1:8080/page')).toEqual([
      { kind: 'link', text: 'http://127.0.0.1:8080/page', href: 'http://127.0.0.1:8080/page' },
    ]);
    // The text stays as written; the href is the URL parser's normalised form.
    expect(links('HTTPS://EXAMPLE.COM')).toEqual([{ kind: 'link', text: 'HTTPS://EXAMPLE.COM', href: 'https://example.com/' }]);
  });

  it('gives links without a scheme https://', () => {
    expect(links('go to example.com.')).toEqual([{ kind: 'link', text: 'example.com', href: 'https://example.com/' }]);
    expect(links('www.example.org/a?b=1')).toEqual([
      { kind: 'link', text: 'www.example.org/a?b=1', href: 'https://www.example.org/a?b=1' },
    ]);
  });

  it('keeps the text around links whole, in order', () => {
    const text = 'a https://a.example/1, b (https://en.wikipedia.org/wiki/Foo_(bar)) and example.net!';
    const pieces = splitLinks(text);
    expect(pieces.map((piece) => piece.text).join('')).toBe(text);
    expect(pieces.filter((piece) => piece.kind === 'link').map((piece) => piece.text)).toEqual([
      'https://a.example/1',
      'https://en.wikipedia.org/wiki/Foo_(bar)',
      'example.net',
    ]);
  });

  it('never makes a link of any other scheme', () => {
    for (const text of [
      'javascript:alert(1)',
      'JavaScript:alert(document.cookie)',
      'javascript://example.com/%0Aalert(1)',
      'file:///etc/passwd',
      'data:text/html,<script>alert(1)</script>',
      'mailto:someone@example.com',
      'someone@example.com',
      'ftp://example.com/file.txt',
      '//example.com/protocol-relative',
      'vbscript:msgbox(1)',
      'smb://server/share',
      'ms-settings:privacy',
      'nothing here at all',
      '',
    ]) {
      expect(links(text), text).toEqual([]);
      expect(
        splitLinks(text)
          .map((piece) => piece.text)
          .join(''),
        text,
      ).toBe(text);
    }
  });

  it('cuts a link at a quote: no attribute can be smuggled in', () => {
    const text = 'http://x"onmouseover=alert(1) x';
    expect(links(text)).toEqual([{ kind: 'link', text: 'http://x', href: 'http://x/' }]);
    expect(
      splitLinks(text)
        .map((piece) => piece.text)
        .join(''),
    ).toBe(text);
  });

  it('refuses credentials and overlong links', () => {
    expect(safeLinkHref('https://bank.example@evil.example/')).toBeNull();
    expect(safeLinkHref('https://user:pass@example.com/')).toBeNull();
    expect(safeLinkHref(`https://example.com/${'a'.repeat(2100)}`)).toBeNull();
    expect(safeLinkHref('javascript:alert(1)')).toBeNull();
    expect(safeLinkHref('not a url')).toBeNull();
    expect(safeLinkHref('https://example.com')).toBe('https://example.com/');
    expect(links(`https://example.com/${'a'.repeat(2100)}`)).toEqual([]);
  });

  it('names the first link (what a preview is made for)', () => {
    expect(firstLink('no link')).toBeNull();
    expect(firstLink('javascript:alert(1) then example.com and https://b.example')).toEqual({
      text: 'example.com',
      href: 'https://example.com/',
    });
  });
});

describe('messagePieces', () => {
  it('marks mentions of the reader between links, not inside them', () => {
    expect(messagePieces('@bob look at https://example.com/@bob, @bob!', 'bob')).toEqual([
      { kind: 'mention', text: '@bob' },
      { kind: 'text', text: ' look at ' },
      { kind: 'link', text: 'https://example.com/@bob', href: 'https://example.com/@bob' },
      { kind: 'text', text: ', ' },
      { kind: 'mention', text: '@bob' },
      { kind: 'text', text: '!' },
    ]);
    expect(messagePieces('hi @bob', null)).toEqual([{ kind: 'text', text: 'hi @bob' }]);
    expect(messagePieces('', 'bob')).toEqual([]);
  });

  it('keeps markup as plain text pieces', () => {
    const text = '<img src=x onerror=alert(1)> <a href="javascript:alert(1)">x</a>';
    expect(messagePieces(text, 'bob')).toEqual([{ kind: 'text', text }]);
  });
});
