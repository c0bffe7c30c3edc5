/**
 * Local reads on a mirror holding 1,000,000 messages in 10,000 conversations, 500 of them groups
 * (lib/mirror-fixture.ts):
 * - the conversation list (listConversations: all 10,000 summaries, with peer or group name,
 *   preview of the newest message, unread and mention counts, member count);
 * - opening the conversation with 100,000 messages (listMessages, first page of 200);
 * - for reference, the first page of a typically sized direct conversation and of a typical group
 *   (whose page also carries its creation notice and per-member ticks).
 * Through the client core's own API (the core is opened offline: its session points at a closed
 * port), 5 warm-up calls then 25 timed ones each; median and p95 reported.
 *
 * Baselines, on a second plain better-sqlite3 connection to the same file: the cheapest query that
 * returns the same rows — the 10,000 conversation ids in activity order (index only), and the 200
 * newest message rows of the big conversation by (conversation_id, seq) — i.e. what materialising
 * that many rows costs at all.
 *
 * Breakdown (after the timed runs): every SQLite statement call timed by SQL text, so the time of
 * each query vs the JavaScript around it, with EXPLAIN QUERY PLAN of the heaviest statements. A
 * variant where the big conversation is entirely unread (its read watermark at 0 and its stored
 * unread count recounted, as the mirror would) shows the list does not pay for unread messages.
 * Before timing, the list is checked to carry what it says (previews, peers, groups, the unread
 * count), so a fixture that leaves the stored columns empty fails instead of measuring less.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import type { ConversationSummary } from '../../sync/app-api/contract.js';
import type { ClientCore } from '../../sync/client/client-core-types.js';
import { openClientCore } from '../../sync/client/client-core.js';
import { recountUnread } from '../../sync/client/mirror/conversation-stats.js';
import { mentions } from '../../sync/common/mentions.js';
import { instrumentSqlStatements, type StatementTiming } from './lib/instrument.js';
import { ensureMirrorFixture, fixtureSizes, pointSessionAt, type MirrorFixture } from './lib/mirror-fixture.js';
import { freePort } from './lib/proc.js';
import { log, row, runBench } from './lib/report.js';
import { round, roundSummary, summarise, type Summary } from './lib/stats.js';

const BENCH = 'local-reads';
const WARMUP = 5;
const RUNS = 25;
const PAGE = 200;

runBench(BENCH, async ({ scale }) => {
  const fixture = await ensureMirrorFixture(scale);
  pointSessionAt(fixture.file, `ws://127.0.0.1:${await freePort()}`);
  log(BENCH, `mirror: ${fixture.messages} messages, ${fixture.conversations} conversations, ${fixture.fileMiB} MiB`);

  const core = await openClientCore({ profileDir: fixture.profileDir, defaultServerUrl: 'ws://127.0.0.1:9' });
  const raw = new Database(fixture.file, { readonly: true });

  checkList(await core.listConversations(), fixture);
  const page = await core.listMessages({ conversationId: fixture.bigConversationId, limit: PAGE });
  if (page.messages.length < PAGE) throw new Error(`The big conversation's first page has ${page.messages.length} messages`);
  const groupPage = await core.listMessages({ conversationId: fixture.typicalGroupConversationId, limit: PAGE });
  if (groupPage.notices.length === 0 || groupPage.messages.length === 0)
    throw new Error('The typical group shows no notice or no message');

  const list = await timeCalls(() => core.listConversations());
  const fullList = await fullReads(fixture, core);
  const bigPage = await timeCalls(() => core.listMessages({ conversationId: fixture.bigConversationId, limit: PAGE }));
  const typicalPage = await timeCalls(() => core.listMessages({ conversationId: fixture.typicalConversationId, limit: PAGE }));
  const typicalGroupPage = await timeCalls(() =>
    core.listMessages({ conversationId: fixture.typicalGroupConversationId, limit: PAGE }),
  );

  const listFloorStatement = raw.prepare('SELECT id, last_activity_at FROM conversations ORDER BY last_activity_at DESC');
  const pageFloorStatement = raw.prepare('SELECT * FROM messages WHERE conversation_id = ? ORDER BY seq DESC LIMIT ?');
  const listFloor = await timeCalls(() => listFloorStatement.all());
  const pageFloor = await timeCalls(() => pageFloorStatement.all(fixture.bigConversationId, PAGE));

  log(BENCH, 'breakdown by statement');
  const breakdown = {
    list: await statementBreakdown(raw, () => core.listConversations()),
    bigPage: await statementBreakdown(raw, () => core.listMessages({ conversationId: fixture.bigConversationId, limit: PAGE })),
  };
  const unread = await allUnreadVariant(fixture, core);
  await core.close();
  raw.close();

  const full = fixtureSizes(1);
  const sizeNote = fixture.messages === full.messages ? '' : ` (scaled mirror: ${fixture.messages} messages)`;
  return {
    sizes: {
      conversations: fixture.conversations,
      groups: fixture.groups,
      messages: fixture.messages,
      bigConversation: fixture.bigMessages,
      page: PAGE,
      runs: RUNS,
    },
    rows: [
      row({
        key: 'reads.list',
        name: `Conversation list (${fixture.conversations.toLocaleString('en')})`,
        value: list.p50,
        unit: 'ms',
        baseline: { name: 'raw ids by activity', value: listFloor.p50, unit: 'ms' },
        ratio: round(list.p50 / Math.max(0.001, listFloor.p50), 1),
        target: { text: '< 20 ms', op: '<=', value: 20 },
        note: `median of ${RUNS}; p95 ${list.p95} ms${sizeNote}`,
      }),
      row({
        key: 'reads.list-full',
        name: `Conversation list, full read (${fixture.conversations.toLocaleString('en')})`,
        value: fullList.p50,
        unit: 'ms',
        baseline: { name: 'raw ids by activity', value: listFloor.p50, unit: 'ms' },
        ratio: round(fullList.p50 / Math.max(0.001, listFloor.p50), 1),
        note: `the first read, or after another connection wrote; median of ${RUNS}; p95 ${fullList.p95} ms`,
      }),
      row({
        key: 'reads.first-page',
        name: `First page, ${fixture.bigMessages.toLocaleString('en')}-message conversation`,
        value: bigPage.p50,
        unit: 'ms',
        baseline: { name: 'raw 200 rows by seq', value: pageFloor.p50, unit: 'ms' },
        ratio: round(bigPage.p50 / Math.max(0.001, pageFloor.p50), 1),
        target: { text: '< 20 ms', op: '<=', value: 20 },
        note: `median of ${RUNS}; p95 ${bigPage.p95} ms`,
      }),
      row({
        key: 'reads.typical-page',
        name: 'First page, typical conversation',
        value: typicalPage.p50,
        unit: 'ms',
        note: `p95 ${typicalPage.p95} ms`,
      }),
      row({
        key: 'reads.typical-group-page',
        name: 'First page, typical group',
        value: typicalGroupPage.p50,
        unit: 'ms',
        note: `p95 ${typicalGroupPage.p95} ms; ${groupPage.messages.length} messages, its creation notice`,
      }),
      row({
        key: 'reads.list-unread',
        name: 'Conversation list, big one all unread',
        value: unread.timing.p50,
        unit: 'ms',
        note: `${unread.unreadCount.toLocaleString('en')} unread; read watermark of the ${fixture.bigMessages.toLocaleString('en')}-message conversation at 0`,
      }),
    ],
    details: { fixture, list, fullList, bigPage, typicalPage, typicalGroupPage, listFloor, pageFloor, unread, breakdown },
    findings: [
      describe('Conversation list', list, breakdown.list),
      describe('First page of the big conversation', bigPage, breakdown.bigPage),
      `With the big conversation entirely unread (${unread.unreadCount.toLocaleString('en')} unread) the list takes ${unread.timing.p50} ms (vs ${list.p50} ms): ` +
        'the unread count is stored on the conversation row (migration 3), so reading it costs the same however many are unread.',
    ],
  };
});

async function timeCalls(call: () => unknown, runs = RUNS): Promise<Summary> {
  for (let i = 0; i < WARMUP; i += 1) await call();
  const samples: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const t = performance.now();
    await call();
    samples.push(performance.now() - t);
  }
  return roundSummary(summarise(samples));
}

interface Breakdown {
  /** Median of the instrumented calls (a little slower than the timed ones). */
  totalMs: number;
  statements: Array<{ sql: string; callsPerRead: number; msPerRead: number; plan: string[] }>;
  /** Time outside SQLite statement calls: JS mapping and overlay, per read. */
  outsideSqlMs: number;
}

async function statementBreakdown(raw: Database.Database, call: () => Promise<unknown>): Promise<Breakdown> {
  const runs = 10;
  const sql = instrumentSqlStatements();
  const samples: number[] = [];
  let results: StatementTiming[];
  try {
    for (let i = 0; i < runs; i += 1) {
      const t = performance.now();
      await call();
      samples.push(performance.now() - t);
    }
    results = sql.results();
  } finally {
    sql.restore();
  }
  const total = summarise(samples).p50;
  const sqlPerRead = results.reduce((sum, s) => sum + s.ms, 0) / runs;
  return {
    totalMs: round(total, 3),
    statements: results.map((s) => ({
      sql: s.sql.length > 400 ? `${s.sql.slice(0, 400)}…` : s.sql,
      callsPerRead: s.calls / runs,
      msPerRead: round(s.ms / runs, 3),
      plan: explain(raw, s),
    })),
    outsideSqlMs: round(Math.max(0, total - sqlPerRead), 3),
  };
}

function explain(raw: Database.Database, statement: StatementTiming): string[] {
  try {
    const rows = raw.prepare(`EXPLAIN QUERY PLAN ${statement.source}`).all(...statement.lastArgs) as Array<{
      id: number;
      parent: number;
      detail: string;
    }>;
    const depth = new Map<number, number>();
    return rows.map((r) => {
      const d = (depth.get(r.parent) ?? -1) + 1;
      depth.set(r.id, d);
      return `${'  '.repeat(d)}${r.detail}`;
    });
  } catch (error) {
    return [`(could not explain: ${error instanceof Error ? error.message : String(error)})`];
  }
}

/**
 * The list read whole each time: the core keeps it between reads and re-reads only what it saw
 * written (the figure above), so each call here is preceded by a write through another connection,
 * which it cannot see row by row and answers with a full read.
 */
async function fullReads(fixture: MirrorFixture, core: ClientCore): Promise<Summary> {
  const db = new Database(fixture.file);
  const touch = db.prepare('UPDATE conversations SET unread_count = unread_count WHERE id = ?');
  try {
    return await timeCalls(() => {
      touch.run(fixture.bigConversationId);
      return core.listConversations();
    });
  } finally {
    db.close();
  }
}

/**
 * The list with the big conversation's read watermark at 0 and its unread count recounted (as the
 * mirror does when the watermark moves), then both put back.
 */
async function allUnreadVariant(fixture: MirrorFixture, core: ClientCore): Promise<{ timing: Summary; unreadCount: number }> {
  const db = new Database(fixture.file);
  db.function('mentions_self', { deterministic: false }, (text: unknown) =>
    typeof text === 'string' && mentions(text, 'me') ? 1 : 0,
  );
  const read = db.prepare('SELECT read_seq FROM members WHERE conversation_id = ? AND user_id = ?');
  const setRead = db.prepare('UPDATE members SET read_seq = ? WHERE conversation_id = ? AND user_id = ?');
  const before = (read.get(fixture.bigConversationId, fixture.selfId) as { read_seq: number }).read_seq;
  const setWatermark = (seq: number) =>
    db.transaction(() => {
      setRead.run(seq, fixture.bigConversationId, fixture.selfId);
      recountUnread(db, fixture.bigConversationId, fixture.selfId);
    })();
  setWatermark(0);
  try {
    const listed = (await core.listConversations()).find((c) => c.id === fixture.bigConversationId);
    return { timing: await timeCalls(() => core.listConversations(), 10), unreadCount: listed?.unreadCount ?? 0 };
  } finally {
    setWatermark(before);
    db.close();
  }
}

/** Throws unless the list carries what the figure claims to measure (see the file comment). */
function checkList(listed: ConversationSummary[], fixture: MirrorFixture): void {
  const fail = (what: string) => {
    throw new Error(
      `The fixture's conversation list is not what local-reads measures: ${what} (delete results/cache to rebuild it)`,
    );
  };
  if (listed.length !== fixture.conversations) fail(`${listed.length} of ${fixture.conversations} conversations`);
  if (listed.some((c) => c.lastMessage === null || c.lastMessage.senderName === ''))
    fail('a conversation without its newest message');
  const directs = listed.filter((c) => c.kind === 'direct');
  const groups = listed.filter((c) => c.kind === 'group');
  if (directs.some((c) => !c.peer?.displayName)) fail('a direct conversation without its peer');
  if (groups.length !== fixture.groups || groups.some((c) => c.title === '' || c.memberCount < 3))
    fail('groups missing or unnamed');
  // Its last 10 events are unread; about half of them are others' messages, which are what counts.
  if (!(listed.find((c) => c.id === fixture.bigConversationId)?.unreadCount ?? 0))
    fail('the big conversation has nothing unread');
  if (!groups.some((c) => c.mentionsYou)) fail('no group mentions us');
}

function describe(what: string, timing: Summary, breakdown: Breakdown): string {
  const heaviest = breakdown.statements[0];
  const sqlShare = breakdown.statements.reduce((sum, s) => sum + s.msPerRead, 0);
  const plan = heaviest?.plan.join(' / ') ?? '';
  return (
    `${what}: median ${timing.p50} ms (p95 ${timing.p95}). SQLite statements ${round(sqlShare, 2)} ms per read, outside SQL (JS mapping, overlays) ` +
    `~${breakdown.outsideSqlMs} ms (instrumented median ${breakdown.totalMs} ms). Heaviest statement ${heaviest ? `${heaviest.msPerRead} ms × ${heaviest.callsPerRead}: ${heaviest.sql.slice(0, 160)}… plan: ${plan}` : 'n/a'}.`
  );
}
