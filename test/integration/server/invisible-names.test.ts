/**
 * Names others read that the server keeps (display names, usernames) hold no invisible characters:
 * a right-to-left override would make "Alice ‮gpj.exe" read as another name, a zero-width space
 * would make two names look alike. A display name comes in stripped of them (one of nothing but
 * such characters is no name); a username with one is refused. A group's name is sealed content
 * now: the client strips it as it opens it (content.ts: renameSchema).
 */
import { afterEach, expect, it } from 'vitest';
import { ACCOUNTS_PATH } from '../../../sync/protocol/frames.js';
import { createServerHarness, postJson } from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';

const RLO = '\u202E';
const ZWSP = '\u200B';

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

  it('refuse a username at sign-up rather than strip it: people find each other by what they type', async () => {
    const server = await h.startServer();
    for (const username of [`al${ZWSP}ice`, `alice${RLO}`]) {
      const refused = await postJson(server.httpUrl, ACCOUNTS_PATH, {
        username,
        displayName: 'Alice',
        password: 'a long password',
      });
      expect(refused.status, JSON.stringify(username)).toBe(400);
    }
    // The name it would have read as is still free.
    const alice = await postJson(server.httpUrl, ACCOUNTS_PATH, {
      username: 'alice',
      displayName: 'Alice',
      password: 'a long password',
    });
    expect(alice.status).toBe(201);
  });
});
