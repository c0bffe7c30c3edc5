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
    const server = await startEmbeddedPostgres();
    project.provide('postgres', { url: server.url });
    return () => server.stop();
  } catch (error) {
    project.provide('postgres', { error: (error as Error).message });
    return undefined;
  }
}
