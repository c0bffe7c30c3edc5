import { AppApiError } from '../../sync/app-api/contract.js';
import type { Conversation } from '../../sync/protocol/frames.js';
import type { AppliedEvent } from '../../sync/content/opened-events.js';
import { REFUSAL_REASONS } from '../../sync/protocol/refusal-reasons.js';
import { namingSeen, type MembershipFold } from './group-reference.js';
import type { SimConversation, SimDevice } from './people.js';
import type { SimWorld } from './world.js';

/**
 * Who is in each conversation, as the server lists it and as every device shows it, against the
 * fold of the log (group-reference.ts): the same members in the same order, roles and name for
 * every current member; a former member listed as one (isMember false, up to their last event),
 * shown as one on each of their devices, and refused when they try to send; nobody holding a
 * conversation they were never in; refused group changes listed on the conversation with a reason.
 */

const GROUP_CHANGES = new Set(['create', 'add_members', 'remove_member', 'leave', 'rename', 'set_role']);
const REASONS = new Set<string>(REFUSAL_REASONS);

const roster = (members: ReadonlyArray<{ id: string; role: string }>) =>
  members.map((member) => `${member.id.slice(0, 4)}:${member.role}`).join(' ');

/** The server's list for each person (userId → conversationId → view) against the fold of each log. */
export function checkServerMembership(
  conversation: SimConversation,
  fold: MembershipFold,
  lastSeq: number,
  views: Map<string, Map<string, Conversation>>,
  /** The member a direct conversation begun while a block stood is not announced to (not listed for them). */
  unannouncedTo: string | null = null,
  /** seq → the members an event was stored away from (a block stood): their lastSeq stops before a run of them at the end. */
  hiddenSeqs: ReadonlyMap<number, readonly string[]> = new Map(),
): string[] {
  const problems: string[] = [];
  const where = `server's list of ${conversation.id.slice(0, 8)}`;
  for (const [userId, listed] of views) {
    const view = listed.get(conversation.id);
    const periods = fold.periods.get(userId);
    const current = fold.members.some((member) => member.id === userId);
    if (!periods) {
      if (view) problems.push(`${where} for ${userId}: listed, but they were never in it`);
      continue;
    }
    if (userId === unannouncedTo) {
      if (view) problems.push(`${where} for ${userId}: listed, but it began while a block stood and was never announced`);
      continue;
    }
    if (!view) {
      problems.push(`${where} for ${userId}: not listed, but they ${current ? 'are' : 'were'} in it`);
      continue;
    }
    if (view.isMember !== current) problems.push(`${where} for ${userId}: isMember ${view.isMember}, the log says ${current}`);
    let wantSeq = current ? lastSeq : (periods.at(-1)!.to ?? lastSeq);
    while (wantSeq > 0 && hiddenSeqs.get(wantSeq)?.includes(userId)) wantSeq -= 1;
    if (view.lastSeq !== wantSeq) problems.push(`${where} for ${userId}: lastSeq ${view.lastSeq}, expected ${wantSeq}`);
    if (!current) continue;
    if (view.name !== null) problems.push(`${where} for ${userId}: the server names it ${view.name}, but names are sealed`);
    if (roster(view.members) !== roster(fold.members))
      problems.push(`${where} for ${userId}: members [${roster(view.members)}], the log says [${roster(fold.members)}]`);
  }
  return problems;
}

/** What one device shows about one conversation's members, against what the server lists for its person. */
export async function checkDeviceMembership(
  world: SimWorld,
  device: SimDevice,
  conversation: SimConversation,
  view: Conversation,
  /** The part of the (opened) log its person may see, and the renames every device drops. */
  visible: readonly AppliedEvent[],
  droppedRenames: ReadonlySet<number>,
): Promise<string[]> {
  const problems: string[] = [];
  const where = `${device.name} in ${conversation.id.slice(0, 8)}`;
  const info = await device.core.getConversationInfo({ conversationId: conversation.id });
  if (info.isMember !== view.isMember) problems.push(`${where}: isMember ${info.isMember}, server ${view.isMember}`);
  const shown = info.members.map((member) => ({ id: member.user.id, role: member.role }));
  if (view.isMember) {
    // A name still to go from here (the device working offline: a rename queued, or the creation
    // whose acknowledgement queues the name) shows as it was written: it is checked once in the log.
    const naming = world
      .inspector(device.name)
      .outbox()
      .some(
        (row) =>
          row.conversationId === conversation.id && (row.kind === 'rename' || row.kind === 'create') && row.status === 'pending',
      );
    const { name } = namingSeen(visible, droppedRenames);
    if (conversation.kind === 'group' && !naming && info.name !== name)
      problems.push(`${where}: named ${info.name}, its part of the log names it ${name}`);
    if (roster(shown) !== roster(view.members))
      problems.push(`${where}: members [${roster(shown)}], server [${roster(view.members)}]`);
    const role = view.members.find((member) => member.id === device.user.id)?.role ?? null;
    if (info.role !== role) problems.push(`${where}: own role ${info.role}, server ${role}`);
  } else {
    if (info.role !== null) problems.push(`${where}: a former member shown with role ${info.role}`);
    problems.push(...(await refusesToSend(device, conversation.id, where)));
  }

  const failed = world
    .inspector(device.name)
    .outbox()
    .filter((row) => row.conversationId === conversation.id && row.status === 'failed' && GROUP_CHANGES.has(row.kind));
  const listed = info.failedChanges.map((change) => `${change.changeId}:${change.error}`).join(' ');
  const wanted = failed.map((row) => `${row.clientId}:${row.error}`).join(' ');
  if (listed !== wanted) problems.push(`${where}: lists refused group changes [${listed}], its outbox has [${wanted}]`);
  for (const change of info.failedChanges) {
    if (!REASONS.has(change.error))
      problems.push(`${where}: group change ${change.changeId} refused for "${change.error}", not a refusal reason`);
  }
  return problems;
}

/** A former member cannot send: the core refuses at once (and stores nothing). */
async function refusesToSend(device: SimDevice, conversationId: string, where: string): Promise<string[]> {
  try {
    const sent = await device.core.sendMessage({ conversationId, text: 'a former member trying to send' });
    return [`${where}: a former member could send (${sent.id})`];
  } catch (error) {
    if (error instanceof AppApiError && error.message === 'no_longer_member') return [];
    return [
      `${where}: a former member's send was refused with ${error instanceof Error ? error.message : String(error)}, not no_longer_member`,
    ];
  }
}

/** No device holds a conversation its person was never in (the server does not list it for them). */
export function checkNoStrangers(world: SimWorld, views: Map<string, Map<string, Conversation>>): string[] {
  const refused = creationsRefusedForBlocks(world);
  return world.devices.flatMap((device) =>
    world
      .inspector(device.name)
      .cursors()
      .filter((cursor) => !views.get(device.user.id)?.has(cursor.conversationId) && !refused.has(cursor.conversationId))
      .map(
        (cursor) =>
          `${device.name} holds ${cursor.conversationId.slice(0, 8)}, which the server does not list for ${device.user.username}`,
      ),
  );
}

/**
 * Groups whose creation the server refused because a block stood between the creator and someone
 * they named: the creating device keeps them, with the creation failed and its reason, for the
 * person to see and discard; the server never had them.
 */
export function creationsRefusedForBlocks(world: SimWorld): Set<string> {
  return new Set(
    world.devices.flatMap((device) =>
      world
        .inspector(device.name)
        .outbox()
        .filter((row) => row.kind === 'create' && row.status === 'failed' && row.error === 'cannot_add_to_groups')
        .map((row) => row.conversationId),
    ),
  );
}
