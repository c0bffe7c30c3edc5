import type { PlaintextHeld, ServerStore } from './store/server-store.js';

/**
 * A server upgraded from before end-to-end encryption may still hold what clients used to send in
 * the clear: messages, edits, deletes, reactions, pins and renames in conversations' logs, group
 * names, and archive, mute and draft settings. It serves none of it; it is not deleted unasked,
 * and the server does not start while any is held, so an operator cannot go on keeping it
 * unawares. One command, `npm run server -- purge-plaintext` (purge-plaintext-cli.ts), deletes it.
 */
export class PlaintextHeldError extends Error {
  constructor(readonly held: PlaintextHeld) {
    super(
      `This server holds ${describePlaintextHeld(held)} kept in the clear from before end-to-end encryption. ` +
        'It no longer serves them, and does not start while it holds them: stop every node and run ' +
        '"npm run server -- purge-plaintext" with the same --data-dir or --store to delete them ' +
        '(docs/deploy.md, "Upgrading to end-to-end encryption").',
    );
    this.name = 'PlaintextHeldError';
  }
}

/** Whether anything at all is held in the clear. */
export function holdsPlaintext(held: PlaintextHeld): boolean {
  return held.events > 0 || held.groupNames > 0 || held.settings > 0;
}

/**
 * What is held, in words, naming only what there is: "3 messages, edits, deletes, reactions, pins
 * or renames, 1 group name and 2 personal settings (archive, mute, drafts)".
 */
export function describePlaintextHeld(held: PlaintextHeld): string {
  const parts = [
    held.events > 0 ? `${held.events} messages, edits, deletes, reactions, pins or renames` : '',
    held.groupNames > 0 ? `${held.groupNames} group ${held.groupNames === 1 ? 'name' : 'names'}` : '',
    held.settings > 0 ? `${held.settings} personal settings (archive, mute, drafts)` : '',
  ].filter((part) => part !== '');
  if (parts.length === 0) return 'nothing';
  return parts.length === 1 ? parts[0]! : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
}

/** Throws PlaintextHeldError when the store holds anything in the clear. */
export async function refuseWhilePlaintextHeld(store: ServerStore): Promise<void> {
  const held = await store.plaintextHeld();
  if (holdsPlaintext(held)) throw new PlaintextHeldError(held);
}
