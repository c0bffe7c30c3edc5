import type { Runtime } from '../../common/runtime.js';
import type { ServerLogger } from '../logger.js';
import type { PostgresPoolOptions } from '../store/pg-connections.js';
import { openPostgresServerStore, type PostgresServerStore } from '../store/pg-server-store.js';
import { PostgresClusterBus, storeAnnouncer } from './pg-cluster-bus.js';
import { PostgresNodeDirectory } from './pg-node-directory.js';

/** What a cluster node on PostgreSQL runs on, all on the store's pool. */
export interface PostgresNode {
  store: PostgresServerStore;
  bus: PostgresClusterBus;
  directory: PostgresNodeDirectory;
}

/**
 * Opens node `nodeId`'s store, bus and directory on the database at `url`, wired as every node
 * must be: the store tells the other nodes of each message it stores in that message's commit, in
 * the envelopes the bus reads, so the node publishes everything else and never a message twice.
 */
export async function openPostgresNode(input: {
  url: string;
  nodeId: string;
  runtime: Runtime;
  logger: ServerLogger;
  pool?: PostgresPoolOptions;
}): Promise<PostgresNode> {
  const { url, nodeId, runtime, logger } = input;
  const store = await openPostgresServerStore(url, { ...input.pool, announcer: storeAnnouncer(nodeId, runtime) });
  return {
    store,
    bus: new PostgresClusterBus({ url, pool: store.pool, nodeId, runtime, logger }),
    directory: new PostgresNodeDirectory(store.pool),
  };
}
