/**
 * Playwright's global setup, run once in the runner before any worker starts: prepares the target
 * (E2E_TARGET, see target.ts) or stops the run with the reason it cannot.
 *   chromium: chooses the Chromium (test/support/chromium.ts; unpacks the bundled one if that is
 *             the one) and leaves the choice in the environment the workers inherit.
 *   electron: fails at once, by name, when there is no Electron to run; else makes sure the
 *             SQLite module is built for it (npm run electron:native).
 */
import path from 'node:path';
import { ensureElectronNative } from '../../../scripts/electron-native.js';
import { chooseChromium, rememberChromiumChoice } from '../../support/chromium.js';
import { describeAvailability, e2eTarget, electronAvailability } from './target.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');

export default async function globalSetup(): Promise<void> {
  const target = e2eTarget();
  switch (target) {
    case 'chromium': {
      const choice = await chooseChromium();
      rememberChromiumChoice(choice);
      console.log(`e2e target chromium: ${choice.executablePath} (${choice.source})`);
      return;
    }
    case 'electron': {
      const availability = electronAvailability(ROOT);
      if (!availability.available) throw new Error(describeAvailability(target, availability));
      await ensureElectronNative(ROOT);
      console.log(describeAvailability(target, availability));
      return;
    }
    default: {
      const unknown: never = target;
      throw new Error(`Unknown e2e target ${String(unknown)}`);
    }
  }
}
