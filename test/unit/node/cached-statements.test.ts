import Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { cachedStatement, cachedValueStatement } from '../../../sync/node/sqlite.js';

describe('cached statements', () => {
  it('hand out one compiled statement per SQL text, rows and bare values kept apart', () => {
    const db = new Database(':memory:');
    db.exec("CREATE TABLE members (user_id TEXT, read_seq INTEGER); INSERT INTO members VALUES ('me', 12)");
    const sql = 'SELECT read_seq FROM members WHERE user_id = ?';

    expect(cachedStatement(db, sql)).toBe(cachedStatement(db, sql));
    expect(cachedValueStatement(db, sql).get('me')).toBe(12);
    // The plucked use of the same text must not turn the rows another caller reads into values.
    expect(cachedStatement(db, sql).get('me')).toEqual({ read_seq: 12 });
    expect(cachedValueStatement(db, sql).get('me')).toBe(12);
    db.close();
  });
});
