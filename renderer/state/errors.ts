import { AppApiError, TRANSFER_ERRORS, type TransferError } from '../../sync/app-api/contract.js';
import { REFUSAL_REASONS, type RefusalReason } from '../../sync/protocol/refusal-reasons.js';
import { t } from '../i18n/index.js';
import { TransportError } from '../transport/types.js';

export function isRefusalReason(value: string): value is RefusalReason {
  return (REFUSAL_REASONS as readonly string[]).includes(value);
}

/** Where a refusal happened, for wording that depends on it. */
export interface RefusalContext {
  /** In a group you are no longer a member of, "not found" means exactly that. */
  leftGroup?: boolean;
}

/**
 * A refusal reason code (MessageView.error, FailedChangeView.error, FailedGroupChangeView.error)
 * in words; anything that is not a known code is the server's own words and shown as it is.
 */
export function describeRefusal(reason: string, context: RefusalContext = {}): string {
  const code = reason.trim();
  // A message whose file could not be uploaded fails with the transfer's code (its copy in this
  // profile is gone, say): words for those too.
  if (isTransferError(code) && !isRefusalReason(code)) return t.transferErrors[code];
  if (!isRefusalReason(code)) return reason;
  if (code === 'conversation_not_found' && context.leftGroup) return t.group.notMember;
  return t.refusals[code];
}

function isTransferError(value: string): value is TransferError {
  return (TRANSFER_ERRORS as readonly string[]).includes(value);
}

/** Why an upload or download failed (TransferView.error): a transfer error or a refusal, in words. */
export function describeTransferError(error: string | null): string {
  if (error === null) return t.errors.internal;
  const code = error.trim();
  if (isTransferError(code)) return t.transferErrors[code];
  return describeRefusal(error);
}

/** What to tell a person about a failed call. `overrides` give context-specific wording per code. */
export function describeError(error: unknown, overrides: Partial<Record<AppApiError['code'], string>> = {}): string {
  if (error instanceof AppApiError) {
    const specific = overrides[error.code];
    if (specific) return specific;
    // A refusal reason code in the message is put in words.
    if (isRefusalReason(error.message.trim())) return describeRefusal(error.message);
    // The server's own reason is the most useful thing we can show for a refusal.
    if (error.code === 'refused' && error.message.trim()) return error.message;
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
