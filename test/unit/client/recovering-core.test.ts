/**
 * The recovery around the client core when a start is interrupted: a note left beside a new
 * mirror (the salvage is queued again, nothing doubled), and a note written before the damaged
 * file was moved (it is moved on the next start).
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync, closeSync, openSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppEvent } from '../../../sync/app-api/contract.js';
import { openClientCore } from '../../../sync/client/client-core.js';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import { RECOVERY_NOTE, readRecoveryNote, writeRecoveryNote } from '../../../sync/client/mirror/mirror-recovery.js';
import { openClientCoreWithRecovery } from '../../../sync/client/recovering-core.js';
import { addMeAndAnn } from '../../support/test-mirror.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function profile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'recovering-core-'));
  dirs.push(dir);
  return dir;
}

const open = (profileDir: string) =>
  openClientCoreWithRecovery({ profileDir, defaultServerUrl: 'ws://127.0.0.1:7999' }, (options) => openClientCore(options));

/** A mirror with two unsent messages whose first 16 bytes were torn. */
function tornMirror(dir: string): void {
  const path = join(dir, 'mirror.sqlite');
  const mirror = Mirror.open(path);
  mirror.saveSession({ serverUrl: 'ws://127.0.0.1:7999', token: 't', user: { id: 'me', username: 'me', displayName: 'Me' } });
  addMeAndAnn(mirror);
  mirror.enqueueMessage('c1', 'm1', 'me', 'first', null, 1);
  mirror.enqueueMessage('c1', 'm2', 'me', 'second', null, 2);
  mirror.close();
  const fd = openSync(path, 'r+');
  writeSync(fd, Buffer.from('torn by a crash!'), 0, 16, 0);
  closeSync(fd);
}

function pendingIn(dir: string): number {
  const mirror = Mirror.open(join(dir, 'mirror.sqlite'));
  try {
    return mirror.outbox.pendingCount();
  } finally {
    mirror.close();
  }
}

describe('recovery across interrupted starts', () => {
  it('a note left beside the new mirror: the salvage is queued again without doubling anything, and the note goes', async () => {
    const dir = profile();
    tornMirror(dir);
    const core = await open(dir);
    expect(await core.getCoreState()).toMatchObject({ kind: 'recovery', recovery: { recoveredMessages: 2, unrecoverable: 0 } });
    const note = readRecoveryNote(dir)!;
    await core.startFresh();
    await core.close();
    expect(pendingIn(dir)).toBe(2);

    // As if the app stopped right after making the new mirror, before removing the note.
    writeRecoveryNote(dir, note);
    const again = await open(dir);
    expect(await again.getCoreState()).toEqual({ kind: 'ready', diskFull: false, settingsFull: false });
    await again.close();
    expect(pendingIn(dir)).toBe(2);
    expect(existsSync(join(dir, RECOVERY_NOTE))).toBe(false);
  });

  it('a note written before the damaged file was moved: the next start moves it and shows the recovery', async () => {
    const dir = profile();
    writeFileSync(join(dir, 'mirror.sqlite'), 'not a database\n'.repeat(100));
    writeRecoveryNote(dir, { problem: 'damaged', movedTo: ['mirror.damaged-2026-11-23T01-22-33Z.sqlite'] });
    const core = await open(dir);
    expect(await core.getCoreState()).toMatchObject({ kind: 'recovery', recovery: { problem: 'damaged', unrecoverable: null } });
    await core.close();
    expect(existsSync(join(dir, 'mirror.sqlite'))).toBe(false);
    expect(readdirSync(dir).filter((name) => name.startsWith('mirror.damaged-'))).toHaveLength(1);
  });
});

describe('this device’s preferences during a recovery', () => {
  it('are read and changed on the recovery screen, kept by Start fresh, and --offline is not forced on again by it', async () => {
    const dir = profile();
    tornMirror(dir);
    const core = await openClientCoreWithRecovery(
      { profileDir: dir, defaultServerUrl: 'ws://127.0.0.1:7999', workOffline: true },
      (options) => openClientCore(options),
    );
    expect(await core.getCoreState()).toMatchObject({ kind: 'recovery' });
    expect(await core.getPreferences()).toMatchObject({ workOffline: true, theme: 'system' });
    const events: AppEvent[] = [];
    core.subscribe((event) => events.push(event));
    expect(await core.setPreferences({ theme: 'dark', workOffline: false })).toMatchObject({ theme: 'dark', workOffline: false });
    expect(events).toEqual([{ type: 'preferences' }]);

    await core.startFresh();
    expect(await core.getCoreState()).toEqual({ kind: 'ready', diskFull: false, settingsFull: false });
    expect(await core.getPreferences()).toMatchObject({ theme: 'dark', workOffline: false });
    await core.close();
  });
});
