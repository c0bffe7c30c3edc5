/**
 * Envelopes for tests of a server store itself (no socket): sealed the way test clients seal them
 * (server-harness.ts: testSealed), from each sender's device 1, for the conversation's devices now.
 */
import type { EnvelopeResult, NewEnvelope, ServerStore } from '../../sync/server/store/server-store.js';
import { testSealed } from './server-harness.js';

export interface TestEnvelope {
  conversationId: string;
  senderId: string;
  clientId: string;
  /** What it seals (testOpened gives it back); its client id when absent. */
  text?: string;
  attachments?: string[];
  deletes?: string;
  /** Its disappearing-message timer (none when absent). */
  expiresInMs?: number;
  sentAt?: number;
}

/** The envelope to append, sealed for `devicesVersion` (the conversation's, as conversationDevices answers it). */
export function envelopeFor(envelope: TestEnvelope, devicesVersion: number | null): NewEnvelope {
  return {
    conversationId: envelope.conversationId,
    senderId: envelope.senderId,
    senderDevice: 1,
    clientId: envelope.clientId,
    ciphertext: testSealed(envelope.text ?? envelope.clientId),
    attachments: envelope.attachments ?? [],
    deletes: envelope.deletes ?? null,
    devicesVersion,
    expiresInMs: envelope.expiresInMs ?? null,
    sentAt: envelope.sentAt ?? 1,
  };
}

/** The conversation's devices version as its member `userId` is told it (null when they are not one). */
export async function devicesVersionIn(store: ServerStore, conversationId: string, userId: string): Promise<number | null> {
  return (await store.conversationDevices(conversationId, userId))?.version ?? null;
}

/** Appends the envelope sealed for the conversation's devices now, as its sender's device would. */
export async function appendTestEnvelope(store: ServerStore, envelope: TestEnvelope): Promise<EnvelopeResult> {
  const version = await devicesVersionIn(store, envelope.conversationId, envelope.senderId);
  return store.appendEnvelope(envelopeFor(envelope, version));
}
