/**
 * Helpers for driving calls on real client cores (sync/client/calls): what a core's getCall says,
 * waited for, and the negotiation its renderer would have been handed.
 */
import type { CallView } from '../../sync/app-api/calls-api.js';
import type { AppEvent } from '../../sync/app-api/contract.js';
import type { CallNegotiation } from '../../sync/common/call-negotiation.js';
import { eventually, type TestCore } from './client-harness.js';

/** Waits until the core's call has each of `expected`'s fields (compared as JSON); the call then. */
export async function callOf(core: TestCore, expected: Partial<CallView>, what: string, timeoutMs = 20_000): Promise<CallView> {
  const call = await eventually(
    () => core.getCall(),
    (view) =>
      view !== null &&
      Object.entries(expected).every(([key, value]) => JSON.stringify(view[key as keyof CallView]) === JSON.stringify(value)),
    what,
    timeoutMs,
  );
  return call!;
}

/** The descriptions and candidates the core handed its renderer, in order. */
export function negotiationsAt(core: TestCore): CallNegotiation[] {
  return core.events
    .filter((event): event is Extract<AppEvent, { type: 'call_negotiation' }> => event.type === 'call_negotiation')
    .map((event) => event.negotiation);
}
