/**
 * Why a file's upload or download failed, as a code the renderer words (renderer/i18n). Its own
 * module: attachments (contract.ts) and the outbox (outbox-api.ts) both name it.
 *
 * Pure: the renderer imports it.
 */

/** Why a transfer failed when the server did not refuse it (refusals use REFUSAL_REASONS). */
export const TRANSFER_ERRORS = [
  'checksum_mismatch', // the bytes downloaded are not the ones the sender declared
  'disk_full',
  'file_unreadable', // the profile's copy is gone or cannot be read
  'not_available', // the server no longer has it, or will not give it to you
] as const;
export type TransferError = (typeof TRANSFER_ERRORS)[number];
