/**
 * The GIPHY provider against a fake fetch (nothing reaches the internet): how GIPHY's answers map
 * to results, the media hosts the server will fetch from, and every way GIPHY can fail or mislead.
 */
import { describe, expect, it } from 'vitest';
import { refusal } from './refusal.js';
import { giphyProvider, isGiphyMedia } from '../../../../sync/server/gifs/giphy-provider.js';

const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

type Answer = Response | ((signal: AbortSignal) => Promise<Response>);

/** A fetch that answers each URL it is asked for from `answers` (by prefix), and remembers what it was asked. */
function fakeFetch(answers: Record<string, Answer>): { fetch: typeof fetch; asked: string[] } {
  const asked: string[] = [];
  const fake = async (input: string | URL, init?: RequestInit): Promise<Response> => {
    const url = String(input);
    asked.push(url);
    const found = Object.entries(answers).find(([prefix]) => url.startsWith(prefix));
    if (!found) return new Response('no', { status: 500 });
    const answer = found[1];
    return typeof answer === 'function' ? answer(init!.signal as AbortSignal) : answer.clone();
  };
  return { fetch: fake as typeof fetch, asked };
}

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status });
const giphyGif = (id: string, url = `https://media1.giphy.com/media/${id}/giphy.gif`) => ({
  id,
  title: `${id} GIF`,
  images: { original: { url, width: '480', height: '270', size: '1234' }, fixed_width: { url: 'https://elsewhere' } },
});

describe('the GIPHY provider', () => {
  it('searches with the key, query and page, and maps GIPHY’s answer to results and the next page', async () => {
    const { fetch, asked } = fakeFetch({
      'https://api.giphy.com/v1/gifs/search': json({
        data: [giphyGif('abc'), giphyGif('def')],
        pagination: { total_count: 50, count: 2, offset: 24 },
      }),
    });
    const giphy = giphyProvider({ apiKey: 'k&y', fetch });
    expect(await giphy.search('happy cat', 24, 2)).toEqual({
      results: [
        { id: 'abc', title: 'abc GIF', width: 480, height: 270, size: 1234 },
        { id: 'def', title: 'def GIF', width: 480, height: 270, size: 1234 },
      ],
      next: 26,
    });
    expect(asked).toEqual(['https://api.giphy.com/v1/gifs/search?api_key=k%26y&q=happy%20cat&limit=2&offset=24']);
    expect(giphy.attribution).toBe('giphy');
  });

  it('has no next page at the end of the results', async () => {
    const { fetch } = fakeFetch({
      'https://api.giphy.com/v1/gifs/search': json({
        data: [giphyGif('abc')],
        pagination: { total_count: 25, count: 1, offset: 24 },
      }),
    });
    expect(await giphyProvider({ apiKey: 'k', fetch }).search('cat', 24, 24)).toMatchObject({ next: null });
  });

  it('fetches a GIF from its original rendition on GIPHY’s media host', async () => {
    const { fetch, asked } = fakeFetch({
      'https://api.giphy.com/v1/gifs/abc': json({ data: giphyGif('abc') }),
      'https://media1.giphy.com/': new Response(GIF),
    });
    expect(await giphyProvider({ apiKey: 'k', fetch }).gif('abc', 'original')).toEqual(GIF);
    expect(asked).toEqual(['https://api.giphy.com/v1/gifs/abc?api_key=k', 'https://media1.giphy.com/media/abc/giphy.gif']);
  });

  it('fetches a preview from the 200-pixel fixed_width rendition, or the original when GIPHY has none', async () => {
    const withPreview = {
      ...giphyGif('abc'),
      images: { ...giphyGif('abc').images, fixed_width: { url: 'https://media2.giphy.com/media/abc/200w.gif' } },
    };
    const { fetch, asked } = fakeFetch({
      'https://api.giphy.com/v1/gifs/abc': json({ data: withPreview }),
      'https://api.giphy.com/v1/gifs/def': json({
        data: { ...giphyGif('def'), images: { original: giphyGif('def').images.original } },
      }),
      'https://media': new Response(GIF),
    });
    const giphy = giphyProvider({ apiKey: 'k', fetch });
    expect(await giphy.gif('abc', 'preview')).toEqual(GIF);
    expect(await giphy.gif('def', 'preview')).toEqual(GIF);
    expect(asked.filter((url) => url.startsWith('https://media'))).toEqual([
      'https://media2.giphy.com/media/abc/200w.gif',
      'https://media1.giphy.com/media/def/giphy.gif',
    ]);
  });

  it('refuses a preview GIPHY names outside its media hosts', async () => {
    const { fetch, asked } = fakeFetch({ 'https://api.giphy.com/v1/gifs/abc': json({ data: giphyGif('abc') }) });
    expect(await refusal(giphyProvider({ apiKey: 'k', fetch }).gif('abc', 'preview'))).toEqual({
      status: 502,
      code: 'gif_provider_failed',
    });
    expect(asked).toEqual(['https://api.giphy.com/v1/gifs/abc?api_key=k']);
  });

  it('answers no GIF for an id GIPHY does not know', async () => {
    const { fetch } = fakeFetch({ 'https://api.giphy.com/v1/gifs/nope': json({ message: 'Not found' }, 404) });
    expect(await giphyProvider({ apiKey: 'k', fetch }).gif('nope', 'original')).toBeNull();
  });

  it('only fetches from GIPHY’s media hosts over https', async () => {
    expect(isGiphyMedia('https://media.giphy.com/a.gif')).toBe(true);
    expect(isGiphyMedia('https://media4.giphy.com/a.gif')).toBe(true);
    for (const url of [
      'http://media1.giphy.com/a.gif',
      'https://media1.giphy.com.evil.example/a.gif',
      'https://evilmedia1.giphy.com/a.gif',
      'https://media1.giphy.com:8443/a.gif',
      'https://user@media1.giphy.com/a.gif',
      'https://127.0.0.1/a.gif',
      'file:///etc/passwd',
      'not a url',
    ]) {
      expect(isGiphyMedia(url), url).toBe(false);
    }
    const { fetch, asked } = fakeFetch({
      'https://api.giphy.com/v1/gifs/abc': json({ data: giphyGif('abc', 'http://169.254.169.254/latest/meta-data') }),
    });
    expect(await refusal(giphyProvider({ apiKey: 'k', fetch }).gif('abc', 'original'))).toEqual({
      status: 502,
      code: 'gif_provider_failed',
    });
    expect(asked).toHaveLength(1);
  });

  it('refuses bodies that are too large (declared or not) or not GIFs', async () => {
    const big = Buffer.concat([GIF, Buffer.alloc(200)]);
    const cases: Array<[Response, string]> = [
      [new Response(big), 'gif_too_large'],
      [new Response(big, { headers: { 'content-length': String(big.length) } }), 'gif_too_large'],
      [new Response(Buffer.from('<html>not a gif</html>')), 'gif_not_gif'],
      [new Response('gone', { status: 410 }), 'gif_provider_failed'],
    ];
    for (const [media, code] of cases) {
      const { fetch } = fakeFetch({
        'https://api.giphy.com/v1/gifs/abc': json({ data: giphyGif('abc') }),
        'https://media1.giphy.com/': media,
      });
      expect(await refusal(giphyProvider({ apiKey: 'k', fetch, maxBytes: 100 }).gif('abc', 'original'))).toEqual({
        status: 502,
        code,
      });
    }
  });

  it('fails with a code when GIPHY errs, answers garbage, cannot be reached or takes too long', async () => {
    const hang = (signal: AbortSignal) =>
      new Promise<Response>((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
    const answers: Answer[] = [
      json({ message: 'Invalid key' }, 403),
      new Response('<html>'),
      json({ data: 'nothing', pagination: {} }),
      json({ data: [{ ...giphyGif('../../etc'), id: '../../etc' }], pagination: { total_count: 1, count: 1, offset: 0 } }),
      () => Promise.reject(new TypeError('fetch failed')),
      hang,
    ];
    for (const answer of answers) {
      const { fetch } = fakeFetch({ 'https://api.giphy.com/': answer });
      expect(await refusal(giphyProvider({ apiKey: 'k', fetch, timeoutMs: 10 }).search('cat', 0, 24))).toEqual({
        status: 502,
        code: 'gif_provider_failed',
      });
    }
  });
});
