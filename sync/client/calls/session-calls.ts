/**
 * A signed-in session's calls: the one-to-one and the group call drivers, wired to the mirror's
 * facts, the engine's ephemeral sends and the conversations' logs, and the route of an opened call
 * signal to its driver. A person is in one call at a time, so each driver asks the other.
 */
import type { AppEvent } from '../../app-api/contract.js';
import { errorFields, type Logger } from '../../common/logger.js';
import type { Runtime } from '../../common/runtime.js';
import { encodeCallSignal, type CallSignal } from '../../content/call-signals.js';
import type { IceServer } from '../../protocol/call-frames.js';
import { RequestError } from '../connection.js';
import type { Mirror } from '../mirror/mirror.js';
import type { SyncEngine } from '../sync-engine.js';
import { CallDriver } from './call-driver.js';
import { queueCallEntry, queueGroupCallEntry } from './call-log.js';
import { routeCallSignal } from './call-signal-router.js';
import { GroupCallDriver } from './group-call-driver.js';
import { mirrorCallFacts } from './mirror-call-facts.js';

export interface SessionCallsOptions {
  mirror: Mirror;
  runtime: Runtime;
  selfId: string;
  log: Logger;
  /** The session's engine, while it runs: what sends a call's signals. */
  engine(): SyncEngine | null;
  emit(event: AppEvent): void;
  /** A call's entry was queued in the conversation's outbox. */
  outboxChanged(conversationId: string): void;
}

export class SessionCalls {
  readonly oneToOne: CallDriver;
  readonly group: GroupCallDriver;

  constructor(private readonly options: SessionCallsOptions) {
    const { mirror, runtime, selfId, log } = options;
    const emit = (event: AppEvent) => options.emit(event);
    const facts = mirrorCallFacts(mirror);
    const send = (userIds: readonly string[], signal: CallSignal) => {
      const engine = options.engine();
      if (!engine) return Promise.reject(new RequestError('disconnected', 'Not connected'));
      return engine.sendEphemeral(userIds, encodeCallSignal(signal));
    };
    this.group = new GroupCallDriver({
      runtime,
      selfId,
      log,
      facts,
      thisDevice: () => options.engine()?.thisDevice ?? null,
      inOneToOneCall: () => {
        const phase = this.oneToOne.view()?.phase;
        return phase !== undefined && phase !== 'ended';
      },
      send,
      emit,
      started: (conversationId, callId, media) => {
        if (queueGroupCallEntry(mirror, log, conversationId, callId, media)) options.outboxChanged(conversationId);
      },
    });
    this.oneToOne = new CallDriver({
      runtime,
      selfId,
      log,
      facts,
      inGroupCall: () => this.group.inCall,
      send,
      emit,
      ended: (conversationId, entry) => {
        if (queueCallEntry(mirror, log, conversationId, entry)) options.outboxChanged(conversationId);
      },
    });
  }

  /** What an ephemeral envelope said, opened: a call's signal from device `from`, to this device (`to`). */
  opened(from: { userId: string; deviceNumber: number }, plaintext: Uint8Array, to: number): void {
    routeCallSignal({ oneToOne: this.oneToOne, group: this.group }, this.options.log, from, plaintext, to);
  }

  /** Relays for a call's peer connection, from the server; none when it has none or cannot be asked now. */
  async iceServers(): Promise<IceServer[]> {
    try {
      return (await this.options.engine()?.fetchTurnCredentials()) ?? [];
    } catch (error) {
      // Without relays a call still connects where the devices reach each other directly.
      this.options.log.warn('could not fetch relay credentials for a call', errorFields(error));
      return [];
    }
  }

  /** The session ended: nothing is due any more. */
  stop(): void {
    this.oneToOne.stop();
    this.group.stop();
  }
}
