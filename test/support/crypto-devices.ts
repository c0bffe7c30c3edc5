/**
 * Devices for the end-to-end encryption tests (test/integration/client):
 * real sync engines with real libsignal on a real server, and the Signal state of any device kept
 * in a mirror, so a test can make sender keys and group messages with it, or open them.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IdentityKeyPair } from '@signalapp/libsignal-client';
import type { OpeningOptions } from '../../sync/client/crypto/device-crypto.js';
import { PREKEY_TARGET } from '../../sync/client/crypto/key-publisher.js';
import { RatchetState } from '../../sync/client/crypto/ratchet-state.js';
import type { ResendTimings } from '../../sync/client/crypto/resend-asker.js';
import { loadSignal } from '../../sync/client/crypto/signal-library.js';
import { RequestError } from '../../sync/client/connection.js';
import { Mirror } from '../../sync/client/mirror/mirror.js';
import { parseServerAddress } from '../../sync/client/server-address.js';
import { SyncEngine } from '../../sync/client/sync-engine.js';
import type { SyncTransport } from '../../sync/client/transport.js';
import { wsTransport } from '../../sync/client/ws-transport.js';
import type { AppEvent } from '../../sync/app-api/contract.js';
import type { LogFields } from '../../sync/common/logger.js';
import { realRuntime } from '../../sync/node/real-runtime.js';
import { eventually } from './client-harness.js';
import { devicesVersionOf } from './envelope-devices.js';
import { createGroup, logIn, type ServerHarness, type TestAccount, type TestClient, type TestServer } from './server-harness.js';
import type { Content } from '../../sync/content/content.js';
import type { EnvelopeEvent, SealedEnvelope } from '../../sync/protocol/envelope-frames.js';

export const signal = await loadSignal();

/** A device's Signal state: whose it is, its number, and the mirror its sessions and sender keys are kept in. */
export interface SignalDevice {
  userId: string;
  deviceNumber(): number;
  mirror: Mirror;
  identity: IdentityKeyPair;
}

/** A device running a sync engine, with what its engine logged as warnings and errors. */
export interface EngineDevice extends SignalDevice {
  engine: SyncEngine;
  warnings: Array<{ message: string; fields?: LogFields }>;
  /** What the engine told the app, in order. */
  emitted: AppEvent[];
}

/**
 * Starts engine devices on `servers`' servers; `cleanup` stops them and deletes their mirrors
 * (call it before the harness's own cleanup).
 */
export function engineDevices(servers: ServerHarness) {
  const cleanups: Array<() => Promise<void>> = [];

  async function device(
    server: Pick<TestServer, 'url'>,
    userId: string,
    token: string,
    identity: IdentityKeyPair,
    options: {
      transport?: SyncTransport;
      /** Whether the device's identity can be read now (false: as when the OS keychain refuses). */
      identityReadable?: () => boolean;
      /** How its engine opens envelopes (worker threads), when not the default. */
      opening?: OpeningOptions;
      /** When an envelope that did not open asks again, and gives up, when not the default. */
      resendTimings?: ResendTimings;
    } = {},
  ): Promise<EngineDevice> {
    const readable = options.identityReadable ?? (() => true);
    const mirror = await tempMirror(cleanups);
    const warnings: EngineDevice['warnings'] = [];
    const emitted: AppEvent[] = [];
    const engine = new SyncEngine({
      mirror,
      transport: options.transport ?? wsTransport,
      runtime: realRuntime(),
      syncUrl: parseServerAddress(server.url).syncUrl,
      token,
      selfId: userId,
      emit: (event) => emitted.push(event),
      onUnauthorized: () => undefined,
      localIdentity: async () => {
        if (!readable()) throw new Error('The identity could not be read');
        return { signal, identity };
      },
      ...(options.opening ? { opening: options.opening } : {}),
      ...(options.resendTimings ? { resendTimings: options.resendTimings } : {}),
      log: {
        error: (message, fields) => warnings.push({ message, ...(fields ? { fields } : {}) }),
        warn: (message, fields) => warnings.push({ message, ...(fields ? { fields } : {}) }),
        info: () => undefined,
        debug: () => undefined,
      },
    });
    engine.start();
    cleanups.push(async () => engine.stop());
    // Published: others can start sessions with it.
    await eventually(
      () => mirror.signal.oneTimeCounts().prekeys,
      (count) => count === PREKEY_TARGET.ec,
      'its prekeys made',
    );
    await eventually(
      () => (engine.connectionState === 'online' ? mirror.signal.registrationId() : null),
      (id) => id !== null,
      'online',
    );
    const deviceNumber = await numberOf(servers, server, token);
    return { userId, deviceNumber: () => deviceNumber, mirror, engine, identity, warnings, emitted };
  }

  /** A device without an engine: its Signal state in a mirror of its own, for a test to drive by hand. */
  async function bareDevice(userId: string, deviceNumber: number): Promise<SignalDevice> {
    const mirror = await tempMirror(cleanups);
    mirror.signal.ensureRegistrationId(1 + Math.floor(Math.random() * 16_000));
    return { userId, deviceNumber: () => deviceNumber, mirror, identity: signal.IdentityKeyPair.generate() };
  }

  async function cleanup(): Promise<void> {
    for (const each of cleanups.splice(0).reverse()) await each();
  }

  /** Someone new with one engine device, and a socket of that device's own session (what it sends, the server attests as the device's). */
  async function member(
    server: TestServer,
    name: string,
    transport?: SyncTransport,
    identityReadable?: () => boolean,
    opening?: OpeningOptions,
  ): Promise<ConversationMember> {
    const account = await servers.createAccount(server, { username: name });
    const owned = await device(server, account.user.id, account.token, signal.IdentityKeyPair.generate(), {
      ...(transport ? { transport } : {}),
      ...(identityReadable ? { identityReadable } : {}),
      ...(opening ? { opening } : {}),
    });
    return { device: owned, socket: await servers.connect(server, account.token) };
  }

  return { device, bareDevice, member, cleanup };
}

async function tempMirror(cleanups: Array<() => Promise<void>>): Promise<Mirror> {
  const dir = await mkdtemp(join(tmpdir(), 'device-inbox-'));
  const mirror = Mirror.open(join(dir, 'mirror.db'));
  cleanups.push(async () => {
    mirror.close();
    await rm(dir, { recursive: true, force: true });
  });
  return mirror;
}

/** The device number the server gave a session: a fresh socket of the same session hears it in the welcome. */
export async function numberOf(servers: ServerHarness, server: Pick<TestServer, 'url'>, token: string): Promise<number> {
  const socket = await servers.connect(server, token);
  const welcome = socket.pushes.find((push) => push.type === 'welcome');
  return welcome?.type === 'welcome' ? welcome.deviceNumber : 0;
}

export async function signIn(server: TestServer, account: TestAccount): Promise<string> {
  const login = await logIn(server.httpUrl, account.user.username, account.password);
  return (login.body as { token: string }).token;
}

export function ratchetOf(owner: SignalDevice): RatchetState {
  return new RatchetState(
    signal,
    owner.mirror.signal,
    { identity: owner.identity, registrationId: owner.mirror.signal.registrationId()! },
    Date.now,
  );
}

/** A new sender key of `sender`'s for a conversation (under `distributionId` when given), as a device message, kept in its mirror. */
export async function senderKey(sender: SignalDevice, conversationId: string, distributionId: string = randomUUID()) {
  const state = ratchetOf(sender);
  const address = signal.ProtocolAddress.new(sender.userId, sender.deviceNumber());
  const distribution = await signal.SenderKeyDistributionMessage.create(address, distributionId, state);
  sender.mirror.transaction(() => state.writeTo(sender.mirror.signal));
  return {
    distributionId,
    message: {
      kind: 'sender_key' as const,
      conversationId,
      distribution: Buffer.from(distribution.serialize()).toString('base64'),
    },
  };
}

/** What `sender` writes under its sender key `distributionId`, serialized. */
export async function groupMessage(sender: SignalDevice, distributionId: string, text: string): Promise<Uint8Array<ArrayBuffer>> {
  const state = ratchetOf(sender);
  const address = signal.ProtocolAddress.new(sender.userId, sender.deviceNumber());
  const sealed = await signal.groupEncrypt(address, distributionId, state, new Uint8Array(Buffer.from(text)));
  sender.mirror.transaction(() => state.writeTo(sender.mirror.signal));
  return sealed.serialize();
}

/** A group message as `reader` opens it, taken to be from `from`'s device (null when it cannot). */
export async function openGroupMessage(
  reader: SignalDevice,
  from: SignalDevice,
  sealed: Uint8Array<ArrayBuffer>,
): Promise<string | null> {
  try {
    const address = signal.ProtocolAddress.new(from.userId, from.deviceNumber());
    return Buffer.from(await signal.groupDecrypt(address, ratchetOf(reader), sealed)).toString();
  } catch {
    return null;
  }
}

/** What `sender` writes under its sender key, as `reader` opens it (null when it cannot). */
export async function groupRoundTrip(
  sender: SignalDevice,
  reader: SignalDevice,
  distributionId: string,
  text: string,
): Promise<string | null> {
  return openGroupMessage(reader, sender, await groupMessage(sender, distributionId, text));
}

export const hasSenderKey = (reader: SignalDevice, sender: SignalDevice, distributionId: string) =>
  reader.mirror.signal.senderKey(`${sender.userId}.${sender.deviceNumber()}`, distributionId) !== null;

/** An engine device, and a raw socket of its own session. */
export interface ConversationMember {
  device: EngineDevice;
  socket: TestClient;
}

/** Sends sealed text as the member's device's envelope `clientId`, for the conversation's devices now; the envelope stored. */
export async function sendEnvelope(
  from: ConversationMember,
  conversationId: string,
  clientId: string,
  ciphertext: string,
): Promise<EnvelopeEvent> {
  const devicesVersion = await devicesVersionOf(from.socket, conversationId);
  const { event } = await from.socket.call(
    { type: 'send_envelope', conversationId, clientId, ciphertext, devicesVersion },
    'sent',
  );
  if (event.kind !== 'envelope') throw new Error(`An envelope was answered with a ${event.kind} event`);
  return event;
}

/**
 * Seals `content` on the member's device and sends it as the envelope `clientId`, as the outbox
 * does: refused as sealed for other devices, the engine records the devices the refusal carries
 * and it is sealed again. The sealed text that was stored.
 */
export async function post(
  from: ConversationMember,
  conversationId: string,
  clientId: string,
  content: Content,
  /** What the outbox keeps with the row, in the seal's transaction. */
  keep: () => void = () => undefined,
): Promise<string> {
  return (await sealAndSend(from, conversationId, clientId, content, { keep })).ciphertext;
}

/** Like post, the envelope the server stored (its seq is what the outbox keeps what it said with). */
export function postStored(
  from: ConversationMember,
  conversationId: string,
  clientId: string,
  content: Content,
): Promise<EnvelopeEvent> {
  return sealAndSend(from, conversationId, clientId, content, {});
}

/**
 * Like post, and as the outbox sends: once the sender key it is sealed under has been handed out
 * to the conversation's devices (so they open it as it comes), with the upload ids of the files
 * the content names. The envelope the server stored.
 */
export function postEnvelope(
  from: ConversationMember,
  conversationId: string,
  clientId: string,
  content: Content,
  attachments?: string[],
): Promise<EnvelopeEvent> {
  return sealAndSend(from, conversationId, clientId, content, { handedOut: true, ...(attachments ? { attachments } : {}) });
}

/**
 * Many envelopes at once, as a sender with everything in flight: sealed one after another (each
 * seal moves the sender key on), then all sent together; one refused as sealed for other devices
 * goes again as postEnvelope sends it. The envelopes the server stored, in the order given.
 */
export async function postAll(
  from: ConversationMember,
  conversationId: string,
  contents: ReadonlyArray<{ clientId: string; content: Content }>,
): Promise<EnvelopeEvent[]> {
  const sealed: SealedEnvelope[] = [];
  for (const { content } of contents) sealed.push(await from.device.engine.seal(conversationId, content, () => undefined));
  await from.device.engine.keyHandedOut(conversationId);
  return Promise.all(
    contents.map(async ({ clientId, content }, index) => {
      const { ciphertext, devicesVersion } = sealed[index]!;
      const reply = await from.socket.request(
        {
          type: 'send_envelope',
          conversationId,
          clientId,
          ciphertext,
          ...(devicesVersion === null ? {} : { devicesVersion }),
        },
        60_000,
      );
      if (reply.type === 'sent' && reply.event.kind === 'envelope') return reply.event;
      return postEnvelope(from, conversationId, clientId, content);
    }),
  );
}

async function sealAndSend(
  from: ConversationMember,
  conversationId: string,
  clientId: string,
  content: Content,
  options: { keep?: () => void; handedOut?: boolean; attachments?: string[] },
): Promise<EnvelopeEvent> {
  for (let round = 0; round < 3; round++) {
    const sealed = await from.device.engine.seal(conversationId, content, options.keep ?? (() => undefined));
    if (options.handedOut) await from.device.engine.keyHandedOut(conversationId);
    const reply = await from.socket.request({
      type: 'send_envelope',
      conversationId,
      clientId,
      ciphertext: sealed.ciphertext,
      ...(options.attachments ? { attachments: options.attachments } : {}),
      ...(sealed.devicesVersion === null ? {} : { devicesVersion: sealed.devicesVersion }),
    });
    if (reply.type === 'sent' && reply.event.kind === 'envelope') return reply.event;
    const refusal =
      reply.type === 'error'
        ? new RequestError(reply.code, reply.message, reply.reason, reply.retryAfterMs, reply.devices)
        : reply;
    if (!(await from.device.engine.devicesChanged(conversationId, refusal))) {
      throw new Error(`Expected sent, got ${JSON.stringify(reply)}`);
    }
  }
  throw new Error(`The devices of ${conversationId} kept changing`);
}

/** What waits unopened in a device's mirror for the conversation; a row that does not read back fails the test. */
export function waitingIn(device: SignalDevice, conversationId: string) {
  return device.mirror.waitingEnvelopes(conversationId, (seq, error) => {
    throw new Error(`The waiting envelope ${seq} did not read back`, { cause: error });
  });
}

/** A group `owner` makes with `others`, once every member's device lists every member. */
export async function groupOf(owner: ConversationMember, others: readonly ConversationMember[]): Promise<string> {
  const group = await createGroup(owner.socket, { memberIds: others.map((other) => other.device.userId) });
  for (const each of [owner, ...others]) {
    await eventually(
      () => each.device.mirror.members(group.id).length,
      (count) => count === others.length + 1,
      'the group on every device',
    );
  }
  return group.id;
}
