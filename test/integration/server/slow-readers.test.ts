/**
 * Clients that ask for a lot and never read what they asked for: the real server process holds a
 * few MiB per such connection at most (catch-up pages wait for the peer to read), not what they
 * asked for, and a reader that starts reading again still gets every page it asked for.
 *
 * SQLite only: what is bounded is the server's output buffering, which no store takes part in.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { LIMITS } from '../../../sync/protocol/limits.js';
import { OUTPUT_LIMITS } from '../../../sync/server/output-budget.js';
import { createProcessHarness, freePort, sleep } from '../../support/processes.js';
import { createServerHarness } from '../../support/server-harness.js';
import { catchUpFrame, metric, openNonReader } from '../../support/slow-readers.js';

const harness = createServerHarness();
const processes = createProcessHarness();
afterAll(async () => {
  await processes.cleanup();
  await harness.cleanup();
});

const READERS = 200;
const REQUESTS_EACH = 12;
const MESSAGES = 1_000;
const MiB = 1024 * 1024;

/** The server process's resident memory, from /proc (Linux). */
function residentBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('VmRSS:'));
  if (!line) throw new Error(`No VmRSS for process ${pid}`);
  return Number(line.replace(/\D+/g, '')) * 1024;
}

describe.runIf(process.platform === 'linux')('slow readers', () => {
  it(`${READERS} connections that ask for catch-up again and again and never read cost a few MiB each, not what they asked for`, async () => {
    const port = await freePort();
    const dataDir = await harness.tempDir();
    // The seeding below sends a thousand envelopes on one socket at once: no frame budget for this test;
    // and the readers are one person's 200 sockets from this one address.
    const unlimitedFrames = [
      '--frames-per-second',
      '1000000',
      '--frame-burst',
      '1000000',
      '--max-connections-per-account',
      '1000',
      '--max-connections-per-address',
      '1000',
    ];
    const server = processes.spawnScript(
      'test/support/server-process.ts',
      ['--port', String(port), '--data', dataDir, ...unlimitedFrames],
      {
        name: 'sync server',
      },
    );
    await server.waitForLine(/listening on ws:\/\//);
    const url = `ws://127.0.0.1:${port}`;
    const httpUrl = `http://127.0.0.1:${port}`;

    const alice = await harness.createAccount({ httpUrl });
    const bob = await harness.createAccount({ httpUrl });
    const aliceSocket = await harness.connect({ url }, alice.token);
    const { conversation } = await aliceSocket.call({ type: 'start_conversation', username: bob.user.username }, 'conversation');
    // About 1 MB of events for each full catch-up.
    const text = 'x'.repeat(600);
    for (let i = 0; i < MESSAGES; i += 1) await aliceSocket.send(conversation.id, `m-${i}`, `${i} ${text}`);
    const pageBytes = JSON.stringify(await aliceSocket.allEvents(conversation.id)).length;
    const askedEach = REQUESTS_EACH * pageBytes;

    const rssBefore = residentBytes(server.pid);
    const readers = await Promise.all(Array.from({ length: READERS }, () => openNonReader(url, bob.token)));
    for (const reader of readers) {
      // Half of them in parts, as the app asks: parts count toward the same budget as whole pages.
      for (let rid = 1; rid <= REQUESTS_EACH; rid += 1) {
        reader.ws.send(catchUpFrame(conversation.id, `r${rid}`, rid % 2 === 0));
      }
    }

    // The server works until every connection is paused (or, without a bound, until it has built
    // every page): wait until what it buffers stops growing.
    let buffered = -1;
    let rssPeak = rssBefore;
    for (let still = 0; still < 5;) {
      await sleep(400);
      const now = await metric(httpUrl, 'sync_output_buffered_bytes');
      rssPeak = Math.max(rssPeak, residentBytes(server.pid));
      still = now === buffered ? still + 1 : 0;
      buffered = now;
    }
    const perConnectionBound = OUTPUT_LIMITS.pauseAboveBytes + LIMITS.maxCatchUpBytes;
    expect(askedEach).toBeGreaterThan(2 * (perConnectionBound + 2 * MiB));
    expect(buffered).toBeLessThanOrEqual(READERS * perConnectionBound);
    // Resident memory also holds the garbage of the pages built (collected when the heap decides):
    // a looser bound, still far below what they asked for (about 14 MB each).
    expect(rssPeak - rssBefore).toBeLessThanOrEqual(READERS * (perConnectionBound + 2 * MiB));
    // Bounded by waiting, not by cutting them off (which a flood of pushes alone would earn).
    expect(await metric(httpUrl, 'sync_slow_readers_cut_total{reason="over_limit"}')).toBe(0);

    // Pausing is not dropping: a reader that starts reading gets every page it asked for. The others
    // go first, so its pages need not wait their turn behind theirs (paced to a share of the node).
    const [first, ...others] = readers;
    for (const reader of others) reader.ws.terminate();
    first!.ws.resume();
    await expect.poll(() => first!.pages(), { timeout: 20_000 }).toBe(REQUESTS_EACH);
    first!.ws.terminate();
    await aliceSocket.close();
  }, 120_000);
});
