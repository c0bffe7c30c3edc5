import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AppApiError } from '../../../sync/app-api/contract.js';
import { Composer } from '../../../sync/client/composer.js';
import { MIRROR_MIGRATIONS } from '../../../sync/client/mirror/migrations.js';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import { PersonalSettings } from '../../../sync/client/personal-settings.js';
import type { Runtime } from '../../../sync/common/runtime.js';
import { realRuntime } from '../../../sync/node/real-runtime.js';
import { openDatabase } from '../../../sync/node/sqlite.js';
import type { AppliedEvent, PinEvent } from '../../../sync/content/opened-events.js';
import type { LinkPreview } from '../../../sync/protocol/frames.js';
import type { PersonalSetting, StoredPersonalSetting } from '../../../sync/content/personal-settings.js';
import { LIMITS } from '../../../sync/protocol/limits.js';
import { createTestMirrors } from '../../support/test-mirror.js';
import { newSettingsSeal } from '../../support/sealed-setting.js';
import type { SettingsSeal } from '../../../sync/client/crypto/sealed-settings.js';

const mirrors = createTestMirrors();
let seal: SettingsSeal;
beforeAll(async () => {
  seal = await newSettingsSeal();
});
/** The registers a set_settings frame would carry: as this device keeps them, and as they go (sealed). */
const pendingOf = (mirror: Mirror, count: number, bytes: number) =>
  mirror.settings.pendingBatch(count, bytes, (register) => seal.seal(register));
const dirs: string[] = [];
afterEach(() => {
  mirrors.cleanup();
  dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true }));
});

/** A runtime whose clock the test sets; ids stay random (realRuntime's). */
function testRuntime(start = 10_000): Runtime & { clock: { now(): number; set(at: number): void } } {
  let now = start;
  const real = realRuntime();
  return { ...real, clock: { now: () => now, set: (at: number) => (now = at) } };
}

/** The test mirror ('c1' between 'me' and 'ann') with a device of its own. */
function open(runtime = testRuntime()) {
  const mirror = mirrors.open();
  mirror.settings.useRuntime(runtime);
  const composer = new Composer(mirror, runtime, 'me', () => false);
  return { mirror, composer, runtime };
}

const base = (seq: number, senderId: string) => ({ conversationId: 'c1', seq, senderId, sentAt: 1000 + seq });
const message = (seq: number, id: string, senderId = 'ann', extra: object = {}): AppliedEvent => ({
  kind: 'message',
  ...base(seq, senderId),
  clientMessageId: id,
  text: `text of ${id}`,
  replyTo: null,
  deleted: false,
  attachments: [],
  ...extra,
});
const pin = (seq: number, id: string, on: boolean, senderId = 'ann'): PinEvent => ({
  kind: 'pin',
  ...base(seq, senderId),
  clientChangeId: `p${seq}`,
  messageId: id,
  on,
});
const del = (seq: number, id: string, senderId = 'ann'): AppliedEvent => ({
  kind: 'delete',
  ...base(seq, senderId),
  clientChangeId: `d${seq}`,
  messageId: id,
});

const view = (mirror: Mirror, id: string) => mirror.views.messageView('c1', id, 'me');
const pinnedIds = (mirror: Mirror) => mirror.views.pinnedMessages('c1', 'me', 0).map((p) => [p.messageId, p.pending]);

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, index) =>
    permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [item, ...rest]),
  );
}

describe('pins', () => {
  it('the latest pin event of a message is its state, whatever order the events arrive in', () => {
    const events = [message(1, 'a'), pin(2, 'a', true), pin(3, 'a', false, 'me'), pin(4, 'a', true, 'me')];
    for (const order of permutations(events)) {
      const { mirror } = open();
      // One by one as acknowledgements and live events deliver them (held until the message is here), then the catch-up.
      for (const event of order) mirror.acknowledge(event, 'me');
      mirror.applyEvents('c1', events, 'me');
      expect(view(mirror, 'a')?.pinned, JSON.stringify(order.map((e) => e.seq))).toBe(true);
      expect(mirror.views.pinnedMessages('c1', 'me', 0)).toEqual([
        {
          messageId: 'a',
          seq: 1,
          senderName: 'Ann',
          text: 'text of a',
          attachment: null,
          pinnedBy: 'Me',
          pinnedAt: 1004,
          pending: false,
        },
      ]);
      mirror.close();
    }
  });

  it('a deleted message is not pinned, and an older pin applied late does not pin it again', () => {
    const { mirror } = open();
    mirror.applyEvents('c1', [message(1, 'a'), message(2, 'b'), pin(3, 'a', true), pin(4, 'b', true)], 'me');
    expect(pinnedIds(mirror)).toEqual([
      ['b', false],
      ['a', false],
    ]);
    mirror.applyEvents('c1', [del(5, 'a')], 'me');
    expect(view(mirror, 'a')?.pinned).toBe(false);
    expect(pinnedIds(mirror)).toEqual([['b', false]]);
    mirror.acknowledge(pin(3, 'a', true), 'me');
    mirror.acknowledge(pin(6, 'a', true), 'me');
    expect(view(mirror, 'a')?.pinned).toBe(false);
    expect(pinnedIds(mirror)).toEqual([['b', false]]);
    mirror.close();
  });

  it('pins change nothing in the search index', () => {
    const { mirror } = open();
    mirror.applyEvents('c1', [message(1, 'a')], 'me');
    const db = new Database(join(mirrorDir(mirror), 'mirror.sqlite'), { readonly: true });
    const indexed = () => db.prepare('SELECT COUNT(*) FROM message_search_data').pluck().get();
    const before = indexed();
    mirror.applyEvents('c1', [pin(2, 'a', true), pin(3, 'a', false)], 'me');
    expect(indexed()).toBe(before);
    expect(mirror.search.search('text', 'me', 10).map((hit) => hit.messageId)).toEqual(['a']);
    db.close();
    mirror.close();
  });

  it('a queued pin shows at once (pending), a toggle back before it went out cancels it, and a refusal shows as a failed pin', () => {
    const { mirror, composer } = open();
    mirror.applyEvents('c1', [message(1, 'a'), message(2, 'b')], 'me');
    composer.pin('c1', 'a', true);
    expect(view(mirror, 'a')?.pinned).toBe(true);
    expect(pinnedIds(mirror)).toEqual([['a', true]]);
    composer.pin('c1', 'a', false);
    expect(mirror.outbox.queuedChanges('c1')).toEqual([]);
    expect(view(mirror, 'a')?.pinned).toBe(false);

    composer.pin('c1', 'b', true);
    const [entry] = mirror.outbox.nextEntries();
    expect(entry).toMatchObject({ kind: 'pin', messageId: 'b', on: true });
    mirror.outbox.markAttempt(entry!.id);
    // On the wire already: the unpin follows it.
    composer.pin('c1', 'b', false);
    expect(mirror.outbox.queuedChanges('c1').map((change) => [change.kind, change.on])).toEqual([
      ['pin', true],
      ['pin', false],
    ]);
    expect(view(mirror, 'b')?.pinned).toBe(false);
    mirror.outbox.fail(entry!.clientId, 'not_allowed');
    expect(view(mirror, 'b')?.failedChanges).toEqual([{ changeId: entry!.clientId, kind: 'pin', error: 'not_allowed' }]);
    // The acknowledged pin event of our own clears its row.
    mirror.applyEvents('c1', [{ ...pin(3, 'b', true, 'me'), clientChangeId: entry!.clientId }], 'me');
    expect(mirror.outbox.queuedChanges('c1').map((change) => [change.kind, change.on])).toEqual([['pin', false]]);
    mirror.close();
  });

  it('only owner and admins pin in a group; nobody pins a deleted message', () => {
    const { mirror, composer } = open();
    mirror.upsertConversation(
      {
        id: 'g1',
        kind: 'group',
        name: 'team',
        isMember: true,
        createdAt: 1,
        lastSeq: 0,
        members: [
          { id: 'ann', username: 'ann', displayName: 'Ann', role: 'owner', deliveredSeq: 0, readSeq: 0 },
          { id: 'me', username: 'me', displayName: 'Me', role: 'member', deliveredSeq: 0, readSeq: 0 },
        ],
      },
      'me',
    );
    mirror.applyEvents('g1', [{ ...message(1, 'g'), conversationId: 'g1' }], 'me');
    expect(() => composer.pin('g1', 'g', true)).toThrow(new AppApiError('refused', 'not_allowed'));
    mirror.applyEvents('c1', [message(1, 'a'), del(2, 'a')], 'me');
    expect(() => composer.pin('c1', 'a', true)).toThrow(new AppApiError('refused', 'message_deleted'));
    mirror.close();
  });
});

describe('link previews', () => {
  const preview: LinkPreview = {
    url: 'https://example.com/a',
    title: 'Example <b>page</b>',
    description: 'About it',
    image: 'data:image/jpeg;base64,AAAA',
  };

  it('shows the sender’s preview until the message is deleted, and queues our own with the send', () => {
    const { mirror, composer } = open();
    mirror.applyEvents('c1', [message(1, 'a', 'ann', { linkPreview: preview }), message(2, 'b')], 'me');
    expect(view(mirror, 'a')?.linkPreview).toEqual(preview);
    expect(view(mirror, 'b')?.linkPreview).toBeNull();
    mirror.applyEvents('c1', [del(3, 'a')], 'me');
    expect(view(mirror, 'a')?.linkPreview).toBeNull();

    const own = composer.send('c1', 'see https://example.com/a', null, [], preview);
    expect(view(mirror, own)?.linkPreview).toEqual(preview);
    expect(mirror.outbox.nextEntries()).toEqual([
      expect.objectContaining({ kind: 'send', messageId: own, linkPreview: preview }),
    ]);
    mirror.close();
  });

  it('a stored preview that is not valid is not shown, and a queued one that is not valid is not sent', () => {
    const { mirror, composer } = open();
    const own = composer.send('c1', 'look', null, [], preview);
    const dir = mirrorDir(mirror);
    mirror.close();
    const db = new Database(join(dir, 'mirror.sqlite'));
    db.prepare('UPDATE messages SET link_preview = ?').run(JSON.stringify({ ...preview, url: 'javascript:alert(1)' }));
    db.close();
    const reopened = Mirror.open(join(dir, 'mirror.sqlite'));
    expect(reopened.views.messageView('c1', own, 'me')?.linkPreview).toBeNull();
    expect(() => reopened.outbox.nextEntries()).toThrow(/malformed link preview/);
    reopened.close();
  });
});

describe('settings registers', () => {
  const stored = (setting: PersonalSetting, at: number, by: string, version: number): StoredPersonalSetting => ({
    setting,
    at,
    by,
    version,
  });

  it('merge last-writer-wins in any order; our own write coming back confirms it', () => {
    const { mirror } = open();
    const device = mirror.settings.deviceId()!;
    mirror.transaction(() => mirror.settings.write({ kind: 'muted', conversationId: 'c1', value: true }));
    expect(mirror.settings.register({ kind: 'muted', conversationId: 'c1' })).toMatchObject({ at: 10_000, pending: true });
    // Older than ours: ignored, ours still pending.
    mirror.settings.merge([stored({ kind: 'muted', conversationId: 'c1', value: false }, 9_000, 'zzz', 3)]);
    expect(mirror.settings.register({ kind: 'muted', conversationId: 'c1' })).toMatchObject({
      setting: { value: true },
      pending: true,
    });
    // Ours confirmed.
    mirror.settings.merge([stored({ kind: 'muted', conversationId: 'c1', value: true }, 10_000, device, 4)]);
    expect(mirror.settings.register({ kind: 'muted', conversationId: 'c1' })).toMatchObject({ pending: false, version: 4 });
    expect(mirror.views.conversationSummaries('me')[0]).toMatchObject({ muted: true });

    // Two devices' writes in either order end the same; ties go to the greater device id.
    const a = stored({ kind: 'draft', conversationId: 'c1', value: { text: 'from a', replyTo: null } }, 20_000, 'aaa', 5);
    const b = stored({ kind: 'draft', conversationId: 'c1', value: { text: 'from b', replyTo: null } }, 20_000, 'bbb', 6);
    const { mirror: other } = open();
    mirror.settings.merge([a, b]);
    other.settings.merge([b]);
    other.settings.merge([a]);
    expect(mirror.settings.draft('c1')).toEqual({ text: 'from b', replyTo: null });
    expect(other.settings.draft('c1')).toEqual({ text: 'from b', replyTo: null });
    expect(mirror.views.conversationSummaries('me')[0]).toMatchObject({ draft: 'from b' });
    mirror.close();
    other.close();
  });

  it('a privacy choice waits for the server until its own write comes back, and the confirmation is news', () => {
    const { mirror } = open();
    const device = mirror.settings.deviceId()!;
    expect(mirror.settings.privacyWaiting()).toBe(false);
    mirror.transaction(() => mirror.settings.write({ kind: 'group_adds', value: 'contacts' }));
    mirror.transaction(() => mirror.settings.write({ kind: 'muted', conversationId: 'c1', value: true }));
    expect(mirror.settings.privacyWaiting()).toBe(true);
    // Another device's older choice changes nothing; the mute confirmed is no privacy news.
    expect(mirror.settings.merge([stored({ kind: 'group_adds', value: 'everyone' }, 9_000, 'zzz', 1)]).changed).toBe(false);
    expect(mirror.settings.merge([stored({ kind: 'muted', conversationId: 'c1', value: true }, 10_000, device, 2)]).changed).toBe(
      false,
    );
    expect(mirror.settings.privacyWaiting()).toBe(true);
    const confirmed = mirror.settings.merge([stored({ kind: 'group_adds', value: 'contacts' }, 10_000, device, 3)]);
    expect(confirmed.changed).toBe(true);
    expect(mirror.settings.privacyWaiting()).toBe(false);
    // Confirmed twice (a reply and a pull): the second time is not news.
    expect(mirror.settings.merge([stored({ kind: 'group_adds', value: 'contacts' }, 10_000, device, 3)]).changed).toBe(false);
    mirror.close();
  });

  it('a local write after seeing another device’s always wins over it, even with a clock behind', () => {
    const { mirror, runtime } = open();
    mirror.settings.merge([
      { setting: { kind: 'muted', conversationId: 'c1', value: true }, at: 50_000, by: 'other', version: 1 },
    ]);
    runtime.clock.set(40_000);
    mirror.transaction(() => mirror.settings.write({ kind: 'muted', conversationId: 'c1', value: false }));
    expect(mirror.settings.register({ kind: 'muted', conversationId: 'c1' })).toMatchObject({
      setting: { value: false },
      at: 50_001,
      pending: true,
    });
    mirror.close();
  });

  it('coalesces pending writes: only the latest value of each register is sent, in frames that fit', () => {
    const { mirror, runtime } = open();
    for (let i = 1; i <= 5; i += 1) {
      runtime.clock.set(10_000 + i);
      mirror.transaction(() =>
        mirror.settings.write({ kind: 'draft', conversationId: 'c1', value: { text: `typing ${i}`, replyTo: null } }),
      );
    }
    mirror.transaction(() => mirror.settings.write({ kind: 'muted', conversationId: 'c1', value: true }));
    const batch = pendingOf(mirror, LIMITS.maxSettingsPerFrame, LIMITS.maxFrameBytes).personal;
    expect(batch.map((register) => register.setting)).toEqual([
      { kind: 'draft', conversationId: 'c1', value: { text: 'typing 5', replyTo: null } },
      { kind: 'muted', conversationId: 'c1', value: true },
    ]);
    // A newer local write while the batch was on the wire: the reply does not clear it.
    const [draft] = batch;
    runtime.clock.set(20_000);
    mirror.transaction(() =>
      mirror.settings.write({ kind: 'draft', conversationId: 'c1', value: { text: 'typing 6', replyTo: null } }),
    );
    mirror.settings.merge(batch.map((register, index) => ({ ...register, version: index + 1 })));
    expect(mirror.settings.stillPending(draft!)).toBe(false);
    expect(pendingOf(mirror, 100, LIMITS.maxFrameBytes).personal.map((register) => register.setting.kind)).toEqual(['draft']);
    expect(mirror.settings.draft('c1')).toEqual({ text: 'typing 6', replyTo: null });

    // Long drafts: a frame never passes the byte budget (but always carries at least one).
    for (let i = 0; i < 12; i += 1) {
      const conversationId = `long${i}`;
      mirror.transaction(() =>
        mirror.settings.write({
          kind: 'draft',
          conversationId,
          value: { text: '€'.repeat(LIMITS.maxMessageChars), replyTo: null },
        }),
      );
    }
    const budget = LIMITS.maxFrameBytes - 1024;
    const frame = pendingOf(mirror, LIMITS.maxSettingsPerFrame, budget).wire;
    expect(frame.length).toBeGreaterThanOrEqual(1);
    expect(Buffer.byteLength(JSON.stringify({ type: 'set_settings', rid: '1', settings: frame }))).toBeLessThan(
      LIMITS.maxFrameBytes,
    );
    mirror.close();
  });

  it('settings of a conversation whose creation is still queued wait for it', () => {
    const { mirror, composer } = open();
    const peer = { id: 'bob', username: 'bob', displayName: 'Bob' };
    const id = composer.startDirect(peer);
    mirror.transaction(() => mirror.settings.write({ kind: 'archived', conversationId: id, value: { on: true, seq: 0 } }));
    expect(pendingOf(mirror, 100, LIMITS.maxFrameBytes).personal).toEqual([]);
    mirror.outbox.remove(id);
    expect(pendingOf(mirror, 100, LIMITS.maxFrameBytes).personal.map((r) => r.setting.kind)).toEqual(['archived']);
    mirror.close();
  });

  it('the draft is emptied in the transaction of the send, and kept when the send fails', () => {
    const { mirror } = open();
    mirror.transaction(() =>
      mirror.settings.write({ kind: 'draft', conversationId: 'c1', value: { text: 'hello', replyTo: null } }),
    );
    mirror.enqueueMessage('c1', 'x1', 'me', 'hello', null, 10);
    expect(mirror.settings.draft('c1')).toEqual({ text: '', replyTo: null });
    expect(mirror.views.conversationSummaries('me')[0]).toMatchObject({ draft: null });

    mirror.transaction(() =>
      mirror.settings.write({ kind: 'draft', conversationId: 'c1', value: { text: 'again', replyTo: null } }),
    );
    expect(() => mirror.enqueueMessage('c1', 'x1', 'me', 'again', null, 11)).toThrow();
    expect(mirror.settings.draft('c1')).toEqual({ text: 'again', replyTo: null });
    expect(mirror.views.conversationSummaries('me')[0]).toMatchObject({ draft: 'again' });
    mirror.close();
  });

  it('a blocked peer marks the direct conversation and nothing more can be sent in it', () => {
    const { mirror, composer } = open();
    mirror.transaction(() => mirror.settings.write({ kind: 'blocked', userId: 'ann', value: true }));
    expect(mirror.views.conversationSummaries('me')[0]).toMatchObject({ blocked: true });
    expect(mirror.settings.blockedUsers()).toEqual([{ id: 'ann', username: 'ann', displayName: 'Ann' }]);
    expect(() => composer.send('c1', 'hi', null)).toThrow(new AppApiError('refused', 'blocked'));
    mirror.transaction(() => mirror.settings.write({ kind: 'blocked', userId: 'ann', value: false }));
    expect(mirror.views.conversationSummaries('me')[0]).toMatchObject({ blocked: false });
    expect(mirror.settings.blockedUsers()).toEqual([]);
    mirror.close();
  });

  it('settings that arrive before their conversation show on it once it comes', () => {
    const { mirror } = open();
    mirror.settings.merge([
      { setting: { kind: 'muted', conversationId: 'g9', value: true }, at: 1, by: 'x', version: 1 },
      { setting: { kind: 'blocked', userId: 'zed', value: true }, at: 1, by: 'x', version: 2 },
    ]);
    mirror.upsertConversation(
      {
        id: 'd9',
        kind: 'direct',
        name: null,
        isMember: true,
        createdAt: 5,
        lastSeq: 0,
        members: [
          { id: 'me', username: 'me', displayName: 'Me', role: 'member', deliveredSeq: 0, readSeq: 0 },
          { id: 'zed', username: 'zed', displayName: 'Zed', role: 'member', deliveredSeq: 0, readSeq: 0 },
        ],
      },
      'me',
    );
    mirror.upsertConversation(
      {
        id: 'g9',
        kind: 'group',
        name: 'nine',
        isMember: true,
        createdAt: 6,
        lastSeq: 0,
        members: [{ id: 'me', username: 'me', displayName: 'Me', role: 'owner', deliveredSeq: 0, readSeq: 0 }],
      },
      'me',
    );
    const byId = new Map(mirror.views.conversationSummaries('me').map((summary) => [summary.id, summary]));
    expect(byId.get('d9')).toMatchObject({ blocked: true, muted: false });
    expect(byId.get('g9')).toMatchObject({ blocked: false, muted: true });
    mirror.close();
  });
});

describe('archive', () => {
  const folder = (mirror: Mirror, name: 'main' | 'archived' | 'all') =>
    mirror.views.conversationSummaries('me', undefined, name).map((summary) => summary.id);
  const paged = (mirror: Mirror, name: 'main' | 'archived' | 'all') => {
    const ids: string[] = [];
    let after: { lastActivityAt: number; id: string } | undefined;
    for (;;) {
      const page = mirror.views.conversationPage('me', 2, after, name);
      ids.push(...page.map((summary) => summary.id));
      const last = page.at(-1);
      if (page.length < 2 || !last) return ids;
      after = { lastActivityAt: last.lastActivityAt, id: last.id };
    }
  };

  function withGroups() {
    const opened = open();
    for (const [index, id] of ['g1', 'g2', 'g3', 'g4'].entries()) {
      opened.mirror.upsertConversation(
        {
          id,
          kind: 'group',
          name: id,
          isMember: true,
          createdAt: 100 + index,
          lastSeq: 0,
          members: [
            { id: 'me', username: 'me', displayName: 'Me', role: 'owner', deliveredSeq: 0, readSeq: 0 },
            { id: 'ann', username: 'ann', displayName: 'Ann', role: 'member', deliveredSeq: 0, readSeq: 0 },
          ],
        },
        'me',
      );
    }
    return opened;
  }
  const archive = (mirror: Mirror, conversationId: string, on = true) =>
    mirror.transaction(() =>
      mirror.settings.write({ kind: 'archived', conversationId, value: { on, seq: mirror.appliedSeq(conversationId) } }),
    );

  it('archived conversations leave the main list for the archived one, in pages too', () => {
    const { mirror } = withGroups();
    archive(mirror, 'g2');
    archive(mirror, 'g4');
    expect(folder(mirror, 'main')).toEqual(['g3', 'g1', 'c1']);
    expect(folder(mirror, 'archived')).toEqual(['g4', 'g2']);
    expect(folder(mirror, 'all')).toEqual(['g4', 'g3', 'g2', 'g1', 'c1']);
    expect(paged(mirror, 'main')).toEqual(['g3', 'g1', 'c1']);
    expect(paged(mirror, 'archived')).toEqual(['g4', 'g2']);
    expect(paged(mirror, 'all')).toEqual(['g4', 'g3', 'g2', 'g1', 'c1']);
    archive(mirror, 'g4', false);
    expect(folder(mirror, 'archived')).toEqual(['g2']);
    mirror.close();
  });

  it('a message from someone else brings an unmuted conversation back, for good; our own does not; muted stays', () => {
    const { mirror } = withGroups();
    const inGroup = (id: string, seq: number, senderId: string) => ({
      ...message(seq, `${id}-${seq}`, senderId),
      conversationId: id,
    });
    mirror.applyEvents('g1', [inGroup('g1', 1, 'ann')], 'me');
    archive(mirror, 'g1');
    archive(mirror, 'g2');
    mirror.transaction(() => mirror.settings.write({ kind: 'muted', conversationId: 'g2', value: true }));
    mirror.settings.merge(
      pendingOf(mirror, 100, LIMITS.maxFrameBytes).personal.map((register, index) => ({ ...register, version: index + 1 })),
    );
    expect(mirror.views.conversationSummaries('me', 'g1')[0]).toMatchObject({ archived: true });

    mirror.applyEvents('g1', [inGroup('g1', 2, 'me')], 'me');
    expect(mirror.views.conversationSummaries('me', 'g1')[0]).toMatchObject({ archived: true });
    mirror.applyEvents('g1', [inGroup('g1', 3, 'ann')], 'me');
    mirror.applyEvents('g2', [inGroup('g2', 1, 'ann')], 'me');
    expect(folder(mirror, 'archived')).toEqual(['g2']);
    // Written as a setting, so it stays back (muting later does not send it back) and syncs.
    expect(mirror.settings.register({ kind: 'archived', conversationId: 'g1' })).toMatchObject({
      setting: { value: { on: false, seq: 3 } },
      pending: true,
    });
    mirror.transaction(() => mirror.settings.write({ kind: 'muted', conversationId: 'g1', value: true }));
    expect(folder(mirror, 'main')).toContain('g1');
    mirror.close();
  });

  it('unmuting leaves it in the archive (what came while muted does not bring it back, nor does muting again send it away); the next message does', () => {
    const { mirror } = withGroups();
    const settings = new PersonalSettings(mirror, () => undefined);
    const fromAnn = (seq: number) => ({ ...message(seq, `g1-${seq}`, 'ann'), conversationId: 'g1' });
    settings.setArchived('g1', true);
    settings.setMuted('g1', true);
    mirror.applyEvents('g1', [fromAnn(1), fromAnn(2)], 'me');
    expect(folder(mirror, 'archived')).toEqual(['g1']);

    settings.setMuted('g1', false);
    expect(folder(mirror, 'archived')).toEqual(['g1']);
    // Written as a setting (it follows from the archiving: just after it), so it syncs.
    const archivedAt = mirror.settings.register({ kind: 'archived', conversationId: 'g1' });
    expect(archivedAt).toMatchObject({ setting: { value: { on: true, seq: 2 } }, pending: true });
    settings.setMuted('g1', true);
    settings.setMuted('g1', false);
    expect(folder(mirror, 'archived')).toEqual(['g1']);
    expect(mirror.settings.register({ kind: 'archived', conversationId: 'g1' })).toEqual(archivedAt);

    mirror.applyEvents('g1', [fromAnn(3)], 'me');
    expect(folder(mirror, 'archived')).toEqual([]);
    // Unmuting one that is back in the main list, or was never archived, writes no archive.
    settings.setMuted('g1', true);
    settings.setMuted('g1', false);
    settings.setMuted('g2', true);
    settings.setMuted('g2', false);
    expect(folder(mirror, 'archived')).toEqual([]);
    expect(mirror.settings.register({ kind: 'archived', conversationId: 'g2' })).toBeNull();
    mirror.close();
  });
});

describe('mirror migration 10', () => {
  it('keeps a version-9 mirror’s queue, knows the newest incoming message, and takes pins, settings and previews', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mirror-v9-'));
    dirs.push(dir);
    const path = join(dir, 'mirror.sqlite');
    const v9 = openDatabase(path, MIRROR_MIGRATIONS.slice(0, 9));
    v9.exec(`
      INSERT INTO session (id, server_url, token, user_id, username, display_name) VALUES (1, 'ws://x', 't', 'me', 'me', 'Me');
      INSERT INTO users (id, username, display_name) VALUES ('me', 'me', 'Me'), ('ann', 'ann', 'Ann');
      INSERT INTO conversations (id, kind, created_at, last_activity_at, applied_seq, known_seq, peer_id)
        VALUES ('c1', 'direct', 1, 9, 3, 3, 'ann');
      INSERT INTO members (conversation_id, user_id, role) VALUES ('c1', 'me', 'member'), ('c1', 'ann', 'member');
      INSERT INTO messages (conversation_id, client_message_id, sender_id, text, seq, state, created_at) VALUES
        ('c1', 'a', 'ann', 'first', 1, 'sent', 1),
        ('c1', 'b', 'ann', 'second', 2, 'sent', 2),
        ('c1', 'c', 'me', 'mine', 3, 'sent', 3),
        ('c1', 'q', 'me', 'queued', NULL, 'sending', 9);
      INSERT INTO outbox (id, conversation_id, client_id, kind, message_id, payload, status) VALUES
        (4, 'c1', 'q', 'send', 'q', '{}', 'pending'),
        (5, 'c1', 'r1', 'reaction', 'a', '{"emoji":"👍","on":true}', 'pending');
    `);
    v9.close();

    const mirror = Mirror.open(path);
    mirror.settings.useRuntime(testRuntime());
    expect(mirror.outbox.nextEntries()).toEqual([
      expect.objectContaining({ id: 4, kind: 'send', text: 'queued', linkPreview: null }),
    ]);
    expect(mirror.outbox.queuedChanges('c1').map((change) => change.kind)).toEqual(['reaction']);
    expect(mirror.views.conversationSummaries('me')[0]).toMatchObject({
      archived: false,
      muted: false,
      draft: null,
      blocked: false,
    });
    expect(mirror.views.messageView('c1', 'a', 'me')).toMatchObject({ pinned: false, linkPreview: null });

    // Archived at seq 2: the newest incoming message (seq 2, from before the migration) keeps it archived.
    mirror.transaction(() => mirror.settings.write({ kind: 'archived', conversationId: 'c1', value: { on: true, seq: 2 } }));
    expect(mirror.views.conversationSummaries('me')[0]).toMatchObject({ archived: true });
    new Composer(mirror, testRuntime(), 'me', () => false).pin('c1', 'b', true);
    expect(mirror.outbox.queuedChanges('c1').map((change) => change.kind)).toEqual(['reaction', 'pin']);
    const device = mirror.settings.deviceId();
    mirror.close();

    // The device id stays with the profile.
    const reopened = Mirror.open(path);
    reopened.settings.useRuntime(testRuntime());
    expect(reopened.settings.deviceId()).toBe(device);
    reopened.close();
    const db = new Database(path, { readonly: true });
    expect(db.prepare("SELECT last_incoming_seq FROM conversations WHERE id = 'c1'").pluck().get()).toBe(2);
    expect(db.pragma('user_version', { simple: true })).toBe(MIRROR_MIGRATIONS.length);
    db.close();
  });

  it('keeps a version-10 mirror’s settings and takes "Show when I\'m online" (version 11)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mirror-v10-'));
    dirs.push(dir);
    const path = join(dir, 'mirror.sqlite');
    const v10 = openDatabase(path, MIRROR_MIGRATIONS.slice(0, 10));
    v10.exec(`
      INSERT INTO settings (key, kind, conversation_id, user_id, value, at, by, version, pending) VALUES
        ('muted:c1', 'muted', 'c1', NULL, 'true', 5, 'dev', 3, 0),
        ('blocked:ann', 'blocked', NULL, 'ann', 'true', 6, 'dev', 0, 1);
    `);
    v10.close();

    const mirror = Mirror.open(path);
    mirror.settings.useRuntime(testRuntime());
    // Confirmed, and due again (migration 29) to go sealed.
    expect(mirror.settings.register({ kind: 'muted', conversationId: 'c1' })).toMatchObject({ version: 3, pending: true });
    expect(mirror.settings.isBlocked('ann')).toBe(true);
    expect(mirror.settings.showOnline()).toBe('everyone');
    mirror.transaction(() => mirror.settings.write({ kind: 'show_online', value: 'nobody' }));
    expect(mirror.settings.showOnline()).toBe('nobody');
    expect(pendingOf(mirror, 10, 10_000).personal.map((register) => register.setting)).toEqual([
      { kind: 'muted', conversationId: 'c1', value: true },
      { kind: 'blocked', userId: 'ann', value: true },
      { kind: 'show_online', value: 'nobody' },
    ]);
    mirror.close();
  });
});

/** The folder of a test mirror (for a second connection to its file). */
function mirrorDir(mirror: Mirror): string {
  const dir = (mirror as unknown as { db: { name: string } }).db.name;
  return join(dir, '..');
}
