import { CONVERSATION_LIST_FIRST_SCREEN } from '../../../sync/app-api/first-screen.js';

/**
 * One cold start, measured inside a fresh process: `cold-start-child.ts <core|raw> <profileDir> <file> [keyHex]`
 * (with a key: the encrypted mirror, opened with it).
 * Prints one JSON line. Times are performance.now(), i.e. ms since this process started:
 * - entry: node + the tsx loader booted and this file began (not part of the core's cold start);
 * - core: import the client core modules, openClientCore (open, pragmas, migration check, session,
 *   engine start against a closed port), the list's first screen resolved (what the renderer asks
 *   for before its first paint), then, reported separately, the whole list (which follows the first
 *   paint) and the first page of the top conversation;
 * - raw: import better-sqlite3, open the file, the cheapest query for the same first screen (the
 *   floor), then the whole ids list.
 */
const entry = performance.now();
const [mode, profileDir, file, keyHex] = process.argv.slice(2);
const mirrorKey = keyHex ? Buffer.from(keyHex, 'hex') : undefined;
if (!mode || !profileDir || !file) throw new Error('Usage: cold-start-child.ts <core|raw> <profileDir> <file>');

if (mode === 'core') {
  const t0 = performance.now();
  const { openClientCore } = await import('../../../sync/client/client-core.js');
  const imported = performance.now();
  const core = await openClientCore({ profileDir, defaultServerUrl: 'ws://127.0.0.1:9', ...(mirrorKey ? { mirrorKey } : {}) });
  const opened = performance.now();
  const screen = await core.listConversations({ folder: 'all', limit: CONVERSATION_LIST_FIRST_SCREEN });
  const listed = performance.now();
  const list = await core.listConversations({ folder: 'all' });
  const wholeList = performance.now();
  const top = screen[0];
  if (top) await core.listMessages({ conversationId: top.id, limit: 200 });
  const paged = performance.now();
  console.log(
    JSON.stringify({
      entryMs: entry,
      importMs: imported - t0,
      openMs: opened - imported,
      firstListMs: listed - opened,
      coldStartMs: listed - imported,
      wholeListMs: wholeList - listed,
      firstPageMs: paged - wholeList,
      conversations: list.length,
    }),
  );
  await core.close();
} else {
  const t0 = performance.now();
  const { default: Database } = await import('better-sqlite3-multiple-ciphers');
  const imported = performance.now();
  const db = new Database(file);
  if (keyHex) {
    db.pragma("cipher = 'sqlcipher'");
    db.pragma(`key = "x'${keyHex}'"`);
  }
  db.pragma('journal_mode = WAL');
  const opened = performance.now();
  const byActivity = 'SELECT id, last_activity_at FROM conversations ORDER BY last_activity_at DESC, id';
  db.prepare(`${byActivity} LIMIT ?`).all(CONVERSATION_LIST_FIRST_SCREEN);
  const listed = performance.now();
  const rows = db.prepare(byActivity).all();
  const wholeList = performance.now();
  console.log(
    JSON.stringify({
      entryMs: entry,
      importMs: imported - t0,
      openMs: opened - imported,
      firstListMs: listed - opened,
      coldStartMs: listed - imported,
      wholeListMs: wholeList - listed,
      conversations: rows.length,
    }),
  );
  db.close();
}
process.exit(0);
