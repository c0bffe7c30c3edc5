import { describe, expect, it } from 'vitest';
import { withoutInvisibleCharacters } from '../../../sync/protocol/visible-names.js';

describe('withoutInvisibleCharacters', () => {
  it('strips direction controls, zero-width spaces, word joiners, soft hyphens and control characters', () => {
    expect(withoutInvisibleCharacters('Trip\u202Egpj.exe')).toBe('Tripgpj.exe');
    expect(withoutInvisibleCharacters('\u2066Rome\u2069 \u200E2027\u200F')).toBe('Rome 2027');
    expect(withoutInvisibleCharacters('Al\u200Bi\u2060c\u00ADe\uFEFF')).toBe('Alice');
    expect(withoutInvisibleCharacters('Bob\u0000\u001B[31m\u0085')).toBe('Bob[31m');
  });

  it('keeps a joiner that an emoji sequence or a script needs, and drops one beside ASCII', () => {
    const family = '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}';
    expect(withoutInvisibleCharacters(`The ${family}`)).toBe(`The ${family}`);
    // Persian uses the zero-width non-joiner inside words.
    expect(withoutInvisibleCharacters('می\u200Cخواهم')).toBe('می\u200Cخواهم');
    expect(withoutInvisibleCharacters('al\u200Dice\u200C')).toBe('alice');
    expect(withoutInvisibleCharacters('\u200Dalice')).toBe('alice');
  });

  it('leaves ordinary names in any script as they are', () => {
    for (const name of ['Анна-Марія', '李小龍', 'Zoë O’Brien', 'أحمد', 'Group 🎉 2027']) {
      expect(withoutInvisibleCharacters(name)).toBe(name);
    }
  });
});
