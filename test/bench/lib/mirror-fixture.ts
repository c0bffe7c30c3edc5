/**
 * A large client mirror for the local-read and cold-start benchmarks, built directly with SQL on
 * the schema the mirror's own migrations create, and cached under results/cache by scale (the
 * full one, 1,000,000 messages, takes a while and several hundred MB).
 *
 * Shape at scale 1: 10,000 conversations (5% of them groups of 3–25 members drawn from the other
 * conversations' people, the rest direct), 1,000,000 messages. One direct conversation holds
 * 100,000; the rest share 900,000 (about 90 each, between ~20 and ~160). Messages arrive
 * interleaved across conversations in time, as they would (so a conversation's rows are spread
 * through the table), half sent by us in direct conversations, a third in groups. Among the
 * events: 5% reactions, 3% edits (with their version history), 0.5% deletes, 5% of messages are
 * replies; a group's seq 1 is its creation (a notice), and 3% of others' group messages mention us.
 * 85% of conversations are fully read; the rest have 1–20 unread events; the big one has 10 unread.
 * Ids are what the app uses: direct ids derived from the pair, random UUIDs for groups and messages.
 * The columns the list reads from (peer, newest message, unread and mention counts, member count)
 * are filled afterwards by the mirror's own functions, as applying events would have left them.
 * No ANALYZE is run (the app never runs it), so the planner works without statistics, as in the field.
 *
 * Texts are chat-like sentences from a small everyday vocabulary (every word of it is common), and
 * 30% of messages also carry one word from a long tail of 50,000 made-up words (names, places,
 * jargon) drawn by Zipf's law, from a separate random stream (the rest of the fixture is the same
 * with or without it): a handful of them occur only a few times, which is what a rare search term
 * is. The full-text index (mirror migration 7) is filled at the end of the build's one transaction
 * with what MessageSearch would have indexed message by message (text and file names, deleted
 * messages left out), so it is as a mirror that received this history holds it; the rare term the search
 * benchmark uses (the tail word occurring closest to 10 times) is recorded in fixture.json.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { MIRROR_FILE } from '../../../sync/client/client-core.js';
import { recountUnread, refreshLastMessage } from '../../../sync/client/mirror/conversation-stats.js';
import { refreshMembership } from '../../../sync/client/mirror/membership.js';
import { MIRROR_MIGRATIONS } from '../../../sync/client/mirror/migrations.js';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import { directConversationId } from '../../../sync/common/conversation-ids.js';
import { mentions } from '../../../sync/common/mentions.js';
import type { GroupCreatedEvent, Role } from '../../../sync/protocol/frames.js';
import { RESULTS_DIR, runTs } from './proc.js';
import { BENCH_EMOJIS, chatText, cumulativeWeights, Rng } from './random.js';
import { scaled } from './report.js';

/** Bump when the generator changes so cached mirrors are rebuilt. */
const FIXTURE_VERSION = 6;

export interface MirrorFixture {
  /** The profile folder (holds mirror.sqlite): openClientCore can open it directly. */
  profileDir: string;
  file: string;
  selfId: string;
  bigConversationId: string;
  /** A direct conversation of typical size (close to the median). */
  typicalConversationId: string;
  /** A group of typical size (messages close to the groups' median). */
  typicalGroupConversationId: string;
  conversations: number;
  groups: number;
  messages: number;
  bigMessages: number;
  fileMiB: number;
  buildMs: number;
  /** A word of the long tail that occurs in few messages (closest to 10), and in how many. */
  rareWord: { word: string; messages: number };
}

export function fixtureSizes(scale: number): { conversations: number; groups: number; messages: number; big: number } {
  const conversations = scaled(10_000, scale, 20);
  return {
    conversations,
    groups: Math.max(2, Math.round(conversations * 0.05)),
    messages: scaled(1_000_000, scale, 2_000),
    big: scaled(100_000, scale, 200),
  };
}

/**
 * The cached fixture for this scale, built (in a child process) if missing. Cached per mirror
 * schema too (its last migration): a mirror built on an older schema would be migrated in place by
 * the first core to open it, and a checkout without that migration could no longer open it.
 */
export async function ensureMirrorFixture(scale: number): Promise<MirrorFixture> {
  const schema = MIRROR_MIGRATIONS.at(-1)?.version ?? 0;
  const dir = join(RESULTS_DIR, 'cache', `mirror-v${FIXTURE_VERSION}-m${schema}-s${scale}`);
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

/** Our username in the fixture: group messages that mention it count as mentions of us. */
const SELF_USERNAME = 'me';

interface FixtureConversation {
  id: string;
  kind: 'direct' | 'group';
  /** Everyone but us; one person in a direct conversation. */
  others: Array<{ id: string; username: string; displayName: string }>;
  name: string | null;
  target: number;
  seq: number;
  lastAt: number;
  recent: Array<{ id: string; seq: number; text: string; at: number; sender: string; edited: boolean }>;
}

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
  // What the mirror registers for its unread-mention counts (sync/client/mirror/mirror.ts).
  db.function('mentions_self', { deterministic: false }, (text: unknown) =>
    typeof text === 'string' && mentions(text, SELF_USERNAME) ? 1 : 0,
  );

  const tail = longTail();
  const self = { id: rng.uuid(), username: SELF_USERNAME, displayName: 'Me' };
  const directCount = sizes.conversations - sizes.groups;
  const friends = Array.from({ length: directCount }, (_, i) => ({
    id: rng.uuid(),
    username: `friend${i}`,
    displayName: `Friend ${i}`,
  }));
  const conversations: FixtureConversation[] = [];
  for (const friend of friends) {
    conversations.push({
      id: directConversationId(self.id, friend.id),
      kind: 'direct',
      others: [friend],
      name: null,
      target: 0,
      seq: 0,
      lastAt: BASE_TIME,
      recent: [],
    });
  }
  for (let g = 0; g < sizes.groups; g += 1) {
    const others = new Set<(typeof friends)[number]>();
    const size = rng.int(3, 25);
    while (others.size < Math.min(size - 1, friends.length)) others.add(rng.pick(friends));
    conversations.push({
      id: rng.uuid(),
      kind: 'group',
      others: [...others],
      name: `Group ${g}`,
      target: 0,
      seq: 0,
      lastAt: BASE_TIME,
      recent: [],
    });
  }
  // Message counts: the big one (direct) fixed, the rest by random weights.
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
  const insertConversation = db.prepare(
    `INSERT INTO conversations (id, kind, created_at, last_activity_at, name, name_seq, peer_id) VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertNotice = db.prepare('INSERT INTO notices (conversation_id, seq, event) VALUES (?, ?, ?)');
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
  const insertMember = db.prepare(
    `INSERT INTO members (conversation_id, user_id, delivered_seq, read_seq, role, active, membership_seq, joined_seq, join_order)
     VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?)`,
  );
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
    for (const friend of friends) insertUser.run(friend.id, friend.username, friend.displayName);
    for (const c of conversations) {
      insertConversation.run(
        c.id,
        c.kind,
        BASE_TIME,
        BASE_TIME,
        c.name,
        c.name === null ? 0 : 1,
        c.kind === 'direct' ? c.others[0]!.id : null,
      );
      if (c.kind !== 'group') continue;
      // Seq 1 of a group: its creation, by us or by someone in it, kept whole as a notice.
      const creator = rng.chance(0.3) ? self : c.others[0]!;
      const members = [creator, ...[self, ...c.others].filter((m) => m !== creator)];
      const roles = members.map((_, i): Role => (i === 0 ? 'owner' : i === 1 && members.length > 4 ? 'admin' : 'member'));
      c.seq = 1;
      const created: GroupCreatedEvent = {
        kind: 'group_created',
        conversationId: c.id,
        seq: 1,
        senderId: creator.id,
        sentAt: BASE_TIME,
        name: c.name ?? '',
        members: members.map((m, i) => ({ ...m, role: roles[i]! })),
      };
      insertNotice.run(c.id, 1, JSON.stringify(created));
    }
    let now = BASE_TIME;
    for (const index of timeline) {
      const c = conversations[index]!;
      now += rng.int(1, 3_000);
      const someoneElse = () => rng.pick(c.others).id;
      const anyone = () => (rng.chance(c.kind === 'direct' ? 0.5 : 0.33) ? self.id : someoneElse());
      // Changes to recent messages happen between messages and take sequence numbers too.
      const target = c.recent.length > 0 ? rng.pick(c.recent) : null;
      if (target && rng.chance(0.05)) {
        c.seq += 1;
        upsertReaction.run(c.id, target.id, anyone(), rng.pick(BENCH_EMOJIS), c.seq);
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
      const sender = anyone();
      const mention = c.kind === 'group' && sender !== self.id && rng.chance(0.03);
      const message = {
        id: rng.uuid(),
        seq: c.seq,
        text: (mention ? `@${SELF_USERNAME} ` : '') + chatText(rng) + tail.maybeWord(),
        at: now,
        sender,
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
      const since = c.kind === 'group' ? 1 : 0;
      insertMember.run(c.id, self.id, c.seq, readSeq, 'member', since, since, 0);
      c.others.forEach((other, i) => {
        insertMember.run(c.id, other.id, c.seq, Math.max(0, c.seq - rng.int(0, 3)), 'member', since, since, i + 1);
      });
      finishConversation.run(c.seq, c.seq, c.lastAt, c.seq, readSeq, c.id);
    }
    // Roles and join order as the creation notice has them.
    const setRole = db.prepare('UPDATE members SET role = ?, join_order = ? WHERE conversation_id = ? AND user_id = ?');
    const notices = db.prepare('SELECT event FROM notices WHERE seq = 1').all() as Array<{ event: string }>;
    for (const { event } of notices) {
      const created = JSON.parse(event) as GroupCreatedEvent;
      created.members.forEach((m, i) => setRole.run(m.role, i, created.conversationId, m.id));
    }
    // The stored columns the list reads (migrations 3 and 4), by the mirror's own functions.
    for (const c of conversations) {
      refreshLastMessage(db, c.id);
      recountUnread(db, c.id, self.id);
      refreshMembership(db, c.id, self.id);
    }
    // The newest message from someone else (migration 10): what brings an archived conversation back.
    db.prepare(
      `UPDATE conversations SET last_incoming_seq = COALESCE((SELECT MAX(m.seq) FROM messages m
         WHERE m.conversation_id = conversations.id AND m.sender_id != ?), 0)`,
    ).run(self.id);
    // The full-text index, as a mirror that received this history holds it (deleted messages left out).
    db.exec(`
      INSERT INTO message_search (rowid, text, names)
      SELECT m.local_id, m.text, COALESCE((SELECT group_concat(a.name, ' ') FROM attachments a
               WHERE a.conversation_id = m.conversation_id AND a.message_id = m.client_message_id), '')
      FROM messages m WHERE m.deleted = 0`);
    // Every message is indexed: the watermark (migration 13) stands at the newest.
    db.prepare(
      "UPDATE meta SET value = CAST((SELECT MAX(local_id) FROM messages) AS TEXT) WHERE key = 'search_indexed_to'",
    ).run();
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();

  const median = (list: FixtureConversation[]) => [...list].sort((a, b) => a.target - b.target)[Math.floor(list.length / 2)]!;
  const typical = median(conversations.slice(1).filter((c) => c.kind === 'direct'));
  const typicalGroup = median(conversations.filter((c) => c.kind === 'group'));
  const fileMiB = Math.round(statSync(file).size / 1024 / 102.4) / 10;
  const fixture: Omit<MirrorFixture, 'profileDir' | 'file'> = {
    selfId: self.id,
    bigConversationId: big.id,
    typicalConversationId: typical.id,
    typicalGroupConversationId: typicalGroup.id,
    conversations: sizes.conversations,
    groups: sizes.groups,
    messages: sizes.messages,
    bigMessages: sizes.big,
    fileMiB,
    buildMs: Math.round(performance.now() - started),
    rareWord: tail.rareWord(),
  };
  writeFileSync(join(dir, 'fixture.json'), JSON.stringify(fixture, null, 2));
}

/**
 * The long tail of a chat's vocabulary: 50,000 made-up words of 2–4 syllables, ranked, one of them
 * (Zipf: rank r drawn with weight 1/r) appended to 30% of messages. From its own random stream.
 */
function longTail(): { maybeWord: () => string; rareWord: () => { word: string; messages: number } } {
  const rng = new Rng(11);
  const onsets = ['b', 'd', 'f', 'g', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'z', 'br', 'dr', 'kr', 'st', 'tr', 'sh'];
  const vowels = ['a', 'e', 'i', 'o', 'u', 'ai', 'ou'];
  const codas = ['', '', '', 'n', 'r', 's', 'l', 'x'];
  const words: string[] = [];
  const seen = new Set<string>();
  while (words.length < 50_000) {
    let word = '';
    const syllables = rng.int(2, 4);
    for (let i = 0; i < syllables; i += 1) word += rng.pick(onsets) + rng.pick(vowels) + rng.pick(codas);
    if (seen.has(word)) continue;
    seen.add(word);
    words.push(word);
  }
  const cumulative = cumulativeWeights(words.map((_, rank) => 1 / (rank + 1)));
  const counts = new Uint32Array(words.length);
  return {
    maybeWord: () => {
      if (!rng.chance(0.3)) return '';
      const rank = rng.weighted(cumulative);
      counts[rank] = (counts[rank] ?? 0) + 1;
      const word = words[rank]!;
      return ` ${rng.chance(0.3) ? word.charAt(0).toUpperCase() + word.slice(1) : word}`;
    },
    // Counted as drawn; a later edit may change a message's text, so the search bench counts again.
    // Every word typed is searched as a prefix, so a word that begins another one is not a candidate.
    rareWord: () => {
      const sorted = [...words].sort();
      const prefixes = new Set(sorted.filter((word, i) => sorted[i + 1]?.startsWith(word)));
      let best = -1;
      for (let rank = 0; rank < words.length; rank += 1) {
        if (prefixes.has(words[rank]!)) continue;
        if (best < 0 || Math.abs((counts[rank] ?? 0) - 10) < Math.abs((counts[best] ?? 0) - 10)) best = rank;
      }
      return { word: words[best]!, messages: counts[best] ?? 0 };
    },
  };
}
