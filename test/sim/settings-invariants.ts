import { DEFAULT_ONLINE_VISIBILITY } from '../../sync/protocol/presence-rules.js';
import type { AppliedEvent } from '../../sync/content/opened-events.js';
import type { ConversationSummary } from '../../sync/app-api/contract.js';
import { isInArchive, type StoredPersonalSetting } from '../../sync/content/personal-settings.js';
import { requestStanding } from '../../sync/protocol/request-rules.js';
import { supersedes } from '../../sync/protocol/settings.js';
import type { SimWorld } from './world.js';

/**
 * A person's own settings (archive, mute, draft, block) at a quiet point:
 *  1. last writer wins: for every register, what the server keeps is no older (by at, then by the
 *     writing device) than any write the person made on any device, and a write it equals is the
 *     value kept;
 *  2. every device of the person holds exactly the server's registers, none waiting or refused;
 *  3. what the devices show follows from them: muted, the draft, blocked (a direct conversation
 *     with someone blocked), and the archive (archived, unless a message from someone else came
 *     after the archiving and the conversation is not muted), the same on every device;
 *  4. the server's standing blocks are exactly the people's 'blocked' registers that are on.
 * `visible`: userId → conversationId → the part of the log the person may see.
 */
export async function checkSettings(
  world: SimWorld,
  visible: Map<string, Map<string, AppliedEvent[]>>,
  serverBlocks: Set<string>,
): Promise<string[]> {
  const problems: string[] = [];
  const wantBlocks = new Set<string>();
  for (const user of world.users) {
    const stored = await world.serverSettingsOf(user.id);
    for (const { setting } of stored.values())
      if (setting.kind === 'blocked' && setting.value) wantBlocks.add(`${user.id} ${setting.userId}`);

    for (const write of world.history.settingWrites.filter((candidate) => candidate.userId === user.id)) {
      // Still waiting to be sent when the device's session ended: it went no further.
      const gone = world.gone.find((candidate) => candidate.device.name === write.device);
      if (
        gone &&
        world
          .inspector(write.device)
          .settings()
          .some((row) => row.key === write.key && row.pending)
      )
        continue;
      if (waitsOnFailedCreation(world, write.device, write.key)) continue;
      const kept = stored.get(write.key);
      const what = `${write.device}'s write of ${write.key} (at ${write.at})`;
      if (!kept) problems.push(`${what}: the server has no such register`);
      else if (supersedes(write, kept)) problems.push(`${what}: the server kept an older one (at ${kept.at} by ${kept.by})`);
      else if (write.at === kept.at && write.by === kept.by && write.value !== JSON.stringify(kept.setting.value))
        problems.push(`${what}: the server kept ${JSON.stringify(kept.setting.value)}, the write was ${write.value}`);
    }

    for (const device of world.devices.filter((candidate) => candidate.user.id === user.id)) {
      const where = `${device.name}'s settings`;
      const rows = world.inspector(device.name).settings();
      for (const row of rows) {
        if (row.pending && waitsOnFailedCreation(world, device.name, row.key)) continue;
        if (row.pending || row.sendError)
          problems.push(`${where}: ${row.key} still waits to be sent (${row.sendError ?? 'pending'})`);
        const kept = stored.get(row.key);
        const got = `${row.value} at ${row.at} by ${row.by}`;
        const want = kept ? `${JSON.stringify(kept.setting.value)} at ${kept.at} by ${kept.by}` : 'nothing';
        if (got !== want) problems.push(`${where}: ${row.key} is ${got}, the server has ${want}`);
      }
      const held = new Set(rows.map((row) => row.key));
      for (const key of stored.keys()) if (!held.has(key)) problems.push(`${where}: ${key} is missing (the server has it)`);

      const shown = await device.core.listConversations({ folder: 'all' });
      const serverViews = await world.serverViewsOf(user.id);
      for (const summary of shown) {
        const where = `${device.name} in ${summary.id.slice(0, 8)}`;
        problems.push(...checkSummary(where, summary, stored, user.id, visible));
        problems.push(
          ...checkRequest(where, summary, stored, serverViews.get(summary.id)?.requestFrom ?? null, user.id, visible),
        );
      }
      const blocked = (await device.core.listBlocked())
        .map((person) => person.id)
        .sort()
        .join(' ');
      const wantBlocked = [...stored.values()]
        .flatMap(({ setting }) => (setting.kind === 'blocked' && setting.value ? [setting.userId] : []))
        .sort()
        .join(' ');
      if (blocked !== wantBlocked) problems.push(`${where}: lists [${blocked}] as blocked, the server has [${wantBlocked}]`);
      const { showOnline } = await device.core.getPrivacySettings();
      const register = stored.get('show_online')?.setting;
      const wantShowOnline = register?.kind === 'show_online' ? register.value : DEFAULT_ONLINE_VISIBILITY;
      if (showOnline !== wantShowOnline)
        problems.push(`${where}: shows online to ${showOnline}, the server has ${wantShowOnline}`);
    }
  }
  const got = [...serverBlocks].sort().join(', ');
  const want = [...wantBlocks].sort().join(', ');
  if (got !== want) problems.push(`the server's standing blocks are [${got}], its registers say [${want}]`);
  return problems;
}

/**
 * A conversation shows as a message request exactly when the server names who it came from and
 * the person's 'request' register has not accepted it (request-rules.ts). A former member is told
 * nothing, so only a member's conversations are judged.
 */
function checkRequest(
  where: string,
  summary: ConversationSummary,
  stored: Map<string, StoredPersonalSetting>,
  requestFrom: string | null,
  userId: string,
  visible: Map<string, Map<string, AppliedEvent[]>>,
): string[] {
  if (!summary.isMember) return [];
  const register = stored.get(`request:${summary.id}`)?.setting;
  const answer = register?.kind === 'request' ? register.value : null;
  const lastIncomingSeq = (visible.get(userId)?.get(summary.id) ?? []).reduce(
    (latest, event) => (event.kind === 'message' && event.senderId !== userId ? Math.max(latest, event.seq) : latest),
    0,
  );
  const want = requestStanding(requestFrom, answer, lastIncomingSeq) === 'request';
  return summary.request === want
    ? []
    : [`${where}: request ${summary.request}, expected ${want} (from ${requestFrom}, answer ${JSON.stringify(answer)})`];
}

function checkSummary(
  where: string,
  summary: ConversationSummary,
  stored: Map<string, StoredPersonalSetting>,
  userId: string,
  visible: Map<string, Map<string, AppliedEvent[]>>,
): string[] {
  const problems: string[] = [];
  const value = <K extends StoredPersonalSetting['setting']['kind']>(kind: K) => {
    const setting = stored.get(`${kind}:${summary.id}`)?.setting;
    return setting?.kind === kind ? (setting.value as Extract<StoredPersonalSetting['setting'], { kind: K }>['value']) : null;
  };
  const muted = value('muted') ?? false;
  if (summary.muted !== muted) problems.push(`${where}: muted ${summary.muted}, the register says ${muted}`);
  const draft = value('draft')?.text ?? '';
  // The list shows the draft's beginning.
  const draftShown = summary.draft !== null && summary.draft !== '' && draft.startsWith(summary.draft);
  if ((draft !== '') !== draftShown)
    problems.push(`${where}: shows draft ${JSON.stringify(summary.draft)}, the register holds ${JSON.stringify(draft)}`);
  const log = visible.get(userId)?.get(summary.id);
  if (log) {
    const lastIncomingSeq = log.reduce(
      (latest, event) => (event.kind === 'message' && event.senderId !== userId ? Math.max(latest, event.seq) : latest),
      0,
    );
    const archived = isInArchive(value('archived'), muted, lastIncomingSeq);
    if (summary.archived !== archived)
      problems.push(
        `${where}: archived ${summary.archived}, expected ${archived} (register ${JSON.stringify(value('archived'))}, last incoming seq ${lastIncomingSeq})`,
      );
  }
  if (summary.peer) {
    const setting = stored.get(`blocked:${summary.peer.id}`)?.setting;
    const blocked = setting?.kind === 'blocked' && setting.value;
    if (summary.blocked !== blocked) problems.push(`${where}: blocked ${summary.blocked}, the register says ${blocked}`);
  }
  return problems;
}

/**
 * A register about a conversation whose creation the server refused on this device waits with it
 * (mirror/settings-store.ts: settings of a conversation whose creation is queued wait for it), as
 * the failed creation is kept for the person to retry or remove: nothing is dropped.
 */
function waitsOnFailedCreation(world: SimWorld, device: string, key: string): boolean {
  return world
    .inspector(device)
    .outbox()
    .some((row) => row.kind === 'create' && row.status === 'failed' && key.includes(row.conversationId));
}
