import Database from 'better-sqlite3-multiple-ciphers';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AppApiError } from '../../../sync/app-api/contract.js';
import { MIRROR_MIGRATIONS } from '../../../sync/client/mirror/migrations.js';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import { PersonalSettings } from '../../../sync/client/personal-settings.js';
import { answerRequest } from '../../../sync/client/request-answers.js';
import { realRuntime } from '../../../sync/node/real-runtime.js';
import { openDatabase } from '../../../sync/node/sqlite.js';
import type { Content } from '../../../sync/content/content.js';
import type { Attachment } from '../../../sync/protocol/attachments.js';
import type { EnvelopeEvent } from '../../../sync/protocol/envelope-frames.js';
import type { AppliedEvent } from '../../../sync/content/opened-events.js';
import type { Conversation, Setting } from '../../../sync/protocol/frames.js';

const dirs: string[] = [];
const opened: Mirror[] = [];
afterEach(() => {
  opened.splice(0).forEach((mirror) => mirror.close());
  dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true }));
});

function tempPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mirror-requests-'));
  dirs.push(dir);
  return join(dir, 'mirror.sqlite');
}

const ME = { id: 'me', username: 'me', displayName: 'Me' };
const ANN = { id: 'ann', username: 'ann', displayName: 'Ann' };
const CAROL = { id: 'carol', username: 'carol', displayName: 'Carol' };
const member = (user: typeof ME, role: 'owner' | 'member' = 'member') => ({ ...user, role, deliveredSeq: 0, readSeq: 0 });

/** Ann started 'c1' with me (a request); 'c2' is an ordinary conversation with Carol; Carol added me to group 'g1'. */
function conversations(): Conversation[] {
  return [
    {
      id: 'c1',
      kind: 'direct',
      name: null,
      isMember: true,
      createdAt: 1,
      lastSeq: 3,
      members: [member(ANN), member(ME)],
      requestFrom: 'ann',
    },
    { id: 'c2', kind: 'direct', name: null, isMember: true, createdAt: 2, lastSeq: 1, members: [member(ME), member(CAROL)] },
    {
      id: 'g1',
      kind: 'group',
      name: 'Trip',
      isMember: true,
      createdAt: 3,
      lastSeq: 2,
      members: [member(CAROL, 'owner'), member(ME)],
      requestFrom: 'carol',
    },
  ];
}

const PICTURE: Attachment = {
  id: '2'.repeat(32),
  sha256: 'c'.repeat(64),
  size: 7,
  name: 'photo.png',
  mime: 'image/png',
  kind: 'image',
  width: 10,
  height: 10,
};

const message = (conversationId: string, seq: number, senderId: string, attachments: Attachment[] = []): AppliedEvent => ({
  kind: 'message',
  conversationId,
  seq,
  senderId,
  sentAt: 1000 + seq,
  clientMessageId: `${conversationId}-${seq}`,
  text: `message ${seq}`,
  replyTo: null,
  deleted: false,
  attachments,
});

function setUp() {
  const mirror = Mirror.open(tempPath());
  opened.push(mirror);
  mirror.settings.useRuntime(realRuntime());
  for (const conversation of conversations()) mirror.upsertConversation(conversation, 'me');
  mirror.applyEvents('c1', [message('c1', 1, 'ann', [PICTURE]), message('c1', 2, 'ann'), message('c1', 3, 'ann')], 'me');
  mirror.applyEvents('c2', [message('c2', 1, 'carol')], 'me');
  mirror.applyEvents('g1', [message('g1', 2, 'carol')], 'me', { skippedTo: 1 });
  const settings = new PersonalSettings(mirror, () => {});
  return { mirror, settings };
}

const ids = (mirror: Mirror, folder: 'main' | 'archived' | 'requests' | 'all') =>
  mirror.views
    .conversationSummaries('me', undefined, folder)
    .map((c) => c.id)
    .sort();
const paged = (mirror: Mirror, folder: 'main' | 'archived' | 'requests' | 'all') =>
  mirror.views
    .conversationPage('me', 50, undefined, folder)
    .map((c) => c.id)
    .sort();

describe('message requests in the mirror', () => {
  it('lists requests apart from the main list, with who they came from, and in pages alike', () => {
    const { mirror } = setUp();
    for (const list of [ids, paged]) {
      expect(list(mirror, 'main')).toEqual(['c2']);
      expect(list(mirror, 'requests')).toEqual(['c1', 'g1']);
      expect(list(mirror, 'archived')).toEqual([]);
      expect(list(mirror, 'all')).toEqual(['c1', 'c2', 'g1']);
    }
    const byId = new Map(mirror.views.conversationSummaries('me', undefined, 'all').map((c) => [c.id, c]));
    expect(byId.get('c1')).toMatchObject({ request: true, requestFromName: 'Ann', unreadCount: 3 });
    expect(byId.get('g1')).toMatchObject({ request: true, requestFromName: 'Carol' });
    expect(byId.get('c2')).toMatchObject({ request: false, requestFromName: null });
  });

  it('sends no receipt and fetches no picture until "Accept"; then both go', () => {
    const { mirror, settings } = setUp();
    mirror.markReadLocally('c1', 'me');
    mirror.markReadLocally('c2', 'me');
    expect(mirror.unsentReceipts('me').map((r) => r.conversationId)).toEqual(['c2']);
    expect(mirror.attachments.queuedDownloads()).toEqual([]);

    answerRequest({ mirror, settings, self: ME, leaveGroup: () => {} }, 'c1', 'accept');
    expect(mirror.unsentReceipts('me').filter((r) => r.conversationId === 'c1')).toEqual([
      { conversationId: 'c1', kind: 'read', seq: 3 },
    ]);
    expect(mirror.attachments.queuedDownloads().map((job) => job.messageId)).toEqual(['c1-1']);
    expect(ids(mirror, 'main')).toEqual(['c1', 'c2']);
  });

  it('"Delete" hides a direct request everywhere until the person writes again; it comes back as a request', () => {
    const { mirror, settings } = setUp();
    answerRequest({ mirror, settings, self: ME, leaveGroup: () => {} }, 'c1', 'delete');
    expect(ids(mirror, 'all')).toEqual(['c2', 'g1']);
    expect(paged(mirror, 'all')).toEqual(['c2', 'g1']);
    expect(mirror.settings.pendingBatch(10, 100_000, null).personal.map((r) => r.setting)).toEqual([
      { kind: 'request', conversationId: 'c1', value: { answer: 'deleted', seq: 3 } },
    ]);
    mirror.applyEvents('c1', [message('c1', 4, 'ann')], 'me');
    expect(ids(mirror, 'requests')).toEqual(['c1', 'g1']);
  });

  it('"Delete" on a group leaves it, and "Block" blocks who it came from', () => {
    const { mirror, settings } = setUp();
    const left: string[] = [];
    answerRequest({ mirror, settings, self: ME, leaveGroup: (id) => left.push(id) }, 'g1', 'block');
    expect(left).toEqual(['g1']);
    expect(mirror.settings.isBlocked('carol')).toBe(true);
    expect(ids(mirror, 'all')).toEqual(['c1', 'c2']);
    // Once we have left, the server no longer says who it came from: it stays out of sight.
    mirror.upsertConversation({ ...conversations()[2]!, isMember: false, members: [], requestFrom: undefined }, 'me');
    expect(ids(mirror, 'all')).toEqual(['c1', 'c2']);
  });

  it('a direct conversation’s standing in one read agrees with the register and the request, as they change', () => {
    const { mirror, settings } = setUp();
    const separately = (id: string) => {
      const peerId = mirror.peerOf(id);
      return peerId === null
        ? null
        : { peerId, blocked: mirror.settings.isBlocked(peerId), request: mirror.settings.requestStanding(id) !== 'none' };
    };
    const agree = () => {
      for (const id of ['c1', 'c2', 'g1', 'unknown']) expect(mirror.directStanding(id)).toEqual(separately(id));
    };
    expect(mirror.directStanding('c1')).toEqual({ peerId: 'ann', blocked: false, request: true });
    expect(mirror.directStanding('c2')).toEqual({ peerId: 'carol', blocked: false, request: false });
    expect(mirror.directStanding('g1')).toBeNull();
    expect(mirror.directStanding('unknown')).toBeNull();
    agree();
    settings.setBlocked(ME, 'carol', true);
    expect(mirror.directStanding('c2')).toEqual({ peerId: 'carol', blocked: true, request: false });
    agree();
    settings.setBlocked(ME, 'carol', false);
    answerRequest({ mirror, settings, self: ME, leaveGroup: () => {} }, 'c1', 'accept');
    expect(mirror.directStanding('c1')).toEqual({ peerId: 'ann', blocked: false, request: false });
    agree();
    settings.setBlocked(ME, 'ann', true);
    expect(mirror.directStanding('c1')).toEqual({ peerId: 'ann', blocked: true, request: false });
    agree();
  });

  it('refuses to answer what is no request, so a stale button cannot delete an ordinary conversation', () => {
    const { mirror, settings } = setUp();
    expect(() => answerRequest({ mirror, settings, self: ME, leaveGroup: () => {} }, 'c2', 'delete')).toThrow(AppApiError);
    expect(ids(mirror, 'main')).toEqual(['c2']);
  });

  it('an answer from another device (a stored register) moves the conversation, like one made here', () => {
    const { mirror } = setUp();
    const accepted: Setting = { kind: 'request', conversationId: 'g1', value: { answer: 'accepted', seq: 2 } };
    expect(mirror.settings.merge([{ setting: accepted, at: 5, by: 'laptop', version: 1 }]).conversationIds).toEqual(['g1']);
    expect(ids(mirror, 'main')).toEqual(['c2', 'g1']);
  });

  it('any envelope of ours answers the request, as the server (which cannot tell a reaction from a message) counts it', () => {
    const { mirror } = setUp();
    const reaction: Content = { kind: 'reaction', messageId: 'c1-3', emoji: '👍', on: true };
    const ours: EnvelopeEvent = {
      kind: 'envelope',
      conversationId: 'c1',
      seq: 4,
      senderId: 'me',
      senderDevice: 1,
      clientId: 'r4',
      ciphertext: 'AAAA',
      attachments: [],
      deleted: false,
      sentAt: 1004,
    };
    mirror.acknowledgeAll([ours], 'me', new Map([['c1', new Map([[4, reaction]])]]));
    expect(ids(mirror, 'main')).toEqual(['c1', 'c2']);
    // One this device cannot open (another of ours sent it; its key has not come) counts alike.
    mirror.applyEvents('g1', [{ ...ours, conversationId: 'g1', seq: 3, senderDevice: 2 }], 'me');
    expect(ids(mirror, 'requests')).toEqual([]);
  });

  it('the server no longer naming who it came from (we wrote there) makes it ordinary', () => {
    const { mirror } = setUp();
    mirror.upsertConversation({ ...conversations()[0]!, requestFrom: undefined }, 'me');
    expect(ids(mirror, 'main')).toEqual(['c1', 'c2']);
  });
});

describe('mirror migration 16', () => {
  it('keeps every conversation ordinary and every setting, and takes kinds of settings it did not list before', () => {
    const path = tempPath();
    const v15 = openDatabase(path, MIRROR_MIGRATIONS.slice(0, 15));
    v15.exec(`
      INSERT INTO conversations (id, kind, created_at, last_activity_at, muted) VALUES ('c1', 'direct', 1, 1, 1);
      INSERT INTO settings (key, kind, conversation_id, user_id, value, at, by, version, pending)
        VALUES ('muted:c1', 'muted', 'c1', NULL, 'true', 5, 'dev', 3, 0),
               ('show_online', 'show_online', NULL, NULL, '"nobody"', 6, 'dev', 4, 1);
    `);
    expect(() =>
      v15.exec(`INSERT INTO settings (key, kind, value, at, by) VALUES ('group_adds', 'group_adds', '"contacts"', 7, 'dev')`),
    ).toThrow(/CHECK/);
    v15.close();

    const mirror = Mirror.open(path);
    opened.push(mirror);
    mirror.settings.useRuntime(realRuntime());
    expect(mirror.views.conversationSummaries('me', undefined, 'main')).toEqual([
      expect.objectContaining({ id: 'c1', muted: true, request: false, requestFromName: null }),
    ]);
    expect(mirror.settings.showOnline()).toBe('nobody');
    new PersonalSettings(mirror, () => {}).setGroupAdds('contacts');
    expect(mirror.settings.groupAdds()).toBe('contacts');
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(MIRROR_MIGRATIONS.length);
    db.close();
  });
});
