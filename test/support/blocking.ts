import type { TestClient } from './server-harness.js';

let clock = 0;

/** Blocks (or unblocks) `userId` as `socket`'s user, with a clock that only moves forward. */
export async function block(socket: TestClient, userId: string, value = true): Promise<void> {
  clock += 1;
  await socket.call(
    { type: 'set_settings', settings: [{ setting: { kind: 'blocked', userId, value }, at: clock, by: 'device' }] },
    'settings',
  );
}
