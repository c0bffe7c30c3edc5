import { AppApiError } from '../../sync/app-api/contract.js';
import { TRANSFER_ERRORS, type TransferError } from '../../sync/app-api/transfer-errors.js';
import { POLL_ENDED, REDIRECT_REFUSED } from '../../sync/app-api/core-refusals.js';
import { MAP_SNAPSHOT_FAILURES, type MapSnapshotFailure } from '../../sync/app-api/locations-api.js';
import { REFUSAL_REASONS, type RefusalReason } from '../../sync/protocol/refusal-reasons.js';
import { t } from '../i18n/index.js';
import { TransportError } from '../transport/types.js';

/**
 * Everything a person reads about a failure comes from the language files: the core and the
 * server give codes (a refusal reason, a transfer error, an AppApiError code), and their English
 * messages are for logs. Whatever is not a known code is never shown as it is: an unknown code gets
 * a general sentence with the code beside it (for a bug report), anything else just the sentence.
 */

export function isRefusalReason(value: string): value is RefusalReason {
  return (REFUSAL_REASONS as readonly string[]).includes(value);
}

/** Where a refusal happened, for wording that depends on it. */
export interface RefusalContext {
  /** In a group you are no longer a member of, "not found" means exactly that. */
  leftGroup?: boolean;
  /** The people the refused change named, by name: a refusal about one of them says who. */
  about?: readonly string[];
}

/** Shaped like a code ("too_many_members"), not a sentence: safe to show as a detail. */
const CODE = /^[a-z][a-z0-9_]{0,63}$/u;

/**
 * A refusal reason code (MessageView.error, FailedChangeView.error, FailedGroupChangeView.error,
 * or an AppApiError 'refused' message) in words.
 */
export function describeRefusal(reason: string, context: RefusalContext = {}): string {
  const code = reason.trim();
  if (isRefusalReason(code)) {
    if (code === 'conversation_not_found' && context.leftGroup) return t.group.notMember;
    const person = context.about?.length === 1 ? context.about[0] : undefined;
    if (person !== undefined && code in t.refusalsAbout) return t.refusalsAbout[code as keyof typeof t.refusalsAbout](person);
    return t.refusals[code];
  }
  // A message whose file could not be uploaded fails with the transfer's code (its copy in this
  // profile is gone, say): words for those too.
  if (isTransferError(code)) return t.transferErrors[code];
  // Refusals the core gives itself, before asking the server (sync/client/composer.ts).
  if (code === 'no_longer_member') return t.group.notMember;
  if (code === 'blocked') return t.blocking.youBlocked;
  if (code === REDIRECT_REFUSED) return t.errors.redirectRefused;
  if (code === POLL_ENDED) return t.errors.pollEnded;
  if (isMapSnapshotFailure(code)) return t.mapSnapshotErrors[code];
  return CODE.test(code) ? t.errors.unknownRefusal(code) : t.errors.refused;
}

function isMapSnapshotFailure(value: string): value is MapSnapshotFailure {
  return (MAP_SNAPSHOT_FAILURES as readonly string[]).includes(value);
}

function isTransferError(value: string): value is TransferError {
  return (TRANSFER_ERRORS as readonly string[]).includes(value);
}

/** Why an upload or download failed (TransferView.error): a transfer error or a refusal, in words. */
export function describeTransferError(error: string | null): string {
  if (error === null) return t.errors.internal;
  const code = error.trim();
  if (isTransferError(code)) return t.transferErrors[code];
  return describeRefusal(code);
}

/** What to tell a person about a failed call. `overrides` give context-specific wording per code. */
export function describeError(error: unknown, overrides: Partial<Record<AppApiError['code'], string>> = {}): string {
  if (error instanceof AppApiError) {
    const specific = overrides[error.code];
    if (specific) return specific;
    // A refusal carries its reason code as the message (other codes' messages are for logs).
    if (error.code === 'refused') return describeRefusal(error.message);
    const code = error.message.trim();
    if (isRefusalReason(code)) return describeRefusal(code);
    return t.errors[error.code];
  }
  if (error instanceof TransportError) return t.errors.transport;
  return t.errors.internal;
}

export function errorCode(error: unknown): AppApiError['code'] | 'transport' | 'unknown' {
  if (error instanceof AppApiError) return error.code;
  if (error instanceof TransportError) return 'transport';
  return 'unknown';
}
