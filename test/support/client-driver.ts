/**
 * A real client core in a process of its own, for crash tests (the test SIGKILLs it at random
 * moments and then inspects its profile). Run it as one node process so a kill hits the core itself:
 *
 *   node --import tsx test/support/client-driver.ts --profile <dir> --server ws://127.0.0.1:<port> \
 *     --username alice --password <pw> [--create] --mode send --peer bob --count 40 [--interval-ms 5]
 *   node --import tsx test/support/client-driver.ts --profile <dir> --server <url> \
 *     --username bob --password <pw> --mode catch-up --peer alice --expect 3000
 *   node --import tsx test/support/client-driver.ts --profile <dir> --server <url> \
 *     --username alice --password <pw> --mode attach --peer bob --file <path>
 *
 * (`node_modules/.bin/tsx test/support/client-driver.ts …` works too, by hand.) Signs in only when
 * the profile has no session yet (logging in, or creating the account with --create); afterwards
 * the stored session is used, as the app does after a restart.
 *
 * Prints one line per event on stdout (stdout is a pipe, written synchronously, so a line the test
 * read was printed before the kill):
 *   pending <messageId> <text>   an own message already queued by an earlier run (send mode)
 *   ready <conversationId> <n>   about to compose, starting with number n (send mode)
 *   queued <messageId> <text>    sendMessage resolved: the message is durably in the mirror and outbox
 *   acked <messageId> <seq>      the core shows the message acknowledged by the server with that seq
 *   failed <messageId> <error>   the server refused a message permanently (never expected here)
 *   online                       the connection is up and the first catch-up done
 *   progress <seq>               catch-up mode: the newest message held now has this seq
 *   attached <messageId>         attach mode: a message with the file is queued (now, or by an earlier run)
 *   done <n>                     the workload finished (send: last number composed, all acked;
 *                                catch-up: the newest seq, at least --expect, while online)
 *   error <message>              something went wrong; the process exits with code 1
 *
 * Send mode composes `--count` messages "<prefix><nnnn>" as fast as it can (or every --interval-ms),
 * continuing the numbering after the highest one already in the mirror, then waits until every own
 * message is acknowledged. Attach mode copies --file into the profile's store and sends it as the
 * one attachment of a message (unless an earlier run queued it already), then waits until that
 * message is acknowledged. Both then wait until the device messages the core queued (the sender
 * key that opens what it sealed) have reached the server, as a running app would deliver them.
 * Exits by itself when done, after --max-ms, or when stdin closes.
 */
import { createReadStream } from 'node:fs';
import { basename, join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { parseArgs } from 'node:util';
import type { ClientCore } from '../../sync/client/client-core-types.js';
import { MIRROR_FILE, openClientCore } from '../../sync/client/client-core.js';
import { profileBlobStore } from './file-keys.js';

const { values } = parseArgs({
  options: {
    profile: { type: 'string' },
    server: { type: 'string' },
    username: { type: 'string' },
    password: { type: 'string' },
    create: { type: 'boolean', default: false },
    mode: { type: 'string', default: 'send' },
    peer: { type: 'string' },
    count: { type: 'string', default: '20' },
    prefix: { type: 'string', default: 'm-' },
    'interval-ms': { type: 'string', default: '0' },
    expect: { type: 'string', default: '0' },
    'max-ms': { type: 'string', default: '120000' },
    file: { type: 'string' },
  },
  strict: true,
});

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function fail(message: string): never {
  say(`error ${message.replace(/\s+/g, ' ')}`);
  process.exit(1);
}

function required(name: 'profile' | 'server' | 'username' | 'password' | 'peer' | 'file'): string {
  const value = values[name];
  if (!value) fail(`missing --${name}`);
  return value;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const numberOf = (text: string, prefix: string): number | null =>
  text.startsWith(prefix) && /^\d+$/.test(text.slice(prefix.length)) ? Number(text.slice(prefix.length)) : null;
const messageText = (prefix: string, n: number) => `${prefix}${String(n).padStart(4, '0')}`;

async function waitOnline(core: ClientCore, deadline: number): Promise<void> {
  while ((await core.getConnectionState()) !== 'online') {
    if (Date.now() > deadline) fail('never came online');
    await sleep(20);
  }
}

async function signIn(core: ClientCore): Promise<void> {
  if (await core.getSession()) return;
  const serverUrl = required('server');
  const username = required('username');
  const password = required('password');
  if (values.create) {
    await core.createAccount({ serverUrl, username, displayName: username, password });
  } else {
    await core.logIn({ serverUrl, username, password });
  }
}

async function findConversation(core: ClientCore, peer: string): Promise<string | null> {
  // Whatever list it is in (a stranger's first messages wait under "Message requests").
  const list = await core.listConversations({ folder: 'all' });
  return list.find((conversation) => conversation.peer?.username === peer)?.id ?? null;
}

/**
 * Calls `work` whenever the core reports a change (and every `everyMs` anyway), one call at a
 * time; a change during a call runs it once more afterwards.
 */
function watch(core: ClientCore, work: () => Promise<void>, everyMs: number): () => Promise<void> {
  let running: Promise<void> | null = null;
  let again = false;
  const run = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await work();
      } while (again);
    })()
      .catch((error: unknown) => fail(`watch failed: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => {
        running = null;
      });
    return running;
  };
  core.subscribe((event) => {
    if (event.type === 'messages' || event.type === 'conversations' || event.type === 'connection') void run();
  });
  setInterval(() => void run(), everyMs);
  return run;
}

/** How many device messages (sender keys, …) the profile's mirror still holds for the server. */
function deviceSendsWaiting(): number {
  const db = new Database(join(required('profile'), MIRROR_FILE), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM signal_outgoing').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/**
 * An envelope can be acknowledged before the sender key that opens it left this device (the key
 * goes through the device inbox on its own): exiting then would leave the peer unable to read it
 * until this profile runs again.
 */
async function deviceSendsDelivered(deadline: number): Promise<void> {
  while (deviceSendsWaiting() > 0) {
    if (Date.now() > deadline) fail('device messages never delivered');
    await sleep(20);
  }
}

async function sendMode(core: ClientCore, deadline: number): Promise<void> {
  const peer = required('peer');
  const prefix = values.prefix;
  const count = Number(values.count);
  const intervalMs = Number(values['interval-ms']);
  let conversationId = await findConversation(core, peer);
  if (!conversationId) {
    await waitOnline(core, deadline);
    conversationId = (await core.startConversation({ username: peer })).id;
  }
  const convId = conversationId;

  // Resume: what earlier runs composed is in the mirror; continue after the highest number.
  const outstanding = new Map<string, { text: string; n: number }>();
  /** Message number → its seq, for the numbers seen acknowledged. */
  const seqOf = new Map<number, number>();
  let highest = 0;
  for (const message of (await core.listMessages({ conversationId: convId, limit: 1000 })).messages) {
    if (!message.own) continue;
    const n = numberOf(message.text, prefix);
    if (n === null) continue;
    highest = Math.max(highest, n);
    if (message.seq === null) {
      outstanding.set(message.id, { text: message.text, n });
      say(`pending ${message.id} ${message.text}`);
    } else {
      seqOf.set(n, message.seq);
    }
  }

  // The server stores a conversation's sends in the order they were written, so every message
  // still outstanding gets a seq after that of the one written just before the oldest of them:
  // the page after it holds them all (and the unsent ones), not the newest thousand each time.
  const pageAfter = (): number | undefined => {
    let oldest = Number.POSITIVE_INFINITY;
    for (const { n } of outstanding.values()) oldest = Math.min(oldest, n);
    return seqOf.get(oldest - 1);
  };
  const poll = watch(
    core,
    async () => {
      if (outstanding.size === 0) return;
      const afterSeq = pageAfter();
      const page = await core.listMessages({
        conversationId: convId,
        limit: 1000,
        ...(afterSeq !== undefined ? { afterSeq } : {}),
      });
      for (const message of page.messages) {
        const waiting = outstanding.get(message.id);
        if (!waiting) continue;
        if (message.seq !== null) {
          outstanding.delete(message.id);
          seqOf.set(waiting.n, message.seq);
          say(`acked ${message.id} ${message.seq}`);
        } else if (message.status === 'failed') {
          outstanding.delete(message.id);
          say(`failed ${message.id} ${message.error ?? ''}`);
        }
      }
    },
    100,
  );

  say(`ready ${convId} ${highest + 1}`);
  for (let n = highest + 1; n <= highest + count; n += 1) {
    const text = messageText(prefix, n);
    const view = await core.sendMessage({ conversationId: convId, text });
    outstanding.set(view.id, { text, n });
    say(`queued ${view.id} ${text}`);
    if (intervalMs > 0) await sleep(intervalMs);
    else await new Promise((resolve) => setImmediate(resolve));
  }
  while (outstanding.size > 0) {
    if (Date.now() > deadline) fail(`${outstanding.size} messages never acknowledged`);
    await poll();
    await sleep(20);
  }
  await deviceSendsDelivered(deadline);
  say(`done ${highest + count}`);
}

async function catchUpMode(core: ClientCore, deadline: number): Promise<void> {
  const peer = required('peer');
  const expected = Number(values.expect);
  let printed = 0;
  let finished: (() => void) | null = null;
  const done = new Promise<void>((resolve) => (finished = resolve));
  watch(
    core,
    async () => {
      const conversationId = await findConversation(core, peer);
      if (!conversationId) return;
      const newest = (await core.listMessages({ conversationId, limit: 1 })).messages.at(-1)?.seq ?? 0;
      if (newest > printed) {
        printed = newest;
        say(`progress ${newest}`);
      }
      if (newest >= expected && (await core.getConnectionState()) === 'online') finished?.();
    },
    50,
  );
  const timeout = sleep(Math.max(0, deadline - Date.now())).then(() => fail(`catch-up stuck at ${printed} of ${expected}`));
  await Promise.race([done, timeout]);
  say(`done ${printed}`);
}

async function attachMode(core: ClientCore, deadline: number): Promise<void> {
  const peer = required('peer');
  let conversationId = await findConversation(core, peer);
  if (!conversationId) {
    await waitOnline(core, deadline);
    conversationId = (await core.startConversation({ username: peer })).id;
  }
  const convId = conversationId;
  const own = (await core.listMessages({ conversationId: convId, limit: 1000 })).messages.filter(
    (message) => message.own && message.attachments.length > 0,
  );
  let messageId = own[0]?.id;
  if (!messageId) {
    const path = required('file');
    const stored = await profileBlobStore(required('profile')).put(createReadStream(path), 2 ** 31);
    const view = await core.sendMessage({
      conversationId: convId,
      text: '',
      attachments: [{ sha256: stored.sha256, name: basename(path), kind: 'file' }],
    });
    messageId = view.id;
  }
  say(`attached ${messageId}`);
  for (;;) {
    const message = (await core.listMessages({ conversationId: convId, limit: 1000 })).messages.find((m) => m.id === messageId);
    if (message?.status === 'failed') fail(`message ${messageId} failed: ${message.error ?? ''}`);
    if (message?.seq) {
      say(`acked ${messageId} ${message.seq}`);
      break;
    }
    if (Date.now() > deadline) fail(`message ${messageId} never acknowledged`);
    await sleep(20);
  }
  await deviceSendsDelivered(deadline);
  say('done 1');
}

async function main(): Promise<void> {
  const deadline = Date.now() + Number(values['max-ms']);
  // The test process owns us: if it goes away (our stdin closes), so do we.
  process.stdin.on('end', () => process.exit(3));
  process.stdin.on('error', () => process.exit(3));
  process.stdin.resume();

  const core = await openClientCore({ profileDir: required('profile'), defaultServerUrl: required('server') });
  core.subscribe((event) => {
    if (event.type === 'connection' && event.state === 'online') say('online');
  });
  await signIn(core);
  if (values.mode === 'send') await sendMode(core, deadline);
  else if (values.mode === 'catch-up') await catchUpMode(core, deadline);
  else if (values.mode === 'attach') await attachMode(core, deadline);
  else fail(`unknown --mode ${values.mode}`);
  await core.close();
  process.exit(0);
}

main().catch((error: unknown) => fail(error instanceof Error ? (error.stack ?? error.message) : String(error)));
