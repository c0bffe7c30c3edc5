/**
 * Child process holding many idle authenticated sockets open (raw `ws` clients, answering the
 * server's pings, nothing else). Tokens arrive over IPC; it answers {type:'ready', count, ms} and
 * keeps the sockets until told {type:'stop'} or killed.
 */
import { connectMany, type RawClient } from './raw-client.js';

let clients: RawClient[] = [];

process.on('message', (message: { type: string; serverUrl?: string; tokens?: string[] }) => {
  if (message.type === 'open' && message.serverUrl && message.tokens) {
    const started = performance.now();
    connectMany(message.serverUrl, message.tokens).then(
      (opened) => {
        clients = opened;
        process.send?.({ type: 'ready', count: opened.length, ms: Math.round(performance.now() - started) });
      },
      (error: unknown) => {
        process.send?.({ type: 'failed', error: String(error) });
      },
    );
  }
  if (message.type === 'stop') {
    for (const client of clients) client.close();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
