/**
 * Worker-thread entry (built to dist/main/core-worker.cjs): opens the client core off the host's
 * main thread, so synchronous SQLite work never blocks Electron's main loop or the browser host.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openClientCore } from '../../sync/client/client-core.js';
import { openClientCoreWithRecovery } from '../../sync/client/recovering-core.js';
import { createLinkPreviewFetcher } from '../../sync/node/link-preview/fetcher.js';
import { isCoreWorkerData, type CoreWorkerData } from './core-worker-protocol.js';
import { runCoreWorker } from './core-worker-runtime.js';

if (!parentPort) throw new Error('core-worker must run in a worker thread');
if (!isCoreWorkerData(workerData))
  throw new Error(
    'core-worker: workerData must be { profileDir, defaultServerUrl, nativeBinding?, allowLoopbackPreviews?, workOffline?, logLevel?, hostVersions? }',
  );

const data: CoreWorkerData = workerData;
// Link previews are fetched here, in the worker, under the hostile-world rules (loopback only for tests).
const linkPreviews = createLinkPreviewFetcher({ allowLoopback: data.allowLoopbackPreviews === true });
// A mirror that cannot be opened brings the core up in recovery instead of failing the worker.
runCoreWorker(parentPort, data, (options) =>
  openClientCoreWithRecovery(options, (opening) => openClientCore({ ...opening, linkPreviews })),
);
