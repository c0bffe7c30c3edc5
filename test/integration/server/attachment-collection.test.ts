/**
 * Collection of uploads (housekeeping.ts): hourly, every upload no envelope refers to (never sent,
 * never finished, or its envelope deleted for everyone) goes once it is a day old, its row and its file,
 * freeing its share of the quota; what envelopes refer to stays.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { Runtime, TimerHandle } from '../../../sync/common/runtime.js';
import { realRuntime } from '../../../sync/node/real-runtime.js';
import { ATTACHMENT_LIMITS } from '../../../sync/protocol/attachments.js';
import { ATTACHMENTS_DIR } from '../../../sync/server/attachments/attachment-files.js';
import { HOUSEKEEPING_INTERVAL_MS } from '../../../sync/server/housekeeping.js';
import { createServerHarness } from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';
import {
  bearer,
  createUpload,
  download,
  sendAttachments,
  sendWithAttachments,
  testFile,
  uploadFile,
} from './attachment-support.js';

const HOUR = 60 * 60 * 1000;

/**
 * The real runtime with a clock and timers the test moves by hand: `advance` moves the clock and
 * runs every timer that has come due, in order (including ones they set that are due by then).
 */
function steppedRuntime(startMs: number) {
  let now = startMs;
  let nextHandle = 1;
  const pending = new Map<number, { due: number; callback: () => void }>();
  const runtime: Runtime = {
    ...realRuntime(),
    clock: { now: () => now },
    timers: {
      setTimeout: (callback, delayMs) => {
        const handle = nextHandle++;
        pending.set(handle, { due: now + delayMs, callback });
        return handle as unknown as TimerHandle;
      },
      clearTimeout: (handle) => void pending.delete(handle as unknown as number),
    },
  };
  return {
    runtime,
    now: () => now,
    /** Whether a timer is set for later than now (the collector sets its next run once a run has finished). */
    waiting: () => [...pending.values()].some((timer) => timer.due > now),
    advance(ms: number): void {
      now += ms;
      for (;;) {
        const [handle, timer] =
          [...pending.entries()].filter(([, t]) => t.due <= now).sort(([, a], [, b]) => a.due - b.due)[0] ?? [];
        if (handle === undefined || !timer) return;
        pending.delete(handle);
        timer.callback();
      }
    },
  };
}

/** Moves the clock by `ms` and waits for the collection run that came due to finish. */
async function passes(clock: ReturnType<typeof steppedRuntime>, ms: number): Promise<void> {
  clock.advance(ms);
  await eventually(async () => clock.waiting(), 'the collection run to finish and set the next one');
}

/** Polls until `check` passes; never a fixed sleep. */
async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describeEachStore('garbage collection of uploads', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('removes uploads no envelope refers to once they are a day old (rows and files), hourly; keeps the ones envelopes refer to', async () => {
    const clock = steppedRuntime(1_000_000_000);
    // The collector's timer is the only one: `passes` waits for it to be set again.
    const server = await h.startServer({
      runtime: clock.runtime,
      heartbeatMs: 0,
      sessionRecheckMs: 0,
      disappearingSweepMs: 0,
      quotaBytes: 5000,
    });
    const { alice, bob, aliceSocket, conversation } = await h.pair(server);
    const dir = await h.tempDir();
    const [sentFile, unsentFile, deletedFile] = [await testFile(dir, 1000), await testFile(dir, 1000), await testFile(dir, 1000)];
    const sent = await uploadFile(server.httpUrl, alice.token, sentFile);
    const unsent = await uploadFile(server.httpUrl, alice.token, unsentFile);
    const deleted = await uploadFile(server.httpUrl, alice.token, deletedFile);
    const unfinished = await createUpload(server.httpUrl, bearer(alice.token), { length: 1000, sha256: sentFile.sha256 });
    const unfinishedUrl = server.httpUrl + unfinished.headers.get('location')!;
    await sendAttachments(aliceSocket, conversation.id, 'm1', [sent]);
    await sendAttachments(aliceSocket, conversation.id, 'm2', [deleted]);
    await aliceSocket.send(conversation.id, 'd2', 'deleted', { deletes: 'm2' });
    const files = async () => (await readdir(join(server.dataDir, ATTACHMENTS_DIR))).filter((f) => !f.endsWith('.json')).sort();
    const everything = [sent, unsent, deleted, unfinishedUrl.slice(-32)].sort();
    expect(await files()).toEqual(everything);
    // The quota is full: 4 × 1000 of 5000, so 2000 more does not fit.
    expect((await createUpload(server.httpUrl, bearer(alice.token), { length: 2000, sha256: sentFile.sha256 })).status).toBe(403);

    // Runs at start and then every hour; within the first day it removes nothing.
    for (let hour = 0; hour < 23; hour += 1) await passes(clock, HOUR);
    expect(await files()).toEqual(everything);

    // A day and an hour later, the next run takes everything no envelope refers to.
    await passes(clock, ATTACHMENT_LIMITS.unreferencedUploadTtlMs + HOUR - 23 * HOUR);
    expect(await files()).toEqual([sent]);
    expect(await readdir(join(server.dataDir, ATTACHMENTS_DIR))).toEqual(expect.arrayContaining([sent, `${sent}.json`]));
    expect((await readdir(join(server.dataDir, ATTACHMENTS_DIR))).length).toBe(2);
    expect((await download(server.httpUrl, sent, bearer(bob.token))).bytes.equals(sentFile.bytes)).toBe(true);
    expect(
      (await fetch(unfinishedUrl, { method: 'HEAD', headers: { ...bearer(alice.token), 'tus-resumable': '1.0.0' } })).status,
    ).toBe(404);
    // Their rows went too: nothing may refer to the unsent upload now, and the quota is free again.
    const late = await sendWithAttachments(aliceSocket, conversation.id, 'm3', [unsent]);
    expect(late).toMatchObject({ type: 'error', reason: 'attachment_missing' });
    const fresh = await uploadFile(server.httpUrl, alice.token, await testFile(dir, 4000));

    // A new upload is kept through the next hourly run: it is not a day old yet.
    await passes(clock, HOUSEKEEPING_INTERVAL_MS);
    await passes(clock, HOUSEKEEPING_INTERVAL_MS);
    expect(await files()).toEqual([sent, fresh].sort());
  });
});
