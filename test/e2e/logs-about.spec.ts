/**
 * Issue 13, QA: logs a tester can attach to a report, and an About dialog. Settings → "Export logs"
 * downloads one file holding what the host and the core logged, in which neither the person's
 * password nor their session token appears (the token is read from the profile's own mirror, as
 * the core stored it); "About" lists the versions.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadOrCreateKeyFile } from '../../main/common/mirror-key-file.js';
import { MIRROR_FILE } from '../../sync/client/client-core.js';
import { MIRROR_MIGRATIONS } from '../../sync/client/mirror/migrations.js';
import { Mirror } from '../../sync/client/mirror/mirror.js';
import packageJson from '../../package.json' with { type: 'json' };
import { browserHostOnly, E2E_TARGET, expect, test } from './support/app.js';
import type { MessengerPage } from './support/messenger-page.js';
import { startServer, tempDir } from './support/processes.js';
import { cleanedUpAfterEach, type TestResources } from './support/test-resources.js';

const resources = cleanedUpAfterEach();
const PASSWORD = 'my own rather secret password';

async function server(resources: TestResources, label: string) {
  const data = tempDir(`e2e-${label}-server-`);
  resources.dirs.push(data);
  const running = await startServer(data.path);
  resources.running.push(running);
  return running;
}

async function openSettings(person: MessengerPage) {
  await person.page.getByRole('button', { name: 'Settings', exact: true }).click();
  return person.page.getByRole('dialog', { name: 'Settings' });
}

/** The session token the core keeps in the profile's mirror (the browser host keeps its key beside it). */
function storedToken(profileDir: string): string {
  const mirror = Mirror.open(path.join(profileDir, MIRROR_FILE), { key: loadOrCreateKeyFile(profileDir) });
  try {
    const token = mirror.session()?.token;
    if (!token) throw new Error('no session token in the mirror');
    return token;
  } finally {
    mirror.close();
  }
}

test('Export logs downloads one file with the logs, without the password or the session token', async ({ launchApp }) => {
  browserHostOnly('the logs arrive as a browser download (Electron shows a save dialog: tested with its stand-in)');
  const { url } = await server(resources, 'logs');
  const alice = await launchApp({ name: 'logs-alice', serverUrl: url, args: ['--log-level', 'debug'] });
  await alice.messenger.createAccount('alice', 'Alice Liddell', PASSWORD);
  await expect(alice.messenger.connection).toContainText('Online', { timeout: 45_000 });
  const token = storedToken(alice.profileDir);

  const settings = await openSettings(alice.messenger);
  const downloading = alice.messenger.page.waitForEvent('download');
  await settings.getByRole('button', { name: 'Export logs' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/^messenger-logs-\d{4}-\d{2}-\d{2}-\d{6}\.log$/);
  const text = readFileSync(await download.path(), 'utf8');

  expect(text).toMatch(/^# Messenger logs\n/);
  expect(text).toContain(`# app: ${packageJson.version}\n`);
  const messages = text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => (JSON.parse(line) as { msg: string }).msg);
  expect(messages).toEqual(
    expect.arrayContaining(['browser host starting', 'client core opened', 'signed in', 'connection state']),
  );
  expect(text).not.toContain(PASSWORD);
  expect(text).not.toContain(token);
  // Nothing happened to the page: the logs were saved, never shown.
  await expect(settings).toBeVisible();
});

test('About lists the app, Electron, Chromium, Node, SQLite and schema versions', async ({ launchApp }) => {
  const { url } = await server(resources, 'about');
  const alice = await launchApp({ name: 'about-alice', serverUrl: url });
  await alice.messenger.createAccount('alice', 'Alice Liddell');

  const settings = await openSettings(alice.messenger);
  await settings.getByRole('button', { name: 'About' }).click();
  const about = alice.messenger.page.getByRole('dialog', { name: 'About' });
  await expect(about.getByRole('term')).toHaveText(['App', 'Electron', 'Chromium', 'Node', 'SQLite', 'Database schema']);
  await expect(about.getByRole('definition')).toHaveText([
    packageJson.version,
    // The browser host has no Electron; the Chromium is the browser's.
    E2E_TARGET === 'chromium' ? '—' : /^\d+\.\d+\.\d+/,
    /^\d+(\.\d+)*$/,
    E2E_TARGET === 'chromium' ? process.versions.node : /^\d+\.\d+\.\d+$/,
    /^3\.\d+\.\d+$/,
    String(MIRROR_MIGRATIONS.length),
  ]);
  await about.getByRole('button', { name: 'Close' }).click();
  await expect(about).toBeHidden();
  await expect(settings).toBeVisible();
});
