/** The core worker's logger: its lines go to the host as 'log' messages, at the level the host gave. */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { WorkerToHost } from '../../../main/node/core-worker-protocol.js';
import { runCoreWorker, type OpenCore } from '../../../main/node/core-worker-runtime.js';
import type { ClientCoreOptions } from '../../../sync/client/client-core-types.js';
import { createFakeCore } from '../../integration/hosts/fixtures/fake-core.js';

const TOKEN = 'c0ffee'.repeat(11).slice(0, 64);

class Port extends EventEmitter {
  readonly sent: WorkerToHost[] = [];
  postMessage(message: WorkerToHost): void {
    this.sent.push(structuredClone(message));
  }
  close(): void {}
  lines(): Array<Record<string, unknown>> {
    return this.sent.flatMap((m) => (m.type === 'log' ? [JSON.parse(m.line) as Record<string, unknown>] : []));
  }
  async settled(): Promise<void> {
    for (let i = 0; i < 50; i++) await new Promise((resolve) => setImmediate(resolve));
  }
}

function start(data: Partial<Parameters<typeof runCoreWorker>[1]>) {
  const port = new Port();
  let opened: ClientCoreOptions | null = null;
  const open: OpenCore = async (options) => {
    opened = options;
    options.logger?.info('client core opened', { token: TOKEN, detail: `Bearer ${TOKEN}` });
    return createFakeCore(options.defaultServerUrl);
  };
  runCoreWorker(port, { profileDir: '/p', defaultServerUrl: 'ws://127.0.0.1:1', ...data }, open);
  return { port, options: () => opened };
}

describe('the core worker’s logs', () => {
  it('sends the core’s lines and its refused calls to the host, masked, with the host’s versions handed on', async () => {
    const hostVersions = { app: '9.9.9', electron: '45.0.0', chromium: '140.0.0.0', node: '20.19.0' };
    const { port, options } = start({ logLevel: 'info', hostVersions });
    port.emit('message', { type: 'call', id: 1, method: 'startConversation', args: { username: 'bob' } });
    port.emit('message', { type: 'call', id: 2, method: 'getDefaults', args: {} });
    await port.settled();
    expect(options()?.hostVersions).toEqual(hostVersions);
    const lines = port.lines();
    expect(lines[0]).toMatchObject({ name: 'core', msg: 'client core opened', token: '[redacted]', detail: 'Bearer [redacted]' });
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'call refused', method: 'startConversation', code: 'not_signed_in' }),
    );
    expect(lines.filter((line) => line.msg === 'call refused')).toHaveLength(1);
    expect(JSON.stringify(port.sent)).not.toContain(TOKEN);
  });

  it('sends nothing when the host asked for no logs, or for silence', async () => {
    for (const data of [{}, { logLevel: 'silent' as const }]) {
      const { port } = start(data);
      port.emit('message', { type: 'call', id: 1, method: 'startConversation', args: { username: 'bob' } });
      await port.settled();
      expect(port.sent.some((m) => m.type === 'log')).toBe(false);
      expect(port.sent.some((m) => m.type === 'reply')).toBe(true);
    }
  });
});
