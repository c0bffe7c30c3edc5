/**
 * What the call specs read of a page: the region "Call", what its media does (the data-call-stats a
 * call region or a group call's tile publishes every second: renderer/calls/call-stats.ts), and
 * the call buttons' state offline.
 */
import type { Locator } from '@playwright/test';
import type { CallStats } from '../../../renderer/calls/call-stats.js';
import { expect } from './app.js';
import type { MessengerPage } from './messenger-page.js';

export function callOf(messenger: MessengerPage): Locator {
  return messenger.page.getByRole('region', { name: 'Call', exact: true });
}

/** The stats an element publishes; null before its first reading. */
export async function callStats(element: Locator): Promise<CallStats | null> {
  const text = await element.getAttribute('data-call-stats');
  return text ? (JSON.parse(text) as CallStats) : null;
}

/** Offline, "Voice call" and "Video call" are off and say why. */
export async function expectCallButtonsOffline(messenger: MessengerPage) {
  for (const name of ['Voice call', 'Video call']) {
    const button = messenger.page.getByRole('button', { name, exact: true });
    await expect(button).toBeDisabled();
    await expect(button).toHaveAccessibleDescription("You're offline");
  }
}
