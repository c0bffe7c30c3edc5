/**
 * Envelopes as the benchmarks' raw sockets send them (lib/raw-client.ts): content the size of a
 * short text message's seal, for the conversation's devices version, which a raw socket learns as
 * a client does: by asking before its first envelope there, and from the refusal of one sealed
 * for devices that changed since.
 */
import { randomBytes } from 'node:crypto';
import type { RawClient } from './raw-client.js';

/**
 * What libsignal's SenderKeyMessage sealing a short text message (40 characters of text, as
 * content/content.ts encodes it) weighs: 173 bytes, 232 characters of base64.
 */
export const SEALED_TEXT_BYTES = 173;

/** Random bytes standing in for a short message's seal: the server cannot tell them from one (nor compress either). */
export function sealedText(): string {
  return randomBytes(SEALED_TEXT_BYTES).toString('base64');
}

type Reply = Awaited<ReturnType<RawClient['request']>>;

/** One raw socket's envelopes, each sealed (so to speak) for its conversation's devices now. */
export class RawEnvelopes {
  private readonly versions = new Map<string, number>();

  constructor(private readonly client: RawClient) {}

  /** Asks for the conversation's devices version: done before the timed part, no timed send waits for it. */
  async learn(conversationId: string): Promise<void> {
    const reply = await this.client.request({ type: 'fetch_conversation_devices', conversationId });
    const version = (reply.devices as { version?: unknown } | undefined)?.version;
    if (reply.type !== 'conversation_devices' || typeof version !== 'number') {
      throw new Error(`No devices version for ${conversationId}: ${JSON.stringify(reply)}`);
    }
    this.versions.set(conversationId, version);
  }

  /**
   * Sends an envelope and resolves with the reply. Its frame is written before this returns when
   * the version is known (a first one in a conversation asks first); one refused as sealed for
   * devices that changed meanwhile is sent again, once, for the devices the refusal names.
   */
  async send(conversationId: string, clientId: string, ciphertext: string): Promise<Reply> {
    if (!this.versions.has(conversationId)) await this.learn(conversationId);
    for (let attempt = 0; ; attempt += 1) {
      const devicesVersion = this.versions.get(conversationId);
      const reply = await this.client.request({ type: 'send_envelope', conversationId, clientId, ciphertext, devicesVersion });
      const devices = reply.type === 'error' && reply.reason === 'conversation_devices_changed' ? reply.devices : undefined;
      const version = (devices as { version?: unknown } | undefined)?.version;
      if (typeof version !== 'number' || attempt > 0) return reply;
      this.versions.set(conversationId, version);
    }
  }
}
