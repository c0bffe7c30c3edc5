/**
 * Copies a file the person picked into this profile's attachment store: one streamed POST of its
 * bytes to the host (main/common/file-gateway.ts), which answers with its SHA-256, size and type.
 * The renderer never reads the file whole (images are decoded separately for their preview).
 */
import { FILES_PATH, type StoredFile } from '../../sync/app-api/contract.js';

/** The host refused the file (`code`: file_too_large, empty_file, disk_full…), or could not be reached. */
export class FileImportError extends Error {
  constructor(readonly code: string) {
    super(`The file could not be stored (${code})`);
    this.name = 'FileImportError';
  }
}

function isStoredFile(value: unknown): value is StoredFile {
  const file = value as StoredFile;
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof file.sha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(file.sha256) &&
    typeof file.size === 'number' &&
    typeof file.mime === 'string'
  );
}

export async function importFile(file: Blob, fetchImpl: typeof fetch = fetch): Promise<StoredFile> {
  let response: Response;
  try {
    response = await fetchImpl(FILES_PATH, {
      method: 'POST',
      body: file,
      headers: { 'Content-Type': 'application/octet-stream' },
    });
  } catch {
    throw new FileImportError('unreachable');
  }
  const body: unknown = await response.json().catch(() => null);
  if (response.ok && isStoredFile(body)) return body;
  const code = typeof body === 'object' && body !== null && typeof (body as { code?: unknown }).code === 'string';
  throw new FileImportError(code ? (body as { code: string }).code : `http_${response.status}`);
}
