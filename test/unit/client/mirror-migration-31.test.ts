import { afterEach, describe, expect, it } from 'vitest';
import { createTempMirrorPaths } from '../../support/test-mirror.js';
import { MIRROR_MIGRATIONS } from '../../../sync/client/mirror/migrations.js';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import { openDatabase } from '../../../sync/node/sqlite.js';

const paths = createTempMirrorPaths('mirror-31-');
afterEach(() => paths.cleanup());

describe('mirror migration 31', () => {
  it('keeps an envelope that waited from before with no attested role, and reads one kept after with its role', () => {
    const path = paths.path();
    const v30 = openDatabase(path, MIRROR_MIGRATIONS.slice(0, 30));
    v30.exec(
      `INSERT INTO envelopes_waiting (conversation_id, seq, sender_id, sender_device, client_id, ciphertext, attachments, sent_at)
       VALUES ('g1', 4, 'bob', 1, 'e4', 'AAAA', '[]', 40), ('g1', 5, 'bob', 1, 'e5', 'AAAA', '[]', 50)`,
    );
    v30.close();
    const v31 = openDatabase(path, MIRROR_MIGRATIONS.slice(0, 31));
    v31.prepare("UPDATE envelopes_waiting SET sender_role = 'owner' WHERE seq = 5").run();
    v31.close();

    const mirror = Mirror.open(path);
    const waiting = mirror.waitingEnvelopes('g1', (seq, error) => {
      throw new Error(`seq ${seq} did not read back: ${String(error)}`);
    });
    expect(waiting.map((envelope) => [envelope.seq, envelope.senderRole])).toEqual([
      [4, undefined],
      [5, 'owner'],
    ]);
    mirror.close();
  });

  it('leaves out, and tells of, a waiting envelope whose role is not one', () => {
    const path = paths.path();
    const v31 = openDatabase(path, MIRROR_MIGRATIONS.slice(0, 31));
    v31.exec(
      `INSERT INTO envelopes_waiting (conversation_id, seq, sender_id, sender_device, client_id, ciphertext, attachments, sent_at, sender_role)
       VALUES ('g1', 4, 'bob', 1, 'e4', 'AAAA', '[]', 40, 'emperor')`,
    );
    v31.close();
    const mirror = Mirror.open(path);
    const unreadable: number[] = [];
    expect(mirror.waitingEnvelopes('g1', (seq) => unreadable.push(seq))).toEqual([]);
    expect(unreadable).toEqual([4]);
    mirror.close();
  });
});
