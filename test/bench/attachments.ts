/**
 * Attachments over loopback: a 100 MiB file uploaded by A's client core (tus, through the real
 * sync server process) and downloaded by B's (ranged GET, SHA-256 verified), beside a raw HTTP PUT
 * and GET of the same bytes to a bare file server in the same run; peak RSS of the clients and the
 * server while doing it, at a quarter of the size and at full size (it should not grow with the
 * file: everything streams); full-size times are medians of three rounds; and the cost of resuming an upload cut at 50% (the core is closed
 * mid-upload, as when the app quits, and opened again).
 *
 * Timed windows: upload = sendMessage → the message acknowledged (its file uploaded, verified by
 * the server, and the send frame answered); download = downloadAttachment → the file verified in B's
 * store. Importing the file into A's store (what the host does when the file is attached) is timed
 * apart. A and B run in this process one after the other, so the process's peak RSS (reset just
 * before each window) is that core's.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { MessageView } from '../../sync/app-api/contract.js';
import type { BlobStore } from '../../sync/client/attachments/blob-store.js';
import { profileBlobStore } from '../support/file-keys.js';
import type { ClientCore } from '../../sync/client/client-core-types.js';
import { openClientCore } from '../../sync/client/client-core.js';
import { SERVER_DATABASE_FILE } from '../../sync/server/store/sqlite-server-store.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { prepareProfile } from './lib/client-profile.js';
import { until } from './lib/delivery-kit.js';
import {
  readMainThreadProfile,
  startCpuProfile,
  summariseProfile,
  type CpuProfile,
  type ProfileSummary,
} from './lib/cpu-profile.js';
import { cpuMsOf, memoryOf, ownCpuMs, resetPeakRss, ROOT, spawnTs, startServerProcess, tempDir } from './lib/proc.js';
import { log, row, runBench, scaled, type Row } from './lib/report.js';
import { seedInChild } from './lib/seed.js';

const BENCH = 'attachments';
const MiB = 1024 * 1024;
const FULL_SIZE = 100 * MiB;
const ROUNDS = 3;

runBench(BENCH, async ({ scale, profile }) => {
  const size = scaled(FULL_SIZE, scale, 8 * MiB);
  const small = Math.round(size / 4);
  const work = tempDir(BENCH);
  const dataDir = join(work, 'server');
  log(BENCH, 'seeding 2 users');
  const manifest = await seedInChild(dataDir, { users: 2, conversations: [[0, 1]] }, work);
  const [a, b] = manifest.users;
  const conversation = manifest.conversations[0];
  if (!a || !b || !conversation) throw new Error('Seeding produced too few users');
  const serverArgs = ['--max-file-mb', String(Math.ceil((2 * size) / MiB))];
  let server = await startServerProcess(dataDir, { args: serverArgs });
  const raw = await startRawServer(work);
  const network = await startTcpProxy(server.port);

  const aProfile = join(work, 'a');
  const bProfile = join(work, 'b');
  // A talks to the server directly for the timed transfers (as the raw floor does); the resume
  // test uses a second profile of A's behind a loopback proxy that counts every byte sent.
  await prepareProfile(aProfile, server.url, a, [conversation]);
  const aCountedProfile = join(work, 'a-counted');
  await prepareProfile(aCountedProfile, network.url, a, [conversation], aProfile);
  await prepareProfile(bProfile, server.url, b, [conversation]);
  // B has been online once, as a person who signed up has: A seals for B's device, handing it the key.
  await publishKeysOf(bProfile, dataDir, b.id);
  const aStore = profileBlobStore(aProfile);

  const measure = async (bytes: number, label: string): Promise<TransferRun> => {
    const file = await randomFile(work, `file-${label}.bin`, bytes);
    log(BENCH, `${(bytes / MiB).toFixed(0)} MiB (${label}): raw PUT/GET, then core upload/download`);
    const rawFigures = await rawTransfer(raw, file.path, join(work, `raw-get-${label}.bin`));
    const core = await coreTransfer(aProfile, bProfile, aStore, conversation.id, file, server);
    await fs.rm(file.path);
    return { bytes, raw: rawFigures, ...core };
  };
  const quarter = await measure(small, 'quarter');
  // Loopback and page-cache speeds wander from one transfer to the next: medians of a few rounds,
  // each round timing the raw floor right before the core.
  const fullRuns: TransferRun[] = [];
  for (let round = 1; round <= ROUNDS; round++) fullRuns.push(await measure(size, `full-${round}`));
  const full: TransferRun = {
    ...fullRuns[0]!,
    raw: { putMs: median(fullRuns.map((r) => r.raw.putMs)), getMs: median(fullRuns.map((r) => r.raw.getMs)) },
    importMs: median(fullRuns.map((r) => r.importMs)),
    uploadMs: median(fullRuns.map((r) => r.uploadMs)),
    downloadMs: median(fullRuns.map((r) => r.downloadMs)),
    uploadRssGrowthMiB: maxOf(fullRuns.map((r) => r.uploadRssGrowthMiB)),
    downloadRssGrowthMiB: maxOf(fullRuns.map((r) => r.downloadRssGrowthMiB)),
    serverPeakMiB: fullRuns.at(-1)!.serverPeakMiB,
  };

  let profiled: Record<'upload' | 'download', { client: ProfileSummary; server: ProfileSummary | null }> | null = null;
  if (profile) {
    // One more full-size transfer under the CPU profilers: the client in-process, the server
    // restarted with --cpu-prof, both cut to each window. Its times are not comparable.
    log(BENCH, 'profiling: one more full-size transfer with CPU profiles of client and server');
    // On the same port: the profiles were prepared with the server's address.
    const port = server.port;
    await server.stop();
    const profDir = join(work, 'server-prof');
    await fs.mkdir(profDir, { recursive: true });
    server = await startServerProcess(dataDir, {
      port,
      args: serverArgs,
      nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '--cpu-prof-interval=250'],
    });
    const file = await randomFile(work, 'file-profiled.bin', size);
    const windows: Partial<Record<'upload' | 'download', { profile: CpuProfile; startUs: number; endUs: number }>> = {};
    await coreTransfer(aProfile, bProfile, aStore, conversation.id, file, server, async (window, run) => {
      const stop = await startCpuProfile();
      const startUs = nowUs();
      await run();
      const endUs = nowUs();
      windows[window] = { profile: await stop(), startUs, endUs };
    });
    await fs.rm(file.path);
    await server.stop();
    const serverProfile = readMainThreadProfile(profDir, server.pid);
    const summary = (window: 'upload' | 'download') => {
      const taken = windows[window]!;
      const span = { startUs: taken.startUs, endUs: taken.endUs };
      return {
        client: summariseProfile(taken.profile, ROOT, 20, span),
        server: serverProfile ? summariseProfile(serverProfile, ROOT, 20, span) : null,
      };
    };
    profiled = { upload: summary('upload'), download: summary('download') };
    server = await startServerProcess(dataDir, { port, args: serverArgs });
  }

  log(BENCH, `resume: cut a ${(size / MiB).toFixed(0)} MiB upload at 50% by closing the core, then open it again`);
  const resumeFile = await randomFile(work, 'resume.bin', size);
  const resume = await resumeAfterCut(aCountedProfile, profileBlobStore(aCountedProfile), conversation.id, resumeFile, network);

  await network.close();
  raw.stop();
  await server.stop();

  const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);
  const uploadRate = mbps(full.bytes, full.uploadMs);
  const downloadRate = mbps(full.bytes, full.downloadMs);
  const rawPut = mbps(full.bytes, full.raw.putMs);
  const rawGet = mbps(full.bytes, full.raw.getMs);
  const rows: Row[] = [
    row({
      key: 'attachments.upload',
      name: `Upload ${(full.bytes / MiB).toFixed(0)} MiB (tus, verified)`,
      value: round(uploadRate),
      unit: 'MB/s',
      baseline: { name: 'raw HTTP PUT', value: round(rawPut), unit: 'MB/s' },
      ratio: round(rawPut / uploadRate),
      target: { text: '≥ 100 MB/s', op: '>=', value: 100 },
    }),
    row({
      key: 'attachments.download',
      name: `Download ${(full.bytes / MiB).toFixed(0)} MiB (ranged GET, verified)`,
      value: round(downloadRate),
      unit: 'MB/s',
      baseline: { name: 'raw HTTP GET', value: round(rawGet), unit: 'MB/s' },
      ratio: round(rawGet / downloadRate),
      target: { text: '≥ 100 MB/s', op: '>=', value: 100 },
    }),
    row({
      key: 'attachments.upload.ratio',
      name: 'Upload time over raw PUT',
      value: round(full.uploadMs / full.raw.putMs),
      unit: '×',
      target: { text: '≤ 2×', op: '<=', value: 2 },
    }),
    row({
      key: 'attachments.download.ratio',
      name: 'Download time over raw GET',
      value: round(full.downloadMs / full.raw.getMs),
      unit: '×',
      target: { text: '≤ 2×', op: '<=', value: 2 },
    }),
    row({
      key: 'attachments.rss.upload',
      name: `Client peak RSS growth, upload ${(full.bytes / MiB).toFixed(0)} MiB`,
      value: full.uploadRssGrowthMiB,
      unit: 'MiB',
      baseline: { name: `${(quarter.bytes / MiB).toFixed(0)} MiB file`, value: quarter.uploadRssGrowthMiB ?? 0, unit: 'MiB' },
      note: 'flat in file size means streaming',
    }),
    row({
      key: 'attachments.rss.download',
      name: `Client peak RSS growth, download ${(full.bytes / MiB).toFixed(0)} MiB`,
      value: full.downloadRssGrowthMiB,
      unit: 'MiB',
      baseline: { name: `${(quarter.bytes / MiB).toFixed(0)} MiB file`, value: quarter.downloadRssGrowthMiB ?? 0, unit: 'MiB' },
    }),
    row({
      key: 'attachments.rss.server',
      name: 'Server peak RSS after the full-size transfers',
      value: full.serverPeakMiB,
      unit: 'MiB',
      baseline: { name: 'after the quarter-size ones', value: quarter.serverPeakMiB ?? 0, unit: 'MiB' },
    }),
    row({
      key: 'attachments.resume.bytes',
      name: 'Resume after a cut at 50%: bytes sent in all',
      value: round(resume.bytesSent / size),
      unit: '× file',
      target: { text: '< 2× file', op: '<=', value: 2 },
    }),
    row({
      key: 'attachments.resume.finish',
      name: 'Resume: reopen → acknowledged',
      value: Math.round(resume.finishMs),
      unit: 'ms',
      baseline: { name: 'half the uninterrupted upload', value: Math.round(full.uploadMs / 2), unit: 'ms' },
      ratio: round(resume.finishMs / (full.uploadMs / 2)),
    }),
  ];
  return {
    sizes: { fileBytes: size, smallFileBytes: small },
    rows,
    details: { quarter, fullRuns, resume, ...(profiled ? { profiled } : {}) },
    findings: [
      `Importing the ${(full.bytes / MiB).toFixed(0)} MiB file into the profile's store (copy + SHA-256) took ${Math.round(full.importMs)} ms; ` +
        'that happens when the file is attached, before the upload window.',
      `Upload ${round(uploadRate)} MB/s vs raw PUT ${round(rawPut)} MB/s: the difference is decrypting the file from the store as it is sent, ` +
        "tus's chunking (a PATCH per 8 MiB chunk, its offset recorded in the mirror), tus's handling of each request on the server " +
        '(hashing the bytes while they are written), and the send frame after the upload.',
      `Download ${round(downloadRate)} MB/s vs raw GET ${round(rawGet)} MB/s: the client hashes and seals the bytes on their way to disk ` +
        '(a resumed download reads the file again to hash it) and renames the verified file into its store.',
      `CPU time at full size (medians), client / server: upload ${cpuMedian(fullRuns, (r) => r.uploadCpuMs)} ms vs raw PUT ` +
        `${cpuMedian(fullRuns, (r) => r.raw.putCpuMs)} ms; download ${cpuMedian(fullRuns, (r) => r.downloadCpuMs)} ms vs raw GET ` +
        `${cpuMedian(fullRuns, (r) => r.raw.getCpuMs)} ms. On a busy machine the ratios follow the CPU each side needs.`,
      `Peak RSS growth during the transfer: upload ${full.uploadRssGrowthMiB} MiB at full size vs ${quarter.uploadRssGrowthMiB} MiB at a quarter; ` +
        `download ${full.downloadRssGrowthMiB} vs ${quarter.downloadRssGrowthMiB} MiB; server peak ${full.serverPeakMiB} vs ${quarter.serverPeakMiB} MiB.`,
      `When the core opened again the mirror had ${(resume.offsetAtReopen / MiB).toFixed(1)} MiB recorded as confirmed (whole chunks; ` +
        `cut when ${(resume.transferredAtCut / MiB).toFixed(1)} MiB had passed the proxy); the server kept what arrived of the cut chunk ` +
        `too and the upload went on from the server's offset: ${(resume.bytesSent / MiB).toFixed(1)} MiB sent in all for a ${(size / MiB).toFixed(0)} MiB file.`,
      'The quarter-size download window includes opening B’s core for the first time in the process (its first allocations); ' +
        'the full-size rounds open it again on a warm process, so their growth is the transfer’s own.',
    ],
  };
});

interface TransferRun {
  bytes: number;
  raw: { putMs: number; getMs: number; putCpuMs?: CpuFigures; getCpuMs?: CpuFigures };
  importMs: number;
  uploadMs: number;
  downloadMs: number;
  /** CPU time over each window: the client's process (its thread pool included) and the server's. */
  uploadCpuMs: CpuFigures;
  downloadCpuMs: CpuFigures;
  uploadRssGrowthMiB: number | null;
  downloadRssGrowthMiB: number | null;
  serverPeakMiB: number | null;
}

interface CpuFigures {
  clientMs: number;
  serverMs: number | null;
}

/** "client / server" CPU medians of some runs' figures. */
function cpuMedian(runs: TransferRun[], figures: (run: TransferRun) => CpuFigures | undefined): string {
  const all = runs.map(figures).filter((f): f is CpuFigures => f !== undefined);
  const server = all.map((f) => f.serverMs).filter((ms): ms is number => ms !== null);
  return `${Math.round(median(all.map((f) => f.clientMs)))} / ${server.length > 0 ? Math.round(median(server)) : '?'}`;
}

/** Now in microseconds of process.hrtime, the clock CPU profiles are stamped with. */
function nowUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** Starts counting the CPU time of this process (its thread pool included) and of a server process. */
function cpuWindow(server: { pid: number } | { cpuMs(): number | null }): () => CpuFigures {
  const serverCpu = () => ('cpuMs' in server ? server.cpuMs() : cpuMsOf(server.pid));
  const client = ownCpuMs();
  const serverAtStart = serverCpu();
  return () => {
    const serverNow = serverCpu();
    return {
      clientMs: Math.round(ownCpuMs() - client),
      serverMs: serverAtStart === null || serverNow === null ? null : serverNow - serverAtStart,
    };
  };
}

async function coreTransfer(
  aProfile: string,
  bProfile: string,
  aStore: BlobStore,
  conversationId: string,
  file: { path: string; size: number },
  server: { memory(): { peakMiB: number } | null; cpuMs(): number | null },
  /** Runs each timed window (the profiling pass wraps them in its profilers). */
  timed: (window: 'upload' | 'download', run: () => Promise<void>) => Promise<void> = (_window, run) => run(),
): Promise<Omit<TransferRun, 'bytes' | 'raw'>> {
  const importStarted = performance.now();
  const stored = await aStore.put(createReadStream(file.path), Number.MAX_SAFE_INTEGER);
  const importMs = performance.now() - importStarted;
  if (stored.size !== file.size) throw new Error('The store kept a file of another size');

  const aCore = await openOnline(aProfile);
  const before = rssNow();
  resetPeakRss();
  const uploadCpu = cpuWindow(server);
  const uploadStarted = performance.now();
  let sent: { id: string } | undefined;
  await timed('upload', async () => {
    sent = await aCore.sendMessage({
      conversationId,
      text: '',
      attachments: [{ sha256: stored.sha256, name: 'big.bin', kind: 'file' }],
    });
    await waitForMessage(aCore, conversationId, sent.id, (message) => message.status !== 'sending', 'the upload acknowledged');
  });
  if (!sent) throw new Error('Nothing was sent');
  const uploadMs = performance.now() - uploadStarted;
  const uploadCpuMs = uploadCpu();
  const uploadRssGrowthMiB = peakGrowth(before);
  const acknowledged = await findMessage(aCore, conversationId, sent.id);
  if (acknowledged?.status === 'failed') throw new Error(`The upload failed: ${acknowledged.error}`);
  await aCore.close();

  const bCore = await openOnline(bProfile);
  await waitForMessage(bCore, conversationId, sent.id, () => true, 'B has the message');
  const downloadBefore = rssNow();
  resetPeakRss();
  const downloadCpu = cpuWindow(server);
  const downloadStarted = performance.now();
  const messageId = sent.id;
  await timed('download', async () => {
    await bCore.downloadAttachment({ conversationId, messageId, index: 0 });
    await waitForMessage(
      bCore,
      conversationId,
      messageId,
      (message) => message.attachments[0]?.localUrl != null || message.attachments[0]?.transfer?.state === 'failed',
      'the download verified',
    );
  });
  const downloadMs = performance.now() - downloadStarted;
  const downloadCpuMs = downloadCpu();
  const downloadRssGrowthMiB = peakGrowth(downloadBefore);
  const received = await findMessage(bCore, conversationId, sent.id);
  if (received?.attachments[0]?.transfer?.state === 'failed')
    throw new Error(`The download failed: ${received.attachments[0].transfer.error}`);
  await bCore.close();
  const bStored = await profileBlobStore(bProfile).sizeOf(stored.sha256);
  if (bStored !== stored.size) throw new Error('B stored a file of another size');
  return {
    importMs,
    uploadMs,
    downloadMs,
    uploadCpuMs,
    downloadCpuMs,
    uploadRssGrowthMiB,
    downloadRssGrowthMiB,
    serverPeakMiB: round1(server.memory()?.peakMiB ?? null),
  };
}

async function resumeAfterCut(
  aProfile: string,
  aStore: BlobStore,
  conversationId: string,
  file: { path: string; sha256: string; size: number },
  network: { bytesToServer(): number },
): Promise<{ bytesSent: number; finishMs: number; transferredAtCut: number; offsetAtReopen: number }> {
  const stored = await aStore.put(createReadStream(file.path), Number.MAX_SAFE_INTEGER);
  const first = await openOnline(aProfile);
  const bytesBefore = network.bytesToServer();
  const sent = await first.sendMessage({
    conversationId,
    text: '',
    attachments: [{ sha256: stored.sha256, name: 'resume.bin', kind: 'file' }],
  });
  // Progress events are throttled; the proxy's byte count is exact: cut as soon as half has gone by.
  const halfway = new Promise<void>((resolve) => {
    const poll = () => (network.bytesToServer() - bytesBefore >= file.size / 2 ? resolve() : setTimeout(poll, 1));
    poll();
  });
  await halfway;
  await first.close();
  const transferredAtCut = network.bytesToServer() - bytesBefore;

  const reopened = performance.now();
  const second = await openClientCore({ profileDir: aProfile, defaultServerUrl: '' });
  const offsetAtReopen = (await findMessage(second, conversationId, sent.id))?.attachments[0]?.transfer?.transferredBytes ?? 0;
  await waitForMessage(
    second,
    conversationId,
    sent.id,
    (message) => message.status !== 'sending',
    'the resumed upload acknowledged',
  );
  const finishMs = performance.now() - reopened;
  const message = await findMessage(second, conversationId, sent.id);
  await second.close();
  if (message?.status === 'failed') throw new Error(`The resumed upload failed: ${message.error}`);
  return { bytesSent: network.bytesToServer() - bytesBefore, finishMs, transferredAtCut, offsetAtReopen };
}

/** Opens the profile until the server holds its device's keys (a seeded account has none), then closes it. */
async function publishKeysOf(profileDir: string, serverDataDir: string, userId: string): Promise<void> {
  const core = await openOnline(profileDir);
  const db = new Database(join(serverDataDir, SERVER_DATABASE_FILE), { readonly: true });
  try {
    const published = db.prepare('SELECT 1 FROM device_keys WHERE user_id = ?');
    await until(() => published.get(userId) !== undefined, 60_000, `${profileDir} published its keys`);
  } finally {
    db.close();
    await core.close();
  }
}

async function openOnline(profileDir: string): Promise<ClientCore> {
  const core = await openClientCore({ profileDir, defaultServerUrl: '' });
  await until(async () => (await core.getConnectionState()) === 'online', 60_000, `${profileDir} online`);
  return core;
}

async function findMessage(core: ClientCore, conversationId: string, messageId: string): Promise<MessageView | undefined> {
  const page = await core.listMessages({ conversationId, limit: 20 });
  return page.messages.find((message) => message.id === messageId);
}

/** Resolves when the message passes `done`, checked after each change the core announces for it. */
async function waitForMessage(
  core: ClientCore,
  conversationId: string,
  messageId: string,
  done: (message: MessageView) => boolean,
  what: string,
): Promise<void> {
  let check: () => void = () => {};
  const reached = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Timed out waiting for ${what}`)), 10 * 60_000);
    let checking = false;
    check = () => {
      if (checking) return;
      checking = true;
      void findMessage(core, conversationId, messageId).then((message) => {
        checking = false;
        if (message && done(message)) {
          clearTimeout(timer);
          resolve();
        }
      }, reject);
    };
  });
  const unsubscribe = core.subscribe((event) => {
    if (event.type === 'messages' && event.conversationId === conversationId) check();
  });
  check();
  try {
    await reached;
  } finally {
    unsubscribe();
  }
}

async function randomFile(dir: string, name: string, bytes: number): Promise<{ path: string; sha256: string; size: number }> {
  const path = join(dir, name);
  const hash = createHash('sha256');
  const out = createWriteStream(path);
  for (let written = 0; written < bytes;) {
    const chunk = randomBytes(Math.min(4 * MiB, bytes - written));
    hash.update(chunk);
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    written += chunk.length;
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  return { path, sha256: hash.digest('hex'), size: bytes };
}

async function startRawServer(work: string): Promise<{ port: number; pid: number; stop(): void }> {
  const run = spawnTs(join('test', 'bench', 'lib', 'raw-file-server.ts'), [work]);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`The raw file server did not start:\n${run.output()}`)), 30_000);
    run.child.stdout?.on('data', () => {
      const match = /listening (\d+)/.exec(run.output());
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
  });
  return { port, pid: run.pid, stop: () => run.child.kill('SIGTERM') };
}

/** The floor: the same bytes PUT and GET over loopback with plain HTTP, streamed from and to disk. */
async function rawTransfer(
  server: { port: number; pid: number },
  source: string,
  target: string,
): Promise<{ putMs: number; getMs: number; putCpuMs: CpuFigures; getCpuMs: CpuFigures }> {
  const { port } = server;
  const { size } = await fs.stat(source);
  const putCpu = cpuWindow(server);
  const putStarted = performance.now();
  await new Promise<void>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'PUT', path: '/file', headers: { 'content-length': size } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 204 ? resolve() : reject(new Error(`raw PUT answered ${res.statusCode}`))));
    });
    req.on('error', reject);
    pipeline(createReadStream(source), req).catch(reject);
  });
  const putMs = performance.now() - putStarted;
  const putCpuMs = putCpu();
  const getCpu = cpuWindow(server);
  const getStarted = performance.now();
  await new Promise<void>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'GET', path: '/file' }, (res) => {
      pipeline(res, createWriteStream(target)).then(resolve, reject);
    });
    req.on('error', reject);
    req.end();
  });
  const getMs = performance.now() - getStarted;
  return { putMs, getMs, putCpuMs, getCpuMs: getCpu() };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function maxOf(values: Array<number | null>): number | null {
  const known = values.filter((value): value is number => value !== null);
  return known.length === 0 ? null : Math.max(...known);
}

function rssNow(): number | null {
  return memoryOf('self')?.rssMiB ?? null;
}

function peakGrowth(before: number | null): number | null {
  const peak = memoryOf('self')?.peakMiB;
  return before === null || peak === undefined ? null : round1(peak - before);
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function round1(value: number | null): number | null {
  return value === null ? null : Math.round(value * 10) / 10;
}
