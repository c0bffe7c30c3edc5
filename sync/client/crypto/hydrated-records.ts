/**
 * libsignal's records made from the bytes the Signal tables hold, found again by those very
 * bytes: deserializing the session, the identity key and the sender key for every envelope sealed or opened cost
 * more than libsignal's own work on it. The tables hand back the object they last wrote or read
 * (SignalTables keeps it), so a record is reused while its bytes are current and goes with them.
 * libsignal never changes a record it is given; it saves a new one.
 */
import type { PublicKey, SenderKeyRecord, SessionRecord } from '@signalapp/libsignal-client';
import type { SignalLibrary } from './signal-library.js';

export class HydratedRecords {
  private readonly sessions = new WeakMap<Uint8Array, SessionRecord>();
  private readonly publicKeys = new WeakMap<Uint8Array, PublicKey>();
  private readonly senderKeys = new WeakMap<Uint8Array, SenderKeyRecord>();

  constructor(private readonly signal: SignalLibrary) {}

  session(bytes: Uint8Array): SessionRecord {
    return madeOnce(this.sessions, bytes, () => this.signal.SessionRecord.deserialize(new Uint8Array(bytes)));
  }

  /** A record libsignal saved, and the bytes it was serialized to. */
  saved(bytes: Uint8Array, record: SessionRecord): void {
    this.sessions.set(bytes, record);
  }

  senderKey(bytes: Uint8Array): SenderKeyRecord {
    return madeOnce(this.senderKeys, bytes, () => this.signal.SenderKeyRecord.deserialize(new Uint8Array(bytes)));
  }

  /** A sender key libsignal saved, and the bytes it was serialized to. */
  savedSenderKey(bytes: Uint8Array, record: SenderKeyRecord): void {
    this.senderKeys.set(bytes, record);
  }

  publicKey(bytes: Uint8Array): PublicKey {
    return madeOnce(this.publicKeys, bytes, () => this.signal.PublicKey.deserialize(new Uint8Array(bytes)));
  }
}

function madeOnce<T>(made: WeakMap<Uint8Array, T>, bytes: Uint8Array, make: () => T): T {
  let value = made.get(bytes);
  if (value === undefined) {
    value = make();
    made.set(bytes, value);
  }
  return value;
}
