/**
 * What the client core lends the API parts that compose content (polls, locations, disappearing
 * messages): each step first checks that the person is signed in and has the conversation.
 */
import type { MessageView } from '../../app-api/contract.js';
import type { Composer } from '../composer.js';

export interface Composing {
  /** The signed-in person's id; refused when signed out, or when `conversationId` is given and this device does not have it. */
  signedIn: (conversationId?: string) => string;
  /** The composer, checked as signedIn checks. */
  composer: (conversationId?: string) => Composer;
  /** Queues what `write` composes in the conversation's outbox, and tells the page and the engine. */
  queue: (conversationId: string, write: (composer: Composer) => void) => null;
  /** Writes the message `write` composes (a request it is written in is accepted), sends it, and answers its view. */
  send: (
    conversationId: string,
    write: (composer: Composer) => string,
    /** Runs once the message is written, before anyone is told. */
    stored?: (messageId: string) => void,
  ) => Promise<MessageView>;
}
