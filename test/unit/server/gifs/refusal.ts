import { expect } from 'vitest';
import { HttpError } from '../../../../sync/server/http-body.js';

/** The status and code a provider refused with (an HttpError), for the GIF providers' tests. */
export async function refusal(promise: Promise<unknown>): Promise<{ status: number; code: string }> {
  const error = await promise.then(
    () => null,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(HttpError);
  return { status: (error as HttpError).status, code: (error as HttpError).code };
}
