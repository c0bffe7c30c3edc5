/**
 * The machine's floor for a message crossing two nodes through PostgreSQL, with nothing of the
 * server's own: one autocommit statement that inserts a row and notifies its id (its commit waits
 * for the WAL flush, as an append's does), a second connection LISTENing, and on each notification
 * a push over a loopback WebSocket. All three ends live in this process, so it is below what two
 * node processes can do: the time from the statement leaving to the push arriving.
 */
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import WebSocket, { WebSocketServer } from 'ws';
import { wsText } from '../../../sync/node/ws-text.js';
import { roundSummary, summarise, type Summary } from './stats.js';

const CHANNEL = 'bench_floor';

export async function notifyFloor(url: string, samples: number): Promise<Summary> {
  const table = `bench_floor_probe_${process.pid}`;
  const writer = new pg.Client({ connectionString: url });
  const listener = new pg.Client({ connectionString: url });
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const pushing = new Promise<WebSocket>((resolve) => server.once('connection', resolve));
  const socket = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const pusher = await pushing;
  await writer.connect();
  await listener.connect();
  try {
    await writer.query(`CREATE TABLE ${table} (id bigserial PRIMARY KEY, body text NOT NULL)`);
    await listener.query(`LISTEN ${CHANNEL}`);
    listener.on('notification', (message) => pusher.send(message.payload ?? ''));
    const arrived = new Map<string, (at: bigint) => void>();
    socket.on('message', (data) => arrived.get(wsText(data))?.(process.hrtime.bigint()));
    const times: number[] = [];
    for (let i = 0; i < samples; i += 1) {
      const id = String(i + 1);
      const pushed = new Promise<bigint>((resolve) => arrived.set(id, resolve));
      const started = process.hrtime.bigint();
      await writer.query(
        `WITH stored AS (INSERT INTO ${table} (body) VALUES ($1) RETURNING id) SELECT pg_notify($2, id::text) FROM stored`,
        ['a message of a typical length, stored and then told', CHANNEL],
      );
      times.push(Number((await pushed) - started) / 1e6);
      arrived.delete(id);
    }
    return roundSummary(summarise(times));
  } finally {
    socket.close();
    server.close();
    await writer.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await writer.end();
    await listener.end();
  }
}
