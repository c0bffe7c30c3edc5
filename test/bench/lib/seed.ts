/**
 * Fills a server data folder directly through the server store (no sockets, no scrypt per user),
 * before the server process starts on it. Every account gets a session whose token is written to
 * the manifest, so benchmark clients connect without logging in. The traffic is envelopes, as
 * clients send it: by default the size of a device's seal of each message, edit, reaction or
 * delete, but random bytes, sealed by no one (a client that opens them finds nothing it can read);
 * with `sealedFor`, real seals (libsignal sender-key messages of the content, lib/sender-keys.ts)
 * that the named reader's device opens with the keys the manifest hands it.
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
import { encodeContent, type Content } from '../../../sync/content/content.js';
import { ACCOUNT_CAPS, LIMITS } from '../../../sync/protocol/limits.js';
import { loadSignal } from '../../../sync/client/crypto/signal-library.js';
import { openDatabase } from '../../../sync/node/sqlite.js';
import { createPasswordHasher } from '../../../sync/server/passwords.js';
import { hashSessionToken } from '../../../sync/server/session-tokens.js';
import type { ServerStore } from '../../../sync/server/store/server-store.js';
import { serverMigrations } from '../../../sync/server/store/sqlite-migrations.js';
import { SERVER_DATABASE_FILE, SqliteServerStore } from '../../../sync/server/store/sqlite-server-store.js';
import { BENCH_EMOJIS, chatText, cumulativeWeights, Rng } from './random.js';
import { RESULTS_DIR, runTs } from './proc.js';
import { SenderKeySealer, type HandedSenderKey } from './sender-keys.js';

/** The password of every seeded account, for poking at a kept data folder by hand. */
export const BENCH_PASSWORD = 'bench password 1';

export interface SeedSpec {
  /** Accounts bench0 … bench{n-1}. */
  users: number;
  /** Direct conversations, as pairs of user indexes. */
  conversations: Array<[number, number]>;
  /**
   * Groups, by user indexes (the first is the creator and owner). No traffic: only their creation
   * (seq 1). `name` tells them apart in the spec; the server is not told it (names are sealed).
   */
  groups?: Array<{ name: string; members: number[] }>;
  /**
   * Devices (sessions) per account, when more than one: `each` for everyone, plus `more` for some
   * (user index, how many more). Device 1 is the session whose token is `SeededUser.token`; the
   * others follow in number order (`SeededUser.deviceTokens`). Not with sealed traffic, whose
   * reader's second device is its own.
   */
  devices?: { each: number; more?: Array<[user: number, count: number]> };
  traffic?: TrafficSpec;
  seed?: number;
}

export interface TrafficSpec {
  /** Envelopes in total (messages plus edits, deletes and reactions, each sealed in one). */
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
  /**
   * Seal every envelope for real, for this user (an index) to open: each sender's device seals
   * under its sender key for the conversation, as the app does, and the manifest's `sealed` carries
   * the keys' distribution messages, which the reader's device is to hold (lib/client-profile.ts).
   * What the reader writes comes from its second device (2, a second session seeded for it): its
   * first is the one that reads, and a device does not open what it sealed itself. Every traffic
   * conversation must have the reader as a member. Sealing costs about 0.1 ms of CPU an envelope.
   */
  sealedFor?: number;
}

/** What a reader of sealed traffic (TrafficSpec.sealedFor) holds, and what its mirror ends with. */
export interface SealedTraffic {
  /** The reader's user index, and its device that reads (its session in the manifest: device 1). */
  reader: number;
  /** Every sender key the traffic was sealed under, as handed out (the reader's own device 2's included). */
  senderKeys: HandedSenderKey[];
  /**
   * The reader's mirror once everything opened and applied: every message a row (`deleted` of
   * them deleted for everyone), edit histories of the live ones (`versions` rows: the original and
   * each edit), their reactions (`reactions` rows, `reactionsOn` of them on). Edits and reactions
   * of a message deleted later are refused by the reader (it meets the message deleted first).
   */
  expected: { messages: number; deleted: number; versions: number; reactions: number; reactionsOn: number };
}

export interface SeededUser extends User {
  token: string;
  /** With SeedSpec.devices: the tokens of the account's devices after the first (device 2, 3, …). */
  deviceTokens?: string[];
}

export interface SeedManifest {
  users: SeededUser[];
  conversations: Conversation[];
  /** In the order of `SeedSpec.groups` (absent from manifests cached before groups could be seeded). */
  groups?: Conversation[];
  /** How many envelopes of the traffic seal each kind of content. */
  counts: { message: number; edit: number; delete: number; reaction: number };
  /** With TrafficSpec.sealedFor. */
  sealed?: SealedTraffic;
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
  const moreDevices = spec.devices ? devicesAfterFirst(spec.devices, spec.users) : [];
  if (moreDevices.length > 0 && spec.traffic?.sealedFor !== undefined)
    throw new Error('Seeded devices and sealed traffic do not mix: the reader would have two second devices');
  for (const [index, count] of moreDevices.entries()) {
    if (count > 0) users[index]!.deviceTokens = Array.from({ length: count }, () => rng.hex(32));
  }
  // Their ids too are drawn before anything is written.
  const moreSessionIds = users.map((user) => (user.deviceTokens ?? []).map(() => rng.uuid()));
  await inParallel(users, concurrency, async ({ token, deviceTokens, ...user }, index) => {
    const created = await store.createUser({ ...user, passwordHash, createdAt: now });
    if (created.status !== 'created') throw new Error(`Seeding user ${user.username}: ${created.status}`);
    // In order, so each gets the next device number (the store gives the lowest one free).
    const sessions = [
      { id: user.id, token },
      ...(deviceTokens ?? []).map((deviceToken, i) => ({ id: moreSessionIds[index]![i]!, token: deviceToken })),
    ];
    for (const session of sessions) {
      const opened = await store.createSession({
        id: session.id,
        tokenHash: hashSessionToken(session.token),
        userId: user.id,
        deviceName: null,
        createdAt: SESSIONS_OPENED,
        maxDevices: ACCOUNT_CAPS.maxDevicesPerAccount,
        expiredBefore: 0,
      });
      if (opened !== 'created') throw new Error(`Seeding a device of ${user.username}: ${opened}`);
    }
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
      conversation: { kind: 'group', memberIds: others.map((user) => user.id) },
      createdAt: now,
      maxMembers: LIMITS.maxGroupMembers,
      caps: UNCAPPED,
    });
    if (created.status !== 'created') throw new Error(`Seeding group ${group.name}: ${created.status}`);
    groupIds.push(conversationId);
    step();
  }

  const counts = { message: 0, edit: 0, delete: 0, reaction: 0 };
  let sealed: SealedTraffic | undefined;
  if (spec.traffic) {
    const traffic = spec.traffic;
    const cumulative = cumulativeWeights(traffic.weights);
    const reader = traffic.sealedFor === undefined ? null : users[traffic.sealedFor];
    if (traffic.sealedFor !== undefined && !reader) throw new Error(`Sealed for ${traffic.sealedFor}, who is not a seeded user`);
    const sealer = reader ? new SenderKeySealer(await loadSignal(), () => rng.uuid()) : null;
    if (reader) {
      // The reader's other device, which writes what the reader writes (the one that reads cannot open its own).
      const session = { id: rng.uuid(), tokenHash: hashSessionToken(rng.hex(32)), userId: reader.id, deviceName: null };
      const created = await store.createSession({
        ...session,
        createdAt: SESSIONS_OPENED,
        maxDevices: ACCOUNT_CAPS.maxDevicesPerAccount,
        expiredBefore: 0,
      });
      if (created !== 'created') throw new Error(`Seeding the reader's second device: ${created}`);
    }
    /** Per conversation: its members, its devices version, and its most recent live messages (targets for changes). */
    const state = await Promise.all(
      traffic.conversations.map(async (index) => {
        const pair = spec.conversations[index];
        const id = conversationIds[index];
        if (!pair || !id) throw new Error(`Traffic for unknown conversation ${index}`);
        const members = pair.map((u) => users[u]!.id);
        if (reader && !members.includes(reader.id)) throw new Error(`Sealed traffic in ${id}, which its reader is not in`);
        // Nobody publishes keys here, and the members stay: the version the conversation has now holds throughout.
        const devices = await store.conversationDevices(id, members[0]!);
        if (!devices) throw new Error(`Seeded conversation ${id} has no devices version`);
        return {
          id,
          members,
          devicesVersion: devices.version,
          recent: [] as Array<{ id: string; author: string }>,
          on: new Set<string>(),
        };
      }),
    );
    /** Every message by id: how many edits it had, whether it was deleted, and the reactions it had (person and emoji). */
    const messages = new Map<string, { edits: number; deleted: boolean; reactions: Map<string, boolean> }>();
    for (let i = 0; i < traffic.events; i += 1) {
      now += rng.int(1, 2_000);
      const conv = state[rng.weighted(cumulative)]!;
      const roll = rng.next();
      const target = conv.recent.length > 0 ? rng.pick(conv.recent) : null;
      const clientId = timeOrderedId(now, rng);
      const seal = async (senderId: string, content: Content, deletes: string | null = null) => {
        const senderDevice = senderId === reader?.id ? 2 : 1;
        const result = await store.appendEnvelope({
          conversationId: conv.id,
          senderId,
          senderDevice,
          clientId,
          ciphertext: sealer ? await sealer.seal(conv.id, senderId, senderDevice, content) : sealedLike(rng, content),
          attachments: [],
          deletes,
          devicesVersion: conv.devicesVersion,
          expiresInMs: null,
          sentAt: now,
        });
        if (result.status !== 'stored') throw new Error(`Seeding a ${content.kind}: ${result.status}`);
        counts[content.kind as keyof typeof counts] += 1;
      };
      if (target && roll < traffic.editShare) {
        await seal(target.author, { kind: 'edit', messageId: target.id, text: chatText(rng) });
        messages.get(target.id)!.edits += 1;
      } else if (target && roll < traffic.editShare + traffic.reactionShare) {
        const senderId = rng.pick(conv.members);
        const emoji = rng.pick(BENCH_EMOJIS);
        const key = `${target.id} ${senderId} ${emoji}`;
        const on = !conv.on.has(key);
        if (on) conv.on.add(key);
        else conv.on.delete(key);
        await seal(senderId, { kind: 'reaction', messageId: target.id, emoji, on });
        messages.get(target.id)!.reactions.set(`${senderId} ${emoji}`, on);
      } else if (target && roll < traffic.editShare + traffic.reactionShare + traffic.deleteShare) {
        // Delete for everyone: the server drops the target's ciphertext (its author's own envelope).
        await seal(target.author, { kind: 'delete', messageId: target.id }, target.id);
        conv.recent.splice(conv.recent.indexOf(target), 1);
        messages.get(target.id)!.deleted = true;
      } else {
        const senderId = rng.pick(conv.members);
        const replyTo = target && rng.chance(traffic.replyShare) ? target.id : undefined;
        await seal(senderId, { kind: 'message', text: chatText(rng), ...(replyTo ? { replyTo } : {}) });
        conv.recent.push({ id: clientId, author: senderId });
        if (conv.recent.length > 40) conv.recent.shift();
        messages.set(clientId, { edits: 0, deleted: false, reactions: new Map() });
      }
      step();
    }
    if (reader && sealer) {
      const live = [...messages.values()].filter((message) => !message.deleted);
      sealed = {
        reader: traffic.sealedFor!,
        senderKeys: sealer.handedOut,
        expected: {
          messages: messages.size,
          deleted: messages.size - live.length,
          versions: live.reduce((sum, message) => sum + (message.edits > 0 ? message.edits + 1 : 0), 0),
          reactions: live.reduce((sum, message) => sum + message.reactions.size, 0),
          reactionsOn: live.reduce((sum, message) => sum + [...message.reactions.values()].filter(Boolean).length, 0),
        },
      };
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
  return {
    users,
    conversations,
    groups,
    counts,
    ...(sealed ? { sealed } : {}),
    seedMs: Math.round(performance.now() - started),
  };
}

/**
 * A libsignal SenderKeyMessage's bytes besides its AES-256-CBC ciphertext: a version byte, the
 * protobuf's distribution id (18), chain id (6), iteration (about 3) and ciphertext tag and length
 * (about 3), and a 64-byte signature.
 */
const SENDER_KEY_MESSAGE_OVERHEAD = 95;

/** Random bytes, as base64, of the size a device's seal of `content` has (sender-keys.ts: encodeContent, then groupEncrypt). */
function sealedLike(rng: Rng, content: Content): string {
  const plaintext = encodeContent(content).byteLength;
  // CBC with PKCS#7 padding: the next whole block, a full one when it fits exactly.
  const bytes = SENDER_KEY_MESSAGE_OVERHEAD + 16 * (Math.floor(plaintext / 16) + 1);
  return Buffer.from(rng.hex(bytes), 'hex').toString('base64');
}

/** How many devices after the first each user gets (SeedSpec.devices), by user index. */
function devicesAfterFirst(devices: NonNullable<SeedSpec['devices']>, users: number): number[] {
  const counts = Array.from({ length: users }, () => devices.each - 1);
  for (const [user, count] of devices.more ?? []) {
    if (counts[user] === undefined) throw new Error(`More devices for ${user}, who is not a seeded user`);
    counts[user] += count;
  }
  if (counts.some((count) => count < 0 || count + 1 > ACCOUNT_CAPS.maxDevicesPerAccount))
    throw new Error(`Every account has 1 to ${ACCOUNT_CAPS.maxDevicesPerAccount} devices`);
  return counts;
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
 * results/cache by a hash of the spec (seeding 100,000 envelopes through the store takes a few seconds,
 * sealing them for real some 15 s more) and copied, so every run starts from identical server data.
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
const SEED_VERSION = 4;
