import { afterEach, expect, it } from 'vitest';
import type { Setting, SettingRegister, StoredSetting } from '../../../sync/protocol/frames.js';
import { REFUSALS } from '../../../sync/server/refusals.js';
import { createGroup, createServerHarness, groupChange, type TestClient } from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';

function set(socket: TestClient, ...settings: SettingRegister[]) {
  return socket.call({ type: 'set_settings', settings }, 'settings');
}

const register = (setting: Setting, at: number, by = 'device-a'): SettingRegister => ({ setting, at, by });

describeEachStore('personal settings', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('merge last writer wins per register: an older write loses (the reply says what is stored), a tie goes to the greater device id', async () => {
    const server = await h.startServer();
    const { aliceSocket, conversation } = await h.pair(server);
    const muted = (value: boolean): Setting => ({ kind: 'muted', conversationId: conversation.id, value });

    const first = await set(aliceSocket, register(muted(true), 100, 'device-b'));
    expect(first).toMatchObject({ settings: [{ ...register(muted(true), 100, 'device-b'), version: 1 }], hasMore: false });
    // Older: loses, nothing changes, the answer is what is stored.
    expect((await set(aliceSocket, register(muted(false), 99, 'device-z'))).settings).toEqual(first.settings);
    // The same clock: the greater device id wins; the smaller loses; the very same write changes nothing.
    expect((await set(aliceSocket, register(muted(false), 100, 'device-a'))).settings).toEqual(first.settings);
    expect((await set(aliceSocket, register(muted(false), 100, 'device-b'))).settings).toEqual(first.settings);
    const tie = await set(aliceSocket, register(muted(false), 100, 'device-c'));
    expect(tie.settings).toEqual([{ ...register(muted(false), 100, 'device-c'), version: 2 }]);
    // Newer wins.
    const newer = await set(aliceSocket, register(muted(true), 101, 'device-a'));
    expect(newer.settings).toEqual([{ ...register(muted(true), 101, 'device-a'), version: 3 }]);
    // Each register is its own: a draft and archive beside it, several in one frame, each a version.
    const draft: Setting = { kind: 'draft', conversationId: conversation.id, value: { text: 'half a thought', replyTo: null } };
    const archived: Setting = { kind: 'archived', conversationId: conversation.id, value: { on: true, seq: 0 } };
    const both = await set(aliceSocket, register(draft, 50), register(archived, 50), register(muted(false), 1));
    expect(both.settings).toEqual([
      { ...register(draft, 50), version: 4 },
      { ...register(archived, 50), version: 5 },
      { ...register(muted(true), 101, 'device-a'), version: 3 },
    ]);
  });

  it('are listed by version, a page at a time, from any version on', async () => {
    const server = await h.startServer();
    const { aliceSocket, conversation } = await h.pair(server);
    const drafts = Array.from({ length: 7 }, (_, i) =>
      register({ kind: 'draft', conversationId: conversation.id, value: { text: `draft ${i}`, replyTo: null } }, i + 1),
    );
    for (const draft of drafts) await set(aliceSocket, draft);
    await set(aliceSocket, register({ kind: 'muted', conversationId: conversation.id, value: true }, 1));
    // One register per key: the draft's latest write (version 7) and the mute (8).
    const all = await aliceSocket.call({ type: 'list_settings', afterVersion: 0 }, 'settings');
    expect(all.settings.map((s) => [s.setting.kind, s.version])).toEqual([
      ['draft', 7],
      ['muted', 8],
    ]);
    expect(all.hasMore).toBe(false);
    const seen: StoredSetting[] = [];
    let after = 0;
    for (;;) {
      const page = await aliceSocket.call({ type: 'list_settings', afterVersion: after, limit: 1 }, 'settings');
      seen.push(...page.settings);
      if (!page.hasMore) break;
      after = page.settings.at(-1)!.version;
    }
    expect(seen).toEqual(all.settings);
    expect(await aliceSocket.call({ type: 'list_settings', afterVersion: 8 }, 'settings')).toMatchObject({
      settings: [],
      hasMore: false,
    });
  });

  it("are pushed to the user's other connections (only what changed), never to the requester or anyone else", async () => {
    const server = await h.startServer();
    const { alice, aliceSocket, bobSocket, conversation } = await h.pair(server);
    const laptop = await h.connect(server, alice.token);
    const muted: Setting = { kind: 'muted', conversationId: conversation.id, value: true };
    const archived: Setting = { kind: 'archived', conversationId: conversation.id, value: { on: true, seq: 0 } };
    await set(aliceSocket, register(muted, 10));
    const push = await laptop.waitForPush('settings_changed');
    expect(push.settings).toEqual([{ ...register(muted, 10), version: 1 }]);
    // A frame where one register loses and one wins: only the winner is pushed.
    await set(aliceSocket, register({ ...muted, value: false }, 5), register(archived, 10));
    const second = await laptop.waitForPush('settings_changed', (p) => p.settings.some((s) => s.version === 2));
    expect(second.settings).toEqual([{ ...register(archived, 10), version: 2 }]);
    // A write that changes nothing is not pushed.
    await set(laptop, register(muted, 10));
    await Promise.all([aliceSocket.barrier(), laptop.barrier(), bobSocket.barrier()]);
    expect(laptop.pushesOf('settings_changed')).toHaveLength(2);
    expect(aliceSocket.pushesOf('settings_changed')).toEqual([]);
    expect(bobSocket.pushesOf('settings_changed')).toEqual([]);
  });

  it('need a conversation the user is or was ever in: a former member keeps theirs; a block needs another existing person', async () => {
    const server = await h.startServer();
    const [owner, gone] = await Promise.all([h.createAccount(server), h.createAccount(server)]);
    const ownerSocket = await h.connect(server, owner.token);
    const goneSocket = await h.connect(server, gone.token);
    const group = await createGroup(ownerSocket, { name: 'Once', memberIds: [gone.user.id] });
    await groupChange(goneSocket, group.id, 'leave', { kind: 'leave' });
    const archived: Setting = { kind: 'archived', conversationId: group.id, value: { on: true, seq: 2 } };
    expect((await set(goneSocket, register(archived, 1))).settings).toHaveLength(1);
    const other = await h.createAccount(server);
    const otherSocket = await h.connect(server, other.token);
    expect(await otherSocket.request({ type: 'set_settings', settings: [register(archived, 1)] })).toMatchObject({
      type: 'error',
      ...REFUSALS.conversation_not_found,
    });
    const block = (userId: string): SettingRegister => register({ kind: 'blocked', userId, value: true }, 1);
    expect(await otherSocket.request({ type: 'set_settings', settings: [block(other.user.id)] })).toMatchObject(
      REFUSALS.cannot_block_yourself,
    );
    expect(await otherSocket.request({ type: 'set_settings', settings: [block('nobody-at-all')] })).toMatchObject(
      REFUSALS.no_such_user,
    );
    // Anyone who exists, contact or not.
    expect((await set(otherSocket, block(owner.user.id))).settings).toEqual([{ ...block(owner.user.id), version: 1 }]);
  });

  it('keep their versions across a restart, and numbering goes on', async () => {
    const server = await h.startServer();
    const { alice, aliceSocket, conversation } = await h.pair(server);
    await set(aliceSocket, register({ kind: 'muted', conversationId: conversation.id, value: true }, 1));
    const again = await h.restart(server);
    const socket = await h.connect(again, alice.token);
    expect((await socket.call({ type: 'list_settings', afterVersion: 0 }, 'settings')).settings).toHaveLength(1);
    const next = await set(socket, register({ kind: 'muted', conversationId: conversation.id, value: false }, 2));
    expect(next.settings[0]!.version).toBe(2);
  });
});
