/**
 * Clients that ask for a lot and never read it, and the server figures that show what they cost:
 * shared by the slow-reader test (test/integration/server/slow-readers.test.ts) and the slow-reader
 * benchmark (test/bench/slow-readers.ts, lib/slow-reader-holder.ts).
 */
import { get } from 'node:http';
import WebSocket from 'ws';
import { SYNC_PATH } from '../../sync/protocol/frames.js';
import { LIMITS } from '../../sync/protocol/limits.js';
import { SYNC_PROTOCOL } from '../../sync/protocol/version.js';

/** A socket that sends what it is told to and reads nothing once open: ws stops reading from the network. */
export interface NonReader {
  ws: WebSocket;
  /** Frames that arrived before it stopped reading, or since `ws.resume()`. */
  frames(): number;
  /** Of those, the `events` replies: one per catch-up page, whether it came in parts or not. */
  pages(): number;
}

export async function openNonReader(url: string, token: string): Promise<NonReader> {
  const ws = new WebSocket(url + SYNC_PATH, [SYNC_PROTOCOL], { headers: { authorization: `Bearer ${token}` } });
  let frames = 0;
  let pages = 0;
  ws.on('message', (data: Buffer) => {
    frames += 1;
    if ((JSON.parse(data.toString('utf8')) as { type?: unknown }).type === 'events') pages += 1;
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.pause();
  return { ws, frames: () => frames, pages: () => pages };
}

/** A full catch-up of `conversationId` (the largest page the protocol allows). */
export function catchUpFrame(conversationId: string, rid: string, inParts = false): string {
  return JSON.stringify({
    type: 'catch_up',
    rid,
    conversationId,
    afterSeq: 0,
    limit: LIMITS.maxCatchUpPage,
    ...(inParts ? { inParts } : {}),
  });
}

/** A metric's value from the server's /metrics, on a connection of its own (a busy server may close an idle kept-alive one just as it is reused). */
export async function metric(httpUrl: string, name: string): Promise<number> {
  const text = await new Promise<string>((resolve, reject) => {
    get(`${httpUrl}/metrics`, { agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve(body));
      response.on('error', reject);
    }).on('error', reject);
  });
  const line = text.split('\n').find((entry) => entry.startsWith(`${name} `));
  if (!line) throw new Error(`/metrics has no ${name}`);
  return Number(line.split(' ')[1]);
}
