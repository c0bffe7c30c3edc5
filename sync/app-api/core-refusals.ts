/**
 * Refusals the core gives itself, without the server's word, as codes the renderer puts in words
 * beside the server's refusal reasons.
 */

/** A request carrying a password or token was answered with a redirect, which the core never follows. */
export const REDIRECT_REFUSED = 'redirect_refused';

/** A vote on a poll whose end is known here: its counts are final. */
export const POLL_ENDED = 'poll_ended';
