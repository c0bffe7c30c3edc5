import { afterEach, describe, expect, it } from 'vitest';
import { Composer } from '../../../sync/client/composer.js';
import type { Mirror } from '../../../sync/client/mirror/mirror.js';
import { realRuntime } from '../../../sync/node/real-runtime.js';
import { createTestMirrors } from '../../support/test-mirror.js';

const mirrors = createTestMirrors();
afterEach(() => mirrors.cleanup());

function setUp(): { mirror: Mirror; composer: Composer; goesOut: (messageOrChangeId: string) => void } {
  const mirror = mirrors.open();
  const composer = new Composer(mirror, realRuntime(), 'me', () => false);
  // What the outbox sender does right before a row goes on the wire.
  const goesOut = (clientId: string) => {
    const row = mirror.outbox.nextEntries().find((entry) => entry.clientId === clientId);
    if (!row) throw new Error(`${clientId} is not next in the outbox`);
    mirror.outbox.markAttempt(row.id);
  };
  return { mirror, composer, goesOut };
}

const queued = (mirror: Mirror) =>
  mirror.outbox.queuedChanges('c1').map((change) => [change.kind, change.text ?? change.on ?? null]);

describe('composing against rows already queued', () => {
  it('folds an edit or a delete into a send that never went out', () => {
    const { mirror, composer } = setUp();
    const edited = composer.send('c1', 'teh draft', null);
    composer.edit('c1', edited, 'the draft');
    const dropped = composer.send('c1', 'never mind', null);
    composer.delete('c1', dropped);
    expect(mirror.allMessages('c1').map((message) => message.text)).toEqual(['the draft']);
    expect(queued(mirror)).toEqual([]);
    expect(mirror.outbox.pendingCount()).toBe(1);
  });

  it('once a send has been on the wire, an edit or a delete follows it as a change', () => {
    // Found by the simulation: the send reached the server but its acknowledgement was lost with
    // the connection. Rewriting the queued text was then undone by the server's copy (the edit
    // vanished), and withdrawing it left the server's copy for everyone (the delete vanished).
    const { mirror, composer, goesOut } = setUp();
    const edited = composer.send('c1', 'teh draft', null);
    goesOut(edited);
    composer.edit('c1', edited, 'the draft');
    expect(queued(mirror)).toEqual([['edit', 'the draft']]);
    expect(mirror.allMessages('c1').map((message) => message.text)).toEqual(['teh draft']);

    const { mirror: other, composer: person, goesOut: out } = setUp();
    const dropped = person.send('c1', 'never mind', null);
    out(dropped);
    person.delete('c1', dropped);
    expect(queued(other)).toEqual([['delete', null]]);
    expect(other.outbox.pendingCount()).toBe(2);
  });

  it('a toggle back cancels a queued reaction only when that leaves what the person asked for', () => {
    // Found by the simulation: on, on again, then off cancelled the second "on" only, and the
    // first one went out: the person took the reaction back and everyone still saw it.
    const { mirror, composer } = setUp();
    mirror.applyEvents(
      'c1',
      [
        {
          kind: 'message',
          conversationId: 'c1',
          seq: 1,
          senderId: 'ann',
          sentAt: 1,
          clientMessageId: 'm1',
          text: 'hi',
          replyTo: null,
          deleted: false,
          attachments: [],
        },
      ],
      'me',
    );
    composer.react('c1', 'm1', '👍', true);
    composer.react('c1', 'm1', '👍', true);
    composer.react('c1', 'm1', '👍', false);
    expect(queued(mirror).at(-1)).toEqual(['reaction', false]);
  });

  it('a reaction toggled back after it went out is sent too, not cancelled', () => {
    const { mirror, composer, goesOut } = setUp();
    mirror.applyEvents(
      'c1',
      [
        {
          kind: 'message',
          conversationId: 'c1',
          seq: 1,
          senderId: 'ann',
          sentAt: 1,
          clientMessageId: 'm1',
          text: 'hi',
          replyTo: null,
          deleted: false,
          attachments: [],
        },
      ],
      'me',
    );
    composer.react('c1', 'm1', '👍', true);
    composer.react('c1', 'm1', '👍', false);
    expect(queued(mirror)).toEqual([]);
    composer.react('c1', 'm1', '👍', true);
    goesOut(mirror.outbox.queuedChanges('c1')[0]!.clientId);
    composer.react('c1', 'm1', '👍', false);
    expect(queued(mirror)).toEqual([
      ['reaction', true],
      ['reaction', false],
    ]);
  });
});
