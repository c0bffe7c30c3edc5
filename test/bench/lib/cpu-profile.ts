/**
 * CPU profiles: taken in-process around exactly the measured window (inspector), or read from a
 * `--cpu-prof` file of another process (the server). Summarised as self time per function and per
 * category (zod, JSON, SQLite native, ws, client core JS, GC, idle…).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Session } from 'node:inspector/promises';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  /** Sampled wall time in ms (idle included). */
  totalMs: number;
  /** Sampled time not idle, in ms. */
  busyMs: number;
  categories: Array<{ category: string; ms: number; pctOfBusy: number }>;
  topSelf: Array<{ fn: string; where: string; ms: number; pctOfBusy: number }>;
  /** Inclusive time of the heaviest functions of our own code (sync/**), recursion counted once. */
  topInclusive: Array<{ fn: string; where: string; ms: number; pctOfBusy: number }>;
}

/** Starts the in-process profiler; the returned function stops it and gives the profile. */
export async function startCpuProfile(samplingIntervalUs = 250): Promise<() => Promise<CpuProfile>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: samplingIntervalUs });
  await session.post('Profiler.start');
  return async () => {
    const { profile } = (await session.post('Profiler.stop')) as { profile: CpuProfile };
    await session.post('Profiler.disable');
    session.disconnect();
    return profile;
  };
}

/**
 * The main thread's profile from `node --cpu-prof --cpu-prof-dir=<dir>`, parsed. Node writes one
 * file per thread (CPU.<date>.<time>.<pid>.<threadId>.<seq>.cpuprofile) and the tsx loader runs on a
 * worker thread, so the main thread is the one with thread id 0 (the newest such file).
 */
export function readMainThreadProfile(dir: string, pid?: number): CpuProfile | null {
  try {
    const files = readdirSync(dir)
      .filter((name) => /\.0\.\d+\.cpuprofile$/.test(name) && (pid === undefined || name.includes(`.${pid}.0.`)))
      .map((name) => ({ path: join(dir, name), at: statSync(join(dir, name)).mtimeMs }))
      .sort((a, b) => b.at - a.at);
    const newest = files[0];
    return newest ? (JSON.parse(readFileSync(newest.path, 'utf8')) as CpuProfile) : null;
  } catch {
    return null;
  }
}

const SQLITE_NATIVE = new Set([
  'run',
  'get',
  'all',
  'iterate',
  'exec',
  'prepare',
  'pragma',
  'transaction',
  'bind',
  'raw',
  'pluck',
]);

export function categorise(frame: CallFrame): string {
  const { functionName: name, url } = frame;
  if (name === '(idle)') return 'idle';
  if (name === '(garbage collector)') return 'GC';
  if (name === '(program)') return 'V8/native (program)';
  if (url.includes('node_modules/zod')) return 'zod validation';
  if (url.includes('node_modules/ws/')) return 'ws (WebSocket framing)';
  if (url.includes('node_modules/better-sqlite3')) return 'better-sqlite3 JS wrapper';
  if (url.includes('node_modules/tsx') || url.includes('node_modules/esbuild') || url.includes('node_modules/get-tsconfig'))
    return 'tsx loader';
  if (url === '') {
    if (SQLITE_NATIVE.has(name)) return 'SQLite (native statement calls)';
    if (name === 'parse') return 'JSON.parse';
    if (name === 'stringify') return 'JSON.stringify';
    return `native: ${name || '(anonymous)'}`;
  }
  if (url.includes('/sync/client/mirror/')) return 'client mirror JS (sync/client/mirror)';
  if (url.includes('/sync/client/')) return 'client core JS (sync/client)';
  if (url.includes('/sync/server/store/')) return 'server store JS';
  if (url.includes('/sync/server/')) return 'server JS (sync/server)';
  if (url.includes('/sync/')) return 'sync shared JS';
  if (url.includes('/test/bench/')) return 'benchmark harness';
  if (url.startsWith('node:')) return 'node internals (net, streams, events)';
  return 'other JS';
}

function where(frame: CallFrame, root: string): string {
  if (!frame.url) return '(native)';
  const url = frame.url
    .replace(/^file:\/\//, '')
    .replace(root, '')
    .replace(/^\//, '');
  // Code loaded through tsx is transformed onto very few lines: the file is what helps.
  return url.startsWith('node:') || url.includes('node_modules') ? `${url}:${frame.lineNumber + 1}` : url;
}

/**
 * `window` keeps only the samples taken between two instants given in microseconds of
 * process.hrtime (V8's profiler clock is the same CLOCK_MONOTONIC on Linux, in every process), so a
 * server profile of its whole life can be cut to the client's measured window.
 */
export function summariseProfile(
  profile: CpuProfile,
  root: string,
  top = 20,
  window?: { startUs: number; endUs: number },
): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  /** Anonymous functions (closures, transaction bodies) are named after the nearest named caller. */
  const nameOf = (node: ProfileNode): string => {
    if (node.callFrame.functionName) return node.callFrame.functionName;
    let parent = parentOf.get(node.id);
    for (let hops = 0; parent !== undefined && hops < 6; hops += 1) {
      const p = byId.get(parent);
      if (p?.callFrame.functionName && !p.callFrame.url.includes('better-sqlite3-multiple-ciphers'))
        return `(anonymous in ${p.callFrame.functionName})`;
      parent = parentOf.get(parent);
    }
    return '(anonymous)';
  };
  const selfUs = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    at += delta;
    if (window && (at < window.startUs || at > window.endUs)) return;
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  });
  let totalUs = 0;
  let idleUs = 0;
  const categories = new Map<string, number>();
  const functions = new Map<string, { fn: string; where: string; us: number }>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    totalUs += us;
    const category = categorise(node.callFrame);
    if (category === 'idle') idleUs += us;
    categories.set(category, (categories.get(category) ?? 0) + us);
    if (category === 'idle') continue;
    const fn = nameOf(node);
    const key = `${fn}|${node.callFrame.url}|${node.callFrame.lineNumber}|${node.callFrame.columnNumber}`;
    const entry = functions.get(key) ?? { fn, where: where(node.callFrame, root), us: 0 };
    entry.us += us;
    functions.set(key, entry);
  }
  const busyUs = Math.max(1, totalUs - idleUs);

  // Inclusive time of our own functions: a DFS that counts a function once however deep it recurses.
  const inclusive = new Map<string, { fn: string; where: string; us: number }>();
  const subtreeUs = new Map<number, number>();
  const computeSubtree = (id: number): number => {
    const node = byId.get(id);
    let us = selfUs.get(id) ?? 0;
    for (const child of node?.children ?? []) us += computeSubtree(child);
    subtreeUs.set(id, us);
    return us;
  };
  const childIds = new Set(profile.nodes.flatMap((node) => node.children ?? []));
  const roots = profile.nodes.filter((node) => !childIds.has(node.id));
  const active = new Map<string, number>();
  const visit = (id: number) => {
    const node = byId.get(id);
    if (!node) return;
    const ours = node.callFrame.url.includes('/sync/');
    const fn = nameOf(node);
    const key = `${fn}|${node.callFrame.url}|${node.callFrame.lineNumber}|${node.callFrame.columnNumber}`;
    if (ours) {
      if (!active.get(key)) {
        const entry = inclusive.get(key) ?? { fn, where: where(node.callFrame, root), us: 0 };
        entry.us += subtreeUs.get(id) ?? 0;
        inclusive.set(key, entry);
      }
      active.set(key, (active.get(key) ?? 0) + 1);
    }
    for (const child of node.children ?? []) visit(child);
    if (ours) active.set(key, (active.get(key) ?? 1) - 1);
  };
  for (const rootNode of roots) computeSubtree(rootNode.id);
  for (const rootNode of roots) visit(rootNode.id);

  const ms = (us: number) => Math.round(us / 100) / 10;
  const pct = (us: number) => Math.round((us / busyUs) * 1000) / 10;
  return {
    totalMs: ms(totalUs),
    busyMs: ms(totalUs - idleUs),
    categories: [...categories.entries()]
      .filter(([category]) => category !== 'idle')
      .sort((a, b) => b[1] - a[1])
      .map(([category, us]) => ({ category, ms: ms(us), pctOfBusy: pct(us) })),
    topSelf: [...functions.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ fn: f.fn, where: f.where, ms: ms(f.us), pctOfBusy: pct(f.us) })),
    topInclusive: [...inclusive.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ fn: f.fn, where: f.where, ms: ms(f.us), pctOfBusy: pct(f.us) })),
  };
}
