import type { SimWorld } from './world.js';

/** How long settle() may take, in virtual time, before "never quiet" is itself a failure. */
const SETTLE_LIMIT_MS = 15 * 60_000;
const SETTLE_STEP_MS = 1_000;
/** Quiet must hold this many steps in a row: a lull between retries is not quiet. */
const QUIET_STEPS = 3;

/**
 * Heals the network (no faults, everyone reachable, Work offline off) and runs virtual time until the world is
 * quiet: see notQuiet(). Reconnect backoff caps at 30 s and outbox backoff at 60 s, so a healthy
 * world gets there in a few virtual minutes; not getting there at all is a failure in its own right.
 */
export async function settle(world: SimWorld): Promise<void> {
  world.network.heal();
  for (const device of world.devices) await device.core.setPreferences({ workOffline: false });
  const deadline = world.scheduler.now + SETTLE_LIMIT_MS;
  let quietSteps = 0;
  while (world.scheduler.now < deadline) {
    await world.finishLinking();
    await world.advance(SETTLE_STEP_MS);
    quietSteps = (await notQuiet(world)) === null ? quietSteps + 1 : 0;
    if (quietSteps >= QUIET_STEPS) return;
  }
  throw new Error(
    `Never quiet within ${SETTLE_LIMIT_MS / 60_000} virtual minutes of healing the network: ${await notQuiet(world)}`,
  );
}

/**
 * Why the world is not quiet right now, or null when it is: every server node up, nothing on the
 * wire (between devices and nodes, or between nodes), every device online with nothing pending in
 * its outbox, no envelope waiting for its key, caught up to every seq it has heard of, and what
 * it has delivered and read known to the server.
 */
export async function notQuiet(world: SimWorld): Promise<string | null> {
  const { network, server } = world;
  if (server.unsettled) return server.unsettled;
  if (network.pending > 0) return `${network.pending} frames or closes on the wire`;
  if (server.cluster && server.cluster.pending > 0)
    return `${server.cluster.pending} signals or queries between nodes on their way`;
  if (world.uploads.pending > 0) return `${world.uploads.pending} upload requests on the wire`;
  if (world.http.pending > 0) return `${world.http.pending} HTTP requests on the wire`;
  // Healing the network does not mend a connection that already lost a frame: the client must
  // notice (keepalive, request timeout) and reconnect, and the server must drop its end.
  if (network.halfOpen > 0) return `${network.halfOpen} half-open links not noticed yet`;
  for (const device of world.devices) {
    const state = await device.core.getConnectionState();
    if (state !== 'online') return `${device.name} is ${state}`;
    const link = await device.core.getLinkState();
    if (link.kind !== 'linked') return `${device.name} is not linked yet (${link.kind})`;
    if (link.history === 'arriving') return `${device.name}'s history is still arriving`;
    const inspector = world.inspector(device.name);
    const pending = inspector.pendingCount();
    if (pending > 0) return `${device.name} has ${pending} pending outbox rows`;
    // A key on its way, or asked for again (the sender answers once it is online): not yet.
    const waiting = inspector.waitingEnvelopes();
    if (waiting > 0) return `${device.name} has ${waiting} envelopes waiting for their key`;
    const behind = inspector.cursors().find((cursor) => cursor.knownSeq > cursor.appliedSeq);
    if (behind) return `${device.name} is behind in ${behind.conversationId} (${behind.appliedSeq} of ${behind.knownSeq})`;
    // Its own watermarks must have reached the server. (One pushed by another of the person's
    // devices may stay unconfirmed locally: the server already holds it, so that is fine. In a
    // group they are no longer in, the server keeps no watermarks of theirs. In a message request
    // not accepted they stay on the device.)
    const views = await world.serverViewsOf(device.user.id);
    const withheld = inspector.untrustedConversationIds();
    for (const own of inspector
      .watermarks()
      .filter((row) => row.userId === device.user.id && !withheld.has(row.conversationId))) {
      const server = views.get(own.conversationId)?.members.find((member) => member.id === device.user.id);
      if (!server) continue;
      if (own.deliveredSeq > server.deliveredSeq || own.readSeq > server.readSeq) {
        return `${device.name}'s watermarks in ${own.conversationId} (${own.deliveredSeq}/${own.readSeq}) have not reached the server (${server.deliveredSeq}/${server.readSeq})`;
      }
    }
  }
  return null;
}
