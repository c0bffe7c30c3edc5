/**
 * The PostgreSQL store's group commit: messages that wait for a free append slot are judged and stored
 * together, two statements for the batch, or one for those judged on the facts their senders were
 * last judged on (pg-event-log.ts appendMessagesWith). Each must get the
 * answer it would get alone; one that lost a race, or a batch that met a deleted upload, must store
 * nothing of it, and the store then runs it alone.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { UNCAPPED } from '../../../sync/server/store/cap-rules.js';
import { RetryTransaction } from '../../../sync/server/store/pg-connections.js';
import { appendMessagesWith } from '../../../sync/server/store/pg-event-log.js';
import { openPostgresServerStore, type PostgresServerStore } from '../../../sync/server/store/pg-server-store.js';
import type { AppendResult, NewMessage } from '../../../sync/server/store/server-store.js';
import { ALICE, conversationWith, person, range, seedAliceAndPeople } from '../../support/alice-and-people.js';
import { sqlRows, withFactsThen } from '../../support/pg-interleaving.js';
import { freshDatabase } from '../../support/postgres.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const NUL_TEXT = 'a \u0000 and a \u0001, kept';
const PREVIEW = { url: 'https://example.com/a', title: 'A \u0000 title', description: 'about a', image: null };

/** Alice and `people` others, with a direct conversation between her and each; every run's size recorded. */
async function aliceAndOthers(people: number, url?: string) {
  const databaseUrl = url ?? (await newDatabase());
  const runs: number[] = [];
  const store = await openPostgresServerStore(databaseUrl, { onAppendRun: (messages) => runs.push(messages) });
  closers.push(() => store.close());
  if (url === undefined) await seedAliceAndPeople(store, people);
  return { url: databaseUrl, store, runs };
}

async function newDatabase(): Promise<string> {
  const database = await freshDatabase();
  closers.push(database.drop);
  return database.url;
}

function message(n: number, clientMessageId: string, extra: Partial<NewMessage> = {}): NewMessage {
  return {
    conversationId: conversationWith(n),
    senderId: ALICE,
    clientMessageId,
    text: clientMessageId,
    replyTo: null,
    sentAt: 1,
    ...extra,
  };
}

/** Each conversation's events as (seq, client id), in seq order. */
async function logs(url: string): Promise<Map<string, Array<[number, string]>>> {
  const rows = await sqlRows<{ conversation_id: string; seq: number; client_id: string }>(
    url,
    'SELECT conversation_id, seq::int AS seq, client_id FROM events ORDER BY conversation_id, seq',
  );
  const byConversation = new Map<string, Array<[number, string]>>();
  for (const row of rows)
    byConversation.set(row.conversation_id, [...(byConversation.get(row.conversation_id) ?? []), [row.seq, row.client_id]]);
  return byConversation;
}

async function completedUpload(store: PostgresServerStore, id: string) {
  const upload = { id, sha256: 'cd'.repeat(32), size: 5 };
  await store.createUpload({ ...upload, ownerId: ALICE, createdAt: 1, quotaBytes: 1_000_000 });
  await store.completeUpload(upload.id, 2);
  return { ...upload, name: 'a.txt', mime: 'text/plain', kind: 'file' as const };
}

type Stored = Extract<AppendResult, { status: 'stored' }>;

describe('PostgreSQL store: messages that waited for an append slot', () => {
  it('are stored together, and each is answered as it would be alone', async () => {
    const { url, store, runs } = await aliceAndOthers(24);
    const seed = await store.appendMessage(message(1, 'seed'));
    await store.appendMessage(message(6, 'taken-id'));
    const attachment = await completedUpload(store, 'ab'.repeat(16));
    const setUp = runs.length;

    // Submitted at once: the first takes the free slot, and everything else waits and goes in batches.
    const sends: Array<[NewMessage, (result: AppendResult) => void]> = [
      [message(1, 'seed'), (result) => expect(result).toEqual({ status: 'duplicate', event: (seed as Stored).event })],
      [
        message(2, 'stranger', { senderId: person(3) }),
        (result) => expect(result).toEqual({ status: 'refused', reason: 'conversation_not_found' }),
      ],
      [
        message(3, 'no-target', { replyTo: 'nope' }),
        (result) => expect(result).toEqual({ status: 'refused', reason: 'reply_target_missing' }),
      ],
      [
        message(4, 'with-file', { attachments: [attachment, attachment] }),
        (result) => expect(result).toMatchObject({ status: 'stored', event: { seq: 1, attachments: [attachment, attachment] } }),
      ],
      [
        message(5, 'forward', { forwardOf: { conversationId: conversationWith(1), messageId: 'seed' } }),
        (result) => expect(result).toMatchObject({ status: 'stored', event: { seq: 1, forwardedFrom: { name: ALICE } } }),
      ],
      [
        message(6, 'taken-id', { senderId: person(6) }),
        (result) => expect(result).toEqual({ status: 'refused', reason: 'message_id_taken' }),
      ],
      [
        message(7, 'first-of-person-7', { senderId: person(7) }),
        (result) => expect(result).toMatchObject({ status: 'stored', firstMessage: true, memberIds: [ALICE, person(7)] }),
      ],
      [
        message(8, 'eight-a'),
        (result) => expect(result).toMatchObject({ status: 'stored', event: { seq: 1 }, firstMessage: true }),
      ],
      [
        message(8, 'eight-b'),
        (result) => expect(result).toMatchObject({ status: 'stored', event: { seq: 2 }, firstMessage: false }),
      ],
      [
        message(9, 'escapes', { text: NUL_TEXT }),
        (result) => expect(result).toMatchObject({ status: 'stored', event: { text: NUL_TEXT } }),
      ],
      [
        message(10, 'preview', { linkPreview: PREVIEW }),
        (result) => expect(result).toMatchObject({ status: 'stored', event: { linkPreview: PREVIEW } }),
      ],
      ...range(11, 24).map((n): [NewMessage, (result: AppendResult) => void] => [
        message(n, `plain-${n}`, { replyTo: null }),
        (result) => expect(result).toMatchObject({ status: 'stored', event: { seq: 1, clientMessageId: `plain-${n}` } }),
      ]),
    ];
    const results = await Promise.all(sends.map(([input]) => store.appendMessage(input)));
    sends.forEach(([, check], i) => check(results[i]!));
    expect(Math.max(...runs.slice(setUp))).toBeGreaterThan(1);

    const after = await logs(url);
    expect(after.get(conversationWith(1))).toEqual([[1, 'seed']]);
    expect(after.get(conversationWith(6))).toEqual([[1, 'taken-id']]);
    expect(after.get(conversationWith(8))).toEqual([
      [1, 'eight-a'],
      [2, 'eight-b'],
    ]);
    for (const n of [2, 3]) expect(after.has(conversationWith(n))).toBe(false);
    expect(
      await sqlRows(url, 'SELECT upload_id, seq::int AS seq FROM attachment_refs WHERE conversation_id = $1', [
        conversationWith(4),
      ]),
    ).toEqual([{ upload_id: attachment.id, seq: 1 }]);
    const writers = await sqlRows<{ user_id: string }>(
      url,
      'SELECT user_id FROM members WHERE conversation_id = $1 AND first_message_seq = 1',
      [conversationWith(7)],
    );
    expect(writers).toEqual([{ user_id: person(7) }]);
    // What the batch stored reads back as sent: text PostgreSQL cannot hold as it is, a preview in the payload.
    const read = async (n: number) =>
      (await store.readEvents({ conversationId: conversationWith(n), userId: person(n), afterSeq: 0, limit: 10 }))?.events;
    expect(await read(9)).toMatchObject([{ clientMessageId: 'escapes', text: NUL_TEXT }]);
    expect(await read(10)).toMatchObject([{ clientMessageId: 'preview', linkPreview: PREVIEW }]);
  });

  it('leaves one whose conversation moved after the facts were read unstored, and the store appends it next', async () => {
    const { url, store } = await aliceAndOthers(2);
    const results = await withFactsThen(
      url,
      () => store.appendMessage(message(1, 'early', { senderId: person(1) })),
      (session) => appendMessagesWith(session, [message(1, 'late'), message(2, 'other')]),
    );
    expect(results[0]).toBeNull();
    expect(results[1]).toMatchObject({ status: 'stored', event: { seq: 1, clientMessageId: 'other' } });
    expect((await logs(url)).get(conversationWith(1))).toEqual([[1, 'early']]);

    expect(await store.appendMessage(message(1, 'late'))).toMatchObject({ status: 'stored', event: { seq: 2 } });
  });

  it('stores nothing of a batch when an upload was deleted after its facts were read; alone, that one is refused and the others stored', async () => {
    const { url, store } = await aliceAndOthers(2);
    const attachment = await completedUpload(store, 'ef'.repeat(16));
    const batch = [message(1, 'with-file', { attachments: [attachment] }), message(2, 'plain')];
    const before = await logs(url);

    const lost = withFactsThen(
      url,
      async () => expect(await store.deleteUpload(attachment.id)).toBe(true),
      (session) => appendMessagesWith(session, batch),
    );
    await expect(lost).rejects.toBeInstanceOf(RetryTransaction);
    expect(await logs(url)).toEqual(before);

    expect(await Promise.all(batch.map((input) => store.appendMessage(input)))).toMatchObject([
      { status: 'refused', reason: 'attachment_missing' },
      { status: 'stored', event: { seq: 1 } },
    ]);
  });

  it('in a group are hidden from the members who blocked their sender, as they are alone', async () => {
    const { url, store, runs } = await aliceAndOthers(12);
    const groups = ['group-a', 'group-b', 'group-c'];
    for (const conversationId of groups) {
      const created = await store.createConversation({
        conversationId,
        creatorId: ALICE,
        conversation: { kind: 'group', name: conversationId, memberIds: [person(1), person(2), person(3)] },
        createdAt: 1,
        maxMembers: 10,
        caps: UNCAPPED,
      });
      expect(created).toMatchObject({ status: 'created' });
    }
    for (const blocker of [person(1), person(2)]) {
      const blocked = await store.setSettings(blocker, [
        { setting: { kind: 'blocked', userId: ALICE, value: true }, at: 1, by: 'd' },
      ]);
      expect(blocked).toMatchObject({ status: 'stored' });
    }
    const setUp = runs.length;

    // Submitted at once, with direct ones between: the group messages go in batches.
    const inGroups = groups.map((conversationId) => ({ ...message(1, `in-${conversationId}`), conversationId }));
    const results = await Promise.all(
      [message(4, 'first'), ...inGroups, ...range(5, 12).map((n) => message(n, `direct-${n}`))].map((input) =>
        store.appendMessage(input),
      ),
    );
    expect(Math.max(...runs.slice(setUp))).toBeGreaterThan(1);
    for (const result of results.slice(1, 1 + groups.length)) {
      expect(result).toMatchObject({ status: 'stored', event: { seq: 2 } });
      expect((result as Stored).memberIds.sort()).toEqual([ALICE, person(3)]);
    }
    expect(
      await sqlRows(url, 'SELECT conversation_id, seq::int AS seq, user_id FROM hidden_events ORDER BY conversation_id, user_id'),
    ).toEqual(
      groups.flatMap((conversationId) =>
        [person(1), person(2)].map((user_id) => ({ conversation_id: conversationId, seq: 2, user_id })),
      ),
    );
    const read = async (conversationId: string, userId: string) =>
      (await store.readEvents({ conversationId, userId, afterSeq: 1, limit: 10 }))?.events.map((event) => event.seq);
    expect(await read('group-a', person(1))).toEqual([]);
    expect(await read('group-a', person(3))).toEqual([2]);
  });

  it('judged on the facts each sender was last judged on, are stored together only while those facts hold', async () => {
    const people = 12;
    const one = await aliceAndOthers(people);
    const two = await aliceAndOthers(people, one.url);
    const round = (name: string) => Promise.all(range(1, people).map((n) => one.store.appendMessage(message(n, `${name}-${n}`))));
    expect((await round('first')).every((result) => result.status === 'stored')).toBe(true);
    // On the other node, which this one hears nothing of: a block and a message.
    const blocked = await two.store.setSettings(person(3), [
      { setting: { kind: 'blocked', userId: ALICE, value: true }, at: 2, by: 'd' },
    ]);
    expect(blocked).toMatchObject({ status: 'stored' });
    expect(await two.store.appendMessage(message(5, 'from-5', { senderId: person(5) }))).toMatchObject({ status: 'stored' });
    const runsBefore = one.runs.length;

    const second = await round('second');
    expect(Math.max(...one.runs.slice(runsBefore))).toBeGreaterThan(1);
    second.forEach((result, i) => {
      const n = i + 1;
      expect(result).toMatchObject({
        status: 'stored',
        event: { clientMessageId: `second-${n}`, seq: n === 5 ? 3 : 2 },
        memberIds: n === 3 ? [ALICE] : [ALICE, person(n)],
      });
    });
    const hiddenFrom = await sqlRows<{ client_id: string; hidden_from: string | null }>(
      one.url,
      'SELECT client_id, hidden_from FROM events WHERE conversation_id = $1 ORDER BY seq',
      [conversationWith(3)],
    );
    expect(hiddenFrom).toEqual([
      { client_id: 'first-3', hidden_from: null },
      { client_id: 'second-3', hidden_from: person(3) },
    ]);
  });

  it('numbers gap-free and stores once when two nodes batch into the same conversations at once', async () => {
    const conversations = 30;
    const perConversation = 6;
    const one = await aliceAndOthers(conversations);
    const two = await aliceAndOthers(conversations, one.url);
    const sends = range(1, conversations).flatMap((n) =>
      range(1, perConversation).map((k) => message(n, `c${n}-m${k}`, { senderId: k % 2 === 0 ? ALICE : person(n) })),
    );
    // Each send goes through one node and, every third, is resent through the other at once.
    const results = await Promise.all([
      ...sends.map((send, i) => (i % 2 === 0 ? one : two).store.appendMessage(send)),
      ...sends.filter((_, i) => i % 3 === 0).map((send, i) => (i % 2 === 0 ? two : one).store.appendMessage(send)),
    ]);

    expect(results.filter((result) => result.status === 'stored')).toHaveLength(sends.length);
    expect(results.every((result) => result.status === 'stored' || result.status === 'duplicate')).toBe(true);
    expect(Math.max(...one.runs)).toBeGreaterThan(1);
    expect(Math.max(...two.runs)).toBeGreaterThan(1);
    const after = await logs(one.url);
    for (const n of range(1, conversations)) {
      const log = after.get(conversationWith(n)) ?? [];
      expect(log.map(([seq]) => seq)).toEqual(range(1, perConversation));
      expect(new Set(log.map(([, id]) => id))).toEqual(new Set(range(1, perConversation).map((k) => `c${n}-m${k}`)));
    }
  });
});
