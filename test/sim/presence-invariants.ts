import { DEFAULT_ONLINE_VISIBILITY, sharesPresence } from '../../sync/protocol/presence-rules.js';
import { CLUSTER_TIMING } from '../../sync/server/cluster/cluster-signal.js';
import { SILENT_PEER_DETECTION_MS } from './network.js';
import { SIM_EPOCH_MS } from './scheduler.js';
import type { SimWorld } from './world.js';

/**
 * Long enough for the server to notice a silent peer, and for the nodes to reap a dead one (its
 * last heartbeat grows too old, the next tick of a live node reaps it, and the tick after that of
 * every other node drops its people), with a margin for the delays between nodes.
 */
const NOTICE_MS = Math.max(SILENT_PEER_DETECTION_MS, CLUSTER_TIMING.deadAfterMs + 2 * CLUSTER_TIMING.heartbeatMs) + 10_000;
const STEP_MS = 1_000;
const STILL_LIMIT_MS = 120_000;

/**
 * Presence, checked once at the end of a run, after its last quiet point: some devices lose their
 * network for good (sometimes every device of a person) and, with several server nodes, one node
 * may die on top of it, taking the connections of its people with it. Once the server has had time
 * to notice (a silent peer, a dead node reaped), every connected device shows each other member of
 * its person's conversations online exactly when that member has a connected device and the two
 * share presence (presence-rules.ts: they both wrote in a conversation they share, no block stands
 * between them, both show when they are online; otherwise each is shown as away to the other). Presence is held in
 * memory only, so this is the one promise checked on live cores rather than on mirrors.
 */
export async function checkPresenceAfterLeaving(world: SimWorld): Promise<void> {
  const { random } = world;
  world.trace('presence: some leave');
  for (const device of world.devices) {
    if (!random.chance(1 / 3)) continue;
    world.trace(`presence: ${device.name} goes offline`);
    world.network.setOffline(device.name);
  }
  if (world.server.nodes.length > 1 && random.chance(1 / 2)) {
    await world.server.crashNode(random.int(0, world.server.nodes.length - 1), random.int(0, 40_000), random.chance(1 / 2));
  }
  await world.advance(NOTICE_MS);
  await untilStill(world);

  const connected = new Set<string>();
  for (const device of world.devices) if ((await device.core.getConnectionState()) === 'online') connected.add(device.user.id);
  const inspector = world.serverInspector();
  const blocks = inspector.blocks();
  const visibility = new Map(world.users.map((user) => [user.id, inspector.showOnline(user.id)]));
  // Pairs who share a conversation in which both have written, as `one other` both ways.
  const bothWrote = new Set<string>();
  for (const user of world.users) {
    for (const conversation of (await world.serverViewsOf(user.id)).values()) {
      if (!conversation.isMember) continue;
      const writers = inspector.writers(conversation.id);
      if (!writers.has(user.id)) continue;
      for (const other of writers) if (other !== user.id) bothWrote.add(`${user.id} ${other}`);
    }
  }
  inspector.close();
  const apart = (one: string, other: string) => blocks.has(`${one} ${other}`) || blocks.has(`${other} ${one}`);
  const shares = (one: string, other: string) =>
    sharesPresence({
      bothWrote: bothWrote.has(`${one} ${other}`),
      blocked: apart(one, other),
      shows: [visibility.get(one) ?? DEFAULT_ONLINE_VISIBILITY, visibility.get(other) ?? DEFAULT_ONLINE_VISIBILITY],
    });
  const name = (userId: string) => world.users.find((user) => user.id === userId)?.username ?? userId;

  const whyApart = (one: string, other: string) =>
    [
      bothWrote.has(`${one} ${other}`) ? null : 'they have not both written in a conversation',
      apart(one, other) ? 'a block stands between them' : null,
      visibility.get(one) === 'nobody' || visibility.get(other) === 'nobody'
        ? "one of them shows nobody when they're online"
        : null,
    ]
      .filter((reason) => reason !== null)
      .join(', ');

  const problems: string[] = [];
  for (const device of world.devices) {
    // Presence frames carry no order: one the `reorder` knob let overtake another (TCP never does) may have the last word.
    if ((await device.core.getConnectionState()) !== 'online' || world.network.reorderedTo(device.name)) continue;
    const self = device.user.id;
    for (const conversation of (await world.serverViewsOf(self)).values()) {
      if (!conversation.isMember) continue;
      const info = await device.core.getConversationInfo({ conversationId: conversation.id });
      for (const { user, online, you } of info.members) {
        const shared = shares(self, user.id);
        if (you || online === (connected.has(user.id) && shared)) continue;
        const shown = `${device.name} shows ${name(user.id)} ${online ? 'online' : 'away'} in ${conversation.id.slice(0, 8)}`;
        const truth = connected.has(user.id) ? 'they are connected' : 'they have no connected device';
        const why = shared ? '' : ` and they share no presence (${whyApart(self, user.id)})`;
        problems.push(`${shown}, but ${truth}${why}`);
      }
    }
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 12).map((problem) => `  - ${problem}`);
    if (problems.length > shown.length) shown.push(`  … and ${problems.length - shown.length} more`);
    throw new Error(`Presence is wrong (virtual time ${world.scheduler.now - SIM_EPOCH_MS} ms):\n${shown.join('\n')}`);
  }
}

/**
 * Runs until nothing moves: every node up, nothing between the nodes or on the wire (a device
 * without network retries now and then, so a second without any traffic is enough).
 */
async function untilStill(world: SimWorld): Promise<void> {
  const deadline = world.scheduler.now + STILL_LIMIT_MS;
  while (world.scheduler.now < deadline) {
    const cluster = world.server.cluster?.pending ?? 0;
    if (world.server.unsettled === null && world.network.pending === 0 && cluster === 0) return;
    await world.advance(STEP_MS);
  }
  throw new Error(`Presence never settled within ${STILL_LIMIT_MS / 1000} virtual seconds of people leaving`);
}
