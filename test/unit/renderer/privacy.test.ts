import { describe, expect, it } from 'vitest';
import { FakeApi, storesOnFakes } from './fake-api.js';

const { start } = storesOnFakes();

describe('privacy settings', () => {
  it('reads "Show when I\'m online" from the core and changes it there, without re-reading the list', async () => {
    const api = new FakeApi();
    const store = await start(api);
    const { actions } = store.getState();
    expect(await actions.loadPrivacy()).toEqual({ showOnline: 'everyone', groupAdds: 'everyone', waiting: false });
    const listed = api.callsOf('listConversations').length;
    await actions.setShowOnline('nobody');
    expect(api.callsOf('setShowOnline')).toEqual([{ showOnline: 'nobody' }]);
    expect(await actions.loadPrivacy()).toEqual({ showOnline: 'nobody', groupAdds: 'everyone', waiting: false });
    expect(api.callsOf('listConversations')).toHaveLength(listed);
  });

  it('changes "Who can add me to groups" in the core', async () => {
    const api = new FakeApi();
    const store = await start(api);
    const { actions } = store.getState();
    await actions.setGroupAdds('contacts');
    expect(api.callsOf('setGroupAdds')).toEqual([{ groupAdds: 'contacts' }]);
    expect(await actions.loadPrivacy()).toEqual({ showOnline: 'everyone', groupAdds: 'contacts', waiting: false });
  });

  it('counts a settings event from another device, so an open privacy section reads it again', async () => {
    const api = new FakeApi();
    const store = await start(api);
    const before = store.getState().settingsChange.n;
    api.emit({ type: 'settings', conversationIds: [] });
    expect(store.getState().settingsChange.n).toBe(before + 1);
  });
});
