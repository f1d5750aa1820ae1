/**
 * Pages a SQLite statement visits, measured rather than read off a query plan.
 *
 * `EXPLAIN QUERY PLAN` says which index a scan uses and on which columns it has bounds, but not which of
 * two lower bounds on the same column it seeks by (`key>? AND key<?` either way), so a plan test passed
 * while every page deep in a bucket read the keys before it. better-sqlite3 12 exposes no
 * sqlite3_stmt_status, and its build has no `sqlite_stmt`/`bytecode` virtual tables and omits the progress
 * callback. So: the connection's page cache is cut to the minimum, and the read system calls of the calling
 * thread are counted (Linux `/proc/thread-self/io`, `syscr`). better-sqlite3 runs statements synchronously
 * on the calling thread, and every page not in the cache is one pread of the database or WAL file: the
 * count is the pages the statement visited, give or take the one or two the cache still holds.
 */
import { readFileSync } from 'node:fs';
import type Database from 'better-sqlite3';

const IO = '/proc/thread-self/io';

function readSyscalls(): number {
  const m = /^syscr:\s*(\d+)$/m.exec(readFileSync(IO, 'utf8'));
  if (!m) throw new Error(`${IO} has no syscr line (needs Linux with task I/O accounting)`);
  return Number(m[1]);
}

/** Makes every page a statement visits cost one read of the file (at most a page or two stay cached). */
export function starvePageCache(db: Database.Database): void {
  db.pragma('cache_size = 1');
  db.pragma('shrink_memory');
}

/**
 * Database pages read while `fn` runs, from an empty page cache (starvePageCache first). `fn` may be async
 * as long as it only awaits work that is already done (a store over better-sqlite3): the event loop must
 * not turn meanwhile, or other I/O on this thread would count too.
 */
export async function pagesRead(db: Database.Database, fn: () => unknown): Promise<number> {
  db.pragma('shrink_memory');
  const c0 = readSyscalls();
  const c1 = readSyscalls(); // reading the counter costs reads of its own: measured, then subtracted
  await fn();
  const c2 = readSyscalls();
  return c2 - c1 - (c1 - c0);
}

/**
 * Writes `dirs` × `perDir` empty objects d00/k00000 … straight into a SQLite store's `objects` table (one
 * statement, a second for 30,000 rows where 30,000 PUTs through the store would take a while), for tests
 * that read listings only: the bucket's usage counters are not updated.
 */
export function insertDirectories(db: Database.Database, bucketId: string, dirs: number, perDir: number): void {
  db.prepare(`INSERT INTO objects (bucket_id, key, size, etag, last_modified, content_type, headers, inline, parts,
      checksum, tagging, owner_id, storage_class)
    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
    SELECT ?, printf('d%02d/k%05d', i / ?, i % ?), 0, '"d41d8cd98f00b204e9800998ecf8427e"', 0, 'x', '{}', X'', '[]',
      NULL, NULL, 'o', 'STANDARD' FROM n`).run(dirs * perDir, bucketId, perDir, perDir);
}
