import type { AboutView, AppApi, AppEvent, LinkPreviewView } from '../app-api/contract.js';
import type { Logger } from '../common/logger.js';
import type { Runtime } from '../common/runtime.js';
import type { SalvagedOutbox } from './mirror/outbox-salvage.js';
import type { FileKeyring } from './attachments/file-keys.js';

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
   * 32 random bytes the mirror is encrypted with (hosts keep them in the OS keychain or a 0600
   * file); without it the mirror is plain (tests). A plain mirror is encrypted on its first keyed open.
   */
  mirrorKey?: Uint8Array;
  /** Queued into the mirror when it opens: what was salvaged from a damaged one ("Start fresh"). */
  restoreOutbox?: SalvagedOutbox;
  /** Called when a write in the background (sync, sending) failed for want of disk space. */
  onDiskFull?: () => void;
  /**
   * Makes link previews for fetchLinkPreview (sync/node/link-preview); default: the hostile-world
   * fetcher (https only, public addresses only). Hosts pass one with allowLoopback for tests.
   */
  linkPreviews?: LinkPreviewFetcher;
  /** `--offline`: Work offline is switched on before anything connects (a preference: it stays on until switched off). */
  workOffline?: boolean;
  /** What the person's list of sessions calls this device; "Messenger on <system>" unless given. */
  deviceName?: string;
  /**
   * Given the keys of the profile's attachment files once the mirror is open, for the host's file
   * gateway (the core worker answers it with them; they never leave the mirror otherwise).
   */
  onFileKeys?: (keys: FileKeyring) => void;
  /** Where the core reports what it does (start, connection, outbox, errors); silent unless given. */
  logger?: Logger;
  /** The host's versions, for getAbout (the core adds SQLite's and the mirror's schema). */
  hostVersions?: HostVersions;
}

/** What the host knows of versions: the app's, and Electron's and Chromium's where it runs in Electron. */
export type HostVersions = Pick<AboutView, 'app' | 'electron' | 'chromium' | 'node'>;

/** Fetches a page's preview; null when there is none. May throw: the core turns any failure into null. */
export interface LinkPreviewFetcher {
  fetch(url: string): Promise<LinkPreviewView | null>;
}

/** The client core as hosts see it: the app API plus change notifications and shutdown. */
export interface ClientCore extends AppApi {
  subscribe(listener: (event: AppEvent) => void): () => void;
  /** Stops timers, closes the connection and the mirror. Queued messages stay queued on disk. */
  close(): Promise<void>;
  /** A small write to the mirror; throws (SQLITE_FULL) while the disk is full. */
  probeWrite?(): void;
  /** A GIF search result's bytes, for the host's gif gateway (never over the app API: the page loads them as images). */
  gifBytes?(id: string): Promise<Buffer>;
}
