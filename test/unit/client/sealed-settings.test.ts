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
    const sealed = phone.seal(draft('c1', 'half a thought'))!;
    expect(sealed.setting.kind).toBe('sealed');
    expect(JSON.stringify(sealed)).not.toMatch(/draft|c1|half a thought/);
    const stored: StoredSetting = { ...sealed, version: 4 };
    expect(laptop.open(stored)).toEqual({ ...draft('c1', 'half a thought'), version: 4 });
    // The same register, written again: the same key (so it replaces the last), another ciphertext.
    const again = phone.seal(draft('c1', 'a whole thought', 11))!;
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
