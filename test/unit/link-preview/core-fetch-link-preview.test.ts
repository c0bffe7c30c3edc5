import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAppDispatcher } from '../../../sync/app-api/dispatcher.js';
import { openClientCore } from '../../../sync/client/client-core.js';
import type { ClientCore, LinkPreviewFetcher } from '../../../sync/client/client-core-types.js';
import { createLinkPreviewFetcher } from '../../../sync/node/link-preview/fetcher.js';
import { PREVIEW_PAGE, startPreviewSite, type PreviewSite } from '../../support/link-preview-site.js';

let site: PreviewSite;
const dirs: string[] = [];
const cores: ClientCore[] = [];

async function coreWith(linkPreviews?: LinkPreviewFetcher): Promise<ClientCore> {
  const profileDir = mkdtempSync(join(tmpdir(), 'link-preview-core-'));
  dirs.push(profileDir);
  const core = await openClientCore({
    profileDir,
    defaultServerUrl: 'ws://127.0.0.1:1',
    ...(linkPreviews ? { linkPreviews } : {}),
  });
  cores.push(core);
  return core;
}

beforeAll(async () => {
  site = await startPreviewSite();
});

afterEach(async () => {
  for (const core of cores.splice(0)) await core.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

afterAll(async () => {
  await site.close();
});

describe('fetchLinkPreview in the client core', () => {
  it('returns the injected fetcher’s preview (loopback allowed, as with --allow-loopback-previews)', async () => {
    const core = await coreWith(createLinkPreviewFetcher({ allowLoopback: true }));
    const dispatch = createAppDispatcher(core);
    const reply = await dispatch('fetchLinkPreview', { url: site.url('/page') });
    expect(reply).toMatchObject({ ok: true, result: { url: site.url('/page'), title: PREVIEW_PAGE.title } });
  });

  it('refuses loopback by default (https only, public addresses only)', async () => {
    const core = await coreWith();
    site.requests.length = 0;
    expect(await core.fetchLinkPreview({ url: site.url('/page') })).toBeNull();
    expect(await core.fetchLinkPreview({ url: `https://127.0.0.1:${site.port}/page` })).toBeNull();
    expect(site.requests).toEqual([]);
  });

  it('turns any failure of the fetcher into null', async () => {
    const core = await coreWith({
      fetch: () => Promise.reject(new Error('offline')),
    });
    expect(await core.fetchLinkPreview({ url: 'https://example.com/' })).toBeNull();
  });

  it('validates its arguments at the dispatcher', async () => {
    const dispatch = createAppDispatcher(await coreWith({ fetch: () => Promise.resolve(null) }));
    expect(await dispatch('fetchLinkPreview', { url: '' })).toMatchObject({ ok: false, error: { code: 'invalid_argument' } });
    expect(await dispatch('fetchLinkPreview', { url: 'x'.repeat(3000) })).toMatchObject({
      ok: false,
      error: { code: 'invalid_argument' },
    });
    expect(await dispatch('fetchLinkPreview', { url: 'https://a.example/', extra: 1 })).toMatchObject({ ok: false });
  });
});
