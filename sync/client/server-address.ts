import { SYNC_PATH } from '../protocol/frames.js';

export interface ServerAddress {
  /** As the person typed it, normalised (no trailing slash). */
  display: string;
  httpBase: string;
  syncUrl: string;
}

/** Accepts ws://, wss://, http:// or https:// with host and optional port; path is ignored. */
export function parseServerAddress(input: string): ServerAddress {
  const url = new URL(input.trim());
  const secure = url.protocol === 'wss:' || url.protocol === 'https:';
  if (!['ws:', 'wss:', 'http:', 'https:'].includes(url.protocol)) {
    throw new Error(`Unsupported server address ${input}: use ws://, wss://, http:// or https://`);
  }
  const host = url.host;
  return {
    display: `${secure ? 'wss' : 'ws'}://${host}`,
    httpBase: `${secure ? 'https' : 'http'}://${host}`,
    syncUrl: `${secure ? 'wss' : 'ws'}://${host}${SYNC_PATH}`,
  };
}
