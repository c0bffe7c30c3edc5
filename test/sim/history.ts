import { appliedClientIdOf, type AppliedEvent } from '../../sync/content/opened-events.js';
import type { OutboxRow, WatermarkRow } from './mirror-inspector.js';

/**
 * What happened during a run that the final state alone cannot tell: every acknowledgement the
 * server gave (even those the network then lost), every change a person composed and in which
 * order, what they withdrew themselves, and each watermark as last seen. Invariants read it.
 */

/** A row a person's action put in a device's outbox. */
export interface ComposedRow extends Pick<OutboxRow, 'clientId' | 'conversationId' | 'kind' | 'messageId'> {
  /** Global composition order; per device it is the order the person did things. */
  order: number;
  device: string;
  userId: string;
}

/** What a person meant a message to be after one of their actions. */
export type Intent =
  /** `attachments` (sha256:size:name) when the message was sent with files. */
  { kind: 'text'; text: string; attachments?: string[] } | { kind: 'deleted' } | { kind: 'reaction'; emoji: string; on: boolean };

export interface IntentRecord {
  device: string;
  userId: string;
  conversationId: string;
  messageId: string;
  intent: Intent;
}

/** A personal setting a person changed on a device: the register the device wrote for it. */
export interface SettingWrite {
  device: string;
  userId: string;
  key: string;
  /** JSON of the setting's value. */
  value: string;
  at: number;
  by: string;
}

export interface Acknowledged {
  device: string;
  event: AppliedEvent;
}

export class History {
  /** `conversationId:seq` → the event a `sent` reply announced. */
  readonly acknowledged = new Map<string, Acknowledged>();
  readonly composed: ComposedRow[] = [];
  /** `device:clientId` of rows the person removed themselves (folded edit, withdrawn send, cancelled toggle). */
  readonly withdrawn = new Set<string>();
  /** Every action a device accepted, in order: what the person asked for, whether or not it made a row. */
  readonly intents: IntentRecord[] = [];
  /** Every personal setting a person changed, as written on the device they changed it on. */
  readonly settingWrites: SettingWrite[] = [];
  /** Broken rules noticed on the way (checked at the next quiet point, so the trace stays short). */
  readonly violations: string[] = [];
  private readonly watermarks = new Map<string, { deliveredSeq: number; readSeq: number }>();
  private nextOrder = 0;

  /** Hooked to every frame the server sends. */
  serverFrame(device: string, text: string): void {
    if (!text.startsWith('{"type":"sent"')) return;
    const { event } = JSON.parse(text) as { event: AppliedEvent };
    const key = `${event.conversationId}:${event.seq}`;
    const earlier = this.acknowledged.get(key);
    if (earlier && identity(earlier.event) !== identity(event)) {
      this.violations.push(
        `seq ${event.seq} of ${event.conversationId} acknowledged twice: ${identity(earlier.event)} and ${identity(event)}`,
      );
    }
    if (!earlier) this.acknowledged.set(key, { device, event });
  }

  /** Records what one action did to a device's outbox: new rows are composed, vanished rows withdrawn. */
  outboxChanged(device: string, userId: string, before: OutboxRow[], after: OutboxRow[]): void {
    const beforeIds = new Set(before.map((row) => row.clientId));
    const afterIds = new Set(after.map((row) => row.clientId));
    for (const row of after) {
      if (beforeIds.has(row.clientId)) continue;
      const { clientId, conversationId, kind, messageId } = row;
      this.composed.push({ order: this.nextOrder++, device, userId, clientId, conversationId, kind, messageId });
    }
    for (const row of before) if (!afterIds.has(row.clientId)) this.withdrawn.add(`${device}:${row.clientId}`);
  }

  intend(record: IntentRecord): void {
    this.intents.push(record);
  }

  /** Watermarks only move forward, wherever they are seen (`observer`: a device, or the server). */
  sampleWatermarks(observer: string, rows: readonly WatermarkRow[]): void {
    for (const row of rows) {
      const key = `${observer} ${row.conversationId} ${row.userId}`;
      const previous = this.watermarks.get(key);
      if (previous && (row.deliveredSeq < previous.deliveredSeq || row.readSeq < previous.readSeq)) {
        this.violations.push(
          `watermark of ${row.userId} in ${row.conversationId} went back on ${observer}: ` +
            `delivered ${previous.deliveredSeq}→${row.deliveredSeq}, read ${previous.readSeq}→${row.readSeq}`,
        );
      }
      this.watermarks.set(key, { deliveredSeq: row.deliveredSeq, readSeq: row.readSeq });
    }
  }
}

/** Who made it and under which client id: what makes two events the same change. */
export function identity(event: AppliedEvent): string {
  const clientId = appliedClientIdOf(event);
  return `${event.kind} ${clientId} by ${event.senderId}`;
}
