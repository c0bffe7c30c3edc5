/**
 * Safety numbers, as Signal computes them (libsignal's Fingerprint, version 2, 5200 iterations):
 * two people compare the same 60 digits, or one scans the other's QR code, to check that the
 * identity keys their devices use are each other's. Each person is identified by their user id's
 * UTF-8 bytes. The digits come out the same on both sides; the scannable encodings differ (each
 * holds "mine, then theirs") and compare equal across the two.
 */
import type { PublicKey } from '@signalapp/libsignal-client';
import type { SignalLibrary } from './signal-library.js';

const FINGERPRINT_ITERATIONS = 5200;
const FINGERPRINT_VERSION = 2;

export interface SafetyNumberParty {
  userId: string;
  identityKey: PublicKey;
}

export interface SafetyNumber {
  /** 60 digits, no spaces. */
  digits: string;
  /** The scannable encoding (base64) for a QR code. */
  scannable: string;
}

export function safetyNumber(signal: SignalLibrary, local: SafetyNumberParty, remote: SafetyNumberParty): SafetyNumber {
  const fingerprint = signal.Fingerprint.new(
    FINGERPRINT_ITERATIONS,
    FINGERPRINT_VERSION,
    utf8(local.userId),
    local.identityKey,
    utf8(remote.userId),
    remote.identityKey,
  );
  return {
    digits: fingerprint.displayableFingerprint().toString(),
    scannable: Buffer.from(fingerprint.scannableFingerprint().toBuffer()).toString('base64'),
  };
}

function utf8(text: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(text, 'utf8'));
}
