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
import { scanRange } from '../key-range.js';
import { runMigrations } from './migrations.js';
import { postgresPort } from '../sql/port.js';
import { SharedSqlStore } from '../sql/shared-store.js';
import { conditionHolds, creditFor, needsReservations, overQuota, trimCredits, type QuotaCounters } from '../quota-rule.js';
import { COMPLETED_UPLOAD_RETENTION_MS } from '../store.js';
import type {
  CreateBucketResult,
  DeleteBucketResult,
  DeleteObjectResult,
  JoinRequestRecord,
  MetadataStore,
  MultipartUploadRecord,
  NewBucket,
  NewMultipartUpload,
  NewObject,
  NewUploadPart,
  ListedObject,
  ObjectRecord,
  ObjectScan,
  PutObjectResult,
  CompletedUploadRecord,
  QuotaExceeded,
  ReserveResult,
  Role,
  UploadPartRecord,
  UploadScan,
  UsageRecord,
  WriteCondition,
  WriteQuota,
  AuthAttempt,
  AuthFailureRecord,
  UsageGroup,
} from '../store.js';
import { checksumOf, objectRecordOf, toJoinRequest, toPart } from '../rows.js';

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
}

/** How long touchAccessKey updates are coalesced in memory before being written. */
const TOUCH_FLUSH_MS = 5_000;
/** Attempts for a transaction that fails with a serialization failure or deadlock. */
const MAX_ATTEMPTS = 5;
const RETRYABLE = new Set(['40001', '40P01']);
const INT8_OID = 20;

type Row = Record<string, any>;
type PartResult = { ok: true; replaced: UploadPartRecord | undefined } | { ok: false; reason: 'no-such-upload' } | QuotaExceeded;
type CompleteResult = PutObjectResult | { ok: false; reason: 'no-such-upload' };

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
    return new PostgresMetadataStore(pool);
  } catch (e) {
    await pool.end().catch(() => {});
    throw e;
  }
}

function blobIdsOf(parts: { blobId: string }[]): string[] {
  return [...new Set(parts.map((p) => p.blobId))];
}

function isRetryable(e: unknown): boolean {
  return typeof e === 'object' && e !== null && RETRYABLE.has((e as { code?: string }).code ?? '');
}

/** Thrown inside a write transaction to roll it back when the write would pass a quota. */
class QuotaRefusal extends Error {
  constructor(readonly result: QuotaExceeded) {
    super(`quota exceeded: ${result.scope} ${result.kind}`);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function toObject(r: Row): ObjectRecord {
  return {
    bucketId: r.bucket_id,
    key: r.key,
    size: r.size,
    etag: r.etag,
    lastModified: r.last_modified,
    contentType: r.content_type,
    headers: r.headers,
    inline: r.inline ?? null,
    parts: r.parts,
    checksum: checksumOf(r.checksum),
    tagging: r.tagging,
    ownerId: r.owner_id,
    storageClass: r.storage_class,
    acl: r.acl ?? null,
  };
}
function toListedObject(r: Row): ListedObject {
  return {
    key: r.key,
    size: r.size,
    etag: r.etag,
    lastModified: r.last_modified,
    checksum: checksumOf(r.checksum),
    ownerId: r.owner_id,
    storageClass: r.storage_class,
  };
}
const toUpload = (r: Row): MultipartUploadRecord => ({
  uploadId: r.upload_id,
  bucketId: r.bucket_id,
  key: r.key,
  initiatedAt: r.initiated_at,
  ownerId: r.owner_id,
  contentType: r.content_type,
  headers: r.headers,
  tagging: r.tagging,
  storageClass: r.storage_class,
  acl: r.acl ?? null,
  checksumAlgorithm: r.checksum_algorithm,
  checksumType: r.checksum_type,
});

const OBJECT_COLUMNS = `bucket_id, key, size, etag, last_modified, content_type, headers, inline, parts, checksum,
  tagging, owner_id, storage_class, acl`;
/** The columns of ListedObject (what a listing shows). */
const LISTED_COLUMNS = 'key, size, etag, last_modified, checksum, owner_id, storage_class';

const SQL = {
  bucketForWrite: 'SELECT tenancy_id FROM buckets WHERE id = $1 FOR KEY SHARE',
  objectForUpdate: `SELECT ${OBJECT_COLUMNS} FROM objects WHERE bucket_id = $1 AND key = $2 FOR UPDATE`,
  insertObject: `INSERT INTO objects (${OBJECT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
    ON CONFLICT (bucket_id, key) DO NOTHING`,
  updateObject: `UPDATE objects SET size = $3, etag = $4, last_modified = $5, content_type = $6, headers = $7, inline = $8,
    parts = $9, checksum = $10, tagging = $11, owner_id = $12, storage_class = $13, acl = $14 WHERE bucket_id = $1 AND key = $2`,
  // The object and the credits uploads held against it (they become usage: see metadata/quota-rule.ts).
  deleteObject: `WITH c AS (DELETE FROM upload_credits WHERE bucket_id = $1 AND key = $2 RETURNING bytes)
    DELETE FROM objects WHERE bucket_id = $1 AND key = $2 RETURNING (SELECT coalesce(sum(bytes), 0) FROM c)::bigint AS credit`,
  unreferenceObject: 'DELETE FROM object_blobs WHERE bucket_id = $1 AND key = $2',
  referenceBlobs: `INSERT INTO object_blobs (blob_id, bucket_id, key) SELECT b, $2::text, $3::text FROM unnest($1::text[]) AS b
    ON CONFLICT DO NOTHING`,
  // Queue each blob unless an object or an upload part still references it (e.g. a completed upload's
  // parts, now the object's, or a blob shared by a copy).
  releaseBlobs: `INSERT INTO blob_deletions (blob_id, queued_at)
    SELECT b, $2::bigint FROM unnest($1::text[]) AS b
    WHERE NOT EXISTS (SELECT 1 FROM object_blobs o WHERE o.blob_id = b)
      AND NOT EXISTS (SELECT 1 FROM upload_parts p WHERE p.blob_id = b)
    ON CONFLICT (blob_id) DO NOTHING`,
  // Bucket then tenancy, in one round trip; the fixed order keeps writers from deadlocking.
  addUsage: `WITH b AS (
      UPDATE buckets SET used_bytes = used_bytes + $1, used_objects = used_objects + $2 WHERE id = $3 RETURNING tenancy_id)
    UPDATE tenancies t SET used_bytes = t.used_bytes + $1, used_objects = t.used_objects + $2 FROM b WHERE t.id = b.tenancy_id`,
  uploadForUpdate: 'SELECT upload_id, bucket_id, key FROM multipart_uploads WHERE upload_id = $1 FOR UPDATE',
  // Parts of one upload change under this lock; NO KEY UPDATE still lets the parts' FK checks through.
  uploadForPart: 'SELECT upload_id, bucket_id, key FROM multipart_uploads WHERE upload_id = $1 FOR NO KEY UPDATE',
  // The object an upload will replace, locked (after the upload: the writers' order) so that credits against
  // it change one writer at a time; NO KEY UPDATE conflicts with the FOR UPDATE of puts and deletes.
  objectSizeForCredit: 'SELECT size FROM objects WHERE bucket_id = $1 AND key = $2 FOR NO KEY UPDATE',
  creditState: `SELECT (SELECT coalesce(sum(size), 0) FROM upload_parts WHERE upload_id = $1)::bigint AS part_bytes,
      (SELECT coalesce(sum(bytes), 0) FROM upload_credits WHERE bucket_id = $2 AND key = $3)::bigint AS key_credit,
      (SELECT coalesce(sum(bytes), 0) FROM upload_credits WHERE upload_id = $1)::bigint AS credit`,
  creditOf: 'SELECT coalesce(sum(bytes), 0)::bigint AS bytes FROM upload_credits WHERE upload_id = $1',
  creditsAtKey: 'SELECT upload_id, bytes FROM upload_credits WHERE bucket_id = $1 AND key = $2 ORDER BY upload_id FOR UPDATE',
  setCredit: `INSERT INTO upload_credits (upload_id, bucket_id, key, bytes) VALUES ($1, $2, $3, $4)
    ON CONFLICT (upload_id) DO UPDATE SET bytes = excluded.bytes`,
  delCredit: 'DELETE FROM upload_credits WHERE upload_id = $1',
  // A completion replaces the key's earlier completions; completions past retention go on the way.
  recordCompletion: `WITH d AS (DELETE FROM completed_uploads WHERE (bucket_id = $2 AND key = $3) OR completed_at < $7)
    INSERT INTO completed_uploads (upload_id, bucket_id, key, etag, last_modified, completed_at)
    VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (upload_id) DO NOTHING`,
  part: 'SELECT * FROM upload_parts WHERE upload_id = $1 AND part_number = $2',
  upsertPart: `INSERT INTO upload_parts (upload_id, part_number, blob_id, size, etag, checksum, last_modified)
    VALUES ($1, $2, $3, $4, $5, $6, $7)
    ON CONFLICT (upload_id, part_number) DO UPDATE SET blob_id = excluded.blob_id, size = excluded.size,
      etag = excluded.etag, checksum = excluded.checksum, last_modified = excluded.last_modified`,
  partsOf: 'SELECT * FROM upload_parts WHERE upload_id = $1 ORDER BY part_number',
  deleteUpload: 'DELETE FROM multipart_uploads WHERE upload_id = $1', // parts go by ON DELETE CASCADE
  // Counter rows for a quota decision. NO KEY UPDATE (what the counter UPDATE takes anyway) rather than
  // UPDATE: it does not conflict with the KEY SHARE that writers and foreign-key checks hold on the bucket,
  // so two writers of one bucket queue here instead of deadlocking on a lock upgrade.
  lockBucketCounters: 'SELECT tenancy_id, used_bytes, used_objects, quota_bytes, quota_objects FROM buckets WHERE id = $1 FOR NO KEY UPDATE',
  lockTenancyCounters: 'SELECT used_bytes, used_objects, quota_bytes, quota_objects FROM tenancies WHERE id = $1 FOR NO KEY UPDATE',
  // Live reservations other than the write's own ($3), on PostgreSQL's clock (the same for every gateway).
  reservedInTenancy: `SELECT COALESCE(SUM(bytes), 0)::bigint AS bytes, COALESCE(SUM(objects), 0)::bigint AS objects
    FROM quota_reservations WHERE tenancy_id = $1 AND expires_at >= $2::bigint AND id <> $3`,
  reservedInBucket: `SELECT COALESCE(SUM(bytes), 0)::bigint AS bytes, COALESCE(SUM(objects), 0)::bigint AS objects
    FROM quota_reservations WHERE bucket_id = $1 AND expires_at >= $2::bigint AND id <> $3`,
  dbNow: 'SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now',
  releaseReservation: 'DELETE FROM quota_reservations WHERE id = $1',
};

const SQL_MEMBERS = {
  upsert: `INSERT INTO memberships (tenancy_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)
    ON CONFLICT (tenancy_id, user_id) DO UPDATE SET role = excluded.role RETURNING *`,
};
const JOIN_REQUEST_COLUMNS = 'id, tenancy_id, user_id, message, status, created_at, decided_at, decided_by, role, reason';

/** JSONB operators of the bucket configuration document (bucket-configuration.ts). */
const CONFIGURATION_SQL = {
  set: 'UPDATE buckets SET configuration = jsonb_set(configuration, ARRAY[CAST(? AS TEXT)], CAST(? AS JSONB)) WHERE id = ?',
  remove: 'UPDATE buckets SET configuration = configuration - CAST(? AS TEXT) WHERE id = ?',
  byPath: false,
};

export class PostgresMetadataStore extends SharedSqlStore implements MetadataStore {
  private closed = false;
  /** Tail of the write chain per lane (object key or upload id); the promises never reject. */
  private readonly lanes = new Map<string, Promise<void>>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private touchTimer: NodeJS.Timeout | undefined;

  constructor(private readonly pool: pg.Pool) {
    // The port runs through query() below, which refuses once the store is closed.
    let store: PostgresMetadataStore | undefined;
    super(postgresPort((sql, params) => store!.query(sql, params)), CONFIGURATION_SQL);
    store = this;
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

  // ----- plumbing

  private async query(sql: string, params: unknown[] = []): Promise<pg.QueryResult<Row>> {
    if (this.closed) throw new Error('metadata store is closed');
    return this.pool.query(sql, params);
  }

  /**
   * Runs `fn` in one transaction on one pooled connection; retried on serialization failure/deadlock
   * (the whole function re-runs, so it must only depend on what it reads inside the transaction).
   */
  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const c = await this.pool.connect();
      let discard = false;
      try {
        await c.query('BEGIN');
        const value = await fn(c);
        await c.query('COMMIT');
        return value;
      } catch (e) {
        // A failed ROLLBACK means the connection is broken: drop it from the pool rather than reuse it.
        await c.query('ROLLBACK').catch(() => (discard = true));
        if (attempt < MAX_ATTEMPTS && isRetryable(e)) {
          await sleep(Math.random() * 10 * attempt);
          continue;
        }
        throw e;
      } finally {
        c.release(discard);
      }
    }
  }

  /**
   * A write that must apply after earlier writes of this process to the same lanes (object keys,
   * upload ids). Rejected outright once the store is closed.
   */
  private write<T>(laneNames: string[], fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('metadata store is closed'));
    const before = laneNames.map((n) => this.lanes.get(n)).filter((p): p is Promise<void> => p !== undefined);
    const result = (before.length ? Promise.all(before) : Promise.resolve()).then(() => this.tx(fn));
    const settled = result.then(
      () => {},
      () => {},
    );
    for (const n of laneNames) this.lanes.set(n, settled);
    this.inFlight.add(settled);
    void settled.then(() => {
      this.inFlight.delete(settled);
      for (const n of laneNames) if (this.lanes.get(n) === settled) this.lanes.delete(n);
    });
    return result;
  }

  /**
   * A write that may be refused for quota (`fn` throws QuotaRefusal from applyUsage): the refusal rolls back
   * to a savepoint taken before the write and becomes the result. Whatever the outcome (written, refused,
   * precondition failed, no such bucket/upload), the write's reservation is released in its transaction:
   * on success atomically with the usage it turned into.
   */
  private quotaWrite<T>(laneNames: string[], quota: WriteQuota | undefined, fn: (c: pg.PoolClient) => Promise<T>): Promise<T | QuotaExceeded> {
    if (!quota) return this.write(laneNames, fn);
    return this.write(laneNames, async (c) => {
      if (quota.enforce) await c.query('SAVEPOINT quota_write');
      let result: T | QuotaExceeded;
      try {
        result = await fn(c);
      } catch (e) {
        if (!(e instanceof QuotaRefusal)) throw e;
        await c.query('ROLLBACK TO SAVEPOINT quota_write');
        result = e.result;
      }
      if (quota.reservationId !== undefined) await c.query(SQL.releaseReservation, [quota.reservationId]);
      return result;
    });
  }

  private static objectLane(bucketId: string, key: string): string {
    return `o:${bucketId}\u0000${key}`; // NUL cannot occur in a PostgreSQL text value, so no ambiguity
  }
  private static uploadLane(uploadId: string): string {
    return `u:${uploadId}`;
  }

  // ----- settings


  // ----- tenancies, users, membership

  /**
   * The tenancy row is locked FOR UPDATE, which waits for (and then excludes) a createBucket in flight:
   * its foreign-key check holds KEY SHARE on the row. Memberships, keys and join requests cascade.
   */
  async deleteTenancy(id: string): Promise<boolean> {
    if (this.closed) throw new Error('metadata store is closed');
    return this.tx(async (c) => {
      if ((await c.query('SELECT 1 FROM tenancies WHERE id = $1 FOR UPDATE', [id])).rowCount === 0) return false;
      if ((await c.query('SELECT 1 FROM buckets WHERE tenancy_id = $1 LIMIT 1', [id])).rowCount !== 0) return false;
      const keys = (await c.query('SELECT access_key_id FROM access_keys WHERE tenancy_id = $1', [id])).rows;
      await c.query('DELETE FROM tenancies WHERE id = $1', [id]);
      for (const k of keys) this.pendingTouches.delete(k.access_key_id as string);
      return true;
    });
  }



  async removeMember(tenancyId: string, userId: string): Promise<boolean> {
    if (this.closed) throw new Error('metadata store is closed');
    return this.tx(async (c) => {
      const removed = await c.query('DELETE FROM memberships WHERE tenancy_id = $1 AND user_id = $2', [tenancyId, userId]);
      const keys = await c.query('DELETE FROM access_keys WHERE tenancy_id = $1 AND user_id = $2 RETURNING access_key_id', [tenancyId, userId]);
      for (const k of keys.rows) this.pendingTouches.delete(k.access_key_id as string);
      return (removed.rowCount ?? 0) > 0;
    });
  }

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

  // ----- join requests

  /** The request row is locked and must still be pending, so two deciders (two gateways) cannot both decide. */
  async decideJoinRequest(
    id: string,
    decision: { approve: boolean; role: Role; decidedBy: string; reason?: string },
  ): Promise<JoinRequestRecord | undefined> {
    if (this.closed) throw new Error('metadata store is closed');
    return this.tx(async (c) => {
      const now = Date.now();
      const row = (
        await c.query(
          `UPDATE join_requests SET status = $2, decided_at = $3, decided_by = $4, role = $5, reason = $6
           WHERE id = $1 AND status = 'pending' RETURNING ${JOIN_REQUEST_COLUMNS}`,
          [id, decision.approve ? 'approved' : 'rejected', now, decision.decidedBy, decision.approve ? decision.role : null, decision.approve ? '' : (decision.reason ?? '')],
        )
      ).rows[0];
      if (!row) return undefined;
      if (decision.approve) await c.query(SQL_MEMBERS.upsert, [row.tenancy_id, row.user_id, decision.role, now]);
      return toJoinRequest(row);
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
  /**
   * Locks the bucket row FOR UPDATE, which waits for writers holding its key-share lock: so an object
   * or upload being written concurrently is either seen here (not-empty) or finds the bucket gone.
   */
  async deleteBucket(bucketId: string): Promise<DeleteBucketResult> {
    if (this.closed) throw new Error('metadata store is closed');
    return this.tx(async (c): Promise<DeleteBucketResult> => {
      if ((await c.query('SELECT 1 FROM buckets WHERE id = $1 FOR UPDATE', [bucketId])).rowCount === 0) return 'not-found';
      const busy = await c.query(
        `SELECT EXISTS (SELECT 1 FROM objects WHERE bucket_id = $1)
             OR EXISTS (SELECT 1 FROM multipart_uploads WHERE bucket_id = $1) AS busy`,
        [bucketId],
      );
      if (busy.rows[0]!.busy) return 'not-empty';
      await c.query('DELETE FROM buckets WHERE id = $1', [bucketId]);
      return 'deleted';
    });
  }

  async usageByOwner(tenancyId: string): Promise<UsageGroup[]> {
    const r = await this.query(
      `SELECT o.owner_id AS grp, sum(o.size) AS bytes, count(*) AS objects FROM objects o
        JOIN buckets b ON b.id = o.bucket_id WHERE b.tenancy_id = $1 GROUP BY o.owner_id ORDER BY bytes DESC, grp`,
      [tenancyId],
    );
    return r.rows.map((x) => ({ group: x.grp, bytes: Number(x.bytes), objects: Number(x.objects) }));
  }
  async usageByPrefix(bucketId: string): Promise<UsageGroup[]> {
    const r = await this.query(
      `SELECT CASE WHEN strpos(key, '/') > 0 THEN substr(key, 1, strpos(key, '/')) ELSE '' END COLLATE "C" AS grp,
        sum(size) AS bytes, count(*) AS objects FROM objects WHERE bucket_id = $1 GROUP BY 1 ORDER BY 1`,
      [bucketId],
    );
    return r.rows.map((x) => ({ group: x.grp, bytes: Number(x.bytes), objects: Number(x.objects) }));
  }

  // ----- objects

  async getObject(bucketId: string, key: string): Promise<ObjectRecord | undefined> {
    const r = (await this.query(`SELECT ${OBJECT_COLUMNS} FROM objects WHERE bucket_id = $1 AND key = $2`, [bucketId, key])).rows[0];
    return r && toObject(r);
  }

  putObject(o: NewObject, condition?: WriteCondition, quota?: WriteQuota): Promise<PutObjectResult> {
    const now = Date.now();
    return this.quotaWrite([PostgresMetadataStore.objectLane(o.bucketId, o.key)], quota, async (c): Promise<PutObjectResult> => {
      const bucket = (await c.query(SQL.bucketForWrite, [o.bucketId])).rows[0];
      if (!bucket) return { ok: false, reason: 'no-such-bucket' };
      const stored = await this.storeObject(c, o, condition, now);
      if (!stored.ok) return stored;
      await this.releaseBlobs(c, stored.oldBlobs, now);
      // A smaller object offers less to the uploads that will replace it: their cut credits become usage.
      const cut = stored.replaced && o.size < stored.replaced.size ? await this.fitCredits(c, o.bucketId, o.key, o.size) : 0;
      await this.applyUsage(c, o.bucketId, o.size - (stored.replaced?.size ?? 0) + cut, stored.replaced ? 0 : 1, quota);
      return { ok: true, object: stored.object, replaced: stored.replaced };
    });
  }

  async setObjectAcl(bucketId: string, key: string, acl: string | null): Promise<boolean> {
    return this.write([PostgresMetadataStore.objectLane(bucketId, key)], async (c) => {
      const r = await c.query('UPDATE objects SET acl = $1 WHERE bucket_id = $2 AND key = $3', [acl, bucketId, key]);
      return (r.rowCount ?? 0) > 0;
    });
  }

  async setObjectTagging(bucketId: string, key: string, tagging: string | null): Promise<boolean> {
    return this.write([PostgresMetadataStore.objectLane(bucketId, key)], async (c) => {
      const r = await c.query('UPDATE objects SET tagging = $1 WHERE bucket_id = $2 AND key = $3', [tagging, bucketId, key]);
      return (r.rowCount ?? 0) > 0;
    });
  }

  deleteObject(bucketId: string, key: string, condition?: WriteCondition): Promise<DeleteObjectResult> {
    return this.write([PostgresMetadataStore.objectLane(bucketId, key)], async (c): Promise<DeleteObjectResult> => {
      const now = Date.now();
      const oldRow = (await c.query(SQL.objectForUpdate, [bucketId, key])).rows[0];
      const old = oldRow && toObject(oldRow);
      if (!conditionHolds(old, condition)) return { ok: false, reason: 'precondition-failed' };
      if (!old) return { ok: true, deleted: undefined };
      const credit = (await c.query(SQL.deleteObject, [bucketId, key])).rows[0]?.credit ?? 0;
      await c.query(SQL.unreferenceObject, [bucketId, key]);
      await this.releaseBlobs(c, blobIdsOf(old.parts), now);
      await this.addUsage(c, bucketId, -old.size + credit, -1);
      return { ok: true, deleted: old };
    });
  }

  async scanObjects(bucketId: string, scan: ObjectScan): Promise<ListedObject[]> {
    const limit = Math.max(0, Math.floor(scan.limit));
    const r = scanRange(scan.prefix, scan.start, scan.inclusive ?? false);
    if (limit === 0 || r === undefined) return [];
    // One index range scan on the (bucket_id, key) primary key, one lower bound (key-range.ts scanRange);
    // keys compare in COLLATE "C" (bytes).
    const op = r.inclusive ? '>=' : '>';
    const sql =
      r.to === undefined
        ? `SELECT ${LISTED_COLUMNS} FROM objects WHERE bucket_id = $1 AND key ${op} $2 ORDER BY key LIMIT $3`
        : `SELECT ${LISTED_COLUMNS} FROM objects WHERE bucket_id = $1 AND key ${op} $2 AND key < $4 ORDER BY key LIMIT $3`;
    const params = r.to === undefined ? [bucketId, r.from, limit] : [bucketId, r.from, limit, r.to];
    return (await this.query(sql, params)).rows.map(toListedObject);
  }

  // ----- multipart uploads

  async createUpload(u: NewMultipartUpload): Promise<MultipartUploadRecord> {
    const rec: MultipartUploadRecord = { ...u, acl: u.acl ?? null, initiatedAt: Date.now() };
    await this.query(
      `INSERT INTO multipart_uploads (upload_id, bucket_id, key, initiated_at, owner_id, content_type, headers, tagging,
         storage_class, checksum_algorithm, checksum_type, acl) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [rec.uploadId, rec.bucketId, rec.key, rec.initiatedAt, rec.ownerId, rec.contentType, JSON.stringify(rec.headers),
        rec.tagging, rec.storageClass, rec.checksumAlgorithm, rec.checksumType, rec.acl ?? null],
    );
    return {
      uploadId: rec.uploadId,
      bucketId: rec.bucketId,
      key: rec.key,
      initiatedAt: rec.initiatedAt,
      ownerId: rec.ownerId,
      contentType: rec.contentType,
      headers: rec.headers,
      tagging: rec.tagging,
      storageClass: rec.storageClass,
      acl: rec.acl ?? null,
      checksumAlgorithm: rec.checksumAlgorithm,
      checksumType: rec.checksumType,
    };
  }
  async getUpload(uploadId: string): Promise<MultipartUploadRecord | undefined> {
    const r = (await this.query('SELECT * FROM multipart_uploads WHERE upload_id = $1', [uploadId])).rows[0];
    return r && toUpload(r);
  }
  /**
   * S3 ListMultipartUploads semantics (as in SQLite): with an upload-id marker, first the remaining
   * uploads of the marker key after the marker upload in (initiatedAt, uploadId) order, then keys >
   * keyMarker. An unknown upload-id marker (e.g. since completed) falls back to upload id order.
   */
  async scanUploads(bucketId: string, scan: UploadScan): Promise<MultipartUploadRecord[]> {
    const limit = Math.max(0, Math.floor(scan.limit));
    if (limit === 0) return [];
    const out: Row[] = [];
    if (scan.uploadIdMarker !== '' && scan.keyMarker.startsWith(scan.prefix)) {
      const marker = (await this.query('SELECT * FROM multipart_uploads WHERE upload_id = $1', [scan.uploadIdMarker])).rows[0];
      if (marker && marker.bucket_id === bucketId && marker.key === scan.keyMarker) {
        out.push(...(await this.query(
          `SELECT * FROM multipart_uploads WHERE bucket_id = $1 AND key = $2 AND (initiated_at, upload_id) > ($3, $4)
           ORDER BY initiated_at, upload_id LIMIT $5`,
          [bucketId, scan.keyMarker, marker.initiated_at, marker.upload_id, limit],
        )).rows);
      } else {
        out.push(...(await this.query(
          `SELECT * FROM multipart_uploads WHERE bucket_id = $1 AND key = $2 AND upload_id > $3
           ORDER BY initiated_at, upload_id LIMIT $4`,
          [bucketId, scan.keyMarker, scan.uploadIdMarker, limit],
        )).rows);
      }
    }
    const r = scanRange(scan.prefix, scan.keyMarker, false);
    if (out.length < limit && r !== undefined) {
      const rest = limit - out.length;
      const op = r.inclusive ? '>=' : '>';
      const rows =
        r.to === undefined
          ? await this.query(
              `SELECT * FROM multipart_uploads WHERE bucket_id = $1 AND key ${op} $2
               ORDER BY key, initiated_at, upload_id LIMIT $3`,
              [bucketId, r.from, rest],
            )
          : await this.query(
              `SELECT * FROM multipart_uploads WHERE bucket_id = $1 AND key ${op} $2 AND key < $4
               ORDER BY key, initiated_at, upload_id LIMIT $3`,
              [bucketId, r.from, rest, r.to],
            );
      out.push(...rows.rows);
    }
    return out.map(toUpload);
  }

  putUploadPart(p: NewUploadPart, quota?: WriteQuota): Promise<PartResult> {
    return this.quotaWrite([PostgresMetadataStore.uploadLane(p.uploadId)], quota, async (c): Promise<PartResult> => {
      const now = Date.now();
      const up = (await c.query(SQL.uploadForPart, [p.uploadId])).rows[0];
      if (!up) return { ok: false, reason: 'no-such-upload' };
      // The upload row lock serialises writers of this upload's parts, so this read is stable.
      const oldRow = (await c.query(SQL.part, [p.uploadId, p.partNumber])).rows[0];
      const old = oldRow && toPart(oldRow);
      const growth = p.size - (old?.size ?? 0);
      // The upload's credit against the object it will replace (metadata/quota-rule.ts). No object, no
      // credit: a delete drops the key's credits with the object, in one transaction.
      const object = (await c.query(SQL.objectSizeForCredit, [up.bucket_id, up.key])).rows[0];
      let credit = 0;
      let newCredit = 0;
      if (object) {
        const st = (await c.query(SQL.creditState, [p.uploadId, up.bucket_id, up.key])).rows[0]!;
        credit = st.credit;
        newCredit = creditFor(st.part_bytes + growth, object.size, st.key_credit - credit);
      }
      await c.query(SQL.upsertPart, [p.uploadId, p.partNumber, p.blobId, p.size, p.etag, p.checksum, now]);
      if (old && old.blobId !== p.blobId) await this.releaseBlobs(c, [old.blobId], now);
      if (newCredit > 0 && newCredit !== credit) await c.query(SQL.setCredit, [p.uploadId, up.bucket_id, up.key, newCredit]);
      else if (newCredit === 0 && credit > 0) await c.query(SQL.delCredit, [p.uploadId]);
      await this.applyUsage(c, up.bucket_id, growth - (newCredit - credit), 0, quota);
      return { ok: true, replaced: old };
    });
  }
  async listUploadParts(uploadId: string, after: number, limit: number): Promise<UploadPartRecord[]> {
    const r = await this.query(
      'SELECT * FROM upload_parts WHERE upload_id = $1 AND part_number > $2 ORDER BY part_number LIMIT $3',
      [uploadId, after, Math.max(0, Math.floor(limit))],
    );
    return r.rows.map(toPart);
  }

  completeUpload(uploadId: string, o: NewObject, condition?: WriteCondition, quota?: WriteQuota): Promise<CompleteResult> {
    const now = Date.now();
    const lanes = [PostgresMetadataStore.uploadLane(uploadId), PostgresMetadataStore.objectLane(o.bucketId, o.key)];
    return this.quotaWrite(lanes, quota, async (c): Promise<CompleteResult> => {
      const up = (await c.query(SQL.uploadForUpdate, [uploadId])).rows[0];
      if (!up) return { ok: false, reason: 'no-such-upload' };
      if (up.bucket_id !== o.bucketId || up.key !== o.key) {
        throw new Error(`completeUpload: object ${o.bucketId}/${o.key} does not match upload ${uploadId}`);
      }
      if (!(await c.query(SQL.bucketForWrite, [o.bucketId])).rows[0]) return { ok: false, reason: 'no-such-bucket' };
      const stored = await this.storeObject(c, o, condition, now);
      // A failed precondition leaves the upload in place (S3 lets the client retry or abort); nothing
      // has been written at that point, so committing the (read-only) transaction is harmless.
      if (!stored.ok) return stored;
      const parts = (await c.query(SQL.partsOf, [uploadId])).rows.map(toPart);
      // Credits exist only against an existing object: this upload's comes back with the replaced object,
      // the others' are trimmed to the new object's size.
      let credit = 0;
      let cut = 0;
      if (stored.replaced) {
        credit = (await c.query(SQL.creditOf, [uploadId])).rows[0]!.bytes;
        cut = await this.fitCredits(c, o.bucketId, o.key, o.size, uploadId);
      }
      await c.query(SQL.deleteUpload, [uploadId]); // its credit goes with it (ON DELETE CASCADE)
      // Part blobs now referenced by the object survive the release; unused parts are queued.
      await this.releaseBlobs(c, [...stored.oldBlobs, ...parts.map((p) => p.blobId)], now);
      const partBytes = parts.reduce((n, p) => n + p.size, 0);
      await this.applyUsage(c, o.bucketId, o.size - partBytes - (stored.replaced?.size ?? 0) + credit + cut, stored.replaced ? 0 : 1, quota);
      await c.query(SQL.recordCompletion, [uploadId, o.bucketId, o.key, stored.object.etag, stored.object.lastModified, now, now - COMPLETED_UPLOAD_RETENTION_MS]);
      return { ok: true, object: stored.object, replaced: stored.replaced };
    });
  }

  abortUpload(uploadId: string): Promise<boolean> {
    return this.write([PostgresMetadataStore.uploadLane(uploadId)], async (c) => {
      const now = Date.now();
      const up = (await c.query(SQL.uploadForUpdate, [uploadId])).rows[0];
      if (!up) return false;
      const parts = (await c.query(SQL.partsOf, [uploadId])).rows.map(toPart);
      const credit = (await c.query(SQL.creditOf, [uploadId])).rows[0]!.bytes;
      await c.query(SQL.deleteUpload, [uploadId]); // its credit goes with it (ON DELETE CASCADE)
      await this.releaseBlobs(c, parts.map((p) => p.blobId), now);
      // The credited bytes were never charged: only the rest comes back.
      await this.addUsage(c, up.bucket_id, -parts.reduce((n, p) => n + p.size, 0) + credit, 0);
      return true;
    });
  }

  async getCompletedUpload(uploadId: string): Promise<CompletedUploadRecord | undefined> {
    const r = (await this.query('SELECT * FROM completed_uploads WHERE upload_id = $1', [uploadId])).rows[0];
    return r && { uploadId: r.upload_id, bucketId: r.bucket_id, key: r.key, etag: r.etag, lastModified: r.last_modified };
  }

  async getKeyCredit(bucketId: string, key: string): Promise<number> {
    return (await this.query('SELECT coalesce(sum(bytes), 0)::bigint AS bytes FROM upload_credits WHERE bucket_id = $1 AND key = $2', [bucketId, key])).rows[0]!.bytes;
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
               - (SELECT COALESCE(SUM(c.bytes), 0) FROM upload_credits c WHERE c.bucket_id = b.id)::bigint AS counted_bytes,
             (SELECT COUNT(*) FROM objects o WHERE o.bucket_id = b.id) AS counted_objects
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
  async withdrawAuthFailure(key: string, at: number, previousLastFailure: number): Promise<void> {
    await this.query(
      `UPDATE auth_failures SET failures = failures - 1,
         last_failure = CASE WHEN last_failure = $2 THEN $3 ELSE last_failure END WHERE key = $1 AND failures > 0`,
      [key, at, previousLastFailure],
    );
    await this.query('DELETE FROM auth_failures WHERE key = $1 AND failures <= 0', [key]);
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

  // ----- write bodies (inside a transaction)

  /**
   * Locks the object row (or wins the insert race for a new key), checks the condition against the
   * locked state, and writes the object and its blob references. Returns the old object's blob ids,
   * for the caller to release once everything else that may still reference them is written.
   */
  private async storeObject(
    c: pg.PoolClient,
    o: NewObject,
    condition: WriteCondition | undefined,
    now: number,
  ): Promise<{ ok: true; object: ObjectRecord; replaced: ObjectRecord | undefined; oldBlobs: string[] } | { ok: false; reason: 'precondition-failed' }> {
    const object: ObjectRecord = objectRecordOf(o, now);
    const params = [object.bucketId, object.key, object.size, object.etag, object.lastModified, object.contentType,
      JSON.stringify(object.headers), object.inline, JSON.stringify(object.parts),
      object.checksum === null ? null : JSON.stringify(object.checksum), object.tagging, object.ownerId, object.storageClass, object.acl];
    for (;;) {
      const oldRow = (await c.query(SQL.objectForUpdate, [o.bucketId, o.key])).rows[0];
      const old = oldRow && toObject(oldRow);
      if (!conditionHolds(old, condition)) return { ok: false, reason: 'precondition-failed' };
      if (old) {
        await c.query(SQL.updateObject, params);
        await c.query(SQL.unreferenceObject, [o.bucketId, o.key]);
      } else {
        // Nobody had the key when we looked; if someone inserted it since, DO NOTHING waits for them
        // to commit and then leaves the row alone: loop to lock it and re-check the condition.
        const ins = await c.query(SQL.insertObject, params);
        if ((ins.rowCount ?? 0) === 0) continue;
      }
      const ids = blobIdsOf(object.parts);
      if (ids.length > 0) await c.query(SQL.referenceBlobs, [ids, o.bucketId, o.key]);
      return { ok: true, object, replaced: old, oldBlobs: old ? blobIdsOf(old.parts) : [] };
    }
  }

  /**
   * For the (locked) object at (bucketId, key) becoming `size` bytes: trims the credits uploads hold against
   * it to fit (metadata/quota-rule.ts) and returns the bytes cut, which become charged usage. A quota
   * refusal later in the write rolls the trim back with everything else. `except`: the completing upload.
   */
  private async fitCredits(c: pg.PoolClient, bucketId: string, key: string, size: number, except?: string): Promise<number> {
    const credits = (await c.query(SQL.creditsAtKey, [bucketId, key])).rows
      .filter((r) => r.upload_id !== except)
      .map((r) => ({ uploadId: r.upload_id as string, bytes: r.bytes as number }));
    const { changed, cut } = trimCredits(credits, size);
    for (const x of changed) {
      if (x.bytes === 0) await c.query(SQL.delCredit, [x.uploadId]);
      else await c.query(SQL.setCredit, [x.uploadId, bucketId, key, x.bytes]);
    }
    return cut;
  }

  private async releaseBlobs(c: pg.PoolClient, blobIds: string[], now: number): Promise<void> {
    const ids = [...new Set(blobIds)];
    if (ids.length > 0) await c.query(SQL.releaseBlobs, [ids, now]);
  }

  /**
   * The usage update of a write, with its quota check (DESIGN §3: the check is part of the update). When
   * enforcing and a delta is positive, the counter rows are locked (bucket, then tenancy: the order every
   * writer uses), other writers' live reservations are added, and a write that would pass a quota throws
   * QuotaRefusal (rolling back everything it did; see quotaWrite, which also releases the write's own
   * reservation in this transaction).
   */
  private async applyUsage(c: pg.PoolClient, bucketId: string, bytes: number, objects: number, quota: WriteQuota | undefined): Promise<void> {
    if (quota?.enforce && (bytes > 0 || objects > 0)) {
      const counters = await this.lockCounters(c, bucketId, quota.reservationId, bytes, objects);
      const refused = counters && overQuota(counters.bucket, counters.tenancy, bytes, objects);
      if (refused) throw new QuotaRefusal(refused);
    }
    await this.addUsage(c, bucketId, bytes, objects);
  }

  /**
   * Locks the bucket's and then its tenancy's counter rows (NO KEY UPDATE) and reads usage, quotas and the
   * live reservations of others (not `ownReservation`) for the kinds that are growing under a quota.
   * Undefined when the bucket is gone.
   */
  private async lockCounters(
    c: pg.PoolClient,
    bucketId: string,
    ownReservation: string | undefined,
    bytes: number,
    objects: number,
  ): Promise<{ tenancyId: string; now: () => Promise<number>; bucket: QuotaCounters; tenancy: QuotaCounters } | undefined> {
    const b = (await c.query(SQL.lockBucketCounters, [bucketId])).rows[0];
    if (!b) return undefined;
    const t = (await c.query(SQL.lockTenancyCounters, [b.tenancy_id])).rows[0];
    if (!t) return undefined;
    // PostgreSQL's clock, read only when a reservation sum (or the caller) needs it.
    let now: number | undefined;
    const dbNow = async () => (now ??= (await c.query(SQL.dbNow)).rows[0]!.now as number);
    const own = ownReservation ?? '';
    const counters = async (row: Row, sql: string, id: string): Promise<QuotaCounters> => {
      const limits = { quotaBytes: row.quota_bytes, quotaObjects: row.quota_objects };
      const res = needsReservations(limits, bytes, objects) ? (await c.query(sql, [id, await dbNow(), own])).rows[0]! : { bytes: 0, objects: 0 };
      return {
        usedBytes: row.used_bytes,
        usedObjects: row.used_objects,
        quotaBytes: row.quota_bytes,
        quotaObjects: row.quota_objects,
        reservedBytes: res.bytes,
        reservedObjects: res.objects,
      };
    };
    const bucket = await counters(b, SQL.reservedInBucket, bucketId);
    const tenancy = await counters(t, SQL.reservedInTenancy, b.tenancy_id);
    return { tenancyId: b.tenancy_id, now: dbNow, bucket, tenancy };
  }

  private async addUsage(c: pg.PoolClient, bucketId: string, bytes: number, objects: number): Promise<void> {
    if (bytes === 0 && objects === 0) return;
    await c.query(SQL.addUsage, [bytes, objects, bucketId]);
  }
}
