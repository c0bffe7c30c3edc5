/**
 * The key backup over the sync socket (backup-frames.ts, handlers/key-backup.ts): an account's
 * devices write it compare-and-set and read it; nobody else can read or overwrite it (the account
 * is the connection's: a frame cannot name another); a backup past the limit is a malformed frame;
 * writes and reads are rate-limited per account.
 */
import { afterEach, expect, it } from 'vitest';
import { BACKUP_LIMITS } from '../../../sync/protocol/backup-frames.js';
import { LIMITS } from '../../../sync/protocol/limits.js';
import { FRAME_THROTTLE } from '../../../sync/server/frame-throttle.js';
import { REFUSALS } from '../../../sync/server/refusals.js';
import { createServerHarness, logIn, people, type TestClient } from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';

const sealed = (text: string) => Buffer.from(text).toString('base64');

describeEachStore('the key backup', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  const put = (client: TestClient, replaces: number | null, ciphertext: string) =>
    client.request({ type: 'put_key_backup', replaces, ciphertext });
  const fetchOf = async (client: TestClient) => (await client.call({ type: 'fetch_key_backup' }, 'key_backup')).backup;

  it('lets an account’s devices write it in turn: a write naming another version is refused and stores nothing', async () => {
    const server = await h.startServer();
    const { alice } = await people(h, server, 'alice');
    const second = await logIn(server.httpUrl, alice.user.username, alice.account.password);
    expect(second.status).toBe(200);
    const phone = await h.connect(server, (second.body as { token: string }).token);

    expect(await fetchOf(phone)).toBeNull();
    expect(await put(alice.socket, null, sealed('one'))).toMatchObject({ type: 'key_backup_stored', version: 1 });
    expect(await fetchOf(phone)).toEqual({ version: 1, ciphertext: sealed('one') });
    // The phone did not know of version 1: refused, and told so by a code, not by what is stored.
    const refused = await put(phone, null, sealed('phone'));
    expect(refused).toMatchObject({ type: 'error', ...REFUSALS.backup_version_mismatch, code: 'conflict' });
    expect(await put(phone, 1, sealed('phone'))).toMatchObject({ type: 'key_backup_stored', version: 2 });
    // The laptop's write in place of version 1 comes too late.
    expect(await put(alice.socket, 1, sealed('laptop'))).toMatchObject({ type: 'error', ...REFUSALS.backup_version_mismatch });
    expect(await fetchOf(alice.socket)).toEqual({ version: 2, ciphertext: sealed('phone') });
  });

  it('keeps a stranger out: they read and write only their own, even naming the account in the frame', async () => {
    const server = await h.startServer();
    const { alice, mallory } = await people(h, server, 'alice', 'mallory');
    await put(alice.socket, null, sealed('alice'));
    // Unknown fields are dropped by the schema: the account is always the connection's.
    const sneaky = { userId: alice.user.id } as object;
    expect(await mallory.socket.call({ type: 'fetch_key_backup', ...sneaky }, 'key_backup')).toMatchObject({ backup: null });
    expect(await put(mallory.socket, 1, sealed('mallory'))).toMatchObject({ type: 'error', ...REFUSALS.backup_version_mismatch });
    expect(
      await mallory.socket.request({ type: 'put_key_backup', replaces: null, ciphertext: sealed('mallory'), ...sneaky }),
    ).toMatchObject({
      type: 'key_backup_stored',
      version: 1,
    });
    expect(await fetchOf(alice.socket)).toEqual({ version: 1, ciphertext: sealed('alice') });
    expect(await fetchOf(mallory.socket)).toEqual({ version: 1, ciphertext: sealed('mallory') });
  });

  it('takes a backup of the largest size in one frame, and refuses a larger one as malformed', async () => {
    const server = await h.startServer();
    const { alice } = await people(h, server, 'alice');
    const largest = 'A'.repeat(BACKUP_LIMITS.maxCiphertextChars);
    const frame = {
      type: 'put_key_backup',
      rid: 'r'.repeat(LIMITS.maxIdChars),
      replaces: BACKUP_LIMITS.maxVersion,
      ciphertext: largest,
    };
    expect(Buffer.byteLength(JSON.stringify(frame))).toBeLessThan(LIMITS.maxFrameBytes);
    expect(await put(alice.socket, null, largest)).toMatchObject({ type: 'key_backup_stored', version: 1 });
    expect(await put(alice.socket, 1, `${largest}AAAA`)).toMatchObject({ type: 'error', code: 'bad_frame' });
    expect(await fetchOf(alice.socket)).toEqual({ version: 1, ciphertext: largest });
  });

  it('limits how often an account writes and reads it, each on its own budget', async () => {
    const server = await h.startServer({
      frameThrottle: { ...FRAME_THROTTLE, backupWritesPerWindow: 2, backupReadsPerWindow: 1 },
    });
    const { alice, bob } = await people(h, server, 'alice', 'bob');
    expect(await put(alice.socket, null, sealed('one'))).toMatchObject({ type: 'key_backup_stored' });
    expect(await put(alice.socket, 1, sealed('two'))).toMatchObject({ type: 'key_backup_stored' });
    const refused = await put(alice.socket, 2, sealed('three'));
    expect(refused).toMatchObject({ type: 'error', code: 'rate_limited' });
    expect(refused.type === 'error' && refused.retryAfterMs).toBeGreaterThan(0);
    expect(await fetchOf(alice.socket)).toEqual({ version: 2, ciphertext: sealed('two') });
    expect(await alice.socket.request({ type: 'fetch_key_backup' })).toMatchObject({ type: 'error', code: 'rate_limited' });
    // Another account's budget is its own.
    expect(await put(bob.socket, null, sealed('bob'))).toMatchObject({ type: 'key_backup_stored', version: 1 });
  });
});
