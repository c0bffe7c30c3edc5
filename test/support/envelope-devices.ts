/**
 * Sending conversation envelopes in tests as a client does (protocol/conversation-devices.ts): each
 * names the conversation's devices version it was sealed for, which a test that seals by hand
 * learns as a client does, from the server's refusal of one that names none.
 */
import { randomUUID } from 'node:crypto';
import type { ConversationDevices } from '../../sync/protocol/conversation-devices.js';
import type { ServerFrame } from '../../sync/protocol/frames.js';
import type { TestClient } from './server-harness.js';

/** The devices a reply carries when it is the `conversation_devices_changed` refusal, else null. */
export function devicesRefused(reply: ServerFrame): ConversationDevices | null {
  return reply.type === 'error' && reply.reason === 'conversation_devices_changed' && reply.devices ? reply.devices : null;
}

/** The conversation's members' devices now, as the refusal of an envelope naming no version says them (nothing is stored). */
export async function devicesOf(socket: TestClient, conversationId: string): Promise<ConversationDevices> {
  const reply = await socket.request({ type: 'send_envelope', conversationId, clientId: `probe-${randomUUID()}`, ciphertext: 'AAAA' });
  const devices = devicesRefused(reply);
  if (!devices) throw new Error(`Expected conversation_devices_changed, got ${JSON.stringify(reply)}`);
  return devices;
}

/** The conversation's devices version now. */
export async function devicesVersionOf(socket: TestClient, conversationId: string): Promise<number> {
  return (await devicesOf(socket, conversationId)).version;
}
