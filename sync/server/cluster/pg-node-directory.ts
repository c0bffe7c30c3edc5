import pg, { type Pool } from 'pg';
import type { NodeDirectory } from './cluster-signal.js';

/**
 * The cluster directory in PostgreSQL (tables cluster_nodes and cluster_online, from the store's
 * migrations). Every statement stands alone; reaping deletes the dead nodes and their users in one
 * statement, so two nodes reaping at once split the work by the row locks of the DELETE.
 */
export class PostgresNodeDirectory implements NodeDirectory {
  /**
   * Beats go on a connection of their own. Behind a pool busy with storing messages (seconds of
   * them under overload) a beat came late, the other nodes took this one for dead, and every
   * node closed every connection for its clients to catch up: more load where there was too much.
   */
  private readonly beats: Pool;

  constructor(private readonly pool: Pool) {
    this.beats = new pg.Pool({ ...pool.options, max: 1 });
    // A broken idle connection is dropped, and the next beat opens another.
    this.beats.on('error', () => undefined);
  }

  async heartbeat(nodeId: string, at: number): Promise<boolean> {
    // xmax is 0 only in a row version this statement inserted (an update sets it to its own id).
    const { rows } = await this.beats.query<{ created: boolean }>(
      `INSERT INTO cluster_nodes (node_id, heartbeat_at) VALUES ($1, $2)
       ON CONFLICT (node_id) DO UPDATE SET heartbeat_at = GREATEST(cluster_nodes.heartbeat_at, EXCLUDED.heartbeat_at)
       RETURNING xmax = 0 AS created`,
      [nodeId, at],
    );
    return rows[0]?.created ?? false;
  }

  async setOnline(nodeId: string, userId: string, online: boolean): Promise<void> {
    await this.pool.query(
      online
        ? 'INSERT INTO cluster_online (node_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING'
        : 'DELETE FROM cluster_online WHERE node_id = $1 AND user_id = $2',
      [nodeId, userId],
    );
  }

  async liveNodes(liveSince: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ node_id: string }>('SELECT node_id FROM cluster_nodes WHERE heartbeat_at >= $1', [
      liveSince,
    ]);
    return rows.map((row) => row.node_id);
  }

  async onlineElsewhere(nodeId: string, liveSince: number): Promise<Array<{ userId: string; nodeId: string }>> {
    const { rows } = await this.pool.query<{ user_id: string; node_id: string }>(
      `SELECT o.user_id, o.node_id FROM cluster_online o JOIN cluster_nodes n ON n.node_id = o.node_id
       WHERE o.node_id <> $1 AND n.heartbeat_at >= $2`,
      [nodeId, liveSince],
    );
    return rows.map((row) => ({ userId: row.user_id, nodeId: row.node_id }));
  }

  async reapDeadNodes(deadBefore: number): Promise<string[]> {
    // The final SELECT sees the tables as they were before this statement: the live nodes' users are
    // exactly those whose node's heartbeat is recent.
    const { rows } = await this.pool.query<{ user_id: string }>(
      `WITH dead AS (DELETE FROM cluster_nodes WHERE heartbeat_at < $1 RETURNING node_id),
            gone AS (DELETE FROM cluster_online o USING dead WHERE o.node_id = dead.node_id RETURNING o.user_id)
       SELECT DISTINCT gone.user_id FROM gone
       WHERE NOT EXISTS (
         SELECT 1 FROM cluster_online o JOIN cluster_nodes n ON n.node_id = o.node_id
         WHERE o.user_id = gone.user_id AND n.heartbeat_at >= $1
       )`,
      [deadBefore],
    );
    return rows.map((row) => row.user_id);
  }

  async leave(nodeId: string): Promise<void> {
    await this.pool.query(
      `WITH users AS (DELETE FROM cluster_online WHERE node_id = $1)
       DELETE FROM cluster_nodes WHERE node_id = $1`,
      [nodeId],
    );
  }

  async close(): Promise<void> {
    await this.beats.end();
  }
}
