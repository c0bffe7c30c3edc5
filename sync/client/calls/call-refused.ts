import { AppApiError } from '../../app-api/contract.js';
import { RequestError } from '../connection.js';

/** A call's first signal (a ring, a group call's announcement) that did not leave, as the person is told. */
export function callRefused(error: unknown): AppApiError {
  if (error instanceof AppApiError) return error;
  if (error instanceof RequestError && (error.code === 'disconnected' || error.code === 'timeout')) {
    return new AppApiError('offline', 'Calling needs a connection to the server.');
  }
  if (error instanceof RequestError) return new AppApiError('refused', error.message);
  return new AppApiError('internal', error instanceof Error ? error.message : String(error));
}
