import { errorFields, type Logger } from '../common/logger.js';
import type { Runtime, TimerHandle } from '../common/runtime.js';
import type { AppEvent } from '../app-api/contract.js';
import type { Attachment } from '../protocol/attachments.js';
import { backoffDelay, OUTBOX_BACKOFF } from './backoff.js';
import { RequestError, type SyncConnection } from './connection.js';
import type { Request } from './connection.js';
import type { Mirror, OutboxEntry } from './mirror/mirror.js';
import type { ServerFrame } from '../protocol/frames.js';
import type { Content } from '../content/content.js';
import { isDiskFull } from '../app-api/disk-full.js';
import { KeylessFileError, sealableRow, type SealableRow } from './queued-content.js';
import type { SealedEnvelope } from '../protocol/envelope-frames.js';

/**
 * A send refused for missing files is answered by uploading them again, up to this many attempts
 * of the row: a guard against a server that would refuse even fresh uploads, round after round.
 */
const MAX_ATTEMPTS_WITH_REUPLOAD = 10;
/**
 * Attempts of a row sealed again at once for a conversation's new devices; after them it waits its
 * backoff, should the devices keep changing under it.
 */
const MAX_QUICK_RESEALS = 3;

/**
 * Rows on the wire at once, over all conversations (one conversation draining alone may use them
 * all): deep enough that the server still has work queued while the client records half a window
 * of replies and refills it, even when a busy machine keeps the client off the CPU for a while;
 * well within a connection's frame burst. A failure early in a window costs the rows behind it a
 * refusal the server answers unread, and a resend.
 */
export const OUTBOX_WINDOW = 256;
/**
 * Rows every conversation may have on the wire, whatever the others have there: a message written
 * in one conversation never waits for another's backlog to drain.
 */
export const OUTBOX_MIN_WINDOW = 32;

/**
 * Seals content for a conversation under this device's sender key (SyncEngine.seal); `keep` runs in
 * the transaction that stores the key's new state, and what it returns runs once that commits.
 */
export interface Sealer {
  seal(conversationId: string, content: Content, keep: (sealed: SealedEnvelope) => (() => void) | void): Promise<SealedEnvelope>;
  /**
   * The server refused an envelope sealed for devices that are no longer the conversation's:
   * records the current ones (true), so the next seal hands them the key; false for any other error.
   */
  devicesChanged(conversationId: string, error: unknown): Promise<boolean>;
  /** Whether a hand-out of the key the conversation's envelopes are sealed under is still to reach the server. */
  handOutPending(conversationId: string): boolean;
  /**
   * Whether a seal in the conversation would start now and need nothing from the server: the
   * crypto lane idle, this device and the conversation's devices known.
   */
  sealsAtOnce(conversationId: string): boolean;
  /**
   * Resolves once those hand-outs have reached the server (rejects if the connection goes first):
   * an envelope goes only then.
   */
  keyHandedOut(conversationId: string): Promise<void>;
}

/** A row on the wire: what it says when it goes sealed (null: it goes in the clear). */
type Sent = { entry: OutboxEntry; sealable: SealableRow | null };
type Outcome = Sent & ({ reply: ServerFrame } | { error: unknown });
type Acknowledgement = Sent & { reply: ServerFrame };
type Failure = { entry: OutboxEntry; error: unknown };
/** A row about to go, with the files it carries. */
type Due = { entry: OutboxEntry; attachments: Attachment[] };
/** A row handed to its lane: the row it follows on the wire, and its content when it goes sealed. */
type Going = Sent & { attachments: Attachment[]; after: string | undefined };

/** What queueAndSend wrote (once written), and when the rows it queued are on the wire. */
export interface Queued<T> {
  written: Promise<T>;
  onWire: Promise<void>;
}

/**
 * The longest a caller of queueAndSend waits for its rows to go, whatever holds their seal (the
 * crypto lane busy opening a catch-up, the conversation's devices asked of the server first).
 */
const ON_WIRE_WAIT_MS = 25;

/** One conversation's rows on the wire. */
interface Lane {
  /** By client id, in the order sent; a row leaves once its answer is recorded. */
  readonly inFlight: Map<string, OutboxEntry>;
  /** Answers not recorded yet, in the order they came. */
  answers: Outcome[];
  /** The newest row sent: the next one goes `after` it. */
  last: { id: number; clientId: string };
  /**
   * The newest row sent must be answered before anything goes behind it: a send with files, whose
   * refusal for missing files keeps it first in the queue while they are uploaded again; or, when
   * rows go sealed, a group change, whose members the rows behind it are sealed for.
   */
  barrier: boolean;
  /**
   * A row sent in this lane is still queued after its answer (failed for now, refused as out of
   * order, its files to upload again): nothing more goes until every row on the wire is answered,
   * then the conversation starts over from its first queued row.
   */
  stalled: boolean;
  /** Rows waiting for their seal, then their turn on the wire behind the lane's earlier rows. */
  sealing: Promise<void> | null;
  /**
   * A row could not be sealed: the rows behind it in this lane are answered unsent (they name it
   * as `after`), and the conversation starts over once all are answered.
   */
  broken: boolean;
}

const ON_WIRE = Promise.resolve();

/** A row sealed before it was written was not the one written: it is queued the usual way. */
class SealedAheadOfOthers extends Error {
  constructor() {
    super('The row written was not the one sealed ahead of it');
    this.name = 'SealedAheadOfOthers';
  }
}

/** A Queued known later. */
function queuedLater<T>(queued: Promise<Queued<T>>): Queued<T> {
  const written = queued.then((next) => next.written);
  written.catch(() => undefined); // a failure reaches the caller through onWire as well
  return { written, onWire: queued.then((next) => next.onWire) };
}

const sameContent = (a: Content, b: Content): boolean => JSON.stringify(a) === JSON.stringify(b);

/** The answer the row was waiting for, or why it did not get it. */
function classify(outcome: Outcome): { acknowledged: Acknowledgement } | { failed: Failure } {
  const { entry } = outcome;
  if ('error' in outcome) return { failed: outcome };
  if (outcome.reply.type === (entry.kind === 'create' ? 'conversation' : 'sent'))
    return { acknowledged: { entry, sealable: outcome.sealable, reply: outcome.reply } };
  return { failed: { entry, error: new RequestError('internal', `Unexpected reply ${outcome.reply.type} to ${entry.kind}`) } };
}

/**
 * Drains the durable outbox. Within a conversation, rows go in composition order so the server
 * assigns sequence numbers in the order the person wrote; conversations drain side by side. Up to
 * a window (windowOf) of a conversation's rows are on the wire at once, each naming the one before
 * it as `after`: the server handles a connection's frames in order and refuses a frame whose
 * predecessor failed there (frames.ts), so a row sent again can never be overtaken by one written
 * after it.
 * Acknowledgements are recorded together (recordAnswers): one transaction, one event per
 * conversation. Every retry reuses the same client id, which the server deduplicates. A message
 * with files waits until all of them are uploaded (the uploader kicks the sender then), and the
 * rest of its conversation waits behind it.
 *
 * What a row says goes as an envelope sealed under this device's sender key (queued-content.ts): sealed when it first goes, the sealed
 * text kept with the row in the transaction that stores the key's new state, so a row sent again
 * goes as the same envelope (a text sent online is sealed before it is written: sealFirst). Its acknowledgement applies the row's own content, judged by the same
 * rules every receiving device applies (this device cannot open what it sealed).
 */
export class OutboxSender {
  private readonly lanes = new Map<string, Lane>();
  /** Answers are looked at once the current task ends (replies read together settle together). */
  private recordDue = false;
  private wakeTimer: { at: number; handle: TimerHandle } | null = null;
  /**
   * The connection was over its frame budget: nothing more goes before this time (the latest the
   * server named), when it has room again for every row it turned away.
   */
  private pausedUntil = 0;
  /**
   * The connection was over its frame budget: the window stays at OUTBOX_MIN_WINDOW per
   * conversation, as much as a small budget lets through between waits, for as long as it lasts.
   */
  private budgetHit = false;
  private online = false;
  /** Stopped for good (the core is closing or the session ended); the mirror may be closed already. */
  private stopped = false;
  /** Conversations whose next row is being sealed before it is written (sealFirst): settled once it is written or given up. */
  private readonly sealingFirst = new Map<string, Promise<void>>();

  constructor(
    private readonly mirror: Mirror,
    private readonly connection: SyncConnection,
    private readonly runtime: Runtime,
    private readonly selfId: string,
    private readonly emit: (event: AppEvent) => void,
    /** Called after acknowledgements are recorded (they may reveal events not applied yet). */
    private readonly onAcknowledged: (conversationId: string, kinds: ReadonlySet<OutboxEntry['kind']>) => void,
    /**
     * A write failed (a full disk): nothing of it was stored. The windows are forgotten (what they
     * held is still queued on disk) and the owner starts the connection over.
     */
    private readonly onWriteFailed: (error: unknown) => void,
    /** Sends, refusals and retries, by ids and codes (never the text). */
    private readonly log: Logger,
    /** Seals what rows say. */
    private readonly sealer: Sealer,
  ) {}

  setOnline(online: boolean): void {
    this.online = online;
    if (online) {
      // A new connection has a frame budget of its own.
      this.pausedUntil = 0;
      this.budgetHit = false;
      this.mirror.outbox.releaseDeferred();
      this.kick();
    }
  }

  /** Whether this row has been handed to the server and not yet answered. */
  isInFlight(clientId: string): boolean {
    for (const lane of this.lanes.values()) if (lane.inFlight.has(clientId)) return true;
    return false;
  }

  stop(): void {
    this.stopped = true;
    this.online = false;
    this.lanes.clear();
    if (this.wakeTimer) this.runtime.timers.clearTimeout(this.wakeTimer.handle);
    this.wakeTimer = null;
  }

  /** Sends whatever is due now and arranges to wake up for what is due later. */
  kick(): void {
    if (!this.online) return;
    let launched = false;
    try {
      for (const head of this.mirror.outbox.nextEntries()) launched = this.fill(head.conversationId) || launched;
    } catch (error) {
      this.writeFailed(error);
    }
    // The windows are on the socket: they go now, not after the rest of the task (sendMessage,
    // which queued the row, still reads the message's view and answers the renderer).
    this.connection.flush();
    if (launched) this.emit({ type: 'outbox' });
  }

  /**
   * Runs `write`, which queues rows of this conversation, in one transaction with marking the rows
   * that go next as attempted, and puts them on the wire once it commits: a message is stored and
   * sent with one commit, where writing and then kick() take two and read every conversation's head.
   * A failure rolls back the rows with the marks, and reaches the caller. `onWire` resolves once
   * the rows are sealed and on the wire, or wait for something else (see launch), or after
   * ON_WIRE_WAIT_MS.
   *
   * `content`, when given, tells what the one row `write` queues will say (a text alone): when it
   * can be sealed at once it is sealed first, and the rows are written in the transaction that stores
   * the seal (sealFirst). Until then the conversation's other writes through here wait, so rows
   * keep the order they were asked for.
   */
  queueAndSend<T>(conversationId: string, write: () => T, content?: () => Content): Queued<T> {
    const sealing = this.sealingFirst.get(conversationId);
    if (sealing) {
      return queuedLater(sealing.then(() => this.queueAndSend(conversationId, write, content)));
    }
    if (content !== undefined && this.sealsFirst(conversationId)) return this.sealFirst(conversationId, write, content());
    let due: Due[] = [];
    let written: T;
    try {
      written = this.mirror.transaction(() => {
        const result = write();
        if (this.online) {
          due = this.dueRows(conversationId);
          this.markAttempts(due);
        }
        return result;
      });
    } catch (error) {
      // Nothing was written: the caller hears why from either promise.
      const failed = Promise.reject(error instanceof Error ? error : new Error(String(error)));
      failed.catch(() => undefined);
      return { written: failed, onWire: failed };
    }
    // The caller tells of the rows ('outbox') once they are on the wire.
    const launched = this.launch(conversationId, due);
    this.connection.flush();
    return { written: Promise.resolve(written), onWire: this.onWireWithin(launched) };
  }

  /**
   * Whether a row written now would be sealed at once and sent first in its conversation: online,
   * nothing of the conversation waiting for a seal or an answer before it, the seal needing nothing
   * from the server.
   */
  private sealsFirst(conversationId: string): boolean {
    const lane = this.lanes.get(conversationId);
    const clear = !lane || (lane.sealing === null && !lane.stalled && !lane.barrier && !lane.broken);
    return this.online && clear && this.pausedUntil <= this.runtime.clock.now() && this.sealer.sealsAtOnce(conversationId);
  }

  /**
   * Seals `content` first, then in the seal's own transaction writes the row, marks it attempted
   * and keeps the sealed text with it: one commit, and the envelope goes right after it. Should
   * the row written turn out not to be the one due with that content (another write of the
   * conversation went ahead of it, the disappearing timer changed meanwhile, the connection
   * dropped), the transaction rolls back with the chain state, and the row is queued the usual
   * way and sealed again: the first sealing never left, so no message key seals two texts that
   * go out.
   */
  private sealFirst<T>(conversationId: string, write: () => T, content: Content): Queued<T> {
    let stored: { written: T; launched: Promise<void> } | null = null;
    const sealed = this.sealer.seal(conversationId, content, (kept) => {
      const { written, due } = this.writeSealed(conversationId, write, content, kept);
      // Once it commits, and before anything else runs (an answer recorded would refill the lane with it).
      return () => {
        this.sealingFirst.delete(conversationId);
        stored = { written, launched: ON_WIRE };
        stored.launched = this.launch(conversationId, due);
        this.connection.flush();
      };
    });
    const settled = sealed.then(
      (): Queued<T> => {
        if (!stored) throw new Error('The seal committed no row');
        return { written: Promise.resolve(stored.written), onWire: this.onWireWithin(stored.launched) };
      },
      (error: unknown) => {
        this.sealingFirst.delete(conversationId);
        // Stored, and then the launch failed: the row is queued, and the caller hears why.
        if (stored) throw error;
        if (!(error instanceof SealedAheadOfOthers)) this.log.debug('a send sealed first went the usual way', errorFields(error));
        return this.queueAndSend(conversationId, write);
      },
    );
    this.sealingFirst.set(
      conversationId,
      settled.then(
        () => undefined,
        () => undefined,
      ),
    );
    return queuedLater(settled);
  }

  /** In the seal's transaction: writes the rows, which must be one row due saying `content`, marked and kept sealed. */
  private writeSealed<T>(
    conversationId: string,
    write: () => T,
    content: Content,
    sealed: SealedEnvelope,
  ): { written: T; due: Due[] } {
    if (!this.online || this.stopped) throw new SealedAheadOfOthers();
    const written = write();
    const due = this.dueRows(conversationId);
    const [first] = due;
    const says = first && due.length === 1 && first.attachments.length === 0 ? sealableRow(first.entry, []) : null;
    if (!first || !says || !sameContent(says.content, content)) throw new SealedAheadOfOthers();
    this.markAttempts(due);
    this.mirror.outbox.keepSealed(first.entry.id, sealed);
    return { written, due: [{ entry: { ...first.entry, sealed }, attachments: [] }] };
  }

  /** `launched`, or ON_WIRE_WAIT_MS: the longest a caller waits for its rows to go. */
  private onWireWithin(launched: Promise<void>): Promise<void> {
    if (launched === ON_WIRE) return ON_WIRE;
    let bound: TimerHandle | null = null;
    const waited = new Promise<void>((resolve) => (bound = this.runtime.timers.setTimeout(resolve, ON_WIRE_WAIT_MS)));
    return Promise.race([launched, waited]).then(() => {
      if (bound) this.runtime.timers.clearTimeout(bound);
    });
  }

  private writeFailed(error: unknown): void {
    this.lanes.clear();
    this.onWriteFailed(error);
  }

  /** Puts the conversation's next due rows on the wire, as many as its window has room for; whether there were any. */
  private fill(conversationId: string): boolean {
    // Its rows go behind the one being sealed first, which finds them and goes the usual way.
    if (this.sealingFirst.has(conversationId)) return false;
    const due = this.dueRows(conversationId);
    if (due.length === 0) return false;
    this.mirror.transaction(() => this.markAttempts(due));
    void this.launch(conversationId, due);
    return true;
  }

  /** The conversation's next rows that may go now, as many as its window has room for. */
  private dueRows(conversationId: string): Due[] {
    const lane = this.lanes.get(conversationId);
    if (lane && (lane.stalled || lane.barrier)) return [];
    if (this.pausedUntil > this.runtime.clock.now()) {
      this.wakeAt(this.pausedUntil);
      return [];
    }
    const room = this.windowOf(conversationId) - (lane?.inFlight.size ?? 0);
    if (room <= 0) return [];
    const due: Due[] = [];
    for (const entry of this.mirror.outbox.pendingIn(conversationId, lane?.last.id ?? 0, room)) {
      if (entry.nextAttemptAt > this.runtime.clock.now()) {
        this.wakeAt(entry.nextAttemptAt);
        break;
      }
      const attachments =
        entry.kind === 'send' && entry.hasFiles ? this.mirror.attachments.forSend(entry.conversationId, entry.messageId) : [];
      if (attachments === null) break;
      due.push({ entry, attachments });
      // Rows behind a change of members are sealed for the members it leaves: they wait for its answer.
      if (attachments.length > 0 || changesMembers(entry)) break;
    }
    return due;
  }

  /** Rows the conversation may have on the wire: what the others leave of OUTBOX_WINDOW, at least OUTBOX_MIN_WINDOW. */
  private windowOf(conversationId: string): number {
    if (this.budgetHit) return OUTBOX_MIN_WINDOW;
    let others = 0;
    for (const [id, lane] of this.lanes) if (id !== conversationId) others += lane.inFlight.size;
    return Math.max(OUTBOX_MIN_WINDOW, OUTBOX_WINDOW - others);
  }

  /**
   * Recorded before they leave (the caller's transaction commits before they are launched): the
   * server may store them even if we never hear back.
   */
  private markAttempts(due: Due[]): void {
    for (const { entry } of due) this.mirror.outbox.markAttempt(entry.id);
  }

  /**
   * Hands the rows to the connection. Callers say 'outbox' (rows went on the wire: 'sending' in
   * the inspector) after flushing them, so listeners never run between the commit and the frame.
   * Resolves once the rows are on the wire; at once when they wait behind rows sealing before them
   * or their seal waits for anything but this device's own work (Sealer.sealsAtOnce), and when it
   * waits for its key's hand-out.
   */
  private launch(conversationId: string, due: Due[]): Promise<void> {
    if (due.length === 0) return ON_WIRE;
    let lane = this.lanes.get(conversationId);
    const going: Going[] = [];
    for (const { entry, attachments } of due) {
      const sealable = this.sealableOrFailed(entry, attachments);
      if (sealable === undefined) continue;
      // The first row of a window follows nothing: everything before it has been answered.
      const after = lane?.last.clientId;
      const sent = { id: entry.id, clientId: entry.clientId };
      if (lane) lane.last = sent;
      else
        this.lanes.set(
          conversationId,
          (lane = { inFlight: new Map(), answers: [], last: sent, barrier: false, stalled: false, sealing: null, broken: false }),
        );
      lane.inFlight.set(entry.clientId, entry);
      // A row sealed behind a queued group change would be sealed for the members as they were
      // before it: the server would refuse it as sealed for other devices, and it would go again.
      // So it is sealed once the change is acknowledged.
      lane.barrier = attachments.length > 0 || changesMembers(entry);
      going.push({ entry, attachments, after, sealable });
    }
    const unsealed = going.some(({ sealable, entry }) => sealable !== null && entry.sealed === null);
    const sealedRows = going.some(({ sealable }) => sealable !== null);
    if (!lane) return ON_WIRE;
    if (!unsealed && lane.sealing === null && !(sealedRows && this.sealer.handOutPending(conversationId))) {
      for (const row of going) this.request(row, row.entry.sealed);
      return ON_WIRE;
    }
    // Sealing waits for the crypto lane, and an envelope for its key's hand-out: these rows go once
    // sealed and handed out, behind the lane's earlier ones.
    const current = lane;
    const behind = current.sealing !== null || !this.sealer.sealsAtOnce(conversationId);
    let settle = () => {};
    const onWire = new Promise<void>((resolve) => (settle = resolve));
    const step = (current.sealing ?? Promise.resolve()).then(() => this.sealAndSend(current, going, settle));
    current.sealing = step;
    void step.then(() => {
      settle();
      if (current.sealing === step) current.sealing = null;
    });
    return behind ? ON_WIRE : onWire;
  }

  /**
   * What the row says, to seal; undefined when it cannot go sealed: a message with a file from
   * before files were encrypted (no key to send) fails at once, saying why, and so does a group's
   * rename the rules would drop now (its sender demoted since it was queued), as the server did
   * when it read the name.
   */
  private sealableOrFailed(entry: OutboxEntry, attachments: Attachment[]): SealableRow | null | undefined {
    try {
      const sealable = sealableRow(entry, attachments);
      const refusal =
        sealable?.content.kind === 'rename'
          ? this.mirror.refusalOfOwn(entry.conversationId, this.selfId, sealable.content)
          : null;
      if (refusal === null) return sealable;
      this.log.warn('outbox refused: the rules drop it', { conversationId: entry.conversationId, clientId: entry.clientId });
      this.mirror.outbox.fail(entry.clientId, refusal);
      return undefined;
    } catch (error) {
      if (!(error instanceof KeylessFileError) || entry.kind !== 'send') throw error;
      this.log.warn('outbox refused: a file has no key', { conversationId: entry.conversationId, clientId: entry.clientId });
      this.mirror.failSend(entry.conversationId, entry.messageId, 'attachment_missing');
      return undefined;
    }
  }

  /**
   * Seals the rows that are not yet, in order, and puts each on the wire as it is sealed, once the
   * key it is sealed under has been handed out.
   */
  private async sealAndSend(lane: Lane, going: readonly Going[], waitsForHandOut: () => void): Promise<void> {
    for (const row of going) {
      const { entry, sealable } = row;
      // The lanes were forgotten (stopped, or a write failed): the row is still queued on disk.
      if (this.stopped || this.lanes.get(entry.conversationId) !== lane) return;
      if (lane.broken) {
        this.answered({ entry, sealable, error: new RequestError('out_of_order', 'The row before it could not be sealed') });
        continue;
      }
      let sealed = entry.sealed;
      if (sealable) {
        try {
          sealed ??= await this.sealer.seal(entry.conversationId, sealable.content, (kept) =>
            this.mirror.outbox.keepSealed(entry.id, kept),
          );
          if (this.sealer.handOutPending(entry.conversationId)) {
            waitsForHandOut();
            await this.sealer.keyHandedOut(entry.conversationId);
          }
        } catch (error) {
          if (isDiskFull(error)) {
            this.writeFailed(error);
            return;
          }
          lane.broken = true;
          this.answered({ entry, sealable, error });
          continue;
        }
      }
      this.request(row, sealed);
      this.connection.flush();
    }
  }

  private request({ entry, after, sealable }: Going, sealed: SealedEnvelope | null): void {
    // entry.attempts was read before this attempt was counted.
    this.log.debug('outbox send', {
      conversationId: entry.conversationId,
      clientId: entry.clientId,
      kind: entry.kind,
      attempt: entry.attempts + 1,
      sealed: sealable !== null,
    });
    const frame = sealable && sealed !== null ? envelopeOf(entry, sealable, sealed) : membershipFrameOf(entry);
    this.connection.request(after === undefined ? frame : { ...frame, after }).then(
      (reply) => this.answered({ entry, sealable, reply }),
      (error: unknown) => this.answered({ entry, sealable, error }),
    );
  }

  private answered(outcome: Outcome): void {
    if (this.stopped) return;
    this.lanes.get(outcome.entry.conversationId)?.answers.push(outcome);
    if (this.recordDue) return;
    this.recordDue = true;
    queueMicrotask(() => this.record());
  }

  /**
   * Records the answers of every conversation where enough came: once no more than half its
   * window is unanswered, or at once when something failed (a drain records and refills by the
   * half window, a transaction each; a lone message is recorded as soon as it is answered). Then:
   * failures first (a row failed for now is deferred before anything could pick it again), then
   * the windows are refilled (the server works while the mirror writes), then the
   * acknowledgements in one transaction.
   */
  private record(): void {
    this.recordDue = false;
    // A request cut short by stop() leaves its row queued as it is: recording anything would
    // write to a mirror that close() has just shut.
    if (this.stopped) return;
    try {
      this.recordAnswers();
    } catch (error) {
      this.writeFailed(error);
    }
  }

  private recordAnswers(): void {
    const touched = new Map<string, Set<OutboxEntry['kind']>>();
    const acknowledged: Acknowledgement[] = [];
    const failed: Failure[] = [];
    for (const [conversationId, lane] of this.lanes) {
      const answers = lane.answers.map(classify);
      const unanswered = lane.inFlight.size - answers.length;
      if (
        answers.length === 0 ||
        (unanswered > this.windowOf(conversationId) / 2 && answers.every((answer) => 'acknowledged' in answer))
      ) {
        continue;
      }
      lane.answers = [];
      touched.set(conversationId, new Set());
      for (const answer of answers) {
        const { entry } = 'acknowledged' in answer ? answer.acknowledged : answer.failed;
        lane.inFlight.delete(entry.clientId);
        if (lane.last.clientId === entry.clientId) {
          lane.barrier = false;
          // Answered ahead of rows sent before it (no server does that over one connection): trust
          // nothing about this window; start over from the first queued row once all are answered.
          if (lane.inFlight.size > 0) lane.stalled = true;
        }
        if ('acknowledged' in answer) acknowledged.push(answer.acknowledged);
        else failed.push(answer.failed);
      }
    }
    if (touched.size === 0) return;
    // One transaction: the answers, and the rows that go next marked as attempted. Those go once it
    // commits; the server meanwhile works on the half of the window still on the wire.
    const refills: { conversationId: string; due: Due[] }[] = [];
    this.mirror.transaction(() => {
      this.recordFailures(failed);
      if (this.online) {
        for (const conversationId of touched.keys()) {
          // Rows queued behind one being sealed first go after it (fill), never ahead of it on the wire.
          if (!this.sealingFirst.has(conversationId)) refills.push({ conversationId, due: this.dueRows(conversationId) });
        }
        for (const { due } of refills) this.markAttempts(due);
      }
      this.recordAcknowledgements(acknowledged, touched);
    });
    for (const { conversationId, due } of refills) void this.launch(conversationId, due);
    // The refilled windows go before the events below are told: the server works on them meanwhile.
    this.connection.flush();
    for (const [conversationId, kinds] of touched) {
      this.emit({ type: 'messages', conversationId });
      if (kinds.size > 0) this.onAcknowledged(conversationId, kinds);
    }
    this.emit({ type: 'conversations' });
    this.emit({ type: 'outbox' });
    let launched = false;
    for (const conversationId of touched.keys()) {
      const lane = this.lanes.get(conversationId);
      if (!lane || lane.inFlight.size > 0) continue;
      // Everything it sent is answered: the conversation's first queued row starts the next window.
      this.lanes.delete(conversationId);
      if (this.online) launched = this.fill(conversationId) || launched;
    }
    if (launched) {
      this.connection.flush();
      this.emit({ type: 'outbox' });
    }
  }

  private recordFailures(failed: Failure[]): void {
    if (failed.length === 0) return;
    this.mirror.transaction(() => {
      for (const { entry, error } of failed) {
        if (!this.handleFailure(entry, error)) continue;
        const lane = this.lanes.get(entry.conversationId);
        if (lane) lane.stalled = true;
      }
    });
  }

  private recordAcknowledgements(acknowledged: Acknowledgement[], touched: Map<string, Set<OutboxEntry['kind']>>): void {
    const recorded: OutboxEntry[] = [];
    const sent: Acknowledgement[] = [];
    /** What this device sealed, by conversation and seq: its own envelopes take effect as it. */
    const opened = new Map<string, Map<number, Content>>();
    for (const answer of acknowledged) {
      const { entry, reply } = answer;
      if (reply.type !== 'conversation') sent.push(answer);
      // A creation goes first in its conversation's queue: recorded before what was sent to it.
      else if (this.written([answer], () => this.mirror.acknowledgeCreation(reply.conversation, entry.clientId, this.selfId))) {
        recorded.push(entry);
      }
    }
    const events = sent.flatMap(({ reply, sealable }) => {
      if (reply.type !== 'sent') return [];
      const { event } = reply;
      if (event.kind === 'envelope' && sealable && !event.deleted) {
        const byConversation = opened.get(event.conversationId) ?? new Map<number, Content>();
        opened.set(event.conversationId, byConversation.set(event.seq, sealable.content));
      }
      return [event];
    });
    const acknowledge = () => {
      this.mirror.acknowledgeAll(events, this.selfId, opened);
      // Kept a while, to send again to a member's device that could not open it (crypto/resend-answerer.ts).
      for (const { reply, sealable } of sent) {
        if (reply.type === 'sent' && reply.event.kind === 'envelope' && sealable) {
          this.mirror.sentContent.keep(reply.event, sealable.content);
        }
      }
    };
    if (events.length > 0 && this.written(sent, acknowledge)) {
      recorded.push(...sent.map(({ entry }) => entry));
    }
    for (const entry of recorded) {
      touched.get(entry.conversationId)?.add(entry.kind);
      this.log.debug('outbox acknowledged', { conversationId: entry.conversationId, clientId: entry.clientId, kind: entry.kind });
    }
  }

  /**
   * Whether `write` recorded the answers. When it throws they are not recorded: their rows stay
   * queued and go again, and the server answers with what it stored.
   */
  private written(answers: Acknowledgement[], write: () => void): boolean {
    try {
      write();
      return true;
    } catch (error) {
      this.recordFailures(answers.map(({ entry }) => ({ entry, error })));
      return false;
    }
  }

  /** Records why a row was not acknowledged; true when it stays queued (to go again later). */
  private handleFailure(entry: OutboxEntry, error: unknown): boolean {
    const requestError =
      error instanceof RequestError
        ? error
        : new RequestError('internal', error instanceof Error ? error.message : String(error));
    const ids = { conversationId: entry.conversationId, clientId: entry.clientId, kind: entry.kind, code: requestError.code };
    // Refused unread behind a row that failed (or never came): nothing happened to it.
    if (requestError.code === 'out_of_order') {
      this.log.debug('outbox row goes again after the one before it', ids);
      return true;
    }
    // Refused unread because the connection sent too much: it goes again when the server said, and
    // the rest of the outbox waits as long (the budget is the connection's, not the row's).
    if (requestError.code === 'rate_limited' && requestError.retryAfterMs !== undefined) {
      const at = this.runtime.clock.now() + requestError.retryAfterMs;
      this.pausedUntil = Math.max(this.pausedUntil, at);
      this.budgetHit = true;
      this.mirror.outbox.defer(entry.id, at, requestError.code);
      this.log.info('outbox paused: rate limited', { ...ids, retryAfterMs: requestError.retryAfterMs });
      return true;
    }
    if (requestError.reason === 'conversation_devices_changed') {
      // Sealed for devices that are no longer the conversation's: the current ones are recorded
      // (in the crypto lane, ahead of any seal queued after this), and every row of the
      // conversation not yet stored is sealed again for them, handing them the key first.
      void this.sealer
        .devicesChanged(entry.conversationId, error)
        .catch((failure: unknown) =>
          this.log.warn('could not record the conversation’s devices', { ...ids, ...errorFields(failure) }),
        );
      this.mirror.outbox.forgetSealedIn(entry.conversationId);
      const again = entry.attempts < MAX_QUICK_RESEALS ? 0 : backoffDelay(OUTBOX_BACKOFF, entry.attempts, this.runtime.random);
      this.mirror.outbox.defer(entry.id, this.runtime.clock.now() + again, requestError.reason);
      return true;
    }
    if (requestError.permanent) {
      // The reason code when the server gave one, else the error's code: codes only, the renderer has
      // the words (the server's sentence is for its logs).
      const reason = requestError.reason ?? requestError.code;
      // The server no longer has the files (it removes uploads no message took within a day,
      // e.g. while this message waited offline behind others): upload them again, then send. The
      // 'messages' event that follows every attempt starts the uploads. Only our own uploads can be
      // made again: files a forward refers to (someone else's, maybe never downloaded here) cannot,
      // so such a refusal fails the message at once instead of sending it again and again.
      if (
        entry.kind === 'send' &&
        reason === 'attachment_missing' &&
        entry.attempts < MAX_ATTEMPTS_WITH_REUPLOAD &&
        this.mirror.attachments.resetUploads(entry.conversationId, entry.messageId, true) > 0
      ) {
        // Its content names the new uploads: it is sealed again.
        this.mirror.outbox.forgetSealed(entry.id);
        this.log.info('outbox files missing on the server: uploading them again', ids);
        return true;
      }
      this.log.warn('outbox refused', { ...ids, reason: requestError.reason ?? null });
      if (entry.kind === 'send') this.mirror.failSend(entry.conversationId, entry.messageId, reason);
      else this.mirror.outbox.fail(entry.clientId, reason);
      return false;
    }
    const delay = backoffDelay(OUTBOX_BACKOFF, entry.attempts, this.runtime.random);
    this.log.info('outbox retry scheduled', { ...ids, attempts: entry.attempts, delayMs: delay });
    // The code, not the words: the inspector says it in the person's language (outbox-inspector.ts).
    this.mirror.outbox.defer(entry.id, this.runtime.clock.now() + delay, requestError.code);
    return true;
  }

  private wakeAt(at: number): void {
    if (this.wakeTimer && this.wakeTimer.at <= at) return;
    if (this.wakeTimer) this.runtime.timers.clearTimeout(this.wakeTimer.handle);
    const handle = this.runtime.timers.setTimeout(
      () => {
        this.wakeTimer = null;
        this.kick();
      },
      Math.max(0, at - this.runtime.clock.now()),
    );
    this.wakeTimer = { at, handle };
  }
}

/** Whether the row changes who is in a group (and so whom what follows it is sealed for); a rename does not. */
function changesMembers(entry: OutboxEntry): boolean {
  return entry.kind === 'group' && entry.change.kind !== 'rename';
}

/** The frames an outbox row goes as. */
type OutboxRequest = Extract<Request, { type: 'group_change' | 'create_conversation' | 'send_envelope' }>;

function envelopeOf(entry: OutboxEntry, sealable: SealableRow, sealed: SealedEnvelope): OutboxRequest {
  return {
    type: 'send_envelope',
    conversationId: entry.conversationId,
    clientId: entry.clientId,
    ciphertext: sealed.ciphertext,
    ...(sealed.devicesVersion !== null ? { devicesVersion: sealed.devicesVersion } : {}),
    ...(sealable.attachments.length > 0 ? { attachments: sealable.attachments } : {}),
    ...(sealable.deletes ? { deletes: sealable.deletes } : {}),
    ...(sealable.expiresInMs !== undefined ? { expiresInMs: sealable.expiresInMs } : {}),
  };
}

/**
 * A row that is no content: a conversation made here, or a change to who is in a group, which the
 * server judges and so reads. Everything people say goes sealed (envelopeOf).
 */
function membershipFrameOf(entry: OutboxEntry): OutboxRequest {
  const { conversationId } = entry;
  switch (entry.kind) {
    case 'send':
    case 'edit':
    case 'delete':
    case 'reaction':
    case 'pin':
    case 'call':
    case 'content':
    case 'conversation_setting':
      throw new Error(`An outbox ${entry.kind} goes only sealed`);
    case 'create': {
      // A group's name is not the server's to read: it goes sealed once the group exists (OutboxStore.arrived).
      const { conversation } = entry;
      if (conversation.kind !== 'group') return { type: 'create_conversation', conversationId, conversation };
      return { type: 'create_conversation', conversationId, conversation: { kind: 'group', memberIds: conversation.memberIds } };
    }
    case 'group':
      if (entry.change.kind === 'rename') throw new Error('A rename goes only sealed');
      return { type: 'group_change', conversationId, clientChangeId: entry.clientId, change: entry.change };
  }
}
