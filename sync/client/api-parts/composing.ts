/**
 * What the client core lends the API parts that compose content (polls, locations, disappearing
 * messages): each step first checks that the person is signed in and has the conversation.
 */
import type { MessageView } from '../../app-api/contract.js';
import type { Composer } from '../composer.js';

export interface Composing {
  /** The composer; refused when signed out, or when `conversationId` is given and this device does not have it. */
  composer: (conversationId?: string) => Composer;
  /** Queues what `write` composes in the conversation's outbox, and tells the page and the engine. */
  queue: (conversationId: string, write: (composer: Composer) => void) => null;
  /** Writes the message `write` composes (a request it is written in is accepted), sends it, and answers its view. */
  send: (conversationId: string, write: (composer: Composer) => string) => Promise<MessageView>;
}
