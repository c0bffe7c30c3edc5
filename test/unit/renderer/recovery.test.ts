/** The renderer store when the core is in recovery, when the disk is full, and when the server has no room for settings. */
import { describe, expect, it } from 'vitest';
import { FakeApi, settle, storesOnFakes } from './fake-api.js';

const { start } = storesOnFakes();

const recovery = {
  problem: 'damaged' as const,
  movedTo: ['/profile/mirror.damaged-2026-11-23T01-22-33Z.sqlite'],
  recoveredMessages: 2,
  unrecoverable: 1,
};

describe('the renderer store in recovery', () => {
  it('shows the recovery screen, not sign-in, and reads nothing of a signed-in user', async () => {
    const api = new FakeApi();
    api.coreState = { kind: 'recovery', recovery };
    const store = await start(api);
    expect(store.getState()).toMatchObject({ phase: 'recovery', recovery });
    // A session event (the core's own sign-out) does not take the screen away.
    api.emit({ type: 'session', session: null });
    await settle();
    expect(store.getState().phase).toBe('recovery');
    expect(api.callsOf('listConversations')).toHaveLength(0);
  });

  it('Start fresh leads to the sign-in screen', async () => {
    const api = new FakeApi();
    api.coreState = { kind: 'recovery', recovery };
    const store = await start(api);
    await store.getState().actions.startFresh();
    expect(api.callsOf('startFresh')).toHaveLength(1);
    expect(store.getState()).toMatchObject({ phase: 'signedOut', recovery: null });
  });
});

describe('the renderer store when the disk is full', () => {
  it('shows the banner while the core says so, and drops it when it says there is room again', async () => {
    const api = new FakeApi();
    const store = await start(api);
    expect(store.getState().diskFull).toBe(false);
    api.coreState = { kind: 'ready', diskFull: true, settingsFull: false };
    api.emit({ type: 'core_state' });
    await settle();
    expect(store.getState()).toMatchObject({ phase: 'signedIn', diskFull: true });
    api.coreState = { kind: 'ready', diskFull: false, settingsFull: false };
    api.emit({ type: 'core_state' });
    await settle();
    expect(store.getState().diskFull).toBe(false);
  });

  it('shows that the server has no room for settings while the core says so', async () => {
    const api = new FakeApi();
    const store = await start(api);
    expect(store.getState().settingsFull).toBe(false);
    api.coreState = { kind: 'ready', diskFull: false, settingsFull: true };
    api.emit({ type: 'core_state' });
    await settle();
    expect(store.getState()).toMatchObject({ phase: 'signedIn', diskFull: false, settingsFull: true });
    api.coreState = { kind: 'ready', diskFull: false, settingsFull: false };
    api.emit({ type: 'core_state' });
    await settle();
    expect(store.getState().settingsFull).toBe(false);
  });
});
