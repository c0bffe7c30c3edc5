import type { AppTransport } from '../../sync/app-api/client.js';

/**
 * Whether the renderer can currently reach the core. The preload is always 'connected'; the
 * browser bridge is 'connecting' until its WebSocket first opens and 'reconnecting' while it is
 * down after that.
 */
export type TransportStatus = 'connecting' | 'connected' | 'reconnecting';

/** An AppTransport plus what the UI needs to know about the link itself. */
export interface RendererTransport extends AppTransport {
  readonly kind: 'preload' | 'bridge';
  status(): TransportStatus;
  /**
   * Called on every status change. `recovered` is true when the link came back after a drop: the
   * core may have restarted, so the app re-reads everything.
   */
  onStatus(listener: (status: TransportStatus, recovered: boolean) => void): () => void;
  close(): void;
}

/** The transport itself broke (not an answer from the core). */
export class TransportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransportError';
  }
}
