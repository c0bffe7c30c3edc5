import { afterEach, describe, it } from 'vitest';
import { expectPrivateSettingsDueAgain } from '../../support/private-settings-migration.js';
import { createTempMirrorPaths } from '../../support/test-mirror.js';

const paths = createTempMirrorPaths('mirror-30-');
afterEach(() => paths.cleanup());

describe('mirror migration 30', () => {
  it('makes the confirmed archive, mute and drafts due again (to go signed), and leaves the settings the server reads as they were', () => {
    expectPrivateSettingsDueAgain(paths.path(), 30);
  });
});
