/**
 * The floor for the attachment benchmark: plain HTTP over loopback with no protocol on top. PUT
 * /file streams the request body to a file, GET /file streams it back; nothing else. Run as its
 * own process (like the sync server), it prints "listening <port>" when ready.
 */
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

const dir = process.argv[2];
if (!dir) throw new Error('usage: raw-file-server.ts <dir>');
const file = join(dir, 'raw-upload.bin');

const server = createServer((req, res) => {
  const done = (status: number) => {
    res.writeHead(status, { 'content-length': 0 });
    res.end();
  };
  if (req.method === 'PUT') {
    pipeline(req, createWriteStream(file)).then(
      () => done(204),
      () => done(500),
    );
  } else if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': statSync(file).size });
    pipeline(createReadStream(file), res).catch(() => res.destroy());
  } else {
    done(405);
  }
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(`listening ${typeof address === 'object' && address ? address.port : 0}`);
});
