import { describe, expect, it } from 'vitest';
import { createAppStore } from '../../../renderer/state/store.js';
import { connectedLink, FakeApi, settle, summary, storesOnFakes } from './fake-api.js';

const { started } = storesOnFakes();
function withConversations(count: number): FakeApi {
  const api = new FakeApi();
  api.conversations = Array.from({ length: count }, (_, i) => summary({ id: `c${i}`, lastActivityAt: count - i }));
  return api;
}

describe('the conversation list at sign-in', () => {
  it('asks for one screen first, then for the whole list', async () => {
    const many = withConversations(500);
    const held = many.hold('listConversations');
    const store = createAppStore(many.client(), connectedLink);
    started(store);
    await settle();
    expect(many.callsOf('listConversations')).toEqual([{ folder: 'all', limit: 40 }]);
    held.release();
    await settle();
    const [first, ...rest] = many.callsOf('listConversations');
    expect(first).toEqual({ folder: 'all', limit: 40 });
    expect(rest.length).toBeGreaterThan(0);
    expect(rest.every((args) => JSON.stringify(args) === '{"folder":"all"}')).toBe(true);
    expect(store.getState().conversations).toHaveLength(500);
  });
});
