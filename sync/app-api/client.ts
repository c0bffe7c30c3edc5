import { APP_API_METHODS, AppApiError, isAppErrorPayload, type AppApi, type AppApiMethod, type AppEvent } from './contract.js';
import type { AppCallResult } from './dispatcher.js';

/**
 * How a renderer reaches the core: Electron's preload and the browser bridge both provide this.
 * `invoke` resolves with the dispatcher's result envelope; it rejects only when the transport
 * itself broke.
 */
export interface AppTransport {
  invoke(method: AppApiMethod, args: unknown): Promise<AppCallResult>;
  subscribe(listener: (event: AppEvent) => void): () => void;
}

export type AppApiClient = AppApi & { subscribe(listener: (event: AppEvent) => void): () => void };

/** A typed AppApi over any transport. Failures arrive as AppApiError. */
export function createAppApiClient(transport: AppTransport): AppApiClient {
  const client: Record<string, unknown> = {
    subscribe: (listener: (event: AppEvent) => void) => transport.subscribe(listener),
  };
  for (const method of APP_API_METHODS) {
    client[method] = async (args: unknown) => {
      const reply = await transport.invoke(method, args ?? {});
      if (reply.ok) return reply.result;
      const error = isAppErrorPayload(reply.error) ? reply.error : { code: 'internal' as const, message: 'Malformed reply' };
      throw new AppApiError(error.code, error.message);
    };
  }
  return client as AppApiClient;
}
