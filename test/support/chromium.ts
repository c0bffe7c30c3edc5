/**
 * Which Chromium tests and benchmarks drive, and how it is launched; nothing is ever downloaded.
 *   1. CHROMIUM_PATH, when set;
 *   2. else the system's Chromium (/usr/bin/chromium, or chromium, chromium-browser or
 *      google-chrome on PATH);
 *   3. else the Chromium the @sparticuz/chromium devDependency carries (so `npm ci && npm test`
 *      needs no browser installed). The package extracts it to <tmpdir>/chromium; the NSS
 *      libraries it links against come in the same package (al2023.tar.br), which the package
 *      itself unpacks only on AWS Lambda-like systems, so they are unpacked here and put first on
 *      the launched browser's LD_LIBRARY_PATH.
 * MESSENGER_CHROMIUM=bundled takes the third whatever is installed (the test of the fallback).
 * Launched without a sandbox (it runs as root here), and nothing reaches beyond 127.0.0.1.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import type { LaunchOptions } from '@playwright/test';

export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const SYSTEM_CHROMIUM_FILES = ['/usr/bin/chromium'];
const SYSTEM_CHROMIUM_COMMANDS = ['chromium', 'chromium-browser', 'google-chrome'];

export type ChromiumSource = 'CHROMIUM_PATH' | 'system' | 'bundled';

export interface ChromiumChoice {
  source: ChromiumSource;
  executablePath: string;
  /** The bundled Chromium's NSS libraries (first on its LD_LIBRARY_PATH); null for the others. */
  libraryDir: string | null;
  /** The bundled Chromium's fontconfig folder (its fonts.conf and fonts); null for the others. */
  fontConfigDir: string | null;
}

type Env = Record<string, string | undefined>;

/** The first system Chromium found, or null. */
export function findSystemChromium(env: Env = process.env, exists: (path: string) => boolean = existsSync): string | null {
  for (const file of SYSTEM_CHROMIUM_FILES) if (exists(file)) return file;
  const dirs = (env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const command of SYSTEM_CHROMIUM_COMMANDS) {
    for (const dir of dirs) {
      const candidate = join(dir, command);
      if (exists(candidate)) return candidate;
    }
  }
  return null;
}

/** MESSENGER_CHROMIUM: unset, or `bundled`; anything else is a mistake worth saying so. */
function forcesBundled(env: Env): boolean {
  const value = env.MESSENGER_CHROMIUM;
  if (value === undefined || value === '') return false;
  if (value === 'bundled') return true;
  throw new Error(`MESSENGER_CHROMIUM=${value} is not understood: leave it unset, or set it to "bundled".`);
}

let bundled: Promise<ChromiumChoice> | null = null;

/** Unpacks the package's Chromium and its NSS libraries (once; later calls find them unpacked). */
function unpackBundledChromium(): Promise<ChromiumChoice> {
  bundled ??= (async () => {
    // Loaded only when needed: with a system Chromium nothing is unpacked.
    const sparticuz = await import('@sparticuz/chromium');
    const binDir = join(dirname(createRequire(import.meta.url).resolve('@sparticuz/chromium')), '..', 'bin');
    // executablePath() also unpacks fonts.tar.br beside it, to <tmpdir>/fonts.
    const executablePath = await sparticuz.default.executablePath();
    const systemLibs = await sparticuz.inflate(join(binDir, 'al2023.tar.br'));
    const fonts = join(dirname(executablePath), 'fonts');
    return {
      source: 'bundled' as const,
      executablePath,
      libraryDir: join(systemLibs, 'lib'),
      fontConfigDir: existsSync(join(fonts, 'fonts.conf')) ? fonts : null,
    };
  })();
  bundled.catch(() => {
    bundled = null;
  });
  return bundled;
}

export async function chooseChromium(
  env: Env = process.env,
  exists: (path: string) => boolean = existsSync,
): Promise<ChromiumChoice> {
  if (!forcesBundled(env)) {
    if (env.CHROMIUM_PATH) {
      if (!exists(env.CHROMIUM_PATH)) throw new Error(`CHROMIUM_PATH=${env.CHROMIUM_PATH}: no such file.`);
      return { source: 'CHROMIUM_PATH', executablePath: env.CHROMIUM_PATH, libraryDir: null, fontConfigDir: null };
    }
    const system = findSystemChromium(env, exists);
    if (system) return { source: 'system', executablePath: system, libraryDir: null, fontConfigDir: null };
  }
  return unpackBundledChromium();
}

/**
 * Playwright's launch options for a choice. The environment is given only when it differs from
 * this process's: the bundled libraries first on LD_LIBRARY_PATH, its fonts unless FONTCONFIG_PATH
 * names others. They go to the browser alone, not to this process or the app's processes.
 */
export function launchOptionsFor(
  choice: Pick<ChromiumChoice, 'executablePath' | 'libraryDir' | 'fontConfigDir'>,
  env: Env = process.env,
): LaunchOptions {
  const options: LaunchOptions = { executablePath: choice.executablePath, args: [...CHROMIUM_ARGS] };
  if (choice.libraryDir === null) return options;
  const browserEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) browserEnv[key] = value;
  browserEnv.LD_LIBRARY_PATH = [choice.libraryDir, ...(env.LD_LIBRARY_PATH ?? '').split(delimiter).filter(Boolean)].join(
    delimiter,
  );
  if (choice.fontConfigDir !== null && !env.FONTCONFIG_PATH) browserEnv.FONTCONFIG_PATH = choice.fontConfigDir;
  return { ...options, env: browserEnv };
}

/*
 * Playwright reads its config synchronously, in the runner and again in every worker: the runner's
 * global setup makes the choice (it may have to unpack) and leaves it in the environment, which the
 * workers inherit and read back here.
 */
const CHOSEN_PATH = 'MESSENGER_CHROMIUM_CHOSEN_PATH';
const CHOSEN_LIBS = 'MESSENGER_CHROMIUM_CHOSEN_LIBS';
const CHOSEN_FONTS = 'MESSENGER_CHROMIUM_CHOSEN_FONTS';

export function rememberChromiumChoice(choice: ChromiumChoice, env: Env = process.env): void {
  env[CHOSEN_PATH] = choice.executablePath;
  if (choice.libraryDir !== null) env[CHOSEN_LIBS] = choice.libraryDir;
  if (choice.fontConfigDir !== null) env[CHOSEN_FONTS] = choice.fontConfigDir;
}

/**
 * The launch options the global setup chose. Before it has run (the runner's own first read of the
 * config, where nothing is launched) there is no choice yet, and the options name no executable.
 */
export function rememberedChromiumLaunch(env: Env = process.env): LaunchOptions {
  const executablePath = env[CHOSEN_PATH];
  if (!executablePath) return { args: [...CHROMIUM_ARGS] };
  return launchOptionsFor(
    { executablePath, libraryDir: env[CHOSEN_LIBS] ?? null, fontConfigDir: env[CHOSEN_FONTS] ?? null },
    env,
  );
}
