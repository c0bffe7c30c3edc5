import { expect } from 'vitest';
import { AppApiError } from '../../sync/app-api/contract.js';

/** What a call that must fail with an AppApiError failed with, as "code:message" (its message is the refusal's code). */
export async function refusalOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AppApiError);
  return `${(error as AppApiError).code}:${(error as AppApiError).message}`;
}
