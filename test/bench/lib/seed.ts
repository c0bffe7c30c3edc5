/**
 * Fills a server data folder directly through the server store (no sockets, no scrypt per user),
 * before the server process starts on it. Every account gets a session whose token is written to
 * the manifest, so benchmark clients connect without logging in.
 *
 * Runs in its own process (seed-main.ts) so the memory it uses never counts against a benchmark.
 * seed-postgres.ts writes the same into a PostgreSQL database.
 */
import { UNCAPPED } from '../../../sync/server/store/cap-rules.js';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { directConversationId } from '../../../sync/common/conversation-ids.js';
import { timeOrderedId } from '../../../sync/common/ids.js';
import type { Conversation, User } from '../../../sync/protocol/frames.js';
import { ACCOUNT_CAPS, LIMITS } from '../../../sync/protocol/limits.js';
import { openDatabase } from '../../../sync/node/sqlite.js';
import { createPasswordHasher } from '../../../sync/server/passwords.js';
import { hashSessionToken } from '../../../sync/server/session-tokens.js';
import type { ServerStore } from '../../../sync/server/store/server-store.js';
import { serverMigrations } from '../../../sync/server/store/sqlite-migrations.js';
import { SERVER_DATABASE_FILE, SqliteServerStore } from '../../../sync/server/store/sqlite-server-store.js';
import { BENCH_EMOJIS, chatText, cumulativeWeights, Rng } from './random.js';
import { RESULTS_DIR, runTs } from './proc.js';

/** The password of every seeded account, for poking at a kept data folder by hand. */
export const BENCH_PASSWORD = 'bench password 1';

export interface SeedSpec {
  /** Accounts bench0 … bench{n-1}. */
  users: number;
  /** Direct conversations, as pairs of user indexes. */
  conversations: Array<[number, number]>;
  /** Groups, by user indexes (the first is the creator and owner). No traffic: only their creation (seq 1). */
  groups?: Array<{ name: string; members: number[] }>;
  traffic?: TrafficSpec;
  seed?: number;
}

export interface TrafficSpec {
  /** Events in total (messages plus edits, deletes and reactions). */
  events: number;
  /** Indexes into `conversations` that get traffic, and their relative shares. */
  conversations: number[];
  weights: number[];
  /** Shares of all events; the rest are messages. */
  editShare: number;
  reactionShare: number;
  deleteShare: number;
  /** Share of messages that reply to a recent one. */
  replyShare: number;
}

export interface SeededUser extends User {
  token: string;
}

export interface SeedManifest {
  users: SeededUser[];
  conversations: Conversation[];
  /** In the order of `SeedSpec.groups` (absent from manifests cached before groups could be seeded). */
  groups?: Conversation[];
  counts: { message: number; edit: number; delete: number; reaction: number };
  seedMs: number;
}

const BASE_TIME = Date.UTC(2025, 0, 1);
/**
 * Seeded data is cached and reused for months, and a session unused for 90 days has expired: the
 * seeded sessions were opened (so last used) in the future, and stay valid however old the cache.
 */
const SESSIONS_OPENED = Date.UTC(2100, 0, 1);
const BATCH = 5_000;

export async function seedServer(dataDir: string, spec: SeedSpec): Promise<SeedManifest> {
  mkdirSync(dataDir, { recursive: true });
  const db = openDatabase(join(dataDir, SERVER_DATABASE_FILE), serverMigrations);
  const store = new SqliteServerStore(db);
  // The store's own transactions nest as savepoints inside these batches: one commit per batch.
  db.exec('BEGIN');
  let inBatch = 0;
  const step = () => {
    inBatch += 1;
    if (inBatch >= BATCH) {
      db.exec('COMMIT');
      db.exec('BEGIN');
      inBatch = 0;
    }
  };
  const manifest = await seedStore(store, spec, { step, finish: () => db.exec('COMMIT'), concurrency: 1 });
  db.pragma('wal_checkpoint(TRUNCATE)');
  await store.close();
  return manifest;
}

/**
 * Writes `spec` through any server store (seedServer's SQLite, seed-postgres.ts's PostgreSQL); the
 * same spec gives the same ids, tokens and sequence numbers on either. `step` runs after each
 * write, `finish` after the last; accounts and direct conversations go `concurrency` at a time.
 */
export async function seedStore(
  store: ServerStore,
  spec: SeedSpec,
  { step, finish, concurrency }: { step: () => void; finish: () => void; concurrency: number },
): Promise<SeedManifest> {
  const started = performance.now();
  const rng = new Rng(spec.seed ?? 42);
  // One hash for everyone: a realistic scrypt per account would cost seconds for nothing.
  const passwordHash = await createPasswordHasher((bytes) => rng.hex(bytes), { N: 2 ** 10, r: 8, p: 1 }).hash(
    BENCH_PASSWORD,
    'bench',
  );
  let now = BASE_TIME;

  // Accounts and direct conversations draw nothing from `rng` while they are written, so they can
  // be written `concurrency` at a time (over a pool) and still come out the same.
  const users: SeededUser[] = [];
  for (let i = 0; i < spec.users; i += 1) {
    users.push({ id: rng.uuid(), username: `bench${i}`, displayName: `Bench User ${i}`, token: rng.hex(32) });
  }
  await inParallel(users, concurrency, async ({ token, ...user }) => {
    const created = await store.createUser({ ...user, passwordHash, createdAt: now });
    if (created.status !== 'created') throw new Error(`Seeding user ${user.username}: ${created.status}`);
    const session = {
      id: user.id,
      tokenHash: hashSessionToken(token),
      userId: user.id,
      deviceName: null,
      createdAt: SESSIONS_OPENED,
    };
    await store.createSession({ ...session, maxDevices: ACCOUNT_CAPS.maxDevicesPerAccount, expiredBefore: 0 });
    step();
  });

  const conversationIds = spec.conversations.map(([a, b]) => {
    const creator = users[a];
    const other = users[b];
    if (!creator || !other) throw new Error(`Conversation between unknown users ${a} and ${b}`);
    return directConversationId(creator.id, other.id);
  });
  await inParallel(spec.conversations, concurrency, async ([a, b], index) => {
    const created = await store.createConversation({
      conversationId: conversationIds[index]!,
      creatorId: users[a]!.id,
      conversation: { kind: 'direct', userId: users[b]!.id },
      createdAt: now,
      maxMembers: LIMITS.maxGroupMembers,
      caps: UNCAPPED,
    });
    if (created.status === 'refused') throw new Error(`Seeding a conversation was refused: ${created.reason}`);
    step();
  });

  const groupIds: string[] = [];
  for (const group of spec.groups ?? []) {
    const [creator, ...others] = group.members.map((index) => {
      const user = users[index];
      if (!user) throw new Error(`Group member ${index} is not a seeded user`);
      return user;
    });
    if (!creator) throw new Error('A group needs at least its creator');
    const conversationId = timeOrderedId(now, rng);
    const created = await store.createConversation({
      conversationId,
      creatorId: creator.id,
      conversation: { kind: 'group', name: group.name, memberIds: others.map((user) => user.id) },
      createdAt: now,
      maxMembers: LIMITS.maxGroupMembers,
      caps: UNCAPPED,
    });
    if (created.status !== 'created') throw new Error(`Seeding group ${group.name}: ${created.status}`);
    groupIds.push(conversationId);
    step();
  }

  const counts = { message: 0, edit: 0, delete: 0, reaction: 0 };
  if (spec.traffic) {
    const traffic = spec.traffic;
    const cumulative = cumulativeWeights(traffic.weights);
    /** Per conversation: its members and its most recent live messages (targets for changes). */
    const state = traffic.conversations.map((index) => {
      const pair = spec.conversations[index];
      const id = conversationIds[index];
      if (!pair || !id) throw new Error(`Traffic for unknown conversation ${index}`);
      return {
        id,
        members: pair.map((u) => users[u]!.id),
        recent: [] as Array<{ id: string; author: string }>,
        on: new Set<string>(),
      };
    });
    for (let i = 0; i < traffic.events; i += 1) {
      now += rng.int(1, 2_000);
      const conv = state[rng.weighted(cumulative)]!;
      const roll = rng.next();
      const target = conv.recent.length > 0 ? rng.pick(conv.recent) : null;
      if (target && roll < traffic.editShare) {
        const result = await store.appendChange({
          conversationId: conv.id,
          senderId: target.author,
          clientChangeId: timeOrderedId(now, rng),
          change: { kind: 'edit', messageId: target.id, text: chatText(rng) },
          sentAt: now,
        });
        if (result.status !== 'stored') throw new Error(`Seeding an edit: ${result.status}`);
        counts.edit += 1;
      } else if (target && roll < traffic.editShare + traffic.reactionShare) {
        const senderId = rng.pick(conv.members);
        const emoji = rng.pick(BENCH_EMOJIS);
        const key = `${target.id} ${senderId} ${emoji}`;
        const on = !conv.on.has(key);
        if (on) conv.on.add(key);
        else conv.on.delete(key);
        const result = await store.appendChange({
          conversationId: conv.id,
          senderId,
          clientChangeId: timeOrderedId(now, rng),
          change: { kind: 'reaction', messageId: target.id, emoji, on },
          sentAt: now,
        });
        if (result.status !== 'stored') throw new Error(`Seeding a reaction: ${result.status}`);
        counts.reaction += 1;
      } else if (target && roll < traffic.editShare + traffic.reactionShare + traffic.deleteShare) {
        const result = await store.appendChange({
          conversationId: conv.id,
          senderId: target.author,
          clientChangeId: timeOrderedId(now, rng),
          change: { kind: 'delete', messageId: target.id },
          sentAt: now,
        });
        if (result.status !== 'stored') throw new Error(`Seeding a delete: ${result.status}`);
        conv.recent.splice(conv.recent.indexOf(target), 1);
        counts.delete += 1;
      } else {
        const senderId = rng.pick(conv.members);
        const clientMessageId = timeOrderedId(now, rng);
        const replyTo = target && rng.chance(traffic.replyShare) ? target.id : null;
        const result = await store.appendMessage({
          conversationId: conv.id,
          senderId,
          clientMessageId,
          text: chatText(rng),
          replyTo,
          sentAt: now,
        });
        if (result.status !== 'stored') throw new Error(`Seeding a message: ${result.status}`);
        conv.recent.push({ id: clientMessageId, author: senderId });
        if (conv.recent.length > 40) conv.recent.shift();
        counts.message += 1;
      }
      step();
    }
  }
  finish();

  const conversations: Conversation[] = [];
  for (const [index, id] of conversationIds.entries()) {
    const member = users[spec.conversations[index]?.[0] ?? -1];
    const conversation = member ? await store.getConversationForMember(id, member.id) : null;
    if (!conversation) throw new Error(`Seeded conversation ${id} is missing`);
    conversations.push(conversation);
  }
  const groups: Conversation[] = [];
  for (const [index, id] of groupIds.entries()) {
    const creator = users[spec.groups?.[index]?.members[0] ?? -1];
    const group = creator ? await store.getConversationForMember(id, creator.id) : null;
    if (!group) throw new Error(`Seeded group ${id} is missing`);
    groups.push(group);
  }
  return { users, conversations, groups, counts, seedMs: Math.round(performance.now() - started) };
}

/** Runs `write` over `items`, at most `concurrency` at a time (1: strictly in order). */
async function inParallel<T>(
  items: readonly T[],
  concurrency: number,
  write: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await write(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/**
 * Seeds `dataDir` in a child process and returns the manifest. The seeded folder is cached under
 * results/cache by a hash of the spec (seeding 100,000 events through the store takes a few seconds)
 * and copied, so every run starts from identical server data.
 */
export async function seedInChild(dataDir: string, spec: SeedSpec, workDir: string): Promise<SeedManifest> {
  const key = createHash('sha256')
    .update(JSON.stringify({ spec, version: SEED_VERSION }))
    .digest('hex')
    .slice(0, 16);
  const cached = join(RESULTS_DIR, 'cache', `server-${key}`);
  if (!existsSync(join(cached, 'manifest.json'))) {
    const building = `${cached}.building-${process.pid}`;
    rmSync(building, { recursive: true, force: true });
    mkdirSync(building, { recursive: true });
    const specFile = join(workDir, 'seed-spec.json');
    writeFileSync(specFile, JSON.stringify(spec));
    await runTs(join('test', 'bench', 'lib', 'seed-main.ts'), [
      join(building, 'data'),
      specFile,
      join(building, 'manifest.json'),
    ]);
    rmSync(cached, { recursive: true, force: true });
    renameSync(building, cached);
  }
  cpSync(join(cached, 'data'), dataDir, { recursive: true });
  return JSON.parse(readFileSync(join(cached, 'manifest.json'), 'utf8')) as SeedManifest;
}

/** Bump when the generator changes, so cached server folders are rebuilt. */
const SEED_VERSION = 2;
