import { describe, expect, test } from 'vitest';
import {
  CHROMIUM_ARGS,
  chooseChromium,
  findSystemChromium,
  launchOptionsFor,
  rememberChromiumChoice,
  rememberedChromiumLaunch,
  type ChromiumChoice,
} from '../../support/chromium.js';

const only =
  (...present: string[]) =>
  (path: string) =>
    present.includes(path);

const BUNDLED: ChromiumChoice = {
  source: 'bundled',
  executablePath: '/tmp/chromium',
  libraryDir: '/tmp/al2023/lib',
  fontConfigDir: '/tmp/fonts',
};

describe('the system Chromium', () => {
  test('is /usr/bin/chromium first, then chromium, chromium-browser or google-chrome on PATH, in that order', () => {
    const env = { PATH: '/opt/a:/opt/b' };
    expect(findSystemChromium(env, only('/usr/bin/chromium', '/opt/a/chromium'))).toBe('/usr/bin/chromium');
    expect(findSystemChromium(env, only('/opt/b/chromium', '/opt/a/chromium-browser'))).toBe('/opt/b/chromium');
    expect(findSystemChromium(env, only('/opt/b/google-chrome', '/opt/a/chromium-browser'))).toBe('/opt/a/chromium-browser');
    expect(findSystemChromium(env, only('/opt/b/google-chrome'))).toBe('/opt/b/google-chrome');
    expect(findSystemChromium(env, only())).toBeNull();
    expect(findSystemChromium({}, only('/opt/a/chromium'))).toBeNull();
  });
});

describe('choosing', () => {
  test('CHROMIUM_PATH comes before the system Chromium, which comes before the bundled one', async () => {
    const installed = only('/usr/bin/chromium', '/opt/chrome/chrome');
    await expect(chooseChromium({ CHROMIUM_PATH: '/opt/chrome/chrome' }, installed)).resolves.toEqual({
      source: 'CHROMIUM_PATH',
      executablePath: '/opt/chrome/chrome',
      libraryDir: null,
      fontConfigDir: null,
    });
    await expect(chooseChromium({}, installed)).resolves.toEqual({
      source: 'system',
      executablePath: '/usr/bin/chromium',
      libraryDir: null,
      fontConfigDir: null,
    });
  });

  test('a CHROMIUM_PATH that names nothing, or an unknown MESSENGER_CHROMIUM, is an error, not a quiet fallback', async () => {
    await expect(chooseChromium({ CHROMIUM_PATH: '/nowhere/chrome' }, only('/usr/bin/chromium'))).rejects.toThrow(
      'CHROMIUM_PATH=/nowhere/chrome: no such file.',
    );
    await expect(chooseChromium({ MESSENGER_CHROMIUM: 'system' }, only('/usr/bin/chromium'))).rejects.toThrow(
      'MESSENGER_CHROMIUM=system is not understood',
    );
  });
});

describe('launch options', () => {
  test('a system Chromium runs with this environment; the bundled one with its libraries first and its fonts', () => {
    const system = { source: 'system', executablePath: '/usr/bin/chromium', libraryDir: null, fontConfigDir: null } as const;
    expect(launchOptionsFor(system, { LD_LIBRARY_PATH: '/x' })).toEqual({
      executablePath: '/usr/bin/chromium',
      args: [...CHROMIUM_ARGS],
    });

    const bundled = launchOptionsFor(BUNDLED, { HOME: '/root', LD_LIBRARY_PATH: '/opt/lib:/usr/local/lib' });
    expect(bundled.executablePath).toBe('/tmp/chromium');
    expect(bundled.args).toEqual([...CHROMIUM_ARGS]);
    expect(bundled.env).toEqual({
      HOME: '/root',
      LD_LIBRARY_PATH: '/tmp/al2023/lib:/opt/lib:/usr/local/lib',
      FONTCONFIG_PATH: '/tmp/fonts',
    });
    expect(launchOptionsFor(BUNDLED, { FONTCONFIG_PATH: '/etc/fonts' }).env).toEqual({
      LD_LIBRARY_PATH: '/tmp/al2023/lib',
      FONTCONFIG_PATH: '/etc/fonts',
    });
  });

  test('the choice the global setup leaves in the environment is what the workers launch', () => {
    const env: Record<string, string | undefined> = { HOME: '/root' };
    // Before the global setup has chosen (the runner's first read of the config): no executable.
    expect(rememberedChromiumLaunch(env)).toEqual({ args: [...CHROMIUM_ARGS] });
    rememberChromiumChoice(BUNDLED, env);
    const launch = rememberedChromiumLaunch(env);
    expect(launch.executablePath).toBe('/tmp/chromium');
    expect(launch.env?.LD_LIBRARY_PATH).toBe('/tmp/al2023/lib');
    expect(launch.env?.FONTCONFIG_PATH).toBe('/tmp/fonts');

    const systemEnv: Record<string, string | undefined> = {};
    rememberChromiumChoice(
      { source: 'system', executablePath: '/usr/bin/chromium', libraryDir: null, fontConfigDir: null },
      systemEnv,
    );
    expect(rememberedChromiumLaunch(systemEnv)).toEqual({ executablePath: '/usr/bin/chromium', args: [...CHROMIUM_ARGS] });
  });
});
