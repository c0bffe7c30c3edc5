/**
 * Secrets never reach a log line: structured fields are redacted by pino, and every line (and
 * every exported file) is searched for secrets inside strings.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../main/common/logging.js';
import { REDACTED, scrubLogText } from '../../../main/common/logging-scrub.js';

const TOKEN = 'a3f1c2d4e5b60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';
const BRIDGE_KEY = '0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0';
const PASSWORD = 'correct horse battery staple';

function memoryLogger(level: 'debug' | 'info' = 'debug') {
  const lines: string[] = [];
  const logger = createLogger({ level, name: 'test', destination: { write: (line) => lines.push(line) } });
  return { logger, lines };
}

describe('scrubLogText', () => {
  it.each([
    ['a bridge key in the printed address', `opened http://127.0.0.1:5173/?k=${BRIDGE_KEY} once`, [BRIDGE_KEY]],
    ['a session token in a URL', `GET http://127.0.0.1:7878/v1/sessions?token=${TOKEN}&x=1 failed`, [TOKEN]],
    ['an Authorization header', `request failed; headers: Authorization: Bearer ${TOKEN}`, [TOKEN]],
    ['a bearer token alone', `sent Bearer ${TOKEN}.`, [TOKEN]],
    ['a token in an error message', `Unexpected server response: session ${TOKEN} is unknown`, [TOKEN]],
    ['a cookie header', `cookie: messenger_session_5173=${BRIDGE_KEY}; other=1`, [BRIDGE_KEY]],
    ['the session cookie quoted elsewhere', `set messenger_session_40111=${BRIDGE_KEY.slice(0, 30)}`, [BRIDGE_KEY.slice(0, 30)]],
    ['a password written into a string', `body was {"username":"alice","password":"${PASSWORD}"}`, [PASSWORD, 'horse']],
    ['password=… in a query', `POST /v1/accounts?username=alice&password=hunter2hunter2`, ['hunter2']],
    ['a key inside a JSON line', `{"msg":"x","detail":"mirrorKey=${BRIDGE_KEY}"}`, [BRIDGE_KEY]],
  ])('masks %s', (_what, text, secrets) => {
    const scrubbed = scrubLogText(text);
    for (const secret of secrets) expect(scrubbed).not.toContain(secret);
    expect(scrubbed).toContain(REDACTED);
  });

  it('masks a password with spaces inside a string that is itself inside a JSON line', () => {
    const line = JSON.stringify({ msg: 'call failed', error: `body {"username":"alice","password":"${PASSWORD}"} refused` });
    const scrubbed = scrubLogText(line);
    expect(scrubbed).not.toContain('horse');
    expect((JSON.parse(scrubbed) as { error: string }).error).toBe(`body {"username":"alice","password":"${REDACTED}"} refused`);
  });

  it('keeps what is not secret: ids, counts, words like "token" in a sentence', () => {
    const text =
      'outbox send conversationId=5d2c9f3e-8a41-4c1b-9f7e-2a6b1c3d4e5f sessionId=0123456789abcdef0123456789abcdef ' +
      'direct=dm-b4bc56e99f2d2299d6211d87495a99e5fabeca9d attempts=3 (the token expired)';
    expect(scrubLogText(text)).toBe(text);
  });

  it('leaves a JSON line valid JSON', () => {
    const line = JSON.stringify({
      msg: `failed: Authorization: Bearer ${TOKEN}`,
      url: `http://127.0.0.1/?k=${BRIDGE_KEY}`,
      error: `password=${PASSWORD.replaceAll(' ', '-')}`,
      quoted: 'say "hello" \\ then',
    });
    const parsed = JSON.parse(scrubLogText(line)) as Record<string, string>;
    expect(parsed.msg).toBe(`failed: Authorization: ${REDACTED}`);
    expect(parsed.url).toBe(`http://127.0.0.1/?k=${REDACTED}`);
    expect(parsed.error).toBe(`password=${REDACTED}`);
    expect(parsed.quoted).toBe('say "hello" \\ then');
  });
});

describe('the logger', () => {
  it('redacts secret fields, top level and one object down, and scrubs strings in the others', () => {
    const { logger, lines } = memoryLogger();
    logger.info('signed in', {
      token: TOKEN,
      password: PASSWORD,
      authorization: `Bearer ${TOKEN}`,
      cookie: `messenger_session_1=${BRIDGE_KEY}`,
      text: 'a private message',
      url: `ws://127.0.0.1:7878/v1/sync?token=${TOKEN}`,
      error: `refused the key ${BRIDGE_KEY}`,
      userId: 'u-42',
    });
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    for (const secret of [TOKEN, PASSWORD, BRIDGE_KEY, 'a private message']) expect(line).not.toContain(secret);
    const entry = JSON.parse(line) as Record<string, unknown>;
    expect(entry).toMatchObject({
      level: 30,
      name: 'test',
      msg: 'signed in',
      token: REDACTED,
      password: REDACTED,
      authorization: REDACTED,
      cookie: REDACTED,
      text: REDACTED,
      userId: 'u-42',
    });
    expect(entry.url).toBe(`ws://127.0.0.1:7878/v1/sync?token=${REDACTED}`);
    expect(typeof entry.time).toBe('string');
  });

  it('masks a secret in the message itself', () => {
    const { logger, lines } = memoryLogger();
    logger.warn(`could not reach http://127.0.0.1:5173/?k=${BRIDGE_KEY}`);
    expect(lines[0]).not.toContain(BRIDGE_KEY);
  });

  it('writes only what its level lets through', () => {
    const { logger, lines } = memoryLogger('info');
    logger.debug('per-row detail');
    logger.info('connection state', { from: 'connecting', to: 'online' });
    logger.error('broke', { error: 'disk I/O error' });
    expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual(['connection state', 'broke']);
  });
});
