import { afterEach, expect, it } from 'vitest';
import type { Setting, SettingRegister, StoredSetting } from '../../../sync/protocol/frames.js';
import { REFUSALS } from '../../../sync/server/refusals.js';
import { sealedSize } from '../../../sync/server/store/settings-rules.js';
import {
  createGroup,
  createServerHarness,
  groupChange,
  type FrameRequest,
  type TestClient,
} from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';
import { sealedSetting } from '../../support/sealed-setting.js';

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
    const muted = (value: boolean): Setting => sealedSetting(`muted ${conversation.id}`, String(value));

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
    // Each register is its own: two more beside it, several in one frame, each a version.
    const draft = sealedSetting(`draft ${conversation.id}`, 'half a thought');
    const archived = sealedSetting(`archived ${conversation.id}`, 'on');
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
    const drafts = Array.from({ length: 7 }, (_, i) => register(sealedSetting(`draft ${conversation.id}`, `draft ${i}`), i + 1));
    for (const draft of drafts) await set(aliceSocket, draft);
    await set(
      aliceSocket,
      register({ kind: 'request', conversationId: conversation.id, value: { answer: 'accepted', seq: 0 } }, 1),
    );
    // One register per key: the draft's latest write (version 7) and the answer (8).
    const all = await aliceSocket.call({ type: 'list_settings', afterVersion: 0 }, 'settings');
    expect(all.settings.map((s) => [s.setting.kind, s.version])).toEqual([
      ['sealed', 7],
      ['request', 8],
    ]);
    expect(all.settings[0]!.setting).toEqual(drafts[6]!.setting);
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
    const muted = sealedSetting(`muted ${conversation.id}`, 'true');
    const archived = sealedSetting(`archived ${conversation.id}`, 'on');
    await set(aliceSocket, register(muted, 10));
    const push = await laptop.waitForPush('settings_changed');
    expect(push.settings).toEqual([{ ...register(muted, 10), version: 1 }]);
    // A frame where one register loses and one wins: only the winner is pushed.
    await set(aliceSocket, register(sealedSetting(`muted ${conversation.id}`, 'false'), 5), register(archived, 10));
    const second = await laptop.waitForPush('settings_changed', (p) => p.settings.some((s) => s.version === 2));
    expect(second.settings).toEqual([{ ...register(archived, 10), version: 2 }]);
    // A write that changes nothing is not pushed.
    await set(laptop, register(muted, 10));
    await Promise.all([aliceSocket.barrier(), laptop.barrier(), bobSocket.barrier()]);
    expect(laptop.pushesOf('settings_changed')).toHaveLength(2);
    expect(aliceSocket.pushesOf('settings_changed')).toEqual([]);
    expect(bobSocket.pushesOf('settings_changed')).toEqual([]);
  });

  it('name a conversation the user is or was ever in: a former member keeps theirs; a block needs another existing person', async () => {
    const server = await h.startServer();
    const [owner, gone] = await Promise.all([h.createAccount(server), h.createAccount(server)]);
    const ownerSocket = await h.connect(server, owner.token);
    const goneSocket = await h.connect(server, gone.token);
    const group = await createGroup(ownerSocket, { memberIds: [gone.user.id] });
    await groupChange(goneSocket, group.id, 'leave', { kind: 'leave' });
    const answered: Setting = { kind: 'request', conversationId: group.id, value: { answer: 'deleted', seq: 2 } };
    expect((await set(goneSocket, register(answered, 1))).settings).toHaveLength(1);
    const other = await h.createAccount(server);
    const otherSocket = await h.connect(server, other.token);
    expect(await otherSocket.request({ type: 'set_settings', settings: [register(answered, 1)] })).toMatchObject({
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

  it('know no private kinds: archive, mute and drafts in the clear are malformed frames, stored nowhere', async () => {
    const server = await h.startServer();
    const { aliceSocket, conversation } = await h.pair(server);
    for (const setting of [
      { kind: 'muted', conversationId: conversation.id, value: true },
      { kind: 'archived', conversationId: conversation.id, value: { on: true, seq: 0 } },
      { kind: 'draft', conversationId: conversation.id, value: { text: 'in the clear', replyTo: null } },
    ]) {
      // As an older client would send them (this version's types know no such setting).
      const inTheClear = { type: 'set_settings', settings: [{ setting, at: 1, by: 'd' }] } as unknown as FrameRequest;
      expect(await aliceSocket.request(inTheClear)).toMatchObject({ type: 'error', code: 'bad_frame' });
    }
    expect((await aliceSocket.call({ type: 'list_settings', afterVersion: 0 }, 'settings')).settings).toEqual([]);
  });

  it("are held to the account's budget of sealed settings: past it a frame is refused whole (forbidden, settings_full), nothing stored or pushed", async () => {
    const server = await h.startServer({ settingsBudget: { sealedSettings: 3, sealedSettingsBytes: 230 } });
    const { alice, aliceSocket, bobSocket, conversation } = await h.pair(server);
    const laptop = await h.connect(server, alice.token);
    // 135 and 95 characters of key and value: they fill the budget; the archive (55) does not fit beside them.
    const draft = sealedSetting(`draft ${conversation.id}`, 'd'.repeat(60));
    const muted = sealedSetting(`muted ${conversation.id}`, 'm'.repeat(30));
    const archived = sealedSetting(`archived ${conversation.id}`, '');
    expect([draft, muted, archived].map(sealedSize)).toEqual([135, 95, 55]);
    expect((await set(aliceSocket, register(draft, 1), register(muted, 1))).settings).toHaveLength(2);
    await laptop.waitForPush('settings_changed');

    const full = await aliceSocket.request({
      type: 'set_settings',
      settings: [register({ kind: 'show_online', value: 'nobody' }, 2), register(archived, 2)],
    });
    expect(full).toMatchObject({ type: 'error', ...REFUSALS.settings_full, code: 'forbidden' });
    // Nothing of the frame is stored (the privacy setting in it neither), nor told to anyone.
    await Promise.all([aliceSocket.barrier(), laptop.barrier(), bobSocket.barrier()]);
    expect(laptop.pushesOf('settings_changed')).toHaveLength(1);
    const listed = await aliceSocket.call({ type: 'list_settings', afterVersion: 0 }, 'settings');
    expect(listed.settings.map((stored) => stored.version)).toEqual([1, 2]);
    // What the server reads goes alone; an emptied draft (55) frees room, and then the archive fits.
    expect((await set(aliceSocket, register({ kind: 'show_online', value: 'nobody' }, 2))).settings).toHaveLength(1);
    const emptied = sealedSetting(`draft ${conversation.id}`, '');
    expect((await set(aliceSocket, register(emptied, 3))).settings).toEqual([{ ...register(emptied, 3), version: 4 }]);
    expect((await set(aliceSocket, register(archived, 3))).settings).toEqual([{ ...register(archived, 3), version: 5 }]);
    // The budget holds across a restart: the totals are the store's.
    const again = await h.restart(server);
    const socket = await h.connect(again, alice.token);
    const bigger = sealedSetting(`muted ${conversation.id}`, 'm'.repeat(90));
    expect(await socket.request({ type: 'set_settings', settings: [register(bigger, 4)] })).toMatchObject(REFUSALS.settings_full);
  });

  it('keep their versions across a restart, and numbering goes on', async () => {
    const server = await h.startServer();
    const { alice, aliceSocket, conversation } = await h.pair(server);
    await set(aliceSocket, register(sealedSetting(`muted ${conversation.id}`, 'true'), 1));
    const again = await h.restart(server);
    const socket = await h.connect(again, alice.token);
    expect((await socket.call({ type: 'list_settings', afterVersion: 0 }, 'settings')).settings).toHaveLength(1);
    const next = await set(socket, register(sealedSetting(`muted ${conversation.id}`, 'false'), 2));
    expect(next.settings[0]!.version).toBe(2);
  });
});
