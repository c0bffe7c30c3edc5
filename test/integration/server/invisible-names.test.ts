/**
 * Names others read (display names, group names) come in stripped of invisible characters: a
 * right-to-left override would make "Trip‮gpj.exe" read as another name, a zero-width space would
 * make two names look alike. A name of nothing but such characters is no name.
 */
import { afterEach, expect, it } from 'vitest';
import { ACCOUNTS_PATH } from '../../../sync/protocol/frames.js';
import { createGroup, createServerHarness, newGroupId, people, postJson } from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';

const RLO = '\u202E';
const ZWSP = '\u200B';
const LRI = '\u2066';
const PDI = '\u2069';

describeEachStore('names with invisible characters', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('are stripped from a display name at sign-up, and refused when nothing visible is left', async () => {
    const server = await h.startServer();
    const signedUp = await postJson(server.httpUrl, ACCOUNTS_PATH, {
      username: 'mallory',
      displayName: `Al${ZWSP}ice ${RLO}gpj.exe`,
      password: 'a long password',
    });
    expect(signedUp.status).toBe(201);
    expect(signedUp.body).toMatchObject({ user: { displayName: 'Alice gpj.exe' } });
    const empty = await postJson(server.httpUrl, ACCOUNTS_PATH, {
      username: 'nobody',
      displayName: `${RLO}${ZWSP}\u200D`,
      password: 'a long password',
    });
    expect(empty.status).toBe(400);
  });

  it('are stripped from a group name when it is made and when it is renamed, as every member sees it', async () => {
    const server = await h.startServer();
    const { alice, bob } = await people(h, server, 'alice', 'bob');
    const group = await createGroup(alice.socket, { name: `Trip${RLO}gpj.exe`, memberIds: [bob.user.id] });
    expect(group.name).toBe('Tripgpj.exe');
    const added = await bob.socket.waitForPush('conversation_added');
    expect(added.conversation.name).toBe('Tripgpj.exe');

    await alice.socket.call(
      {
        type: 'group_change',
        conversationId: group.id,
        clientChangeId: 'rename',
        change: { kind: 'rename', name: `${LRI}Rome${PDI} 2027${ZWSP}` },
      },
      'sent',
    );
    const renamed = await bob.socket.waitForPush('event', (push) => push.event.kind === 'group_renamed');
    expect(renamed.event).toMatchObject({ kind: 'group_renamed', name: 'Rome 2027' });

    const invisible = await alice.socket.request({
      type: 'create_conversation',
      conversationId: newGroupId(),
      conversation: { kind: 'group', name: `${RLO}${ZWSP}`, memberIds: [bob.user.id] },
    });
    expect(invisible).toMatchObject({ type: 'error', code: 'bad_frame' });
  });
});
