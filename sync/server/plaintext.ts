import type { PlaintextHeld, ServerStore } from './store/server-store.js';

/**
 * A server upgraded from before end-to-end encryption may still hold what clients used to send in
 * the clear. Its migrations set that aside, served to no one; it is not deleted unasked, and the
 * server does not start while it is held, so an operator cannot go on keeping it unawares. One
 * command, `npm run server -- purge-plaintext` (purge-plaintext-cli.ts), deletes it.
 */
export class PlaintextHeldError extends Error {
  constructor(readonly held: PlaintextHeld) {
    super(
      `This server holds ${held.settings} personal settings (archive, mute, drafts) kept in the clear from ` +
        'before end-to-end encryption. It no longer serves them, and does not start while it holds them: ' +
        'stop every node and run "npm run server -- purge-plaintext" with the same --data-dir or --store ' +
        'to delete them (docs/deploy.md, "Upgrading to end-to-end encryption").',
    );
    this.name = 'PlaintextHeldError';
  }
}

/** Throws PlaintextHeldError when the store holds anything in the clear. */
export async function refuseWhilePlaintextHeld(store: ServerStore): Promise<void> {
  const held = await store.plaintextHeld();
  if (held.settings > 0) throw new PlaintextHeldError(held);
}
