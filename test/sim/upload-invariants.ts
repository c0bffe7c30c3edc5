import { createHash } from 'node:crypto';
import type { AppliedEvent } from '../../sync/content/opened-events.js';
import type { ServerInspector } from './server-inspector.js';
import type { SimUploads } from './memory-uploads.js';

/**
 * Every file a stored message carries arrived whole: its upload is the sender's, complete, with the
 * SHA-256 and size the message declares, and the bytes the server holds hash to it. (Uploads the
 * network interrupted were resumed or started again; either way only a verified one can be named.)
 */
export function checkUploads(logs: Map<string, AppliedEvent[]>, server: ServerInspector, uploads: SimUploads): string[] {
  const problems: string[] = [];
  for (const events of logs.values()) {
    for (const event of events) {
      if (event.kind !== 'message') continue;
      for (const file of event.attachments) {
        const where = `file ${file.name} of message ${event.clientMessageId} (seq ${event.seq})`;
        const upload = server.upload(file.id);
        if (!upload) {
          problems.push(`${where}: no upload ${file.id} on the server`);
          continue;
        }
        if (!upload.completed || upload.ownerId !== event.senderId || upload.sha256 !== file.sha256 || upload.size !== file.size)
          problems.push(`${where}: the upload is ${JSON.stringify(upload)}, the message declares ${file.sha256}:${file.size}`);
        const bytes = uploads.bytesOf(file.id);
        const held = bytes ? `${createHash('sha256').update(bytes).digest('hex')}:${bytes.length}` : 'nothing';
        if (held !== `${file.sha256}:${file.size}`) problems.push(`${where}: the server holds ${held}`);
      }
    }
  }
  return problems;
}
