/**
 * The history hand-over on linking (history-transfer.ts, mirror/history-export.ts) between real
 * client cores over a real server: the new device shows what the linking device shows, page by
 * page, and what is sent afterwards reaches both.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { LinkState } from '../../../sync/app-api/linking-api.js';
import { attachmentId, ATTACHMENTS_PATH } from '../../../sync/protocol/attachments.js';
import { ATTACHMENTS_DIR } from '../../../sync/server/attachments/attachment-files.js';
import { attachFile, fileBytes } from '../../support/attachments-files.js';
import { createClientHarness, eventually, FaultyTransport, type TestCore } from '../../support/client-harness.js';
import { acceptedBy, devicesPublished, sharedPage } from '../../support/people.js';
import { createServerHarness, DEFAULT_TEST_PASSWORD, type TestServer } from '../../support/server-harness.js';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const servers = createServerHarness();
const clients = createClientHarness();
afterEach(async () => {
  await clients.cleanup();
  await servers.cleanup();
});

async function signedUp(server: TestServer, username: string): Promise<{ core: TestCore; userId: string }> {
  const core = await clients.open(await clients.profileDir(), server.url);
  const session = await core.createAccount({
    serverUrl: server.url,
    username,
    displayName: username,
    password: DEFAULT_TEST_PASSWORD,
  });
  // What others seal is sealed for the devices whose keys are published: a slow machine publishes
  // them late, and a message sealed before would reach them only once asked for again.
  await devicesPublished(server, session.user.id, 1);
  return { core, userId: session.user.id };
}

/** The uploads the server holds, by id. */
function uploadIds(server: TestServer): string[] {
  return readdirSync(join(server.dataDir, ATTACHMENTS_DIR)).filter((name) => attachmentId.safeParse(name).success);
}

async function linkedLaptop(server: TestServer, first: TestCore, username: string): Promise<TestCore> {
  const laptop = await clients.open(await clients.profileDir(), server.url);
  await laptop.logIn({ serverUrl: server.url, username, password: DEFAULT_TEST_PASSWORD });
  const state = await eventually(
    () => laptop.getLinkState(),
    (current: LinkState) => current.kind === 'waiting' && current.code !== null,
    'a link code',
  );
  await first.linkDevice({ code: (state as { code: string }).code });
  await eventually(
    () => laptop.getLinkState(),
    (current) => current.kind === 'linked' && current.history !== 'arriving',
    'the laptop to be linked, its history settled',
  );
  return laptop;
}

/** Every page of a conversation, newest first, as `listMessages` pages it (50 at a time). */
async function allPages(core: TestCore, conversationId: string) {
  const pages = [];
  let before: number | undefined;
  for (;;) {
    const page = await core.listMessages({ conversationId, limit: 50, ...(before !== undefined ? { beforeSeq: before } : {}) });
    pages.push(page.messages.map((m) => ({ id: m.id, text: m.text, seq: m.seq, deleted: m.deleted, edited: m.edited })));
    if (!page.hasOlder || page.messages.length === 0) return pages;
    before = page.messages[0]!.seq ?? undefined;
  }
}

describe('history on a linked device', () => {
  it('shows the linking device’s history (a long conversation, a group, edits, reactions, replies, a deletion, a file), then what comes after on both', async () => {
    const server = await servers.startServer();
    const { core: alice } = await signedUp(server, 'alice');
    const { core: bob, userId: bobId } = await signedUp(server, 'bob');
    const strangerToken = (await servers.createAccount(server)).token;
    const { core: carol, userId: carolId } = await signedUp(server, 'carol');

    const direct = await alice.startConversation({ username: 'bob' });
    await acceptedBy(bob, direct.id);
    for (let i = 0; i < 320; i += 1) await alice.sendMessage({ conversationId: direct.id, text: `message ${i}` });
    const question = await bob.sendMessage({ conversationId: direct.id, text: 'a question' });
    await eventually(
      () => sharedPage(alice, direct.id),
      (page) => page.some((m) => m.id === question.id),
      'Bob’s question on Alice’s phone',
    );
    await alice.sendMessage({ conversationId: direct.id, text: 'an answer', replyTo: question.id });
    const edited = await alice.sendMessage({ conversationId: direct.id, text: 'first words' });
    await onTheServer(alice, direct.id, edited.id);
    await alice.editMessage({ conversationId: direct.id, messageId: edited.id, text: 'better words' });
    const gone = await alice.sendMessage({ conversationId: direct.id, text: 'regretted' });
    // Deleted for everyone once the server has it (before, it would only be taken back here).
    await onTheServer(alice, direct.id, gone.id);
    await alice.deleteMessage({ conversationId: direct.id, messageId: gone.id });
    await eventually(
      () => sharedPage(bob, direct.id),
      (page) => page.some((m) => m.id === edited.id),
      'the edited message on Bob’s side',
    );
    await bob.setReaction({ conversationId: direct.id, messageId: edited.id, emoji: '👍', on: true });
    const file = await attachFile(
      alice.profileDir,
      await mkdtemp(join(tmpdir(), 'history-file-')),
      'notes.bin',
      fileBytes(70_000),
    );
    await alice.sendMessage({
      conversationId: direct.id,
      text: 'the notes',
      attachments: [{ sha256: file.sha256, name: 'notes.bin', kind: 'file' }],
    });

    const toCarol = await alice.startConversation({ username: 'carol' });
    await acceptedBy(carol, toCarol.id);
    await alice.sendMessage({ conversationId: toCarol.id, text: 'are you coming?' });
    const group = await alice.createGroup({ name: 'Trip', memberIds: [bobId, carolId] });
    await acceptedBy(carol, group.id);
    await carol.sendMessage({ conversationId: group.id, text: 'hello trip' });
    await alice.sendMessage({ conversationId: group.id, text: 'hi all' });

    // Alice's phone holds all of it before the laptop is linked.
    await eventually(
      () => sharedPage(alice, direct.id),
      (page) => page.length === 325 && page.at(-1)?.text === 'the notes' && page.some((m) => m.reactions.length === 1),
      'the direct conversation on Alice’s phone',
    );
    await eventually(
      () => sharedPage(alice, group.id),
      (page) => page.length >= 2 && page.some((m) => m.text === 'hello trip'),
      'the group on Alice’s phone',
    );

    const filesBefore = uploadIds(server);
    const laptop = await linkedLaptop(server, alice, 'alice');
    expect(await laptop.getLinkState()).toEqual({ kind: 'linked', history: 'transferred' });
    // The export is an upload of Alice's that no message refers to: her devices may download it, nobody else.
    const [exportId] = uploadIds(server).filter((id) => !filesBefore.includes(id));
    const stranger = await fetch(`${server.httpUrl}${ATTACHMENTS_PATH}/${exportId!}`, {
      headers: { authorization: `Bearer ${strangerToken}` },
    });
    expect(stranger.status).toBe(404);
    for (const conversationId of [direct.id, toCarol.id, group.id]) {
      const expected = await allPages(alice, conversationId);
      await eventually(
        () => allPages(laptop, conversationId),
        (pages) => JSON.stringify(pages) === JSON.stringify(expected),
        `conversation ${conversationId} on the laptop as on the phone`,
      );
      expect(await sharedPage(laptop, conversationId)).toEqual(await sharedPage(alice, conversationId));
    }
    const notes = (await sharedPage(laptop, direct.id)).at(-1)!;
    expect(notes.text).toBe('the notes');
    const history = await laptop.getEditHistory({ conversationId: direct.id, messageId: edited.id });
    expect(history.map((version) => version.text)).toEqual(['first words', 'better words']);

    // What is sent after linking reaches both of Alice's devices.
    await bob.sendMessage({ conversationId: direct.id, text: 'after the link' });
    for (const device of [alice, laptop]) {
      await eventually(
        () => sharedPage(device, direct.id),
        (page) => page.at(-1)?.text === 'after the link',
        'the message sent after linking',
      );
    }
  }, 180_000);

  it('a corrupted export fails clearly and linking still completes: the device works, says so, and can try again', async () => {
    const server = await servers.startServer();
    const transport = new FaultyTransport();
    const phone = await clients.open(await clients.profileDir(), server.url, transport);
    await phone.createAccount({ serverUrl: server.url, username: 'dana', displayName: 'dana', password: DEFAULT_TEST_PASSWORD });
    const { core: erin } = await signedUp(server, 'erin');
    const direct = await phone.startConversation({ username: 'erin' });
    await acceptedBy(erin, direct.id);
    await phone.sendMessage({ conversationId: direct.id, text: 'before the link' });
    await eventually(
      () => sharedPage(erin, direct.id),
      (page) => page.length === 1,
      'the message on Erin’s side',
    );
    // Once the export is up and before the hand-over goes, bytes of it are flipped on the server.
    transport.fromClient = (frame) => {
      if (frame.type === 'link_device') {
        for (const id of uploadIds(server)) {
          const path = join(server.dataDir, ATTACHMENTS_DIR, id);
          const bytes = readFileSync(path);
          bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
          writeFileSync(path, bytes);
        }
      }
      return 'pass';
    };

    const laptop = await linkedLaptop(server, phone, 'dana');
    expect(await laptop.getLinkState()).toEqual({ kind: 'linked', history: 'failed' });
    await laptop.retryHistoryTransfer({});
    await eventually(
      () => laptop.getLinkState(),
      (state) => state.kind === 'linked' && state.history === 'failed',
      'the retry to fail the same way',
    );
    // Linked all the same: once it has published its keys, what is sent reaches the laptop.
    await devicesPublished(server, (await phone.getSession())!.user.id, 2);
    await erin.sendMessage({ conversationId: direct.id, text: 'after the link' });
    await eventually(
      () => sharedPage(laptop, direct.id),
      (page) => page.some((m) => m.text === 'after the link'),
      'the message sent after linking, on the laptop',
    );
  }, 60_000);
});

/** Waits until the server has the message: from then on an edit or delete follows it rather than rewriting it here. */
async function onTheServer(core: TestCore, conversationId: string, messageId: string): Promise<void> {
  await eventually(
    async () => (await core.listMessages({ conversationId })).messages.find((m) => m.id === messageId)?.seq ?? null,
    (seq) => seq !== null,
    'the message on the server',
  );
}
