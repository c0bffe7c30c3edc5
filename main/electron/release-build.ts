/**
 * Whether this bundle was built for release: `npm run build -- --production` (as `npm run dist`
 * does) defines the constant below in the node bundles (scripts/build.ts); anything that loads these
 * sources without that build, such as tests, sees no constant. A packaged app (app.isPackaged) is a
 * release too; electron-main.ts combines the two.
 */
declare const __MESSENGER_PRODUCTION_BUILD__: boolean | undefined;

export const isProductionBuild: boolean = typeof __MESSENGER_PRODUCTION_BUILD__ === 'boolean' && __MESSENGER_PRODUCTION_BUILD__;
