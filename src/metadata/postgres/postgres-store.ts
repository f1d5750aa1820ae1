/**
 * PostgresMetadataStore: the MetadataStore on PostgreSQL (node-postgres `pg.Pool`), for several stateless
 * gateways sharing one database. Semantics follow sqlite/sqlite-store.ts; this header lists what differs.
 *
 * Transactions: every write the SQLite store does in one transaction (object row + blob references +
 * deletion queue + usage counters) is one PostgreSQL transaction here, at READ COMMITTED. Correctness
 * under concurrency (many gateways) comes from row locks, not from the isolation level:
 * - the object row is locked with `SELECT … FOR UPDATE` before a condition is evaluated; when there is
 *   no row yet, `INSERT … ON CONFLICT DO NOTHING` decides the race and the loser re-reads the (now
 *   committed) row and re-checks its condition, so concurrent `If-None-Match: *` PUTs have one winner;
 * - an upload row is locked before its parts change or it is completed/aborted;
 * - the bucket row is key-share locked first, so a concurrent deleteBucket either sees the new object
 *   (not-empty) or makes this write answer no-such-bucket;
 * - usage counters are `UPDATE … SET used_bytes = used_bytes + $n` in the same transaction;
 * - upload credits (metadata/quota-rule.ts) change only under the lock of the object they are against:
 *   a part write locks that object row (after its upload row), puts and deletes hold it already.
 * Locks are always taken in the order upload → bucket (key share) → object → bucket → tenancy, so
 * writers do not deadlock each other; 40001/40P01 are retried anyway (a few times, with jitter).
 *
 * Quotas (exact across gateways, DESIGN §3): reserveQuota locks the bucket row, then the tenancy row
 * (FOR NO KEY UPDATE: the lock the counter UPDATE takes anyway, which does not conflict with writers'
 * KEY SHARE), sums the live reservations and inserts its own, so reservations of one tenancy are decided
 * one at a time across all gateways. A write with `quota.enforce` whose delta grows usage takes the same two
 * locks at its usage step (after its object row, as above), checks used + others' live reservations +
 * delta against each quota, and on refusal rolls back to a savepoint; its own reservation is released in
 * the same transaction whatever the outcome. Reservation expiry uses PostgreSQL's clock, not the
 * gateways' (their clocks may differ).
 *
 * Ordering within this process: PostgreSQL has its own group commit, so there is no batching here,
 * but the contract requires that writes issued together to one key apply in issue order (SQLite gets
 * that from its in-order batch). Writes are therefore chained per object key and per upload id
 * ("lanes"); writes to different keys run concurrently on the pool.
 *
 * touchAccessKey is coalesced in memory (like SQLite) and written every few seconds and at close;
 * reads in this process overlay the pending value. Other gateways see it only after the flush.
 */
import pg from 'pg';
import { newId } from '../../lib/ids.js';
import { migrations, runMigrations } from './migrations.js';
import type { StoreObserver } from '../store.js';
import { SharedSqlStore } from '../sql/shared-store.js';
import { overQuota } from '../quota-rule.js';
import type {
  CreateBucketResult,
  MetadataStore,
  NewBucket,
  ReserveResult,
  UsageRecord,
  AuthAttempt,
  AuthFailureRecord,
  UsageGroup,
} from '../store.js';
import { INT8_OID, MAX_ATTEMPTS, SQL, TOUCH_FLUSH_MS } from './statements.js';
import { PostgresWritePath } from './write-path.js';

export interface PostgresStoreOptions {
  /** Maximum connections in the pool (default 10). */
  poolSize?: number;
  /**
   * Schema holding Granary's tables (default: the connection's current schema, normally `public`).
   * Created if missing. Tests use a fresh one per store to stay isolated on one server.
   */
  schema?: string;
  /**
   * How long to wait for a connection (a new one, or a free slot in the pool) before failing, in ms
   * (default 10000). Keeps requests failing fast, instead of hanging, while PostgreSQL is unreachable.
   */
  connectionTimeoutMs?: number;
  /** Told of every transaction and of the wait for each pooled connection. */
  observer?: StoreObserver;
}

/**
 * int8 → JS number for this pool only (not the process-global pg.types): sizes and epoch-ms times
 * are far below 2^53, and the interface speaks numbers.
 */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID && format !== 'binary') return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as pg.CustomTypesConfig;

/**
 * Connects, checks the server, runs pending migrations (serialised across processes) and returns the
 * store. `url` is a libpq-style connection string (postgres://user:pass@host:port/db).
 */
export async function openPostgresMetadataStore(url: string, options: PostgresStoreOptions = {}): Promise<PostgresMetadataStore> {
  const schema = options.schema;
  if (schema !== undefined && !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
    // Restricted so that it can go into the libpq `options` string (no quoting/escaping rules there).
    throw new Error(`invalid PostgreSQL schema name: ${JSON.stringify(schema)}`);
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    // pg-pool applies this both to opening a connection and to waiting for a free one: long enough that a
    // burst queued behind a busy pool is served, short enough that an unreachable server fails requests
    // (a refused connection fails at once anyway).
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
    // Detect a dead server/peer on idle pooled connections instead of waiting for the kernel's defaults.
    keepAlive: true,
    types,
    // search_path as a startup option: applies to every pooled connection from its first query.
    ...(schema !== undefined ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle client losing its connection (server restart) must not crash the process; the next
  // query gets a fresh connection or a clean error.
  pool.on('error', () => {});
  try {
    const client = await pool.connect();
    try {
      const enc = (await client.query<{ server_encoding: string }>('SHOW server_encoding')).rows[0]?.server_encoding;
      // COLLATE "C" is UTF-8 byte order only in a UTF8 database (and other encodings cannot hold every key).
      if (enc !== 'UTF8') throw new Error(`PostgreSQL database encoding must be UTF8 (is ${enc})`);
      const target = schema ?? (await client.query<{ s: string | null }>('SELECT current_schema() AS s')).rows[0]?.s ?? 'public';
      await runMigrations(client, target);
    } finally {
      client.release();
    }
    return new PostgresMetadataStore(pool, options.observer);
  } catch (e) {
    await pool.end().catch(() => {});
    throw e;
  }
}

export class PostgresMetadataStore extends PostgresWritePath implements MetadataStore {
  private touchTimer: NodeJS.Timeout | undefined;

  async pendingMigrations(): Promise<number> {
    const done = new Set((await this.query('SELECT id FROM schema_migrations')).rows.map((r) => Number(r.id)));
    return migrations.filter((m) => !done.has(m.id)).length;
  }

  /** Pool connections now, and clients waiting for one (metrics). */
  poolStats(): { total: number; idle: number; waiting: number } {
    return { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.touchTimer) clearTimeout(this.touchTimer);
    this.touchTimer = undefined;
    // Let accepted writes finish (their callers are waiting for a durable answer), then flush touches.
    await Promise.allSettled([...this.inFlight]);
    await this.flushTouches();
    await this.pool.end();
  }

  /**
   * Runs `fn` while holding the session-level advisory lock `name` (pg_try_advisory_lock) on a dedicated
   * pooled connection, across all gateways sharing this database; returns `{ ran: false }` at once when
   * another session holds it. If this process dies (or its connection drops) PostgreSQL releases the lock.
   */
  async withExclusiveLock<T>(name: string, fn: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
    if (this.closed) throw new Error('metadata store is closed');
    const c = await this.pool.connect();
    let broken = false;
    try {
      const got = (await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [name])).rows[0]?.ok === true;
      if (!got) return { ran: false };
      try {
        return { ran: true, value: await fn() };
      } finally {
        await c.query('SELECT pg_advisory_unlock(hashtext($1))', [name]).catch(() => (broken = true));
      }
    } catch (e) {
      broken = true;
      throw e;
    } finally {
      // A connection whose unlock failed may still hold the lock: destroy it, which releases the lock.
      c.release(broken);
    }
  }

  // ----- settings

  // ----- groups

  /**
   * Missing groups are created as 'ldap' (ON CONFLICT DO NOTHING decides creation races between gateways);
   * the user then belongs to exactly the named groups among the 'ldap' ones.
   */
  async setDirectoryGroups(userId: string, names: string[]): Promise<void> {
    if (this.closed) throw new Error('metadata store is closed');
    const unique = [...new Set(names)].sort(); // one insertion order for every caller: no deadlock between them
    await this.tx(async (c) => {
      const now = Date.now();
      if (unique.length > 0) {
        await c.query(
          `INSERT INTO groups (id, name, source, created_at)
           SELECT id, n, 'ldap', $3::bigint FROM unnest($1::text[], $2::text[]) AS t(n, id)
           ON CONFLICT (name) DO NOTHING`,
          [unique, unique.map(() => newId()), now],
        );
      }
      await c.query(
        `DELETE FROM group_members m USING groups g
         WHERE m.group_id = g.id AND m.user_id = $1 AND g.source = 'ldap' AND NOT (g.name = ANY($2::text[]))`,
        [userId, unique],
      );
      if (unique.length > 0) {
        await c.query(
          `INSERT INTO group_members (group_id, user_id)
           SELECT g.id, $1 FROM groups g WHERE g.name = ANY($2::text[]) AND g.source = 'ldap'
           ON CONFLICT DO NOTHING`,
          [userId, unique],
        );
      }
    });
  }

  // ----- audit trail

  // ----- access keys

  /**
   * Coalesced in memory (latest time per key) and written at most every TOUCH_FLUSH_MS or at close:
   * a write per authenticated request would be a round trip and a WAL record each.
   */
  async touchAccessKey(accessKeyId: string, at: number): Promise<void> {
    if (this.closed) return;
    const prev = this.pendingTouches.get(accessKeyId);
    if (prev === undefined || at > prev) this.pendingTouches.set(accessKeyId, at);
    if (!this.touchTimer) {
      this.touchTimer = setTimeout(() => {
        this.touchTimer = undefined;
        if (!this.closed) void this.flushTouches();
      }, TOUCH_FLUSH_MS);
      this.touchTimer.unref();
    }
  }
  private async flushTouches(): Promise<void> {
    if (this.pendingTouches.size === 0) return;
    const touches = [...this.pendingTouches];
    this.pendingTouches.clear();
    try {
      // GREATEST: another gateway may have written a later time already.
      await this.pool.query(
        `UPDATE access_keys k SET last_used_at = GREATEST(COALESCE(k.last_used_at, 0), t.at)
         FROM unnest($1::text[], $2::bigint[]) AS t(id, at) WHERE k.access_key_id = t.id`,
        [touches.map(([id]) => id), touches.map(([, at]) => at)],
      );
    } catch {
      // best-effort by contract: a lost last-used time is not worth failing anything for
    }
  }

  // ----- buckets

  async createBucket(b: NewBucket): Promise<CreateBucketResult> {
    // Insert-or-read can lose to a concurrent delete between the two statements: try again then.
    for (let attempt = 0; ; attempt++) {
      const rec = SharedSqlStore.newBucketRecord({ id: newId(), tenancyId: b.tenancyId, name: b.name, ownerId: b.ownerId, region: b.region });
      const ins = await this.query(
        `INSERT INTO buckets (id, tenancy_id, name, owner_id, region, created_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (tenancy_id, name) DO NOTHING`,
        [rec.id, rec.tenancyId, rec.name, rec.ownerId, rec.region, rec.createdAt],
      );
      if ((ins.rowCount ?? 0) > 0) return { created: true, bucket: rec };
      const existing = await this.getBucket(b.tenancyId, b.name);
      if (existing) return { created: false, existing };
      if (attempt >= MAX_ATTEMPTS) throw new Error(`createBucket: ${b.name} keeps appearing and disappearing`);
    }
  }

  async usageByOwner(tenancyId: string): Promise<UsageGroup[]> {
    const r = await this.query(
      // Every version counts, as in usage (a delete marker's bytes are its key's).
      `SELECT v.owner_id AS grp, sum(v.size) AS bytes, count(*) AS objects FROM (
          SELECT o.owner_id, o.size FROM objects o JOIN buckets b ON b.id = o.bucket_id WHERE b.tenancy_id = $1
          UNION ALL SELECT h.owner_id, CASE WHEN h.is_delete_marker THEN octet_length(h.key) ELSE h.size END
            FROM object_versions h JOIN buckets b ON b.id = h.bucket_id WHERE b.tenancy_id = $1) v
        GROUP BY v.owner_id ORDER BY bytes DESC, grp`,
      [tenancyId],
    );
    return r.rows.map((x) => ({ group: x.grp, bytes: Number(x.bytes), objects: Number(x.objects) }));
  }
  async usageByPrefix(bucketId: string): Promise<UsageGroup[]> {
    const r = await this.query(
      `SELECT CASE WHEN strpos(key, '/') > 0 THEN substr(key, 1, strpos(key, '/')) ELSE '' END COLLATE "C" AS grp,
        sum(size) AS bytes, count(*) AS objects FROM (
          SELECT key, size FROM objects WHERE bucket_id = $1
          UNION ALL SELECT key, CASE WHEN is_delete_marker THEN octet_length(key) ELSE size END FROM object_versions WHERE bucket_id = $1) v
        GROUP BY 1 ORDER BY 1`,
      [bucketId],
    );
    return r.rows.map((x) => ({ group: x.grp, bytes: Number(x.bytes), objects: Number(x.objects) }));
  }

  // ----- usage

  /**
   * Counts in one REPEATABLE READ snapshot. With `fix`, the tenancy's bucket rows and then the tenancy row are
   * locked first (the writers' order): a writer in flight either committed before (counted, and its counter
   * update seen) or waits for us and then adds its delta on top of the recount.
   */
  async recountUsage(tenancyId: string, fix: boolean): Promise<{
    counted: UsageRecord;
    recorded: UsageRecord;
    buckets: Array<{ bucketId: string; counted: UsageRecord; recorded: UsageRecord }>;
  }> {
    if (this.closed) throw new Error('metadata store is closed');
    return this.tx(async (c) => {
      if (fix) {
        await c.query('SELECT 1 FROM buckets WHERE tenancy_id = $1 ORDER BY id FOR NO KEY UPDATE', [tenancyId]);
        await c.query('SELECT 1 FROM tenancies WHERE id = $1 FOR NO KEY UPDATE', [tenancyId]);
      } else {
        await c.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      }
      const rows = (
        await c.query(
          `SELECT b.id, b.used_bytes, b.used_objects,
             (SELECT COALESCE(SUM(o.size), 0) FROM objects o WHERE o.bucket_id = b.id)::bigint
               + (SELECT COALESCE(SUM(p.size), 0) FROM multipart_uploads u JOIN upload_parts p ON p.upload_id = u.upload_id
                  WHERE u.bucket_id = b.id)::bigint
               - (SELECT COALESCE(SUM(c.bytes), 0) FROM upload_credits c WHERE c.bucket_id = b.id)::bigint
               + (SELECT COALESCE(SUM(CASE WHEN v.is_delete_marker THEN octet_length(v.key) ELSE v.size END), 0)
                  FROM object_versions v WHERE v.bucket_id = b.id)::bigint AS counted_bytes,
             (SELECT COUNT(*) FROM objects o WHERE o.bucket_id = b.id)
               + (SELECT COUNT(*) FROM object_versions v WHERE v.bucket_id = b.id) AS counted_objects
           FROM buckets b WHERE b.tenancy_id = $1 ORDER BY b.name`,
          [tenancyId],
        )
      ).rows;
      const t = (await c.query('SELECT used_bytes, used_objects FROM tenancies WHERE id = $1', [tenancyId])).rows[0];
      const buckets = rows.map((r) => ({
        bucketId: r.id as string,
        counted: { bytes: r.counted_bytes as number, objects: r.counted_objects as number },
        recorded: { bytes: r.used_bytes as number, objects: r.used_objects as number },
      }));
      const counted = buckets.reduce((u, b) => ({ bytes: u.bytes + b.counted.bytes, objects: u.objects + b.counted.objects }), { bytes: 0, objects: 0 });
      const recorded = { bytes: (t?.used_bytes as number | undefined) ?? 0, objects: (t?.used_objects as number | undefined) ?? 0 };
      if (fix && t) {
        for (const b of buckets) {
          await c.query('UPDATE buckets SET used_bytes = $2, used_objects = $3 WHERE id = $1', [b.bucketId, b.counted.bytes, b.counted.objects]);
        }
        await c.query('UPDATE tenancies SET used_bytes = $2, used_objects = $3 WHERE id = $1', [tenancyId, counted.bytes, counted.objects]);
      }
      return { counted, recorded, buckets };
    });
  }

  // ----- quota

  /**
   * Bucket row then tenancy row are locked (the writers' order), so reservations of one tenancy are decided
   * one at a time across every gateway; the sums below are read after the locks (READ COMMITTED: a fresh
   * snapshot per statement), so they include every reservation and usage update committed before.
   * Expired reservations of the tenancy are cleared on the way.
   */
  async reserveQuota(r: { tenancyId: string; bucketId: string; bytes: number; objects: number; ttlMs: number }): Promise<ReserveResult> {
    if (this.closed) throw new Error('metadata store is closed');
    return this.tx(async (c): Promise<ReserveResult> => {
      const counters = await this.lockCounters(c, r.bucketId, undefined, r.bytes, r.objects);
      if (!counters || counters.tenancyId !== r.tenancyId) throw new Error(`reserveQuota: no bucket ${r.bucketId} in tenancy ${r.tenancyId}`);
      const now = await counters.now();
      await c.query('DELETE FROM quota_reservations WHERE tenancy_id = $1 AND expires_at < $2', [r.tenancyId, now]);
      const refused = overQuota(counters.bucket, counters.tenancy, r.bytes, r.objects);
      if (refused) return refused;
      const reservation = { id: newId(), tenancyId: r.tenancyId, bucketId: r.bucketId, bytes: r.bytes, objects: r.objects };
      await c.query(
        'INSERT INTO quota_reservations (id, tenancy_id, bucket_id, bytes, objects, expires_at) VALUES ($1, $2, $3, $4, $5, $6)',
        [reservation.id, reservation.tenancyId, reservation.bucketId, reservation.bytes, reservation.objects, now + Math.max(0, r.ttlMs)],
      );
      return { ok: true, reservation };
    });
  }
  async releaseQuota(reservationId: string): Promise<void> {
    await this.query(SQL.releaseReservation, [reservationId]);
  }
  /** On PostgreSQL's clock, like the expiry itself (the same for every gateway). */
  async renewQuota(reservationId: string, ttlMs: number): Promise<boolean> {
    const r = await this.query(
      `UPDATE quota_reservations SET expires_at = (extract(epoch FROM clock_timestamp()) * 1000)::bigint + $2::bigint
        WHERE id = $1 AND expires_at >= (extract(epoch FROM clock_timestamp()) * 1000)::bigint`,
      [reservationId, Math.max(0, ttlMs)],
    );
    return (r.rowCount ?? 0) > 0;
  }
  async clearQuotaReservations(): Promise<number> {
    const r = await this.query('DELETE FROM quota_reservations', []);
    return r.rowCount ?? 0;
  }

  // ----- usage history

  // ----- portal sessions

  // ----- password-guessing throttle

  async beginAuthAttempt(keys: Array<{ key: string; forgetBefore: number }>, at: number, retryAt: (records: AuthFailureRecord[]) => number): Promise<AuthAttempt> {
    if (this.closed) throw new Error('metadata store is closed');
    // Sorted, so two gateways lock the same rows in the same order (no deadlock). The rows are made first
    // (an absent row cannot be locked), then locked: parallel attempts for one key run one after another.
    const sorted = [...new Set(keys.map((k) => k.key))].sort();
    return this.tx(async (c) => {
      await c.query(
        `INSERT INTO auth_failures (key, failures, last_failure) SELECT k, 0, 0 FROM unnest($1::text[]) AS k
         ON CONFLICT (key) DO NOTHING`,
        [sorted],
      );
      const r = await c.query('SELECT key, failures, last_failure FROM auth_failures WHERE key = ANY($1::text[]) ORDER BY key FOR UPDATE', [sorted]);
      const found = new Map(r.rows.map((row) => [row.key as string, row]));
      const before = keys.map(({ key, forgetBefore }): AuthFailureRecord => {
        const row = found.get(key);
        const last = Number(row?.last_failure ?? 0);
        return row && last >= forgetBefore ? { key, failures: Number(row.failures), lastFailure: last } : { key, failures: 0, lastFailure: 0 };
      });
      const wait = retryAt(before);
      if (wait > at) return { allowed: false, retryAt: wait };
      await c.query(
        `UPDATE auth_failures AS a SET failures = v.failures, last_failure = $3
           FROM unnest($1::text[], $2::int[]) AS v(key, failures) WHERE a.key = v.key`,
        [before.map((b) => b.key), before.map((b) => b.failures + 1), at],
      );
      return { allowed: true, before };
    });
  }

  // ----- blob garbage collection

  async takeBlobDeletions(queuedBefore: number, limit: number): Promise<string[]> {
    const r = await this.query(
      'SELECT blob_id FROM blob_deletions WHERE queued_at <= $1 ORDER BY queued_at, blob_id LIMIT $2',
      [queuedBefore, Math.max(0, Math.floor(limit))],
    );
    return r.rows.map((row) => row.blob_id as string);
  }
  async ackBlobDeletions(blobIds: string[]): Promise<void> {
    if (blobIds.length === 0) return;
    await this.query('DELETE FROM blob_deletions WHERE blob_id = ANY($1::text[])', [blobIds]);
  }
  async isBlobKnown(blobId: string): Promise<boolean> {
    const r = await this.query(
      `SELECT EXISTS (SELECT 1 FROM object_blobs WHERE blob_id = $1)
           OR EXISTS (SELECT 1 FROM upload_parts WHERE blob_id = $1)
           OR EXISTS (SELECT 1 FROM blob_deletions WHERE blob_id = $1) AS known`,
      [blobId],
    );
    return r.rows[0]!.known === true;
  }
}
