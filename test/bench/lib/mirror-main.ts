/** Child entry: `mirror-main.ts <dir> <scale>` builds the mirror fixture into <dir> (see mirror-fixture.ts). */
import { buildMirrorFixture } from './mirror-fixture.js';

const [dir, scale] = process.argv.slice(2);
if (!dir || !scale) throw new Error('Usage: mirror-main.ts <dir> <scale>');
buildMirrorFixture(dir, Number(scale));
