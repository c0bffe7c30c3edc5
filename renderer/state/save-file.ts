import { fileUrl } from '../../sync/app-api/contract.js';

/**
 * Saves a file from this profile's store under `name`: an ordinary download of exactly its bytes
 * (the host answers with Content-Disposition: attachment); Electron asks where to save it.
 */
export function saveStoredFile(sha256: string, name: string, doc: Document = document): void {
  const anchor = doc.createElement('a');
  anchor.href = fileUrl(sha256, name);
  anchor.download = name;
  anchor.hidden = true;
  doc.body.append(anchor);
  anchor.click();
  anchor.remove();
}
