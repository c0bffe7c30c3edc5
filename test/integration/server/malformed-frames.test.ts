import { afterEach, expect, it } from 'vitest';
import { ENVELOPE_LIMITS } from '../../../sync/protocol/envelope-frames.js';
import { LIMITS } from '../../../sync/protocol/limits.js';
import { devicesVersionOf } from '../../support/envelope-devices.js';
import { createServerHarness } from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';

describeEachStore('malformed frames', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('answers each with a bad_frame error (with the rid when readable) and keeps the connection', async () => {
    const server = await h.startServer();
    const { aliceSocket: socket, conversation } = await h.pair(server);

    const ridless: Array<string | Buffer> = ['this is not json', '{"type":"send_envelope",', 'null', '[]', '"a string"', '42'];
    for (const [index, raw] of ridless.entries()) {
      socket.sendRaw(raw);
      const error = await socket.waitForUnmatchedError(index);
      expect(error.code).toBe('bad_frame');
      expect(error.message.length).toBeGreaterThan(0);
    }
    socket.sendRaw(Buffer.from(JSON.stringify({ type: 'ping', rid: 'bin' })), { binary: true });
    const binary = await socket.waitForUnmatchedError(ridless.length);
    expect(binary).toMatchObject({ code: 'bad_frame' });
    expect(binary.message).toMatch(/binary/i);

    const withRid = [
      { type: 'no_such_type', rid: 'unknown-type' },
      { rid: 'no-type' },
      { type: 'send_envelope', rid: 'wrong-types', conversationId: 7, clientId: true, ciphertext: 'AAAA' },
      { type: 'send_envelope', rid: 'empty-seal', conversationId: conversation.id, clientId: 'e', ciphertext: '' },
      { type: 'send_envelope', rid: 'not-base64', conversationId: conversation.id, clientId: 'e', ciphertext: 'hi there' },
      {
        type: 'send_envelope',
        rid: 'blank-deletes',
        conversationId: conversation.id,
        clientId: 'e',
        ciphertext: 'AAAA',
        deletes: '',
      },
      // Plaintext is no frame at all any more: the server takes only sealed content.
      { type: 'send', rid: 'plaintext', conversationId: conversation.id, clientMessageId: 'p', text: 'hi' },
      { type: 'catch_up', rid: 'negative', conversationId: conversation.id, afterSeq: -1 },
      { type: 'catch_up', rid: 'too-many', conversationId: conversation.id, afterSeq: 0, limit: LIMITS.maxCatchUpPage + 1 },
      { type: 'receipt', rid: 'bad-kind', conversationId: conversation.id, kind: 'seen', seq: 1 },
      { type: 'typing', rid: 'typing-nowhere' },
      { type: 'group_change', rid: 'no-change', conversationId: conversation.id, clientChangeId: 'c' },
      {
        type: 'group_change',
        rid: 'bad-role',
        conversationId: conversation.id,
        clientChangeId: 'c',
        change: { kind: 'set_role', userId: 'u', role: 'owner' },
      },
      {
        type: 'group_change',
        rid: 'rename',
        conversationId: conversation.id,
        clientChangeId: 'c',
        change: { kind: 'rename', name: 'A name the server would read' },
      },
    ];
    for (const frame of withRid) {
      socket.sendRaw(JSON.stringify(frame));
      const reply = await socket.waitForReply(frame.rid);
      expect(reply).toMatchObject({ type: 'error', rid: frame.rid, code: 'bad_frame' });
    }
    const wrongTypes = await socket.waitForReply('wrong-types');
    expect(wrongTypes.type === 'error' && wrongTypes.message).toContain('conversationId');

    // An unreadable rid (wrong type) is not echoed back.
    socket.sendRaw(JSON.stringify({ type: 'ping', rid: 12 }));
    expect(await socket.waitForUnmatchedError(ridless.length + 1)).toMatchObject({ code: 'bad_frame' });

    // Still the same, working connection; none of the rejects was stored.
    await socket.call({ type: 'ping' }, 'ok');
    const sent = await socket.send(conversation.id, 'ok', 'fine');
    expect(sent.seq).toBe(1);
  });

  it('closes a socket that sends an oversized frame with 1009 and keeps serving everyone else', async () => {
    const server = await h.startServer();
    const { aliceSocket, bobSocket, conversation } = await h.pair(server);
    aliceSocket.sendRaw(JSON.stringify({ type: 'ping', rid: 'big', pad: 'x'.repeat(LIMITS.maxFrameBytes) }));
    expect((await aliceSocket.closed).code).toBe(1009);

    await bobSocket.call({ type: 'ping' }, 'ok');
    await bobSocket.send(conversation.id, 'after', 'still up');
    // The sender can simply reconnect.
    const again = await h.connect(server, (await h.createAccount(server)).token);
    await again.barrier();
    expect(server.logged).toEqual([]);
  });

  it('accepts an envelope of the maximum length, and refuses a longer one', async () => {
    const server = await h.startServer();
    const { aliceSocket, bobSocket, conversation } = await h.pair(server);
    const devicesVersion = await devicesVersionOf(aliceSocket, conversation.id);
    const envelope = (clientId: string, ciphertext: string) =>
      ({ type: 'send_envelope', conversationId: conversation.id, clientId, ciphertext, devicesVersion }) as const;
    const longest = 'A'.repeat(ENVELOPE_LIMITS.maxCiphertextChars);
    const sent = await aliceSocket.call(envelope('long', longest), 'sent');
    expect(sent.event).toMatchObject({ kind: 'envelope', ciphertext: longest });
    expect((await bobSocket.waitForPush('event')).event).toEqual(sent.event);
    const tooLong = await aliceSocket.call(envelope('longer', `${longest}AAAA`), 'error');
    expect(tooLong.code).toBe('bad_frame');
  });
});
