import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { expect, test } from './support/app.js';
import { pngImage } from './support/files.js';
import { aliceAndBob, aliceAndSocketBob, cleanedUpAfterEach } from './support/test-resources.js';
import { pngChunk } from '../support/png-chunk.js';
import { zeroPng } from '../support/png-bomb.js';
import { createServerHarness } from '../support/server-harness.js';
import { tempDir } from './support/processes.js';
import { sha256Of, uploadFile } from '../integration/server/attachment-support.js';
import { postEnvelope } from '../support/crypto-devices.js';
import { sealedFile } from '../support/attachments-files.js';

const resources = cleanedUpAfterEach();
const sockets = createServerHarness();
test.afterEach(() => sockets.cleanup());

/** A PNG whose header claims `side` × `side` pixels over a few bytes of data: small enough for a preview. */
function lyingPngDataUrl(side: number): string {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header[8] = 8;
  header[9] = 0;
  const png = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(Buffer.alloc(side + 1))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
  return `data:image/png;base64,${png.toString('base64')}`;
}

test('a decompression-bomb PNG arrives as a file row, never decoded, beside an ordinary image shown inline', async ({
  launchApp,
}) => {
  const { alice, bob } = await aliceAndBob(launchApp, resources, 'bombs');
  await alice.send('Pictures coming');
  await expect(bob.conversationWith('Alice Liddell')).toBeVisible();
  await bob.openConversationWith('Alice Liddell');

  const bomb = await zeroPng(20_000, 20_000);
  const chooser = alice.page.waitForEvent('filechooser');
  await alice.page.getByRole('button', { name: 'Attach', exact: true }).click();
  await (
    await chooser
  ).setFiles([
    { name: 'bomb.png', mimeType: 'image/png', buffer: bomb },
    { name: 'photo.png', mimeType: 'image/png', buffer: pngImage(640, 400) },
  ]);
  await expect(alice.page.getByRole('button', { name: 'Send', exact: true })).toBeEnabled();
  await alice.send('Two pictures');

  const received = bob.message('Two pictures');
  await expect(received.getByRole('img', { name: 'photo.png' })).toBeVisible({ timeout: 45_000 });
  await expect(received.getByRole('button', { name: 'Save bomb.png' })).toBeVisible();
  await expect(received.getByRole('img', { name: 'bomb.png' })).toHaveCount(0);
  // The page still answers: Bob replies.
  await bob.send('Got them');
  await expect(alice.message('Got them')).toBeVisible();
});

test('a hostile sender who declares a bomb a small image, with a lying preview, gets a file row: the header is read, nothing is decoded', async ({
  launchApp,
}) => {
  const { alice, bob, conversationId, bobToken, httpUrl } = await aliceAndSocketBob(launchApp, resources, sockets, 'lying-bomb');
  await alice.openConversationWith('Bob');
  const bomb = await zeroPng(20_000, 20_000);
  const dir = tempDir('e2e-lying-bomb-');
  resources.dirs.push(dir);
  const path = join(dir.path, 'holiday.png');
  // Encrypted as a client encrypts what it uploads: the sealed file goes up, its key in the message.
  const { sealed, key } = await sealedFile(bomb);
  await writeFile(path, sealed);
  const file = { path, bytes: sealed, sha256: sha256Of(sealed), size: sealed.length };
  const id = await uploadFile(httpUrl, bobToken, file);
  await postEnvelope(
    bob,
    conversationId,
    randomUUID(),
    {
      kind: 'message',
      text: 'Look at this',
      attachments: [
        {
          id,
          sha256: file.sha256,
          size: file.size,
          key,
          name: 'holiday.png',
          mime: 'image/png',
          kind: 'image',
          width: 640,
          height: 400,
          preview: lyingPngDataUrl(30_000),
        },
      ],
    },
    [id],
  );

  const received = alice.message('Look at this');
  await expect(received.getByRole('button', { name: 'Save holiday.png' })).toBeVisible({ timeout: 45_000 });
  await expect(received.getByRole('img', { name: 'holiday.png' })).toHaveCount(0);
  // The page still answers: Alice replies and Bob's device reads it.
  await alice.send('Nice try');
  await expect
    .poll(() => bob.device.mirror.views.messagePage(conversationId, bob.device.userId, 1).messages.at(-1)?.text)
    .toBe('Nice try');
});
