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

/**
 * The conversation's members' devices now, as the refusal of an envelope naming no version says
 * them (nothing is stored); null when the socket's user is refused otherwise (not a member, say).
 */
export async function devicesIfMember(socket: TestClient, conversationId: string): Promise<ConversationDevices | null> {
  const reply = await socket.request({
    type: 'send_envelope',
    conversationId,
    clientId: `probe-${randomUUID()}`,
    ciphertext: 'AAAA',
  });
  return devicesRefused(reply);
}

/** The conversation's members' devices now; fails unless the socket's user is a member. */
export async function devicesOf(socket: TestClient, conversationId: string): Promise<ConversationDevices> {
  const devices = await devicesIfMember(socket, conversationId);
  if (!devices) throw new Error(`Expected conversation_devices_changed for a member of ${conversationId}`);
  return devices;
}

/** The conversation's devices version now. */
export async function devicesVersionOf(socket: TestClient, conversationId: string): Promise<number> {
  return (await devicesOf(socket, conversationId)).version;
}
