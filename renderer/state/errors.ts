import { AppApiError } from '../../sync/app-api/contract.js';
import { t } from '../i18n/index.js';
import { TransportError } from '../transport/types.js';

/** What to tell a person about a failed call. `overrides` give context-specific wording per code. */
export function describeError(error: unknown, overrides: Partial<Record<AppApiError['code'], string>> = {}): string {
  if (error instanceof AppApiError) {
    const specific = overrides[error.code];
    if (specific) return specific;
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
