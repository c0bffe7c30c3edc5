import { afterEach, expect, it } from 'vitest';
import { LIMITS } from '../../../sync/protocol/limits.js';
import { createServerHarness } from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';

describeEachStore('malformed frames', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('answers each with a bad_frame error (with the rid when readable) and keeps the connection', async () => {
    const server = await h.startServer();
    const { aliceSocket: socket, conversation } = await h.pair(server);

    const ridless: Array<string | Buffer> = ['this is not json', '{"type":"send",', 'null', '[]', '"a string"', '42'];
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
      { type: 'send', rid: 'wrong-types', conversationId: 7, clientMessageId: true, text: 'hi' },
      { type: 'send', rid: 'empty-text', conversationId: conversation.id, clientMessageId: 'e', text: '   ' },
      { type: 'catch_up', rid: 'negative', conversationId: conversation.id, afterSeq: -1 },
      { type: 'catch_up', rid: 'too-many', conversationId: conversation.id, afterSeq: 0, limit: LIMITS.maxCatchUpPage + 1 },
      { type: 'receipt', rid: 'bad-kind', conversationId: conversation.id, kind: 'seen', seq: 1 },
      { type: 'typing', rid: 'typing-nowhere' },
      { type: 'change', rid: 'no-change', conversationId: conversation.id, clientChangeId: 'c' },
      {
        type: 'change',
        rid: 'bad-change',
        conversationId: conversation.id,
        clientChangeId: 'c',
        change: { kind: 'pin', messageId: 'm' },
      },
      {
        type: 'change',
        rid: 'blank-edit',
        conversationId: conversation.id,
        clientChangeId: 'c',
        change: { kind: 'edit', messageId: 'm', text: ' ' },
      },
      { type: 'send', rid: 'bad-reply', conversationId: conversation.id, clientMessageId: 'r', text: 'hi', replyTo: '' },
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
    const sent = await socket.call(
      { type: 'send', conversationId: conversation.id, clientMessageId: 'ok', text: 'fine' },
      'sent',
    );
    expect(sent.event.seq).toBe(1);
  });

  it('closes a socket that sends an oversized frame with 1009 and keeps serving everyone else', async () => {
    const server = await h.startServer();
    const { aliceSocket, bobSocket, conversation } = await h.pair(server);
    aliceSocket.sendRaw(JSON.stringify({ type: 'ping', rid: 'big', pad: 'x'.repeat(LIMITS.maxFrameBytes) }));
    expect((await aliceSocket.closed).code).toBe(1009);

    await bobSocket.call({ type: 'ping' }, 'ok');
    await bobSocket.call({ type: 'send', conversationId: conversation.id, clientMessageId: 'after', text: 'still up' }, 'sent');
    // The sender can simply reconnect.
    const again = await h.connect(server, (await h.createAccount(server)).token);
    await again.barrier();
    expect(server.logged).toEqual([]);
  });

  it('accepts a message of the maximum length', async () => {
    const server = await h.startServer();
    const { aliceSocket, bobSocket, conversation } = await h.pair(server);
    const text = 'é'.repeat(LIMITS.maxMessageChars);
    const sent = await aliceSocket.send(conversation.id, 'long', text);
    expect(sent.text).toBe(text);
    expect((await bobSocket.waitForPush('event')).event).toEqual(sent);
    const tooLong = await aliceSocket.call(
      { type: 'send', conversationId: conversation.id, clientMessageId: 'longer', text: text + 'x' },
      'error',
    );
    expect(tooLong.code).toBe('bad_frame');
  });
});
