/**
 * Finding things on the 1,000,000-message mirror (lib/mirror-fixture.ts: 10,000 conversations,
 * one of 100,000 messages, a full-text index as the mirror keeps it), through the client core's
 * own API, opened offline (its session points at a closed port), as the app calls it:
 * - searchMessages (the app's default of 50 results, newest first, with snippets) for a common
 *   word of the everyday vocabulary, a rare word of the fixture's long tail (about 10 messages),
 *   a three-letter prefix, two words as typed (the last one half-written) and one letter (the first
 *   keystroke in the box); 5 warm-ups then 100 timed calls each, p50/p95. Baseline: the bare FTS5
 *   lookup of the same query (the 50 newest matching rowids) on a plain better-sqlite3 connection,
 *   i.e. what the index costs at all; for reference, a LIKE scan of every text for the rare word
 *   (what searching without an index would cost).
 * - Jump: listMessages({ aroundMessageId }) for messages about 90,000 back in the 100,000-message
 *   conversation, a different one each call (around 90,000 ± 2,000), with the renderer's page size
 *   (100); p95 (and p50). Baseline: the newest page of the same conversation, same size, same run.
 * - First screen of the conversation list: listConversations({ limit: 30 }); the first call after
 *   opening, then the median (and p95) of repeated calls, as local-reads gives the list. Baseline:
 *   the whole list (10,000 summaries) as a full read (each call preceded by a write through another
 *   connection, as local-reads does), and warm (kept between reads).
 * - Index size: the pages of the FTS5 table's shadow tables (and its pending-work table) as a share
 *   of the mirror file, from SQLite's dbstat virtual table (or, where dbstat is not compiled in, the
 *   bytes of the index blobs).
 * Catch-up with the index on beside the same catch-up without it is in catch-up.ts.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { openClientCore } from '../../sync/client/client-core.js';
import { ftsQuery } from '../../sync/common/search-text.js';
import { ensureMirrorFixture, pointSessionAt, type MirrorFixture } from './lib/mirror-fixture.js';
import { freePort } from './lib/proc.js';
import { log, row, runBench, type Row } from './lib/report.js';
import { round, roundSummary, summarise, type Summary } from './lib/stats.js';

const BENCH = 'search';
const WARMUP = 5;
const RUNS = 100;
/** What searchMessages returns when the caller gives no limit (client-core.ts DEFAULT_SEARCH_RESULTS). */
const RESULTS = 50;
/** The renderer's page (renderer/state/messages.ts MESSAGE_PAGE). */
const PAGE = 100;
/** One screen of the conversation list, and then some. */
const SCREEN = 30;
const JUMP_BACK = 90_000;

interface Term {
  key: string;
  label: string;
  query: string;
  target: boolean;
}

runBench(BENCH, async ({ scale }) => {
  const fixture = await ensureMirrorFixture(scale);
  pointSessionAt(fixture.file, `ws://127.0.0.1:${await freePort()}`);
  log(BENCH, `mirror: ${fixture.messages} messages, ${fixture.conversations} conversations, ${fixture.fileMiB} MiB`);
  const raw = new Database(fixture.file, { readonly: true });
  checkIndex(raw, fixture);

  const core = await openClientCore({ profileDir: fixture.profileDir, defaultServerUrl: 'ws://127.0.0.1:9' });
  // The first screen as the app's first call after opening asks for it (nothing read yet).
  const t = performance.now();
  const firstScreen = await core.listConversations({ limit: SCREEN });
  const firstScreenFirstMs = round(performance.now() - t, 3);
  if (firstScreen.length !== Math.min(SCREEN, fixture.conversations))
    throw new Error(`The first screen holds ${firstScreen.length} conversations`);

  // -- search ----------------------------------------------------------------------------------
  const terms: Term[] = [
    { key: 'common', label: 'common word "coffee"', query: 'coffee', target: true },
    { key: 'rare', label: `rare word "${fixture.rareWord.word}"`, query: fixture.rareWord.word, target: true },
    { key: 'prefix', label: 'prefix "rep"', query: 'rep', target: true },
    { key: 'two-words', label: 'two words as typed, "coffee tom"', query: 'coffee tom', target: true },
    { key: 'one-letter', label: 'one letter, "c"', query: 'c', target: false },
  ];
  const countHits = raw.prepare('SELECT count(*) AS n FROM message_search WHERE message_search MATCH ?');
  const lookup = raw.prepare('SELECT rowid FROM message_search WHERE message_search MATCH ? ORDER BY rowid DESC LIMIT ?');
  const searches = [];
  for (const term of terms) {
    const fts = ftsQuery(term.query);
    if (fts === null) throw new Error(`"${term.query}" is not a query`);
    const results = await core.searchMessages({ query: term.query });
    const hits = (countHits.get(fts) as { n: number }).n;
    if (hits >= RESULTS && results.length !== RESULTS)
      throw new Error(`"${term.query}" found ${results.length} of ${hits} indexed matches`);
    if (results.length === 0) throw new Error(`Nothing found for "${term.query}"`);
    log(BENCH, `search ${term.label}: ${hits} matching messages`);
    const timing = await timeCalls(() => core.searchMessages({ query: term.query }));
    const floor = await timeCalls(() => lookup.all(fts, RESULTS));
    searches.push({ ...term, fts, hits, results: results.length, timing, floor });
  }
  const rareFts = ftsQuery(fixture.rareWord.word)!;
  // The common word as a whole word (not a prefix): what the prefix costs the bare lookup.
  const wholeWord = await timeCalls(() => lookup.all('"coffee"', RESULTS));
  const likeStatement = raw.prepare('SELECT local_id FROM messages WHERE text LIKE ? ORDER BY local_id DESC LIMIT ?');
  const likeScan = await timeCalls(() => likeStatement.all(`%${fixture.rareWord.word}%`, RESULTS), 5, 1);

  // -- jump ------------------------------------------------------------------------------------
  const back = Math.min(Math.round(JUMP_BACK * (fixture.bigMessages / 100_000)), fixture.bigMessages - PAGE);
  const spread = Math.max(1, Math.round(back / 45));
  const targetsStatement = raw.prepare(
    'SELECT client_message_id AS id, seq FROM messages WHERE conversation_id = ? AND deleted = 0 ORDER BY seq DESC LIMIT 1 OFFSET ?',
  );
  const targets = Array.from({ length: WARMUP + RUNS }, (_, i) => {
    const offset = back - spread + Math.round((2 * spread * i) / (WARMUP + RUNS));
    return targetsStatement.get(fixture.bigConversationId, offset) as { id: string; seq: number };
  });
  const newest = await core.listMessages({ conversationId: fixture.bigConversationId, limit: PAGE });
  const newestSeq = newest.messages.at(-1)?.seq ?? 0;
  const check = await core.listMessages({
    conversationId: fixture.bigConversationId,
    aroundMessageId: targets[0]!.id,
    limit: PAGE,
  });
  if (!check.messages.some((m) => m.id === targets[0]!.id) || !check.hasNewer || !check.hasOlder)
    throw new Error('The page around the target does not hold it, or does not say there is more on either side');
  let next = 0;
  const jump = await timeCalls(() =>
    core.listMessages({
      conversationId: fixture.bigConversationId,
      aroundMessageId: targets[next++ % targets.length]!.id,
      limit: PAGE,
    }),
  );
  const newestPage = await timeCalls(() => core.listMessages({ conversationId: fixture.bigConversationId, limit: PAGE }));

  // -- first screen of the list beside the whole list ----------------------------------------------
  const screen = await timeCalls(() => core.listConversations({ limit: SCREEN }));
  const screenAfterWrite = await afterWrites(fixture, () => core.listConversations({ limit: SCREEN }));
  const fullList = await afterWrites(fixture, () => core.listConversations());
  const warmList = await timeCalls(() => core.listConversations());

  // -- index size ------------------------------------------------------------------------------
  const size = indexSize(raw);
  await core.close();
  raw.close();

  const n = (value: number) => value.toLocaleString('en');
  const searchRows: Row[] = searches.map((s) =>
    row({
      key: `search.${s.key}`,
      name: `Search, ${s.label}`,
      value: s.timing.p95,
      unit: 'ms p95',
      baseline: { name: 'bare FTS5 lookup p95', value: s.floor.p95, unit: 'ms' },
      ratio: round(s.timing.p95 / Math.max(0.001, s.floor.p95), 1),
      ...(s.target ? { target: { text: '< 50 ms p95', op: '<=' as const, value: 50 } } : {}),
      note: `p50 ${s.timing.p50} ms; ${n(s.hits)} matching messages, ${s.results} returned`,
    }),
  );
  const sizeNote = fixture.messages === 1_000_000 ? '' : ` (scaled mirror: ${n(fixture.messages)} messages)`;
  return {
    sizes: {
      messages: fixture.messages,
      conversations: fixture.conversations,
      bigConversation: fixture.bigMessages,
      jumpBack: back,
      page: PAGE,
      screen: SCREEN,
      runs: RUNS,
    },
    rows: [
      ...searchRows,
      row({
        key: 'search.like-scan',
        name: `For reference: LIKE scan for the rare word`,
        value: likeScan.p50,
        unit: 'ms',
        note: `what a search without the index costs: every text read; median of ${likeScan.n}${sizeNote}`,
      }),
      row({
        key: 'search.jump',
        name: `Jump ${n(back)} back in the ${n(fixture.bigMessages)}-message conversation`,
        value: jump.p95,
        unit: 'ms p95',
        baseline: { name: 'newest page p95', value: newestPage.p95, unit: 'ms' },
        ratio: round(jump.p95 / Math.max(0.001, newestPage.p95), 1),
        target: { text: '< 20 ms', op: '<=', value: 20 },
        note: `p50 ${jump.p50} ms (newest page ${newestPage.p50}); listMessages({ aroundMessageId }), ${PAGE} messages, a different target each call`,
      }),
      row({
        key: 'search.list-first-screen',
        name: `Conversation list, first screen (${SCREEN} of ${n(fixture.conversations)})`,
        value: screen.p50,
        unit: 'ms',
        baseline: { name: 'whole list, full read', value: fullList.p50, unit: 'ms' },
        ratio: round(screen.p50 / Math.max(0.001, fullList.p50), 3),
        target: { text: '< 2 ms', op: '<=', value: 2 },
        note: `median of ${RUNS}, p95 ${screen.p95} ms (whole list p95 ${fullList.p95}); first call after opening ${firstScreenFirstMs} ms; after another connection wrote p50 ${screenAfterWrite.p50} / p95 ${screenAfterWrite.p95} ms; whole list kept between reads ${warmList.p50} ms`,
      }),
      row({
        key: 'search.index-share',
        name: 'Search index, share of the mirror file',
        value: size.sharePct,
        unit: '%',
        note: `${size.indexMiB} MiB of ${size.fileMiB} MiB (${size.bytesPerMessage} bytes per message), ${size.method}`,
      }),
    ],
    details: {
      fixture,
      searches,
      likeScan,
      wholeWord,
      jump: { back, spread, newestSeq, targets: [targets[0], targets.at(-1)], jump, newestPage },
      list: { firstScreenFirstMs, screen, screenAfterWrite, fullList, warmList },
      size,
    },
    findings: [
      ...searches.map(
        (s) =>
          `Search ${s.label} (${n(s.hits)} matches): p50 ${s.timing.p50} / p95 ${s.timing.p95} ms through the core; the bare FTS5 lookup ` +
          `of the same query p50 ${s.floor.p50} / p95 ${s.floor.p95} ms. The rest is the 50 rows joined to messages, conversations and ` +
          'senders, and their snippets.',
      ),
      "A word of 4 or more letters (or a one-letter query) is matched as a prefix outside the index's 2- and 3-letter prefix tables: " +
        'FTS5 merges the doclists of every term it begins, so the cost grows with its matches, not with the 50 returned ' +
        `(the bare lookup of "coffee" as a whole word, not a prefix: p50 ${wholeWord.p50} / p95 ${wholeWord.p95} ms).`,
      `Jump ${n(back)} back: p50 ${jump.p50} / p95 ${jump.p95} ms for a page of ${PAGE} around the message; the newest page ` +
        `${newestPage.p50} / ${newestPage.p95} ms.`,
      `First screen of the list: p50 ${screen.p50} / p95 ${screen.p95} ms (first call after opening ${firstScreenFirstMs} ms); the whole ` +
        `list ${fullList.p50} / ${fullList.p95} ms as a full read, ${warmList.p50} / ${warmList.p95} ms kept between reads.`,
      `Without the index, finding the rare word takes a LIKE scan of every text: ${likeScan.p50} ms (${rareFts}).`,
      `Index: ${size.indexMiB} MiB = ${size.sharePct}% of the ${size.fileMiB} MiB mirror (${size.method}); ` +
        `by table: ${size.tables.map((x) => `${x.name} ${x.MiB} MiB`).join(', ')}.`,
    ],
  };
});

async function timeCalls(call: () => unknown, runs = RUNS, warmup = WARMUP): Promise<Summary> {
  for (let i = 0; i < warmup; i += 1) await call();
  const samples: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const t = performance.now();
    await call();
    samples.push(performance.now() - t);
  }
  return roundSummary(summarise(samples));
}

/** Each call preceded by a write through another connection (which the core's kept list cannot see row by row). */
async function afterWrites(fixture: MirrorFixture, call: () => Promise<unknown>): Promise<Summary> {
  const db = new Database(fixture.file);
  const touch = db.prepare('UPDATE conversations SET unread_count = unread_count WHERE id = ?');
  try {
    return await timeCalls(() => {
      touch.run(fixture.bigConversationId);
      return call();
    }, 25);
  } finally {
    db.close();
  }
}

/** Throws unless the index is there and up to date (a fixture built before it would measure nothing). */
function checkIndex(raw: Database.Database, fixture: MirrorFixture): void {
  const count = (sql: string) => (raw.prepare(sql).get() as { n: number }).n;
  const indexed = count('SELECT count(*) AS n FROM message_search_docsize');
  const messages = count('SELECT count(*) AS n FROM messages WHERE deleted = 0');
  if (indexed !== messages)
    throw new Error(
      `The fixture's search index is not up to date (${indexed} of ${messages} messages indexed): delete results/cache to rebuild it`,
    );
  if (!fixture.rareWord) throw new Error('The fixture has no rare word: delete results/cache to rebuild it');
}

interface IndexSize {
  method: string;
  indexMiB: number;
  fileMiB: number;
  sharePct: number;
  bytesPerMessage: number;
  tables: Array<{ name: string; MiB: number }>;
}

function indexSize(raw: Database.Database): IndexSize {
  const pageSize = raw.pragma('page_size', { simple: true }) as number;
  const fileBytes = (raw.pragma('page_count', { simple: true }) as number) * pageSize;
  const messages = (raw.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n;
  const mib = (bytes: number) => round(bytes / 1024 / 1024, 1);
  let method: string;
  let tables: Array<{ name: string; bytes: number }>;
  try {
    tables = raw
      .prepare(
        `SELECT name, sum(pgsize) AS bytes FROM dbstat
         WHERE name LIKE 'message\\_search%' ESCAPE '\\'
         GROUP BY name ORDER BY bytes DESC`,
      )
      .all() as Array<{ name: string; bytes: number }>;
    method = 'pages of the FTS5 shadow tables, from dbstat';
  } catch {
    // No dbstat: the bytes the index's blobs hold (a little under its pages).
    const blob = (sql: string) => (raw.prepare(sql).get() as { bytes: number | null }).bytes ?? 0;
    tables = [
      { name: 'message_search_data', bytes: blob('SELECT sum(length(block)) AS bytes FROM message_search_data') },
      { name: 'message_search_idx', bytes: blob('SELECT sum(length(term)) + 16 * count(*) AS bytes FROM message_search_idx') },
      {
        name: 'message_search_docsize',
        bytes: blob('SELECT sum(length(sz)) + 8 * count(*) AS bytes FROM message_search_docsize'),
      },
    ];
    method = 'bytes of the index blobs (dbstat not compiled in)';
  }
  const indexBytes = tables.reduce((sum, x) => sum + x.bytes, 0);
  return {
    method,
    indexMiB: mib(indexBytes),
    fileMiB: mib(fileBytes),
    sharePct: round((indexBytes / fileBytes) * 100, 1),
    bytesPerMessage: round(indexBytes / Math.max(1, messages), 0),
    tables: tables.map((x) => ({ name: x.name, MiB: mib(x.bytes) })),
  };
}
