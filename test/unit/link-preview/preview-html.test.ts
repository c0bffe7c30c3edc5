import { describe, expect, it } from 'vitest';
import { decodeHtml } from '../../../sync/node/link-preview/fetcher.js';
import { cleanText, parsePreviewHtml } from '../../../sync/node/link-preview/preview-html.js';
import { LIMITS } from '../../../sync/protocol/limits.js';

const PAGE = 'https://example.com/articles/one?x=1';

describe('parsePreviewHtml', () => {
  it('prefers Open Graph, then Twitter, then <title> and meta description', () => {
    const html = `<html><head><title>Title tag</title>
      <meta name="twitter:title" content="Twitter title">
      <meta property="og:title" content="OG title">
      <meta name="description" content="Meta description">
      <meta name="twitter:description" content="Twitter description">
      <meta property="og:image" content="../img/cover.jpg">
      </head></html>`;
    expect(parsePreviewHtml(html, PAGE)).toEqual({
      title: 'OG title',
      description: 'Twitter description',
      imageUrl: 'https://example.com/img/cover.jpg',
    });
    expect(parsePreviewHtml('<title>Only</title><meta name="twitter:title" content="Tw">', PAGE)?.title).toBe('Tw');
    expect(parsePreviewHtml('<TITLE>Only</TITLE><META NAME="Description" CONTENT="d">', PAGE)).toEqual({
      title: 'Only',
      description: 'd',
      imageUrl: null,
    });
  });

  it('has no preview without a title', () => {
    expect(parsePreviewHtml('<meta name="description" content="x"><h1>Heading</h1>', PAGE)).toBeNull();
    expect(parsePreviewHtml('<title>   </title><meta property="og:title" content=" ">', PAGE)).toBeNull();
    expect(parsePreviewHtml('', PAGE)).toBeNull();
  });

  it('skips empty Open Graph values and <title> inside inline SVG', () => {
    const html = '<body><svg><title>icon</title></svg><meta property="og:title" content=""><title>Real</title></body>';
    expect(parsePreviewHtml(html, PAGE)?.title).toBe('Real');
  });

  it('returns markup in the title as plain text, entities decoded once', () => {
    const html = `<title>&lt;b&gt;bold&lt;/b&gt; <script>alert("x")</script> &amp;lt;i&amp;gt; "q" 'one'</title>
      <meta property="og:description" content="&lt;img src=x onerror=alert(1)&gt; &amp;amp;">`;
    expect(parsePreviewHtml(html, PAGE)).toEqual({
      title: `<b>bold</b> <script>alert("x")</script> &lt;i&gt; "q" 'one'`,
      description: '<img src=x onerror=alert(1)> &amp;',
      imageUrl: null,
    });
  });

  it('collapses whitespace, drops control characters and bidi overrides, keeps emoji', () => {
    expect(cleanText('  a\n\n\tb \u0000c\u202Ed\u200B e 👩‍👩‍👧 ', 100)).toBe('a b cd e 👩‍👩‍👧');
  });

  it('cuts long parts to the limits without splitting a surrogate pair', () => {
    const long = 'x'.repeat(LIMITS.maxLinkPreviewTitleChars - 2) + '😀😀😀';
    const parsed = parsePreviewHtml(`<title>${long}</title><meta name="description" content="${'d'.repeat(5000)}">`, PAGE);
    expect(parsed?.title.length).toBeLessThanOrEqual(LIMITS.maxLinkPreviewTitleChars);
    expect(parsed?.title.endsWith('…')).toBe(true);
    expect((parsed?.title as string & { isWellFormed(): boolean }).isWellFormed()).toBe(true);
    expect(parsed?.description.length).toBe(LIMITS.maxLinkPreviewDescriptionChars);
  });

  it('takes a title cut short by the 1 MB limit', () => {
    expect(parsePreviewHtml('<html><head><title>Cut here', PAGE)?.title).toBe('Cut here');
  });

  it('resolves the image against <base href>, and only http(s) images', () => {
    expect(
      parsePreviewHtml('<base href="https://cdn.example.net/a/"><title>t</title><meta property="og:image" content="b.png">', PAGE)
        ?.imageUrl,
    ).toBe('https://cdn.example.net/a/b.png');
    expect(
      parsePreviewHtml('<title>t</title><meta property="og:image" content="javascript:alert(1)">', PAGE)?.imageUrl,
    ).toBeNull();
    expect(
      parsePreviewHtml('<title>t</title><meta property="og:image" content="data:image/png;base64,AA==">', PAGE)?.imageUrl,
    ).toBeNull();
  });
});

describe('decodeHtml', () => {
  it('uses the Content-Type charset, else <meta charset>, else UTF-8', () => {
    const latin1 = Buffer.from('<title>caf\u00e9</title>', 'latin1');
    expect(decodeHtml(latin1, 'text/html; charset=ISO-8859-1')).toContain('café');
    expect(decodeHtml(Buffer.concat([Buffer.from('<meta charset="windows-1252">'), latin1]), 'text/html')).toContain('café');
    expect(decodeHtml(Buffer.from('<title>café</title>'), 'text/html')).toContain('café');
    expect(decodeHtml(Buffer.from('<title>café</title>'), 'text/html; charset=bogus-charset')).toContain('café');
  });
});
