import { beforeAll, describe, expect, it } from 'vitest';
import type { PrivateRegister } from '../../../sync/content/personal-settings.js';
import { SettingsSeal } from '../../../sync/client/crypto/sealed-settings.js';
import { loadSignal, type SignalLibrary } from '../../../sync/client/crypto/signal-library.js';
import type { StoredSetting } from '../../../sync/protocol/frames.js';
import { LIMITS } from '../../../sync/protocol/limits.js';

let signal: SignalLibrary;
beforeAll(async () => {
  signal = await loadSignal();
});

const draft = (conversationId: string, text: string, at = 10, by = 'laptop'): PrivateRegister => ({
  setting: { kind: 'draft', conversationId, value: { text, replyTo: null } },
  at,
  by,
});

describe('sealed settings', () => {
  it('open on every device with the identity: the same register keeps its key, and the server reads neither what nor which', () => {
    const identity = signal.IdentityKeyPair.generate();
    const phone = new SettingsSeal(signal, identity);
    const laptop = new SettingsSeal(signal, signal.IdentityKeyPair.deserialize(identity.serialize()));
    // Markers long enough never to turn up in base64 by chance ("c1" did, one run in ten).
    const sealed = phone.seal(draft('conversation-marker', 'half a thought'))!;
    expect(sealed.setting.kind).toBe('sealed');
    expect(JSON.stringify(sealed)).not.toMatch(/draft|conversation-marker|half a thought/);
    const stored: StoredSetting = { ...sealed, version: 4 };
    expect(laptop.open(stored)).toEqual({ ...draft('conversation-marker', 'half a thought'), version: 4 });
    // The same register, written again: the same key (so it replaces the last), another ciphertext.
    const again = phone.seal(draft('conversation-marker', 'a whole thought', 11))!;
    expect(again.setting).toMatchObject({ key: (sealed.setting as { key: string }).key });
    expect(again.setting).not.toEqual(sealed.setting);
    // Another conversation, another kind: other keys.
    const keys = new Set([
      phone.keyOf({ kind: 'draft', conversationId: 'c1', value: { text: '', replyTo: null } }),
      phone.keyOf({ kind: 'draft', conversationId: 'c2', value: { text: '', replyTo: null } }),
      phone.keyOf({ kind: 'muted', conversationId: 'c1', value: true }),
      phone.keyOf({ kind: 'archived', conversationId: 'c1', value: { on: true, seq: 1 } }),
    ]);
    expect(keys.size).toBe(4);
    // The settings the server acts on pass as they are.
    const block: StoredSetting = { setting: { kind: 'blocked', userId: 'ann', value: true }, at: 1, by: 'x', version: 1 };
    expect(laptop.open(block)).toEqual(block);
  });

  it('do not open under another identity, moved to another register, given another time or writer, or damaged', () => {
    const seal = new SettingsSeal(signal, signal.IdentityKeyPair.generate());
    const stranger = new SettingsSeal(signal, signal.IdentityKeyPair.generate());
    const sealed = seal.seal(draft('c1', 'mine'))!;
    const stored: StoredSetting = { ...sealed, version: 1 };
    expect(seal.open(stored)).not.toBeNull();
    expect(stranger.open(stored)).toBeNull();
    const other = seal.seal(draft('c2', 'other'))!;
    const key = (other.setting as { key: string }).key;
    expect(seal.open({ ...stored, setting: { ...(sealed.setting as { kind: 'sealed'; value: string }), key } })).toBeNull();
    expect(seal.open({ ...stored, at: 11 })).toBeNull();
    expect(seal.open({ ...stored, by: 'phone' })).toBeNull();
    const value = Buffer.from((sealed.setting as { value: string }).value, 'base64');
    value[value.length - 1]! ^= 1;
    expect(
      seal.open({
        ...stored,
        setting: { ...(sealed.setting as { kind: 'sealed'; key: string }), value: value.toString('base64') },
      }),
    ).toBeNull();
  });

  it('a register sealed to the identity by anyone but the account (the server knows the public key) is refused', () => {
    const identity = signal.IdentityKeyPair.generate();
    const seal = new SettingsSeal(signal, identity);
    const held = {
      senderId: 'bob',
      deviceNumber: 1,
      distributionId: '3f2a5e9c-7d1b-4c8e-9a6f-2b4d8e1c0a57',
      distribution: Buffer.from('the real distribution message').toString('base64'),
    };
    const genuine = seal.seal({ setting: { kind: 'sender_key', conversationId: 'g1', value: held }, at: 5, by: 'phone' })!;
    const key = (genuine.setting as { key: string }).key;
    expect(seal.open({ ...genuine, version: 1 })).toMatchObject({ setting: { kind: 'sender_key', value: held } });
    // The server swaps in its own distribution message under the same register, sealed to the
    // account's public key as any sealer can, with a signature of its own or none at all.
    const forged = {
      kind: 'sender_key',
      conversationId: 'g1',
      value: { ...held, distribution: Buffer.from('forged').toString('base64') },
    };
    const bound = Buffer.from(`${key}\0${6}\0${'phone'}`, 'utf8');
    const sealed = Buffer.from(
      identity.publicKey.seal(
        new Uint8Array(Buffer.from(JSON.stringify(forged))),
        'messenger private setting',
        new Uint8Array(bound),
      ),
    );
    const otherSigner = signal.PrivateKey.generate();
    for (const signature of [
      Buffer.alloc(64),
      Buffer.from(otherSigner.sign(new Uint8Array(Buffer.concat([bound, Buffer.from([0]), sealed])))),
    ]) {
      const value = Buffer.concat([signature, sealed]).toString('base64');
      expect(seal.open({ setting: { kind: 'sealed', key, value }, at: 6, by: 'phone', version: 2 })).toBeNull();
    }
    // Too short to hold a signature: refused as well, without an exception.
    expect(
      seal.open({ setting: { kind: 'sealed', key, value: Buffer.alloc(40).toString('base64') }, at: 6, by: 'phone', version: 2 }),
    ).toBeNull();
  });

  it('a draft of the longest text fits the limit and a frame', () => {
    const seal = new SettingsSeal(signal, signal.IdentityKeyPair.generate());
    // Three UTF-8 bytes per UTF-16 unit: the most a draft of well-formed text takes.
    const sealed = seal.seal(draft('c1', '€'.repeat(LIMITS.maxMessageChars)))!;
    expect(sealed).not.toBeNull();
    expect((sealed.setting as { value: string }).value.length).toBeLessThanOrEqual(LIMITS.maxSealedSettingChars);
    expect(Buffer.byteLength(JSON.stringify({ type: 'set_settings', rid: 'r', settings: [sealed] }))).toBeLessThan(
      LIMITS.maxFrameBytes,
    );
  });
});
