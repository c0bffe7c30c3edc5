/**
 * A group call's bounds and rhythm (sync/client/calls/group-call-driver.ts). Every announcement is
 * a pairwise seal per device it goes to, counted in the sender's hourly envelope budget on the
 * server, so the devices in a call beat to each other often and to the rest of the group rarely,
 * and only one of them does that. Pure: the app API, the call signals and the renderer share it.
 */
export const GROUP_CALL_LIMITS = {
  /** Devices in one call, this one included: a mesh sends each picture to every other device. */
  maxDevices: 8,
  /** How often a device in a call says so to the others in it. */
  heartbeatMs: 10_000,
  /** A device in the call not heard from for this long has left (closed, crashed, or lost its connection). */
  staleAfterMs: 35_000,
  /** How often the device in the call whose key sorts first tells the rest of the group who is in it. */
  groupBeatMs: 60_000,
  /** A device not in the call forgets one it has not heard of for this long. */
  outsiderStaleAfterMs: 150_000,
  /** Groups larger than this hear of a call only from joins and leaves: a beat to all would eat the budget. */
  maxMembersBeatenTo: 64,
} as const;
