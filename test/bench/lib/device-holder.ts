/**
 * Child process holding many crypto devices, the first-message benchmark's receivers. Each is a
 * real authenticated `ws` connection of its own session (lib/raw-client.ts) with its own Signal
 * state in memory (lib/memory-device.ts) under its account's identity (one a person, shared by
 * their devices, as in the app), whose keys it published to the server's key directory as the
 * app's KeyPublisher does (makePreKeys, then publish_keys). With what arrives it does what the
 * app's device does, without a mirror:
 * - an inbox push (protocol §20): its own envelopes opened by the pairwise session with their
 *   sender (a session's first message starts it from this device's prekeys), each device message
 *   decoded and a sender key taken up, then the envelopes acknowledged (crypto/inbox-receiver.ts);
 * - a conversation envelope push: opened with its sender's key (groupDecrypt) and its content
 *   decoded (crypto/envelope-opener.ts); one whose key has not come yet waits for it.
 * When a device has a message's text in hand, the time (process.hrtime: CLOCK_MONOTONIC, shared by
 * processes on Linux) is noted under the message's client id. Envelopes from `rawSenders` (the raw
 * baseline's socket: random bytes) are not opened; only their push's arrival is noted, as
 * lib/socket-holder.ts does.
 *
 * Units of work (one device's pushed inbox envelopes, or one conversation envelope) run one at a
 * time, in the order they came, each in its own turn of the event loop: pushes are read, and their
 * arrival noted, between units rather than after a whole backlog.
 *
 * IPC (lib/crypto-devices.ts drives it):
 * - {open, serverUrl, accounts, rawSenders, oneTimePrekeys} → {ready, ms, devices}
 * - {settle, quietMs} → {settled, frames, ms} once no frame arrived for quietMs
 * - {expect, id, text, count} → {opened, id, n, first, last, pushFirst, pushLast} once `count`
 *   devices hold envelope `id`'s text (one that opened to another text fails); push*: when its
 *   push reached the first and the last of them
 * - {expectRaw, id, count} → {arrived, id, n, first, last} once `count` sockets had envelope `id`'s push
 * - {stages} → {stages, stages} what the devices did since the last ask (the counts start again)
 * - {check} → {checked, devices} once every device's inbox reads back empty and nothing waits for a key
 * - {stop}
 * Times are nanoseconds as strings. Anything that does not open as it should is {failed, error}.
 */
import type { IdentityKeyPair, ProtocolAddress } from '@signalapp/libsignal-client';
import { makePreKeys, newRegistrationId } from '../../../sync/client/crypto/prekeys.js';
import { addressKey } from '../../../sync/client/crypto/ratchet-state.js';
import { loadSignal } from '../../../sync/client/crypto/signal-library.js';
import { decodeContent } from '../../../sync/content/content.js';
import { decodeDeviceMessage, isForDevice } from '../../../sync/content/device-messages.js';
import type { EnvelopeEvent } from '../../../sync/protocol/envelope-frames.js';
import type { DeviceEnvelope } from '../../../sync/protocol/inbox-frames.js';
import { MemoryDevice } from './memory-device.js';
import { RawClient } from './raw-client.js';
import { quietFor } from './stats.js';

/** An account whose devices this process holds: its identity (base64) when it has one already, else one is made. */
export interface HeldAccount {
  userId: string;
  identity?: string;
  tokens: string[];
}

export type HolderCommand =
  | { type: 'open'; serverUrl: string; accounts: HeldAccount[]; rawSenders: string[]; oneTimePrekeys: number }
  | { type: 'settle'; quietMs: number }
  | { type: 'expect'; id: string; text: string; count: number }
  | { type: 'expectRaw'; id: string; count: number }
  | { type: 'stages' }
  | { type: 'check' }
  | { type: 'stop' };

/** What the devices of one process did in a window, summed over them; times are ns as strings, '' for none. */
export interface HolderStages {
  /** Own inbox envelopes pushed, the first and last push's arrival, their pairwise decrypts' CPU time. */
  inboxEnvelopes: number;
  inboxFirst: string;
  inboxLast: string;
  inboxDecryptCpuMs: number;
  /** Sender keys taken up (processSenderKeyDistributionMessage, its CPU time), the last one's moment. */
  keys: number;
  keysCpuMs: number;
  keyLast: string;
  /** Conversation envelopes pushed to devices, their arrival, their group decrypts' CPU time; those that waited for their key. */
  envelopes: number;
  envelopeFirst: string;
  envelopeLast: string;
  groupDecryptCpuMs: number;
  waitedForKey: number;
  /** Every other push the devices' sockets got, by type (watermarks from the cores' receipts, presence…). */
  otherPushes: Record<string, number>;
  /** This process's CPU time (user + system) over the window. */
  cpuMs: number;
}

export type HolderReply =
  | { type: 'ready'; ms: number; devices: Array<{ userId: string; deviceNumber: number }> }
  | { type: 'settled'; frames: number; ms: number }
  | { type: 'opened'; id: string; n: number; first: string; last: string; pushFirst: string; pushLast: string }
  | { type: 'arrived'; id: string; n: number; first: string; last: string }
  | { type: 'stages'; stages: HolderStages }
  | { type: 'checked'; devices: number }
  | { type: 'failed'; error: string };

interface Device {
  userId: string;
  number: number;
  address: ProtocolAddress;
  client: RawClient;
  keys: MemoryDevice;
  /** Conversation envelopes whose sender key has not come yet (and when they came), by "<sender address>/<distribution id>". */
  waiting: Map<string, Array<{ event: EnvelopeEvent; receivedAt: bigint }>>;
}

interface Arrival {
  n: number;
  first: bigint;
  last: bigint;
}

const signal = await loadSignal();
const devices: Device[] = [];
let rawSenders = new Set<string>();
let frames = 0;
let lastFrameAt = performance.now();
/** Texts in hand by client id: how many devices, when, what they read, and when its push reached them. */
const opened = new Map<string, Arrival & { texts: Set<string>; pushes: Arrival }>();
const rawArrivals = new Map<string, Arrival>();
const expectedTexts = new Map<string, { text: string; count: number }>();
const expectedRaw = new Map<string, number>();
/** Ids reported already: a device that opens one again after is a failure, not a new count. */
const reported = new Set<string>();
let acksPending = 0;
let stages = freshStages();
let cpuAtStart = process.cpuUsage();

function reply(message: HolderReply): void {
  process.send?.(message);
}

function fail(error: unknown): void {
  reply({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
}

// -- units of work, one at a time -------------------------------------------------------------

const units: Array<() => Promise<void>> = [];
let working = false;

function queue(unit: () => Promise<void>): void {
  units.push(unit);
  if (!working) {
    working = true;
    setImmediate(runNext);
  }
}

function runNext(): void {
  const unit = units.shift();
  if (!unit) {
    working = false;
    return;
  }
  unit()
    .catch(fail)
    .finally(() => setImmediate(runNext));
}

// -- what arrives -----------------------------------------------------------------------------

function listen(device: Device): void {
  device.client.onPush((frame, receivedAt) => {
    frames += 1;
    lastFrameAt = performance.now();
    if (frame.type === 'inbox_push') {
      const mine = (frame.envelopes as DeviceEnvelope[]).filter((envelope) => envelope.deviceNumber === device.number);
      if (mine.length === 0) return;
      stages.inboxEnvelopes += mine.length;
      stages.inboxFirst = earliest(stages.inboxFirst, receivedAt);
      stages.inboxLast = latest(stages.inboxLast, receivedAt);
      queue(() => openInbox(device, mine));
    } else if (frame.type === 'event' && (frame.event as EnvelopeEvent).kind === 'envelope') {
      const event = frame.event as EnvelopeEvent;
      if (rawSenders.has(`${event.senderId}.${event.senderDevice}`)) {
        noteRaw(event.clientId, receivedAt);
        return;
      }
      stages.envelopes += 1;
      stages.envelopeFirst = earliest(stages.envelopeFirst, receivedAt);
      stages.envelopeLast = latest(stages.envelopeLast, receivedAt);
      queue(() => openEnvelope(device, event, receivedAt));
    } else {
      stages.otherPushes[frame.type] = (stages.otherPushes[frame.type] ?? 0) + 1;
    }
  });
}

/** Opens a device's pushed inbox envelopes, takes up the sender keys they hand it, and acknowledges them. */
async function openInbox(device: Device, envelopes: readonly DeviceEnvelope[]): Promise<void> {
  const { keys } = device;
  for (const envelope of envelopes) {
    const sender = signal.ProtocolAddress.new(envelope.senderUserId, envelope.senderDevice);
    const bytes = new Uint8Array(Buffer.from(envelope.ciphertext, 'base64'));
    const started = process.cpuUsage();
    let content: Uint8Array;
    if (envelope.kind === 'prekey') {
      const message = signal.PreKeySignalMessage.deserialize(bytes);
      content = await signal.signalDecryptPreKey(message, sender, device.address, keys, keys, keys, keys, keys);
    } else if (envelope.kind === 'whisper') {
      content = await signal.signalDecrypt(signal.SignalMessage.deserialize(bytes), sender, device.address, keys, keys);
    } else {
      throw new Error(`A ${envelope.kind} envelope came to ${addressKey(device.address)}`);
    }
    stages.inboxDecryptCpuMs += cpuMsSince(started);
    const message = decodeDeviceMessage(content);
    // Meant for a sibling (the server delivers to all of a person's devices), or not about keys
    // (a core's resend request after the timed part): opened, and nothing more to do here.
    if (!isForDevice(message, device.number) || message.kind !== 'sender_key') continue;
    const keyStarted = process.cpuUsage();
    const distribution = signal.SenderKeyDistributionMessage.deserialize(
      new Uint8Array(Buffer.from(message.distribution, 'base64')),
    );
    await signal.processSenderKeyDistributionMessage(sender, distribution, keys);
    stages.keys += 1;
    stages.keysCpuMs += cpuMsSince(keyStarted);
    stages.keyLast = latest(stages.keyLast, process.hrtime.bigint());
    const waitedFor = `${addressKey(sender)}/${distribution.distributionId()}`;
    const waited = device.waiting.get(waitedFor) ?? [];
    device.waiting.delete(waitedFor);
    for (const { event, receivedAt } of waited) await openEnvelope(device, event, receivedAt);
  }
  acksPending += 1;
  device.client
    .request({ type: 'ack_inbox', ids: envelopes.map((envelope) => envelope.id) })
    .then((answer) => {
      acksPending -= 1;
      if (answer.type !== 'ok') fail(new Error(`ack_inbox was answered ${JSON.stringify(answer)}`));
    })
    .catch(fail);
}

/** Opens a conversation envelope with its sender's key, or keeps it until the key comes. */
async function openEnvelope(device: Device, event: EnvelopeEvent, receivedAt: bigint): Promise<void> {
  const sender = signal.ProtocolAddress.new(event.senderId, event.senderDevice);
  const sealed = new Uint8Array(Buffer.from(event.ciphertext, 'base64'));
  const distributionId = signal.SenderKeyMessage.deserialize(sealed).distributionId();
  if (!(await device.keys.getSenderKey(sender, distributionId))) {
    const waitFor = `${addressKey(sender)}/${distributionId}`;
    device.waiting.set(waitFor, [...(device.waiting.get(waitFor) ?? []), { event, receivedAt }]);
    stages.waitedForKey += 1;
    return;
  }
  const started = process.cpuUsage();
  const content = decodeContent(await signal.groupDecrypt(sender, device.keys, sealed));
  const inHand = process.hrtime.bigint();
  stages.groupDecryptCpuMs += cpuMsSince(started);
  if (content.kind !== 'message') throw new Error(`Envelope ${event.clientId} opened to a ${content.kind}`);
  noteOpened(event.clientId, content.text, inHand, receivedAt);
}

function noteOpened(id: string, text: string, at: bigint, pushedAt: bigint): void {
  if (reported.has(id)) throw new Error(`Envelope ${id} opened once more after every device had it`);
  const arrival = opened.get(id);
  if (arrival) {
    arrival.n += 1;
    arrival.texts.add(text);
    widen(arrival, at);
    widen(arrival.pushes, pushedAt);
  } else {
    opened.set(id, { n: 1, first: at, last: at, texts: new Set([text]), pushes: { n: 1, first: pushedAt, last: pushedAt } });
  }
  reportOpened(id);
}

function widen(arrival: Arrival, at: bigint): void {
  if (at < arrival.first) arrival.first = at;
  if (at > arrival.last) arrival.last = at;
}

function reportOpened(id: string): void {
  const expected = expectedTexts.get(id);
  const arrival = opened.get(id);
  if (!expected || !arrival || arrival.n < expected.count) return;
  expectedTexts.delete(id);
  opened.delete(id);
  reported.add(id);
  if (arrival.texts.size !== 1 || !arrival.texts.has(expected.text)) {
    fail(new Error(`Envelope ${id} opened to ${JSON.stringify([...arrival.texts])}, not ${JSON.stringify(expected.text)}`));
    return;
  }
  reply({
    type: 'opened',
    id,
    n: arrival.n,
    first: String(arrival.first),
    last: String(arrival.last),
    pushFirst: String(arrival.pushes.first),
    pushLast: String(arrival.pushes.last),
  });
}

function noteRaw(id: string, at: bigint): void {
  const arrival = rawArrivals.get(id);
  if (arrival) {
    arrival.n += 1;
    widen(arrival, at);
  } else {
    rawArrivals.set(id, { n: 1, first: at, last: at });
  }
  reportRaw(id);
}

function reportRaw(id: string): void {
  const count = expectedRaw.get(id);
  const arrival = rawArrivals.get(id);
  if (count === undefined || !arrival || arrival.n < count) return;
  expectedRaw.delete(id);
  rawArrivals.delete(id);
  reply({ type: 'arrived', id, n: arrival.n, first: String(arrival.first), last: String(arrival.last) });
}

// -- setting up, and checking at the end --------------------------------------------------------

/** Opens every account's devices (16 at a time), each publishing its keys once its socket is welcomed. */
async function open(message: Extract<HolderCommand, { type: 'open' }>): Promise<void> {
  const started = performance.now();
  rawSenders = new Set(message.rawSenders);
  const jobs = message.accounts.flatMap((account) => {
    const identity = account.identity
      ? signal.IdentityKeyPair.deserialize(Buffer.from(account.identity, 'base64'))
      : signal.IdentityKeyPair.generate();
    return account.tokens.map((token) => ({ userId: account.userId, identity, token }));
  });
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      devices.push(await openDevice(message.serverUrl, job, message.oneTimePrekeys));
    }
  };
  await Promise.all(Array.from({ length: Math.min(16, jobs.length) }, worker));
  reply({
    type: 'ready',
    ms: Math.round(performance.now() - started),
    devices: devices.map((device) => ({ userId: device.userId, deviceNumber: device.number })),
  });
}

/** One device: its keys made as KeyPublisher makes them on a first connection, and published. */
async function openDevice(
  serverUrl: string,
  { userId, identity, token }: { userId: string; identity: IdentityKeyPair; token: string },
  oneTimePrekeys: number,
): Promise<Device> {
  const client = await RawClient.connect(serverUrl, token);
  const registrationId = newRegistrationId(Math.random);
  const keys = new MemoryDevice(signal, identity, registrationId);
  const batch = { rotate: true, oneTime: oneTimePrekeys, kyber: oneTimePrekeys };
  const published = makePreKeys(signal, keys, identity, registrationId, batch, Date.now());
  const answer = await client.request({
    type: 'publish_keys',
    identityKey: published.identityKey,
    registrationId,
    signedPrekey: published.signedPreKey,
    kyberLastResortPrekey: published.kyberLastResort,
    ecPrekeys: published.oneTimePreKeys,
    kyberPrekeys: published.kyberPreKeys,
  });
  if (answer.type !== 'key_counts' || answer.ecPrekeys !== oneTimePrekeys || answer.kyberPrekeys !== oneTimePrekeys) {
    throw new Error(`publish_keys for ${userId}.${client.deviceNumber} was answered ${JSON.stringify(answer)}`);
  }
  const device: Device = {
    userId,
    number: client.deviceNumber,
    address: signal.ProtocolAddress.new(userId, client.deviceNumber),
    client,
    keys,
    waiting: new Map(),
  };
  listen(device);
  return device;
}

/** Every device's inbox reads back empty (all acknowledged), nothing waits for a key, no work is left. */
async function check(): Promise<number> {
  const waiting = devices.reduce((sum, device) => sum + [...device.waiting.values()].flat().length, 0);
  if (waiting > 0) throw new Error(`${waiting} conversation envelopes still wait for their key`);
  if (units.length > 0 || working || acksPending > 0) throw new Error('Devices still had work or acknowledgements under way');
  if (expectedTexts.size > 0 || opened.size > 0)
    throw new Error(`Envelopes opened but never asked for: ${[...opened.keys()].join(', ')}`);
  for (const device of devices) {
    const page = await device.client.request({ type: 'fetch_inbox' });
    const left = page.type === 'inbox' ? (page.envelopes as unknown[]).length : -1;
    if (left !== 0) throw new Error(`${addressKey(device.address)}'s inbox read back ${JSON.stringify(page).slice(0, 300)}`);
  }
  return devices.length;
}

function takeStages(): HolderStages {
  const taken = { ...stages, cpuMs: cpuMsSince(cpuAtStart) };
  stages = freshStages();
  cpuAtStart = process.cpuUsage();
  return taken;
}

function freshStages(): HolderStages {
  return {
    inboxEnvelopes: 0,
    inboxFirst: '',
    inboxLast: '',
    inboxDecryptCpuMs: 0,
    keys: 0,
    keysCpuMs: 0,
    keyLast: '',
    envelopes: 0,
    envelopeFirst: '',
    envelopeLast: '',
    groupDecryptCpuMs: 0,
    waitedForKey: 0,
    otherPushes: {},
    cpuMs: 0,
  };
}

/**
 * This process's CPU time since `start` (process.cpuUsage). Around an awaited libsignal call it also
 * counts the frames read while the call waited on its stores' promises: a few µs each.
 */
function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

const earliest = (stamp: string, at: bigint) => (stamp === '' || at < BigInt(stamp) ? String(at) : stamp);
const latest = (stamp: string, at: bigint) => (stamp === '' || at > BigInt(stamp) ? String(at) : stamp);

process.on('message', (message: HolderCommand) => {
  switch (message.type) {
    case 'open':
      open(message).catch(fail);
      return;
    case 'settle':
      void quietFor(() => lastFrameAt, message.quietMs).then((ms) => reply({ type: 'settled', frames, ms }));
      return;
    case 'expect':
      expectedTexts.set(message.id, { text: message.text, count: message.count });
      reportOpened(message.id);
      return;
    case 'expectRaw':
      expectedRaw.set(message.id, message.count);
      reportRaw(message.id);
      return;
    case 'stages':
      reply({ type: 'stages', stages: takeStages() });
      return;
    case 'check':
      check().then((count) => reply({ type: 'checked', devices: count }), fail);
      return;
    case 'stop':
      for (const device of devices) device.client.close();
      process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
