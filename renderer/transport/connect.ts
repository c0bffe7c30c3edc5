/**
 * Picks how this renderer reaches the core:
 *   - inside Electron the preload has put an AppTransport on `window.messenger` → use it as is;
 *   - in a normal browser there is none → talk to the host over ws(s)://<this host>/bridge.
 */
import { BRIDGE_PATH } from '../../sync/app-api/bridge-frames.js';
import type { AppTransport } from '../../sync/app-api/client.js';
import type { LogExporter } from '../../sync/app-api/log-export.js';
import { createBridgeTransport } from './bridge.js';
import { TransportError, type RendererTransport } from './types.js';

declare global {
  interface Window {
    /**
     * Exposed by the Electron preload (with "Export logs", see log-export.ts, "Copy", see
     * clipboard.ts, and the geolocation grant, see geolocation.ts); absent in a normal browser.
     */
    messenger?: AppTransport &
      Partial<LogExporter> & {
        copyText?: (text: string) => Promise<boolean>;
        askingLocation?: (on: boolean) => Promise<void>;
      };
  }
}

export function connectTransport(win: Window = window): RendererTransport {
  const preload = win.messenger;
  if (isAppTransport(preload)) return wrapPreload(preload);
  return createBridgeTransport({ url: bridgeUrl(win.location) });
}

export function bridgeUrl(location: Pick<Location, 'protocol' | 'host'>): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${BRIDGE_PATH}`;
}

function isAppTransport(value: unknown): value is AppTransport {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as AppTransport).invoke === 'function' &&
    typeof (value as AppTransport).subscribe === 'function'
  );
}

/** The preload's IPC link lives as long as the window: it is always 'connected'. */
function wrapPreload(preload: AppTransport): RendererTransport {
  return {
    kind: 'preload',
    invoke: (method, args) =>
      preload.invoke(method, args).catch((error: unknown) => {
        throw new TransportError(error instanceof Error ? error.message : String(error));
      }),
    subscribe: (listener) => preload.subscribe(listener),
    status: () => 'connected',
    onStatus: () => () => {},
    close: () => {},
  };
}
