/**
 * Issue 13: the outbox inspector. Alice's network goes away; what she writes waits in her outbox,
 * and Settings → "Outbox" lists it with its state and attempts. One item is discarded (it never
 * arrives); the network comes back and "Retry now" sends the other at once, instead of when her
 * app would next try to reconnect: Bob receives it once, and the outbox is empty.
 */
import { startTcpProxy } from '../support/tcp-proxy.js';
import { SYNC_PATH } from '../../sync/protocol/frames.js';
import { expect, test } from './support/app.js';
import { startServer, tempDir, type RunningProcess } from './support/processes.js';
import { acceptRequestsElsewhere, cleanedUpAfterEach } from './support/test-resources.js';

const { running, dirs } = cleanedUpAfterEach();
const gates: Gate[] = [];
test.afterEach(async () => {
  await Promise.all(gates.splice(0).map((gate) => gate.stop()));
});

function track<T extends RunningProcess>(process: T): T {
  running.push(process);
  return process;
}

/**
 * Reconnects back off (RECONNECT_BACKOFF): right after this many refused in a row, her next one is
 * at least 15 s away, longer than the test waits for the message to go once it pressed "Retry now".
 */
const REFUSED_BEFORE_RETRY = 6;
const SENT_AFTER_RETRY_MS = 10_000;

test('the outbox lists what waits, Discard drops an item, and Retry now sends one at once', async ({ launchApp }) => {
  const serverData = tempDir('e2e-server-');
  dirs.push(serverData);
  const server = track(await startServer(serverData.path));
  const gate = await startGate(Number(new URL(server.url).port));
  gates.push(gate);
  const { messenger: alice } = await launchApp({ name: 'alice', serverUrl: gate.url });
  const { messenger: bob } = await launchApp({ name: 'bob', serverUrl: server.url });
  await bob.createAccount('bob', 'Bob Builder');
  await alice.createAccount('alice', 'Alice Liddell');
  await alice.startConversation('bob');
  await acceptRequestsElsewhere(server.url, 'bob');
  await expect(bob.conversationWith('Alice Liddell')).toBeVisible();
  await alice.send('Hello Bob');
  await expect(alice.status('Hello Bob', 'Delivered')).toBeVisible();

  // Alice's network goes away; she keeps writing.
  gate.shut();
  await expect(alice.connection).toContainText('Offline');
  await alice.send('Never to arrive');
  await alice.send('Waiting in the outbox');

  await alice.page.getByRole('button', { name: 'Settings', exact: true }).click();
  await alice.page.getByRole('dialog', { name: 'Settings' }).getByRole('button', { name: 'Outbox' }).click();
  const outbox = alice.page.getByRole('dialog', { name: 'Outbox' });
  const queued = outbox.getByRole('list', { name: 'Queued' });
  await expect(queued.getByRole('listitem')).toHaveCount(2);
  const item = (text: string) => queued.getByRole('listitem').filter({ hasText: text });
  for (const text of ['Never to arrive', 'Waiting in the outbox']) {
    await expect(item(text)).toContainText('Bob Builder');
    await expect(item(text)).toContainText('Message');
    await expect(item(text)).toContainText('Waiting for a connection');
    await expect(item(text)).toContainText('0 attempts');
  }

  await item('Never to arrive').getByRole('button', { name: 'Discard' }).click();
  await expect(queued.getByRole('listitem')).toHaveCount(1);
  await expect(alice.message('Never to arrive')).toHaveCount(0);

  // The network comes back just after her app was refused once more: its next try is a while
  // away. "Retry now" connects and sends at once.
  let seen = gate.refused;
  await expect
    .poll(
      () => {
        const justRefused = gate.refused > seen && gate.refused >= REFUSED_BEFORE_RETRY;
        seen = gate.refused;
        return justRefused;
      },
      { timeout: 90_000, intervals: [50] },
    )
    .toBe(true);
  gate.open();
  await item('Waiting in the outbox').getByRole('button', { name: 'Retry now' }).click();
  await expect(outbox.getByText('Nothing is waiting to be sent')).toBeVisible({ timeout: SENT_AFTER_RETRY_MS });
  await expect(alice.connection).toContainText('Online');

  await bob.openConversationWith('Alice Liddell');
  await expect(bob.message('Waiting in the outbox')).toHaveCount(1);
  // What was discarded was written before it: it would have arrived first.
  await expect(bob.message('Never to arrive')).toHaveCount(0);
  expect(await bob.messageTexts()).toHaveLength(2);
});

/** A loopback TCP gate in front of the server: open, or shut (every connection refused; sync reconnects counted). */
interface Gate {
  url: string;
  /** Reconnects of the sync connection refused since the gate was last shut. */
  readonly refused: number;
  open(): void;
  /** Cuts what is connected and refuses what comes. */
  shut(): void;
  /** Stops listening. */
  stop(): Promise<void>;
}

async function startGate(targetPort: number): Promise<Gate> {
  let refused = 0;
  const proxy = await startTcpProxy(targetPort, {
    // Her sync connection's reconnects, told by their request line from other requests (Settings
    // lists her sessions over HTTP).
    onRefused: (firstBytes) => {
      if (firstBytes.toString('latin1').startsWith(`GET ${SYNC_PATH} `)) refused += 1;
    },
  });
  return {
    url: proxy.url,
    get refused() {
      return refused;
    },
    open: () => proxy.restore(),
    shut: () => {
      refused = 0;
      proxy.cut();
    },
    stop: () => proxy.close(),
  };
}
