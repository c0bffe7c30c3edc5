import type { MessageView } from '../../sync/app-api/contract.js';
import type { Conversation, ConversationEvent } from '../../sync/protocol/frames.js';
import type { MirrorInspector } from './mirror-inspector.js';
import type { SimConversation, SimDevice } from './people.js';
import { expectedMessages, expectedStatus, type ExpectedMessage } from './reference.js';

/**
 * One device's copy of one conversation against the server's: caught up with no gap and nothing
 * held back, exactly the server's messages at the server's seqs, each shown as the server's log
 * folds it (text, edits, delete, reactions, reply quote, status, edit history), and the server's
 * watermarks.
 */
export async function checkDevice(
  device: SimDevice,
  inspector: MirrorInspector,
  conversation: SimConversation,
  events: ConversationEvent[],
  stored: Conversation,
): Promise<string[]> {
  const problems: string[] = [];
  const where = `${device.name} in ${conversation.id.slice(0, 8)}`;
  const cursor = inspector.cursors().find((candidate) => candidate.conversationId === conversation.id);
  if (!cursor) return [`${where}: the conversation is missing`];
  if (cursor.appliedSeq !== stored.lastSeq) problems.push(`${where}: cursor at ${cursor.appliedSeq}, server at ${stored.lastSeq}`);
  const held = inspector.heldCount();
  if (held > 0) problems.push(`${device.name}: ${held} changes held for a message that never arrived`);

  const expected = expectedMessages(events);
  const rows = inspector.messageRows(conversation.id);
  const stored_ = rows.filter((row) => row.seq !== null).map((row) => `${row.id}@${row.seq}`);
  const wanted = expected.map((message) => `${message.id}@${message.seq}`);
  if (stored_.join(' ') !== wanted.join(' ')) problems.push(`${where}: holds messages [${stored_.join(' ')}], server has [${wanted.join(' ')}]`);
  for (const row of rows.filter((candidate) => candidate.seq === null)) {
    if (row.senderId !== device.user.id || row.state !== 'failed') problems.push(`${where}: unacknowledged message ${row.id} in state ${row.state}`);
  }

  const all = await wholeHistory(device, conversation.id);
  const views = new Map(all.filter((view) => view.seq !== null).map((view) => [view.id, view]));
  const ids = all.map((view) => view.id);
  if (new Set(ids).size !== ids.length) problems.push(`${where}: a message shows twice in [${ids.join(' ')}]`);
  for (const message of expected) {
    const view = views.get(message.id);
    if (!view) {
      problems.push(`${where}: message ${message.id} (seq ${message.seq}) is not in the list`);
      continue;
    }
    const got = JSON.stringify(shown(view));
    const want = JSON.stringify(expectedView(message, device.user.id, stored));
    if (got !== want) problems.push(`${where}: message ${message.id} (seq ${message.seq}) shows ${got}, expected ${want}`);
    const history = JSON.stringify(await device.core.getEditHistory({ conversationId: conversation.id, messageId: message.id }));
    if (history !== JSON.stringify(message.history)) problems.push(`${where}: edit history of ${message.id} is ${history}, expected ${JSON.stringify(message.history)}`);
  }

  for (const member of stored.members) {
    const mine = inspector.watermarks().find((row) => row.conversationId === conversation.id && row.userId === member.id);
    const got = `${mine?.deliveredSeq}/${mine?.readSeq}`;
    const want = `${member.deliveredSeq}/${member.readSeq}`;
    if (got !== want) problems.push(`${where}: watermarks (delivered/read) of ${member.username} are ${got}, server has ${want}`);
  }
  return problems;
}

/** Every message the person can scroll to, page by page (older pages by beforeSeq), oldest first. */
async function wholeHistory(device: SimDevice, conversationId: string): Promise<MessageView[]> {
  const pages: MessageView[][] = [];
  let beforeSeq: number | undefined;
  for (;;) {
    const page = await device.core.listMessages({ conversationId, limit: 1000, ...(beforeSeq ? { beforeSeq } : {}) });
    pages.unshift(page.messages);
    const oldest = page.messages.find((view) => view.seq !== null)?.seq;
    if (!page.hasOlder || !oldest) return pages.flat();
    beforeSeq = oldest;
  }
}

/** The parts of a MessageView that must agree across devices. */
function shown(view: MessageView) {
  return {
    seq: view.seq,
    senderId: view.senderId,
    text: view.text,
    at: view.at,
    edited: view.edited,
    deleted: view.deleted,
    replyTo: view.replyTo && { messageId: view.replyTo.messageId, available: view.replyTo.available, text: view.replyTo.text, deleted: view.replyTo.deleted },
    reactions: view.reactions.map((reaction) => ({ emoji: reaction.emoji, count: reaction.count, mine: reaction.mine })),
    status: view.status,
  };
}

function expectedView(message: ExpectedMessage, viewerId: string, conversation: Conversation): ReturnType<typeof shown> {
  return {
    seq: message.seq,
    senderId: message.senderId,
    text: message.text,
    at: message.at,
    edited: message.edited,
    deleted: message.deleted,
    replyTo: message.replyTo && { messageId: message.replyTo.messageId, available: true, text: message.replyTo.text, deleted: message.replyTo.deleted },
    reactions: message.reactions.map((reaction) => ({ emoji: reaction.emoji, count: reaction.userIds.length, mine: reaction.userIds.includes(viewerId) })),
    status: message.senderId === viewerId ? expectedStatus(conversation, viewerId, message.seq) : null,
  };
}
