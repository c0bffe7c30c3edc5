/**
 * The app in Chromium on the 1,000,000-message mirror (lib/mirror-fixture.ts: 10,000 conversations,
 * one of 100,000 messages): what a person sees, timed in the page.
 *
 * Set-up, outside every measured window: the app is built as shipped (esbuild, production) into a
 * folder under results/, the cached mirror is copied into a fresh profile (opening conversations
 * marks them read: the cache must not change) whose session points at a closed port, so the app
 * starts signed in and offline, and the browser host (`dist/main/browser-cli.cjs`, as `npm run web`
 * runs it) serves it on 127.0.0.1 to the tests' Chromium (test/support/chromium.ts: CHROMIUM_PATH,
 * the system's, or the @sparticuz/chromium package's; never downloaded), driven by Playwright, 1280×800.
 *
 * - Page load → conversation list painted: navigation start → the frame after the first list item
 *   of the list "Conversations" is in view.
 * - DOM nodes with every conversation listed: document.getElementsByTagName('*').length once the
 *   list has settled (the count unchanged for a second), beside the list items the DOM holds and
 *   the list's size as the items announce it (aria-setsize), when they do.
 * - Click → messages painted: a real click (Playwright) on the conversation of 100,000 messages in
 *   the list; from the click event's timestamp to the frame in which the first of its messages
 *   (articles in the log "Messages" that were not there before) is in view, measured in the page
 *   (requestAnimationFrame, then the next task: after that frame is painted). Also until the view
 *   settles (the messages in view and their positions unchanged for 30 frames; the figure is the
 *   last frame that changed). The first open, then the median of 7 more, each after opening a
 *   conversation of typical size (≈100 messages) from the top of the list: the same-run baseline.
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from '@playwright/test';
import Database from 'better-sqlite3-multiple-ciphers';
import { MIRROR_FILE } from '../../sync/client/client-core.js';
import { chooseChromium, launchOptionsFor } from '../support/chromium.js';
import { ensureMirrorFixture, pointSessionAt, type MirrorFixture } from './lib/mirror-fixture.js';
import { freePort, RESULTS_DIR, tempDir, type Spawned } from './lib/proc.js';
import { log, row, runBench, type BenchResult } from './lib/report.js';
import { round, roundSummary, summarise } from './lib/stats.js';
import { buildWebApp, startBrowserHost, stopHost, type WebBuild } from './lib/web-app.js';

const BENCH = 'browser';
const RUNS = 7;
const STEP_TIMEOUT_MS = 120_000;

/** What the click probe reports (times are the page's performance.now(), ms). */
interface OpenTiming {
  clickAt: number | null;
  firstPaintAt: number | null;
  settledAt: number | null;
  articlesInDom: number;
  articlesInView: number;
  timedOut: boolean;
}

interface Opened {
  paintMs: number;
  settledMs: number;
  articlesInDom: number;
  articlesInView: number;
}

runBench(BENCH, async ({ scale }): Promise<Omit<BenchResult, 'bench' | 'scale' | 'wallMs'>> => {
  const chromiumChoice = await chooseChromium();
  log(BENCH, `Chromium: ${chromiumChoice.executablePath} (${chromiumChoice.source})`);
  const fixture = await ensureMirrorFixture(scale);
  const work = tempDir(BENCH);
  let web: WebBuild | null = null;
  let host: Spawned | null = null;
  let browser: Browser | null = null;
  try {
    log(BENCH, 'building the app (production bundles)');
    web = await buildWebApp();
    const { buildMs } = web;

    const profileDir = join(work, 'profile');
    mkdirSync(profileDir, { recursive: true });
    const profileFile = join(profileDir, MIRROR_FILE);
    const t = performance.now();
    copyFileSync(fixture.file, profileFile);
    if (existsSync(`${fixture.file}-wal`)) copyFileSync(`${fixture.file}-wal`, `${profileFile}-wal`);
    const copyMs = Math.round(performance.now() - t);
    const closed = `ws://127.0.0.1:${await freePort()}`;
    pointSessionAt(profileFile, closed);
    const picks = pickConversations(profileFile, fixture);
    log(
      BENCH,
      `profile copied (${fixture.fileMiB} MiB, ${copyMs} ms); opening "${picks.big.title}" and "${picks.typical.title}"`,
    );

    const started = await startBrowserHost(web, profileDir, closed);
    host = started.spawned;
    const { url } = started;
    browser = await chromium.launch({ ...launchOptionsFor(chromiumChoice), headless: true });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    await page.addInitScript({ content: `${PAGE_HELPERS}\n${LOAD_PROBE}` });

    log(BENCH, `loading ${url}`);
    await page.goto(url, { timeout: STEP_TIMEOUT_MS });
    await page.getByRole('list', { name: 'Conversations' }).waitFor({ timeout: STEP_TIMEOUT_MS });
    const listed = await settledDom(page);
    const listPaintedMs = await page.evaluate<number | null>('window.__bench.listPaintedAt');

    log(BENCH, `opening the ${fixture.bigMessages}-message conversation: once, then ${RUNS} times after a typical one`);
    const firstBig = await openConversation(page, picks.big.title);
    const domWithBigOpen = await page.evaluate<number>("document.getElementsByTagName('*').length");
    const big: Opened[] = [];
    const typical: Opened[] = [];
    for (let i = 0; i < RUNS; i += 1) {
      typical.push(await openConversation(page, picks.typical.title));
      big.push(await openConversation(page, picks.big.title));
    }
    const bigPaint = roundSummary(summarise(big.map((o) => o.paintMs)), 1);
    const bigSettled = roundSummary(summarise(big.map((o) => o.settledMs)), 1);
    const typicalPaint = roundSummary(summarise(typical.map((o) => o.paintMs)), 1);
    const typicalSettled = roundSummary(summarise(typical.map((o) => o.settledMs)), 1);

    const n = (value: number) => value.toLocaleString('en');
    const setSizeNote =
      listed.setSize === null ? 'the items give no aria-setsize' : `the items announce a list of ${n(listed.setSize)}`;
    return {
      sizes: {
        conversations: fixture.conversations,
        bigConversation: fixture.bigMessages,
        typicalConversation: picks.typical.messages,
        runs: RUNS,
      },
      rows: [
        row({
          key: 'browser.open-big',
          name: `Click → messages painted, ${n(fixture.bigMessages)}-message conversation (Chromium)`,
          value: bigPaint.p50,
          unit: 'ms',
          baseline: { name: `a ${picks.typical.messages}-message one`, value: typicalPaint.p50, unit: 'ms' },
          ratio: round(bigPaint.p50 / Math.max(0.1, typicalPaint.p50), 2),
          note:
            `median of ${RUNS}, p95 ${bigPaint.p95}; first open ${round(firstBig.paintMs, 1)} ms; view settled after ${bigSettled.p50} ms ` +
            `(typical ${typicalSettled.p50}); ${firstBig.articlesInDom} message articles in the DOM`,
        }),
        row({
          key: 'browser.dom-nodes',
          name: `DOM nodes, ${n(fixture.conversations)} conversations listed`,
          value: listed.nodes,
          unit: 'nodes',
          note:
            `${n(listed.listItems)} list items in the DOM (${setSizeNote}); ${n(domWithBigOpen)} nodes with the ` +
            `${n(fixture.bigMessages)}-message conversation open`,
        }),
        row({
          key: 'browser.list-painted',
          name: 'Page load → conversation list painted',
          value: listPaintedMs === null ? null : round(listPaintedMs, 0),
          unit: 'ms',
          note: `from navigation start; the DOM settled (count unchanged for 1 s) by ${round(listed.settledAtMs, 0)} ms`,
        }),
      ],
      details: {
        buildMs,
        copyMs,
        picks,
        listed,
        listPaintedMs,
        firstBig,
        big,
        typical,
        bigPaint,
        bigSettled,
        typicalPaint,
        typicalSettled,
        domWithBigOpen,
        pageErrors: pageErrors.slice(0, 20),
      },
      findings: [
        `Opening the ${n(fixture.bigMessages)}-message conversation: first click → messages painted ${round(firstBig.paintMs, 1)} ms, then median ` +
          `${bigPaint.p50} ms (p95 ${bigPaint.p95}) over ${RUNS}; a ${picks.typical.messages}-message conversation ${typicalPaint.p50} ms. ` +
          `The view settled (nothing in view moved for 30 frames) after ${bigSettled.p50} ms (typical ${typicalSettled.p50} ms). ` +
          `${firstBig.articlesInDom} message articles in the DOM, ${firstBig.articlesInView} in view.`,
        `With ${n(fixture.conversations)} conversations the page holds ${n(listed.nodes)} elements, ${n(listed.listItems)} of them list items ` +
          `(${round(listed.nodes / Math.max(1, listed.listItems), 1)} elements per item, page chrome included); ${setSizeNote}. ` +
          `With the big conversation open: ${n(domWithBigOpen)}.`,
        ...(pageErrors.length > 0 ? [`The page reported ${pageErrors.length} error(s), first: ${pageErrors[0]}`] : []),
      ],
    };
  } finally {
    await browser?.close().catch(() => undefined);
    if (host) await stopHost(host);
    web?.remove();
  }
});

interface Pick {
  id: string;
  title: string;
  messages: number;
}

/**
 * The big conversation, and a typical one near the top of the list (so it is on the first screen
 * whether or not the list is windowed): the first direct conversation in activity order with 50–200
 * messages.
 */
function pickConversations(file: string, fixture: MirrorFixture): { big: Pick; typical: Pick } {
  const db = new Database(file, { readonly: true });
  try {
    const title = (id: string) =>
      (
        db
          .prepare(
            'SELECT COALESCE(c.name, u.display_name) AS title FROM conversations c LEFT JOIN users u ON u.id = c.peer_id WHERE c.id = ?',
          )
          .get(id) as { title: string }
      ).title;
    const count = (id: string) =>
      (db.prepare('SELECT count(*) AS n FROM messages WHERE conversation_id = ?').get(id) as { n: number }).n;
    const top = db
      .prepare("SELECT id FROM conversations WHERE kind = 'direct' AND id != ? ORDER BY last_activity_at DESC, id LIMIT 20")
      .pluck()
      .all(fixture.bigConversationId) as string[];
    const typical = top.find((id) => count(id) >= 50 && count(id) <= 200) ?? top[0];
    if (!typical) throw new Error('No conversation to compare with');
    return {
      big: { id: fixture.bigConversationId, title: title(fixture.bigConversationId), messages: count(fixture.bigConversationId) },
      typical: { id: typical, title: title(typical), messages: count(typical) },
    };
  } finally {
    db.close();
  }
}

interface Listed {
  nodes: number;
  listItems: number;
  setSize: number | null;
  settledAtMs: number;
}

/** Waits until the element count has not changed for a second (the list fully shown), then counts. */
async function settledDom(page: Page): Promise<Listed> {
  const started = performance.now();
  let last = -1;
  let sameFor = 0;
  while (performance.now() - started < STEP_TIMEOUT_MS) {
    const now = await page.evaluate<Listed>('window.__benchCount()');
    if (now.nodes === last && now.listItems > 0) sameFor += 1;
    else sameFor = 0;
    last = now.nodes;
    if (sameFor >= 4) return now;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error('The page did not settle within the time limit');
}

/** Clicks the conversation with this title in the list and times its messages' first paint. */
async function openConversation(page: Page, title: string): Promise<Opened> {
  const list = page.getByRole('list', { name: 'Conversations' });
  const item = list.getByRole('listitem').filter({ has: page.getByText(title, { exact: true }) });
  const button = item.getByRole('button').first();
  // A windowed list holds only the rows near the view: scroll it from the top, a screen at a time
  // (letting it render each), until the row is there.
  await page.evaluate('window.__benchScrollList(true)');
  for (let step = 0; ; step += 1) {
    await page.evaluate('window.__benchFrames(2)');
    if ((await item.count()) > 0) {
      try {
        await button.scrollIntoViewIfNeeded({ timeout: 2_000 });
        break;
      } catch {
        // Gone again while the list rendered: look again.
      }
    }
    if (step > 2_000 || !(await page.evaluate('window.__benchScrollList(false)'))) {
      await page.screenshot({ path: join(RESULTS_DIR, 'browser-failure.png') }).catch(() => undefined);
      throw new Error(`"${title}" is not in the list (screenshot: test/bench/results/browser-failure.png)`);
    }
  }
  await page.evaluate(`${CLICK_PROBE}`);
  await button.click({ timeout: STEP_TIMEOUT_MS });
  const timing = await page.evaluate<OpenTiming>('window.__benchClick');
  if (timing.timedOut || timing.clickAt === null || timing.firstPaintAt === null || timing.settledAt === null) {
    throw new Error(`"${title}": its messages were not painted within ${STEP_TIMEOUT_MS / 1000} s (${JSON.stringify(timing)})`);
  }
  return {
    paintMs: timing.firstPaintAt - timing.clickAt,
    settledMs: timing.settledAt - timing.clickAt,
    articlesInDom: timing.articlesInDom,
    articlesInView: timing.articlesInView,
  };
}

// -- in the page (plain JavaScript strings: they are not transformed, so nothing is injected) ----

/** Finding things by role and accessible name, what is in view, and "after this frame is painted". */
const PAGE_HELPERS = String.raw`
window.__benchNameOf = (el) => {
  const label = el.getAttribute('aria-label');
  if (label) return label.trim();
  const ids = el.getAttribute('aria-labelledby');
  if (ids) return ids.split(/\s+/).map((id) => document.getElementById(id)?.textContent ?? '').join(' ').trim();
  return '';
};
window.__benchByRole = (role, name, implicit) => {
  const selector = '[role="' + role + '"]' + (implicit ? ', ' + implicit : '');
  for (const el of document.querySelectorAll(selector)) {
    if ((el.getAttribute('role') ?? role) === role && window.__benchNameOf(el) === name) return el;
  }
  return null;
};
// The part of the window an element's content can show in: the viewport cut by every clipping ancestor.
window.__benchClip = (el) => {
  let box = { top: 0, bottom: window.innerHeight, left: 0, right: window.innerWidth };
  for (let node = el; node && node !== document.documentElement; node = node.parentElement) {
    const style = getComputedStyle(node);
    if (style.overflowY !== 'visible' || style.overflowX !== 'visible') {
      const r = node.getBoundingClientRect();
      box = { top: Math.max(box.top, r.top), bottom: Math.min(box.bottom, r.bottom), left: Math.max(box.left, r.left), right: Math.min(box.right, r.right) };
    }
  }
  return box;
};
window.__benchInView = (el, box) => {
  const r = el.getBoundingClientRect();
  return r.height > 0 && r.width > 0 && r.bottom > box.top && r.top < box.bottom && r.right > box.left && r.left < box.right;
};
// Runs fn with the time just after the frame being prepared now has been painted.
window.__benchAfterPaint = (fn) => {
  const channel = new MessageChannel();
  channel.port1.onmessage = () => fn(performance.now());
  channel.port2.postMessage(0);
};
window.__benchList = () => window.__benchByRole('list', 'Conversations', 'ul, ol');
window.__benchCount = () => {
  const list = window.__benchList();
  const items = list ? list.querySelectorAll('li, [role="listitem"]') : [];
  let setSize = null;
  for (const item of items) {
    const size = Number(item.getAttribute('aria-setsize'));
    if (size > 0) { setSize = size; break; }
  }
  return { nodes: document.getElementsByTagName('*').length, listItems: items.length, setSize, settledAtMs: performance.now() };
};
// Resolves after n more frames.
window.__benchFrames = (n) => new Promise((resolve) => {
  const next = (left) => (left === 0 ? resolve(null) : requestAnimationFrame(() => next(left - 1)));
  next(n);
});
// Scrolls the list's scroller to the top, or one screen down; false when it cannot move.
window.__benchScrollList = (toTop) => {
  const list = window.__benchList();
  for (let node = list; node; node = node.parentElement) {
    if (node.scrollHeight > node.clientHeight + 1 && getComputedStyle(node).overflowY !== 'visible') {
      const before = node.scrollTop;
      node.scrollTop = toTop ? 0 : before + node.clientHeight * 0.8;
      return toTop || node.scrollTop > before;
    }
  }
  return false;
};
`;

/** From the start of the document: the frame in which the first list item is in view. */
const LOAD_PROBE = String.raw`
window.__bench = { listPaintedAt: null };
(() => {
  const tick = () => {
    const list = window.__benchList();
    if (list) {
      const box = window.__benchClip(list);
      for (const item of list.querySelectorAll('li, [role="listitem"]')) {
        if (window.__benchInView(item, box)) {
          window.__benchAfterPaint((at) => { window.__bench.listPaintedAt = at; });
          return;
        }
      }
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();
`;

/**
 * Installed just before a click: notes the click event's time, then watches every frame for
 * messages in view in the log "Messages" that were not there before the click.
 */
const CLICK_PROBE = String.raw`
(() => {
  const TIMEOUT = ${STEP_TIMEOUT_MS};
  const keyOf = (el) => el.getAttribute('data-message-id') ?? el;
  const articles = (root) => root ? [...root.querySelectorAll('article, [role="article"]')] : [];
  const before = new Set(articles(window.__benchByRole('log', 'Messages', null)).map(keyOf));
  const state = { clickAt: null, firstPaintAt: null, settledAt: null, articlesInDom: 0, articlesInView: 0, timedOut: false };
  document.addEventListener('click', (event) => { if (state.clickAt === null) state.clickAt = event.timeStamp; }, { capture: true, once: true });
  window.__benchClick = new Promise((resolve) => {
    const started = performance.now();
    let signature = null;
    let quiet = 0;
    const frame = () => {
      if (performance.now() - started > TIMEOUT) { state.timedOut = true; resolve(state); return; }
      if (state.clickAt !== null) {
        const log = window.__benchByRole('log', 'Messages', null);
        const all = articles(log);
        const box = log ? window.__benchClip(log) : null;
        const fresh = all.filter((el) => !before.has(keyOf(el)));
        const inView = box ? fresh.filter((el) => window.__benchInView(el, box)) : [];
        if (inView.length > 0) {
          if (state.firstPaintAt === null) window.__benchAfterPaint((at) => { state.firstPaintAt = at; });
          const now = inView.map((el) => String(keyOf(el)) + '@' + Math.round(el.getBoundingClientRect().top)).join(',');
          if (now !== signature) {
            signature = now;
            quiet = 0;
            window.__benchAfterPaint((at) => { state.settledAt = at; });
          } else if (++quiet >= 30) {
            state.articlesInDom = all.length;
            state.articlesInView = inView.length;
            resolve(state);
            return;
          }
        }
      }
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
})()
`;
