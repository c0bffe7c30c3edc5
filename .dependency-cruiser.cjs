/**
 * Layering rules, enforced by `npm run lint` (part of `npm test`): a broken rule fails the build.
 *   renderer/  → may use sync/app-api, sync/protocol, sync/common (pure modules) and browser libraries;
 *                never node built-ins, better-sqlite3, ws, electron, tus or file-type.
 *   sync/      → never electron, react, react-dom or zustand; knows nothing of hosts.
 *   pure sync modules (app-api, protocol, common) → nothing node-only, so the renderer can use them.
 *   sync/client and sync/server → share only the pure modules (and sync/node helpers), never each other.
 *   libsignal → only in sync/client/crypto; never in the server, which must stay blind to content.
 *   no import cycles anywhere.
 */

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles make initialisation order fragile and layering meaningless.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'renderer-no-node-builtins',
      severity: 'error',
      comment: 'The renderer runs in a sandboxed page: no node built-ins.',
      from: { path: '^renderer/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'renderer-no-node-only-packages',
      severity: 'error',
      comment: 'The renderer reaches the core only through the app API contract.',
      from: { path: '^renderer/' },
      to: { path: '(^|/)node_modules/(better-sqlite3-multiple-ciphers|ws|electron|@tus/[^/]+|tus-js-client|file-type|sharp)/' },
    },
    {
      name: 'renderer-only-pure-sync',
      severity: 'error',
      comment: 'The renderer may import only the pure parts of sync/ (contract, protocol, common).',
      from: { path: '^renderer/' },
      to: { path: '^sync/', pathNot: '^sync/(app-api|protocol|common)/' },
    },
    {
      name: 'renderer-no-hosts',
      severity: 'error',
      from: { path: '^renderer/' },
      to: { path: '^(main|preload)/' },
    },
    {
      name: 'sync-no-ui-or-electron',
      severity: 'error',
      comment: "sync/ is the heart and knows nothing of Electron or React (nor of the page's map).",
      from: { path: '^sync/' },
      to: { path: '(^|/)node_modules/(electron|react|react-dom|zustand|maplibre-gl)/' },
    },
    {
      name: 'sync-no-hosts',
      severity: 'error',
      from: { path: '^sync/' },
      to: { path: '^(main|preload|renderer)/' },
    },
    {
      name: 'pure-sync-no-node',
      severity: 'error',
      comment: 'sync/app-api, sync/protocol and sync/common are shared with the renderer.',
      from: { path: '^sync/(app-api|protocol|common)/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'pure-sync-no-node-packages',
      severity: 'error',
      from: { path: '^sync/(app-api|protocol|common)/' },
      to: { path: '(^|/)node_modules/(better-sqlite3-multiple-ciphers|ws|electron|sharp)/' },
    },
    {
      name: 'pure-sync-no-impure-sync',
      severity: 'error',
      from: { path: '^sync/(app-api|protocol|common)/' },
      to: { path: '^sync/(client|server|node)/' },
    },
    {
      name: 'client-not-server',
      severity: 'error',
      comment: 'The client core and the server share only pure modules: a client that imports server code ships it.',
      from: { path: '^sync/client/' },
      to: { path: '^sync/server/' },
    },
    {
      name: 'server-not-client',
      severity: 'error',
      comment: 'The server must not depend on the client core (nor its packages: tus-js-client, file-type, sharp).',
      from: { path: '^sync/server/' },
      to: { path: ['^sync/client/', '(^|/)node_modules/(tus-js-client|file-type|sharp)/'] },
    },
    {
      name: 'server-never-fetches-pages',
      severity: 'error',
      comment:
        'Link previews are made by the sender only (receivers and the server never contact the site): the server must not load the fetcher or its HTML parser.',
      from: { path: '^sync/server/' },
      to: { path: ['^sync/node/link-preview/', '(^|/)node_modules/(htmlparser2|ipaddr\\.js)/'] },
    },
    {
      name: 'client-no-server-packages',
      severity: 'error',
      from: { path: '^sync/client/' },
      to: { path: '(^|/)node_modules/@tus/(server|file-store)/' },
    },
    {
      name: 'server-is-blind',
      severity: 'error',
      comment: 'The server orders and forwards envelopes it cannot read: it never loads the Signal Protocol library.',
      from: { path: '^sync/server/' },
      to: { path: '(^|/)node_modules/@signalapp/' },
    },
    {
      name: 'server-knows-no-content',
      severity: 'error',
      comment:
        'What people say is declared once, on the client (sync/content): the server stores and forwards envelopes and knows none of its kinds.',
      from: { path: '^sync/server/' },
      to: { path: '^sync/content/' },
    },
    {
      name: 'wire-knows-no-content',
      severity: 'error',
      comment:
        'The wire protocol is what the server reads: content kinds live in sync/content, which builds on the protocol, never the other way round.',
      from: { path: '^sync/protocol/' },
      to: { path: '^sync/content/' },
    },
    {
      name: 'content-is-pure',
      severity: 'error',
      comment: 'The content schema and its rules are pure: every client judges the same content the same way.',
      from: { path: '^sync/content/' },
      to: { path: '^sync/(client|server|node)/' },
    },
    {
      name: 'signal-only-in-client-crypto',
      severity: 'error',
      comment:
        'libsignal is loaded lazily, in one place (sync/client/crypto/signal-library.ts); the rest of the client gets it from there.',
      from: { path: '^(sync|main|renderer|preload|scripts)/', pathNot: '^sync/client/crypto/' },
      to: { path: '(^|/)node_modules/@signalapp/' },
    },
    {
      name: 'electron-only-in-hosts',
      severity: 'error',
      comment: 'Only main/electron and preload/ load the electron runtime; tests must never load it.',
      from: { pathNot: '^(main/electron|preload)/' },
      to: { path: '(^|/)node_modules/electron/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|release)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.cjs', '.mjs', '.json'],
    },
  },
};
