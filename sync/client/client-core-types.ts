import type { AppApi, AppEvent, LinkPreviewView } from '../app-api/contract.js';
import type { Runtime } from '../common/runtime.js';

export interface ClientCoreOptions {
  /** Folder holding this profile's mirror (mirror.sqlite). Created if missing. */
  profileDir: string;
  /** Server address the sign-in screen suggests, e.g. ws://127.0.0.1:7878. */
  defaultServerUrl: string;
  /** Injected clock, timers and randomness; production uses realRuntime(). */
  runtime?: Runtime;
  /** better-sqlite3 binding built for Electron's ABI (see README); absent under plain Node. */
  nativeBinding?: string;
  /**
   * Makes link previews for fetchLinkPreview (sync/node/link-preview); default: the hostile-world
   * fetcher (https only, public addresses only). Hosts pass one with allowLoopback for tests.
   */
  linkPreviews?: LinkPreviewFetcher;
}

/** Fetches a page's preview; null when there is none. May throw: the core turns any failure into null. */
export interface LinkPreviewFetcher {
  fetch(url: string): Promise<LinkPreviewView | null>;
}

/** The client core as hosts see it: the app API plus change notifications and shutdown. */
export interface ClientCore extends AppApi {
  subscribe(listener: (event: AppEvent) => void): () => void;
  /** Stops timers, closes the connection and the mirror. Queued messages stay queued on disk. */
  close(): Promise<void>;
}
