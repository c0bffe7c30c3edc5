import { REFUSALS } from '../refusals.js';
import { errorReply, only, refuse, type FrameOf, type HandlerContext, type HandlerResult } from './handler-result.js';

/**
 * The key backup (backup-frames.ts): the signed-in account's one sealed backup, written
 * compare-and-set and read by its own devices only (the account is the connection's, never named
 * in a frame, so nobody can ask for another's). The store keeps the ciphertext as it came.
 */

export async function putKeyBackup(ctx: HandlerContext, frame: FrameOf<'put_key_backup'>): Promise<HandlerResult> {
  const limited = rateLimited(ctx, frame.rid, 'write');
  if (limited) return limited;
  const result = await ctx.store.keyBackup.put({
    userId: ctx.user.id,
    replaces: frame.replaces,
    ciphertext: frame.ciphertext,
    now: ctx.runtime.clock.now(),
  });
  if (result.status === 'version_mismatch') return refuse(frame.rid, REFUSALS.backup_version_mismatch);
  return only({ type: 'key_backup_stored', rid: frame.rid, version: result.version });
}

export async function fetchKeyBackup(ctx: HandlerContext, frame: FrameOf<'fetch_key_backup'>): Promise<HandlerResult> {
  const limited = rateLimited(ctx, frame.rid, 'read');
  if (limited) return limited;
  return only({ type: 'key_backup', rid: frame.rid, backup: await ctx.store.keyBackup.fetch(ctx.user.id) });
}

/** The rate_limited answer when the account has used its share of backup writes (or reads), else null. */
function rateLimited(ctx: HandlerContext, rid: string, kind: 'write' | 'read'): HandlerResult | null {
  if (ctx.throttle.backupAccess(ctx.user.id, kind)) return null;
  const retryAfterMs = ctx.throttle.backupRetryMs(ctx.user.id, kind);
  return only({
    ...errorReply(rid, 'rate_limited', `Too many key backup ${kind}s; try again in ${Math.ceil(retryAfterMs / 1000)} s`),
    retryAfterMs,
  });
}
