import { afterEach, describe, it } from 'vitest';
import { expectPrivateSettingsDueAgain } from '../../support/private-settings-migration.js';
import { createTempMirrorPaths } from '../../support/test-mirror.js';

const paths = createTempMirrorPaths('mirror-29-');
afterEach(() => paths.cleanup());

describe('mirror migration 29', () => {
  it('makes the confirmed archive, mute and drafts due again (to go sealed), and leaves the settings the server reads as they were', () => {
    expectPrivateSettingsDueAgain(paths.path(), 29);
  });
});
