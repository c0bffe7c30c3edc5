import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ensurePrivateDir } from '../../node/private-files.js';

/** The folder under the server's data directory that holds every attachment's bytes. */
export const ATTACHMENTS_DIR = 'attachments';

/**
 * Where attachments' bytes live: `<data>/attachments/<id>`, flat, one file per upload id (the key
 * an object store would use as well), next to tus's `<id>.json` with the upload's length and
 * metadata. Ids are validated (32 hex) before they get here, so a path never leaves the folder.
 */
export class AttachmentFiles {
  readonly directory: string;

  constructor(dataDir: string) {
    this.directory = join(dataDir, ATTACHMENTS_DIR);
    // Other accounts on the machine may read none of it, whatever the umask.
    ensurePrivateDir(dataDir);
    ensurePrivateDir(this.directory);
  }

  pathOf(id: string): string {
    return join(this.directory, id);
  }

  /** How many bytes of it are on disk; -1 when there is no file. */
  async sizeOf(id: string): Promise<number> {
    try {
      return (await stat(this.pathOf(id))).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return -1;
      throw error;
    }
  }

  /** The SHA-256 (hex) of what is on disk, read as a stream: never the whole file in memory. */
  async sha256Of(id: string): Promise<string> {
    const hash = createHash('sha256');
    await pipeline(createReadStream(this.pathOf(id)), hash);
    return hash.digest('hex');
  }

  /** Removes the bytes and tus's sidecar; either may already be gone. */
  async remove(id: string): Promise<void> {
    await rm(this.pathOf(id), { force: true });
    await rm(`${this.pathOf(id)}.json`, { force: true });
  }
}
