/**
 * The fallback that lets a machine with no browser installed run the end-to-end tests: the
 * Chromium the @sparticuz/chromium package carries, forced with MESSENGER_CHROMIUM=bundled (this
 * machine may well have a system Chromium), launched as Playwright launches it for the tests.
 */
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { chromium } from '@playwright/test';
import { describe, expect, test } from 'vitest';
import { chooseChromium, launchOptionsFor } from '../../support/chromium.js';

/** Unpacking it the first time (about 200 MB of brotli) takes a while on a small machine. */
const UNPACK_TIMEOUT_MS = 180_000;

/** The files a process has mapped that are named `name` (what the dynamic loader actually loaded). */
function loadedLibraries(pid: number, name: string): string[] {
  const files = readFileSync(`/proc/${pid}/maps`, 'utf8')
    .split('\n')
    .map((line) => line.slice(line.indexOf('/')))
    .filter((file) => file.endsWith(`/${name}`));
  return [...new Set(files)];
}

/** The colour of one pixel of a PNG, decoded by the page itself. */
const PIXEL_OF_PNG = (base64: string) => `(async () => {
  const image = new Image();
  image.src = 'data:image/png;base64,${base64}';
  await image.decode();
  const canvas = document.createElement('canvas');
  canvas.width = image.width;
  canvas.height = image.height;
  const context = canvas.getContext('2d');
  context.drawImage(image, 0, 0);
  return [...context.getImageData(2, 2, 1, 1).data];
})()`;

describe('the bundled Chromium (MESSENGER_CHROMIUM=bundled)', () => {
  test(
    'launches with the NSS libraries it carries first on LD_LIBRARY_PATH, and renders a page',
    async () => {
      const env = { ...process.env, MESSENGER_CHROMIUM: 'bundled' };
      const choice = await chooseChromium(env);
      expect(choice.source).toBe('bundled');
      expect(choice.libraryDir).not.toBeNull();
      expect(existsSync(join(choice.libraryDir!, 'libnss3.so'))).toBe(true);

      const options = launchOptionsFor(choice, env);
      expect(options.executablePath).toBe(choice.executablePath);
      expect(options.env?.LD_LIBRARY_PATH?.split(delimiter)[0]).toBe(choice.libraryDir);

      const server = await chromium.launchServer({ ...options, headless: true });
      try {
        // What the browser process really loaded: NSS from the package's folder, none from the system's.
        expect(loadedLibraries(server.process().pid!, 'libnss3.so')).toEqual([join(choice.libraryDir!, 'libnss3.so')]);

        const browser = await chromium.connect(server.wsEndpoint());
        const page = await browser.newPage();
        await page.setContent('<body style="margin: 0; background: rgb(200, 30, 60)"><h1>Rendered here</h1></body>');
        await expect(page.getByRole('heading', { name: 'Rendered here' }).isVisible()).resolves.toBe(true);
        const png = await page.screenshot({ clip: { x: 0, y: 300, width: 5, height: 5 } });
        expect(await page.evaluate(PIXEL_OF_PNG(png.toString('base64')))).toEqual([200, 30, 60, 255]);
        await browser.close();
      } finally {
        await server.close();
      }
    },
    UNPACK_TIMEOUT_MS,
  );

  test(
    'is the one chosen when there is neither CHROMIUM_PATH nor a system Chromium',
    async () => {
      const bareEnv = { PATH: '/usr/local/bin:/usr/bin:/bin' };
      const nothingInstalled = (path: string) => !path.includes('chrom') && !path.includes('google-chrome');
      const choice = await chooseChromium(bareEnv, nothingInstalled);
      expect(choice.source).toBe('bundled');
      expect(existsSync(choice.executablePath)).toBe(true);
    },
    UNPACK_TIMEOUT_MS,
  );
});
