/**
 * Mirror migration 22 (identity_trust, signal_identities' unused verified flag dropped) and what it keeps: whom this account verified, with which
 * key, and what a change of someone's identity key leaves (mirror/identity-trust.ts): a notice in
 * every conversation shared with them, between the events it came after, their verification
 * cleared and a question before the next send, when libsignal saves the new key.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RatchetState } from '../../../sync/client/crypto/ratchet-state.js';
import { loadSignal } from '../../../sync/client/crypto/signal-library.js';
import { MIRROR_MIGRATIONS } from '../../../sync/client/mirror/migrations.js';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import { openDatabase } from '../../../sync/node/sqlite.js';

const signal = await loadSignal();
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function tempPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mirror-22-'));
  dirs.push(dir);
  return join(dir, 'mirror.sqlite');
}

const person = (id: string) => ({
  id,
  username: id,
  displayName: `${id} name`,
  role: 'member' as const,
  deliveredSeq: 0,
  readSeq: 0,
});
const conversation = (id: string, kind: 'direct' | 'group', memberIds: string[]) => ({
  id,
  kind,
  name: kind === 'group' ? 'Trip' : null,
  isMember: true,
  createdAt: 1000,
  lastSeq: 0,
  members: memberIds.map(person),
});
const message = (conversationId: string, seq: number) => ({
  kind: 'message' as const,
  conversationId,
  seq,
  senderId: 'peer',
  clientMessageId: `${conversationId}-m${seq}`,
  text: `text ${seq}`,
  sentAt: 2000 + seq,
  replyTo: null,
  deleted: false,
  attachments: [],
});

/** Saves `key` as `userId`'s identity the way a decryption does: through libsignal's store, written in a transaction. */
async function saveIdentity(mirror: Mirror, userId: string, key: Uint8Array<ArrayBuffer>, now: number) {
  const ratchet = new RatchetState(
    signal,
    mirror.signal,
    { identity: signal.IdentityKeyPair.generate(), registrationId: 7 },
    () => now,
  );
  const change = await ratchet.saveIdentity(signal.ProtocolAddress.new(userId, 1), signal.PublicKey.deserialize(key));
  mirror.transaction(() => ratchet.writeTo(mirror.signal));
  return change;
}

describe('mirror migration 22', () => {
  it('keeps what a version-21 mirror holds, adds identity_trust empty and drops the unused verified flag', () => {
    const path = tempPath();
    const v21 = openDatabase(path, MIRROR_MIGRATIONS.slice(0, 21));
    v21.exec(`INSERT INTO signal_identities (user_id, public_key, first_seen_at) VALUES ('peer', x'05', 5)`);
    v21.close();
    openDatabase(path, MIRROR_MIGRATIONS.slice(0, 22)).close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(22);
    expect(db.prepare(`SELECT user_id FROM signal_identities`).pluck().all()).toEqual(['peer']);
    expect(db.prepare(`SELECT count(*) FROM identity_trust`).pluck().get()).toBe(0);
    expect(db.prepare(`SELECT name FROM pragma_table_info('signal_identities') ORDER BY cid`).pluck().all()).toEqual([
      'user_id',
      'public_key',
      'first_seen_at',
      'changed_at',
    ]);
    db.close();
  });

  it('notes a changed key in every conversation shared with them, clears their verification and asks before sending', async () => {
    const mirror = Mirror.open(tempPath());
    mirror.upsertConversation(conversation('direct', 'direct', ['me', 'peer']), 'me');
    mirror.upsertConversation(conversation('group', 'group', ['me', 'peer', 'other']), 'me');
    mirror.upsertConversation(conversation('without', 'direct', ['me', 'other']), 'me');
    for (const id of ['direct', 'group', 'without']) mirror.applyEvents(id, [message(id, 1), message(id, 2)], 'me');
    const noticed: string[] = [];
    mirror.identityTrust.onNotices((conversationIds) => noticed.push(...conversationIds));
    const first = signal.IdentityKeyPair.generate().publicKey.serialize();
    const second = signal.IdentityKeyPair.generate().publicKey.serialize();
    const third = signal.IdentityKeyPair.generate().publicKey.serialize();

    // The first key seen is no change.
    expect(await saveIdentity(mirror, 'peer', first, 10)).toBe(signal.IdentityChange.NewOrUnchanged);
    expect(mirror.views.messagePage('direct', 'me', 50).notices).toEqual([]);
    mirror.identityTrust.setVerified('peer', first, 11);
    expect(mirror.identityTrust.verifiedKey('peer')).toEqual(Buffer.from(first));
    expect(mirror.identityTrust.askBeforeSend('direct')).toEqual([]);

    expect(await saveIdentity(mirror, 'peer', second, 20)).toBe(signal.IdentityChange.ReplacedExisting);
    const changed = { kind: 'safety_number_changed', at: 20, subjects: [], name: null, role: null };
    const peer = { id: 'peer', username: 'peer', displayName: 'peer name' };
    for (const id of ['direct', 'group']) {
      expect(mirror.views.messagePage(id, 'me', 50).notices).toEqual([{ seq: 2.5, actor: peer, ...changed }]);
      expect(mirror.identityTrust.askBeforeSend(id)).toEqual(['peer']);
    }
    expect(mirror.views.messagePage('without', 'me', 50).notices).toEqual([]);
    // The app is told which conversations to show again.
    expect(noticed).toEqual(['direct', 'group']);
    expect(mirror.identityTrust.verifiedKey('peer')).toBeNull();

    // "Send anyway" in one conversation stops the asking everywhere, until the next change.
    mirror.identityTrust.stopAsking(mirror.identityTrust.askBeforeSend('direct'));
    expect(mirror.identityTrust.askBeforeSend('group')).toEqual([]);

    // Another change before any new event goes after the first notice; unverified, nothing is asked.
    await saveIdentity(mirror, 'peer', third, 30);
    expect(mirror.views.messagePage('direct', 'me', 50).notices.map((notice) => [notice.seq, notice.at])).toEqual([
      [2.5, 20],
      [2.75, 30],
    ]);
    expect(mirror.identityTrust.askBeforeSend('direct')).toEqual([]);
    // A server event after them is placed after them.
    mirror.applyEvents('direct', [message('direct', 3)], 'me');
    const page = mirror.views.messagePage('direct', 'me', 50);
    expect(page.messages.map((shown) => shown.seq)).toEqual([1, 2, 3]);
    expect(page.notices.map((notice) => notice.seq)).toEqual([2.5, 2.75]);
    mirror.close();
  });

  it('keeps a verification until it is cleared, and forgets it with the account', () => {
    const mirror = Mirror.open(tempPath());
    const key = signal.IdentityKeyPair.generate().publicKey.serialize();
    mirror.identityTrust.setVerified('peer', key, 5);
    expect(mirror.identityTrust.verifiedKey('peer')).toEqual(Buffer.from(key));
    mirror.identityTrust.setVerified('peer', null, 6);
    expect(mirror.identityTrust.verifiedKey('peer')).toBeNull();
    mirror.identityTrust.setVerified('peer', key, 7);
    mirror.wipe();
    expect(mirror.identityTrust.verifiedKey('peer')).toBeNull();
    mirror.close();
  });
});
