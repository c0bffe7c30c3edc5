/**
 * A large client mirror for the local-read and cold-start benchmarks, built directly with SQL on
 * the schema the mirror's own migrations create, and cached under results/cache by scale (the
 * full one, 1,000,000 messages, takes a while and several hundred MB).
 *
 * Shape at scale 1: 10,000 direct conversations, 1,000,000 messages. One conversation holds
 * 100,000; the rest share 900,000 (about 90 each, between ~20 and ~160). Messages arrive
 * interleaved across conversations in time, as they would (so a conversation's rows are spread
 * through the table), half sent by us. Among the events: 5% reactions, 3% edits (with their
 * version history), 0.5% deletes, 5% of messages are replies. 85% of conversations are fully read;
 * the rest have 1–20 unread events; the big one has 10 unread. Ids are random UUIDs, like real ones.
 * No ANALYZE is run (the app never runs it), so the planner works without statistics, as in the field.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MIRROR_FILE } from '../../../sync/client/client-core.js';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import { RESULTS_DIR, runTs } from './proc.js';
import { BENCH_EMOJIS, chatText, Rng } from './random.js';
import { scaled } from './report.js';

/** Bump when the generator changes so cached mirrors are rebuilt. */
const FIXTURE_VERSION = 1;

export interface MirrorFixture {
  /** The profile folder (holds mirror.sqlite): openClientCore can open it directly. */
  profileDir: string;
  file: string;
  selfId: string;
  bigConversationId: string;
  /** A conversation of typical size (close to the median). */
  typicalConversationId: string;
  conversations: number;
  messages: number;
  bigMessages: number;
  fileMiB: number;
  buildMs: number;
}

export function fixtureSizes(scale: number): { conversations: number; messages: number; big: number } {
  return {
    conversations: scaled(10_000, scale, 20),
    messages: scaled(1_000_000, scale, 2_000),
    big: scaled(100_000, scale, 200),
  };
}

/** The cached fixture for this scale, built (in a child process) if missing. */
export async function ensureMirrorFixture(scale: number): Promise<MirrorFixture> {
  const dir = join(RESULTS_DIR, 'cache', `mirror-v${FIXTURE_VERSION}-s${scale}`);
  const meta = join(dir, 'fixture.json');
  if (!existsSync(meta)) {
    const building = `${dir}.building-${process.pid}`;
    rmSync(building, { recursive: true, force: true });
    mkdirSync(building, { recursive: true });
    console.error(`  [fixture] building the mirror for scale ${scale} (cached afterwards in ${dir})`);
    await runTs(join('test', 'bench', 'lib', 'mirror-main.ts'), [building, String(scale)], 900_000);
    rmSync(dir, { recursive: true, force: true });
    renameSync(building, dir);
  }
  const fixture = JSON.parse(readFileSync(meta, 'utf8')) as Omit<MirrorFixture, 'profileDir' | 'file'>;
  return { ...fixture, profileDir: dir, file: join(dir, MIRROR_FILE) };
}

/** Points the stored session at `serverUrl` (a closed port: the core then opens offline). */
export function pointSessionAt(file: string, serverUrl: string): void {
  const db = new Database(file);
  try {
    db.prepare('UPDATE session SET server_url = ?').run(serverUrl);
  } finally {
    db.close();
  }
}

const BASE_TIME = Date.UTC(2024, 0, 1);

export function buildMirrorFixture(dir: string, scale: number): void {
  const started = performance.now();
  const sizes = fixtureSizes(scale);
  const rng = new Rng(5);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, MIRROR_FILE);
  Mirror.open(file).close(); // the migrated, empty schema

  const db = new Database(file);
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -400000');
  db.pragma('foreign_keys = ON');

  const self = { id: rng.uuid(), username: 'me', displayName: 'Me' };
  const conversations = Array.from({ length: sizes.conversations }, (_, i) => ({
    id: rng.uuid(),
    peer: { id: rng.uuid(), username: `friend${i}`, displayName: `Friend ${i}` },
    target: 0,
    seq: 0,
    lastAt: BASE_TIME,
    recent: [] as Array<{ id: string; seq: number; text: string; at: number; sender: string; edited: boolean }>,
  }));
  // Message counts: the big one fixed, the rest by random weights.
  const big = conversations[0]!;
  big.target = sizes.big;
  const rest = sizes.messages - sizes.big;
  const weights = conversations.slice(1).map(() => 0.2 + rng.next() * 1.6);
  const weightSum = weights.reduce((sum, w) => sum + w, 0);
  let assigned = 0;
  conversations.slice(1).forEach((conversation, i) => {
    conversation.target = Math.floor(((weights[i] ?? 1) / weightSum) * rest);
    assigned += conversation.target;
  });
  for (let i = 0; assigned < rest; i += 1, assigned += 1) conversations[1 + (i % (conversations.length - 1))]!.target += 1;
  // The timeline: which conversation each successive message goes to.
  const timeline = new Uint32Array(sizes.messages);
  let k = 0;
  conversations.forEach((conversation, index) => {
    for (let j = 0; j < conversation.target; j += 1) timeline[k++] = index;
  });
  for (let i = timeline.length - 1; i > 0; i -= 1) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = timeline[i]!;
    timeline[i] = timeline[j]!;
    timeline[j] = t;
  }

  const insertUser = db.prepare('INSERT INTO users (id, username, display_name) VALUES (?, ?, ?)');
  const insertConversation = db.prepare('INSERT INTO conversations (id, kind, created_at, last_activity_at) VALUES (?, ?, ?, ?)');
  const insertMessage = db.prepare(
    `INSERT INTO messages (conversation_id, client_message_id, sender_id, text, seq, state, created_at, sent_at, reply_to, deleted)
     VALUES (?, ?, ?, ?, ?, 'sent', ?, ?, ?, 0)`,
  );
  const insertVersion = db.prepare(
    'INSERT OR IGNORE INTO message_versions (conversation_id, message_id, seq, text, at) VALUES (?, ?, ?, ?, ?)',
  );
  const editMessage = db.prepare(
    'UPDATE messages SET text = ?, edit_seq = ?, edited_at = ? WHERE conversation_id = ? AND client_message_id = ?',
  );
  const deleteMessage = db.prepare(
    "UPDATE messages SET deleted = 1, text = '', edit_seq = NULL, edited_at = NULL WHERE conversation_id = ? AND client_message_id = ?",
  );
  const purgeVersions = db.prepare('DELETE FROM message_versions WHERE conversation_id = ? AND message_id = ?');
  const purgeReactions = db.prepare('DELETE FROM reactions WHERE conversation_id = ? AND message_id = ?');
  const upsertReaction = db.prepare(
    `INSERT INTO reactions (conversation_id, message_id, user_id, emoji, seq, on_) VALUES (?, ?, ?, ?, ?, 1)
     ON CONFLICT (conversation_id, message_id, user_id, emoji) DO UPDATE SET seq = excluded.seq`,
  );
  const insertMember = db.prepare('INSERT INTO members (conversation_id, user_id, delivered_seq, read_seq) VALUES (?, ?, ?, ?)');
  const finishConversation = db.prepare(
    `UPDATE conversations SET applied_seq = ?, known_seq = ?, last_activity_at = ?, delivered_seq_sent = ?, read_seq_sent = ? WHERE id = ?`,
  );

  db.transaction(() => {
    db.prepare('INSERT INTO session (id, server_url, token, user_id, username, display_name) VALUES (1, ?, ?, ?, ?, ?)').run(
      'ws://127.0.0.1:9',
      'f'.repeat(64),
      self.id,
      self.username,
      self.displayName,
    );
    insertUser.run(self.id, self.username, self.displayName);
    for (const conversation of conversations) {
      insertUser.run(conversation.peer.id, conversation.peer.username, conversation.peer.displayName);
      insertConversation.run(conversation.id, 'direct', BASE_TIME, BASE_TIME);
    }
    let now = BASE_TIME;
    for (const index of timeline) {
      const c = conversations[index]!;
      now += rng.int(1, 3_000);
      // Changes to recent messages happen between messages and take sequence numbers too.
      const target = c.recent.length > 0 ? rng.pick(c.recent) : null;
      if (target && rng.chance(0.05)) {
        c.seq += 1;
        upsertReaction.run(c.id, target.id, rng.chance(0.5) ? self.id : c.peer.id, rng.pick(BENCH_EMOJIS), c.seq);
      }
      if (target && rng.chance(0.03)) {
        c.seq += 1;
        if (!target.edited) insertVersion.run(c.id, target.id, target.seq, target.text, target.at);
        const text = chatText(rng);
        insertVersion.run(c.id, target.id, c.seq, text, now);
        editMessage.run(text, c.seq, now, c.id, target.id);
        target.edited = true;
      } else if (target && rng.chance(0.005)) {
        c.seq += 1;
        deleteMessage.run(c.id, target.id);
        purgeVersions.run(c.id, target.id);
        purgeReactions.run(c.id, target.id);
        c.recent.splice(c.recent.indexOf(target), 1);
      }
      c.seq += 1;
      const message = {
        id: rng.uuid(),
        seq: c.seq,
        text: chatText(rng),
        at: now,
        sender: rng.chance(0.5) ? self.id : c.peer.id,
        edited: false,
      };
      const replyTo = target && rng.chance(0.05) ? target.id : null;
      insertMessage.run(c.id, message.id, message.sender, message.text, message.seq, now, now, replyTo);
      c.recent.push(message);
      if (c.recent.length > 10) c.recent.shift();
      c.lastAt = now;
    }
    for (const c of conversations) {
      const unread = c === big ? 10 : rng.chance(0.15) ? rng.int(1, 20) : 0;
      const readSeq = Math.max(0, c.seq - unread);
      insertMember.run(c.id, self.id, c.seq, readSeq);
      insertMember.run(c.id, c.peer.id, c.seq, Math.max(0, c.seq - rng.int(0, 3)));
      finishConversation.run(c.seq, c.seq, c.lastAt, c.seq, readSeq, c.id);
    }
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();

  const typical = [...conversations.slice(1)].sort((a, b) => a.target - b.target)[Math.floor((conversations.length - 1) / 2)]!;
  const fileMiB = Math.round(statSync(file).size / 1024 / 102.4) / 10;
  const fixture: Omit<MirrorFixture, 'profileDir' | 'file'> = {
    selfId: self.id,
    bigConversationId: big.id,
    typicalConversationId: typical.id,
    conversations: sizes.conversations,
    messages: sizes.messages,
    bigMessages: sizes.big,
    fileMiB,
    buildMs: Math.round(performance.now() - started),
  };
  writeFileSync(join(dir, 'fixture.json'), JSON.stringify(fixture, null, 2));
}
