/**
 * Worker-thread entry (built to dist/main/core-worker.cjs): opens the client core off the host's
 * main thread, so synchronous SQLite work never blocks Electron's main loop or the browser host.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openClientCore } from '../../sync/client/client-core.js';
import { isCoreWorkerData } from './core-worker-protocol.js';
import { runCoreWorker } from './core-worker-runtime.js';

if (!parentPort) throw new Error('core-worker must run in a worker thread');
if (!isCoreWorkerData(workerData))
  throw new Error('core-worker: workerData must be { profileDir, defaultServerUrl, nativeBinding? }');

runCoreWorker(parentPort, workerData, openClientCore);
