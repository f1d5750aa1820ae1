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
 * - usage counters are `UPDATE … SET used_bytes = used_bytes + $n` in the same transaction.
 * Locks are always taken in the order upload → bucket (key share) → object → bucket → tenancy, so
 * writers do not deadlock each other; 40001/40P01 are retried anyway (a few times, with jitter).
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
import { prefixSuccessor } from '../key-range.js';
import { runMigrations } from './migrations.js';
import type {
  AccessKeyRecord,
  BucketRecord,
  CreateBucketResult,
  DeleteBucketResult,
  DeleteObjectResult,
  MembershipRecord,
  MetadataStore,
  MultipartUploadRecord,
  NewAccessKey,
  NewBucket,
  NewMultipartUpload,
  NewObject,
  NewTenancy,
  NewUploadPart,
  NewUser,
  ObjectChecksum,
  ObjectRecord,
  ObjectScan,
  PutObjectResult,
  Role,
  TenancyRecord,
  UploadPartRecord,
  UploadScan,
  UsageRecord,
  UserRecord,
  WriteCondition,
} from '../store.js';

export interface PostgresStoreOptions {
  /** Maximum connections in the pool (default 10). */
  poolSize?: number;
  /**
   * Schema holding Granary's tables (default: the connection's current schema, normally `public`).
   * Created if missing. Tests use a fresh one per store to stay isolated on one server.
   */
  schema?: string;
}

/** How long touchAccessKey updates are coalesced in memory before being written. */
const TOUCH_FLUSH_MS = 5_000;
/** Attempts for a transaction that fails with a serialization failure or deadlock. */
const MAX_ATTEMPTS = 5;
const RETRYABLE = new Set(['40001', '40P01']);
const INT8_OID = 20;

type Row = Record<string, any>;
type PartResult = { ok: true; replaced: UploadPartRecord | undefined } | { ok: false; reason: 'no-such-upload' };
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

/** Strips surrounding double quotes so `"abc"` and `abc` compare equal (clients send both forms). */
function unquote(etag: string): string {
  const t = etag.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
}

function conditionHolds(current: { etag: string } | undefined, c: WriteCondition | undefined): boolean {
  if (!c) return true;
  if (c.ifNoneMatch === '*' && current) return false;
  if (c.ifMatch !== undefined) {
    if (!current) return false;
    if (c.ifMatch.trim() !== '*' && unquote(c.ifMatch) !== unquote(current.etag)) return false;
  }
  return true;
}

function blobIdsOf(parts: { blobId: string }[]): string[] {
  return [...new Set(parts.map((p) => p.blobId))];
}

function isRetryable(e: unknown): boolean {
  return typeof e === 'object' && e !== null && RETRYABLE.has((e as { code?: string }).code ?? '');
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
    checksum: r.checksum === null ? null : (JSON.parse(r.checksum) as ObjectChecksum),
    tagging: r.tagging,
    ownerId: r.owner_id,
    storageClass: r.storage_class,
  };
}
const toTenancy = (r: Row): TenancyRecord => ({ id: r.id, name: r.name, createdAt: r.created_at });
const toUser = (r: Row): UserRecord => ({
  id: r.id,
  username: r.username,
  displayName: r.display_name,
  email: r.email,
  passwordHash: r.password_hash,
  isSiteAdmin: r.is_site_admin,
  createdAt: r.created_at,
});
const toMembership = (r: Row): MembershipRecord => ({ tenancyId: r.tenancy_id, userId: r.user_id, role: r.role, createdAt: r.created_at });
const toAccessKey = (r: Row): AccessKeyRecord => ({
  accessKeyId: r.access_key_id,
  userId: r.user_id,
  tenancyId: r.tenancy_id,
  name: r.name,
  secretEncrypted: r.secret_encrypted,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  lastUsedAt: r.last_used_at,
  restriction: r.restriction,
});
const toBucket = (r: Row): BucketRecord => ({
  id: r.id,
  tenancyId: r.tenancy_id,
  name: r.name,
  ownerId: r.owner_id,
  region: r.region,
  createdAt: r.created_at,
});
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
  checksumAlgorithm: r.checksum_algorithm,
  checksumType: r.checksum_type,
});
const toPart = (r: Row): UploadPartRecord => ({
  uploadId: r.upload_id,
  partNumber: r.part_number,
  blobId: r.blob_id,
  size: r.size,
  etag: r.etag,
  checksum: r.checksum,
  lastModified: r.last_modified,
});

const OBJECT_COLUMNS = `bucket_id, key, size, etag, last_modified, content_type, headers, inline, parts, checksum,
  tagging, owner_id, storage_class`;
/** Listing never returns inline bytes (they can be large in aggregate and listing does not need them). */
const OBJECT_LIST_COLUMNS = `bucket_id, key, size, etag, last_modified, content_type, headers, NULL::bytea AS inline,
  parts, checksum, tagging, owner_id, storage_class`;

const SQL = {
  bucketForWrite: 'SELECT tenancy_id FROM buckets WHERE id = $1 FOR KEY SHARE',
  objectForUpdate: `SELECT ${OBJECT_COLUMNS} FROM objects WHERE bucket_id = $1 AND key = $2 FOR UPDATE`,
  insertObject: `INSERT INTO objects (${OBJECT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
    ON CONFLICT (bucket_id, key) DO NOTHING`,
  updateObject: `UPDATE objects SET size = $3, etag = $4, last_modified = $5, content_type = $6, headers = $7, inline = $8,
    parts = $9, checksum = $10, tagging = $11, owner_id = $12, storage_class = $13 WHERE bucket_id = $1 AND key = $2`,
  deleteObject: 'DELETE FROM objects WHERE bucket_id = $1 AND key = $2',
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
  uploadForPart: 'SELECT upload_id, bucket_id FROM multipart_uploads WHERE upload_id = $1 FOR NO KEY UPDATE',
  part: 'SELECT * FROM upload_parts WHERE upload_id = $1 AND part_number = $2',
  upsertPart: `INSERT INTO upload_parts (upload_id, part_number, blob_id, size, etag, checksum, last_modified)
    VALUES ($1, $2, $3, $4, $5, $6, $7)
    ON CONFLICT (upload_id, part_number) DO UPDATE SET blob_id = excluded.blob_id, size = excluded.size,
      etag = excluded.etag, checksum = excluded.checksum, last_modified = excluded.last_modified`,
  partsOf: 'SELECT * FROM upload_parts WHERE upload_id = $1 ORDER BY part_number',
  deleteUpload: 'DELETE FROM multipart_uploads WHERE upload_id = $1', // parts go by ON DELETE CASCADE
};

export class PostgresMetadataStore implements MetadataStore {
  private closed = false;
  /** Tail of the write chain per lane (object key or upload id); the promises never reject. */
  private readonly lanes = new Map<string, Promise<void>>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly pendingTouches = new Map<string, number>();
  private touchTimer: NodeJS.Timeout | undefined;

  constructor(private readonly pool: pg.Pool) {}

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

  private static objectLane(bucketId: string, key: string): string {
    return `o:${bucketId}\u0000${key}`; // NUL cannot occur in a PostgreSQL text value, so no ambiguity
  }
  private static uploadLane(uploadId: string): string {
    return `u:${uploadId}`;
  }

  // ----- settings

  async getSetting(name: string): Promise<string | undefined> {
    return (await this.query('SELECT value FROM settings WHERE name = $1', [name])).rows[0]?.value;
  }
  async setSetting(name: string, value: string): Promise<void> {
    await this.query('INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value', [name, value]);
  }

  // ----- tenancies, users, membership

  async createTenancy(t: NewTenancy): Promise<TenancyRecord> {
    const rec: TenancyRecord = { id: newId(), name: t.name, createdAt: Date.now() };
    await this.query('INSERT INTO tenancies (id, name, created_at) VALUES ($1, $2, $3)', [rec.id, rec.name, rec.createdAt]);
    return rec;
  }
  async getTenancyById(id: string): Promise<TenancyRecord | undefined> {
    const r = (await this.query('SELECT id, name, created_at FROM tenancies WHERE id = $1', [id])).rows[0];
    return r && toTenancy(r);
  }
  async getTenancyByName(name: string): Promise<TenancyRecord | undefined> {
    const r = (await this.query('SELECT id, name, created_at FROM tenancies WHERE name = $1', [name])).rows[0];
    return r && toTenancy(r);
  }
  async listTenancies(): Promise<TenancyRecord[]> {
    return (await this.query('SELECT id, name, created_at FROM tenancies ORDER BY name')).rows.map(toTenancy);
  }

  async createUser(u: NewUser): Promise<UserRecord> {
    const rec: UserRecord = {
      id: newId(),
      username: u.username,
      displayName: u.displayName ?? '',
      email: u.email ?? '',
      passwordHash: u.passwordHash,
      isSiteAdmin: u.isSiteAdmin ?? false,
      createdAt: Date.now(),
    };
    await this.query(
      `INSERT INTO users (id, username, display_name, email, password_hash, is_site_admin, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [rec.id, rec.username, rec.displayName, rec.email, rec.passwordHash, rec.isSiteAdmin, rec.createdAt],
    );
    return rec;
  }
  async getUserById(id: string): Promise<UserRecord | undefined> {
    const r = (await this.query('SELECT * FROM users WHERE id = $1', [id])).rows[0];
    return r && toUser(r);
  }
  async getUserByName(username: string): Promise<UserRecord | undefined> {
    const r = (await this.query('SELECT * FROM users WHERE username = $1', [username])).rows[0];
    return r && toUser(r);
  }

  /** Adds the member, or changes the role of an existing one (keeping its createdAt). */
  async addMember(tenancyId: string, userId: string, role: Role): Promise<MembershipRecord> {
    const r = await this.query(
      `INSERT INTO memberships (tenancy_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (tenancy_id, user_id) DO UPDATE SET role = excluded.role RETURNING *`,
      [tenancyId, userId, role, Date.now()],
    );
    return toMembership(r.rows[0]!);
  }
  async getMembership(tenancyId: string, userId: string): Promise<MembershipRecord | undefined> {
    const r = (await this.query('SELECT * FROM memberships WHERE tenancy_id = $1 AND user_id = $2', [tenancyId, userId])).rows[0];
    return r && toMembership(r);
  }

  // ----- access keys

  async createAccessKey(k: NewAccessKey): Promise<AccessKeyRecord> {
    const rec: AccessKeyRecord = { ...k, createdAt: Date.now(), lastUsedAt: null };
    await this.query(
      `INSERT INTO access_keys (access_key_id, user_id, tenancy_id, name, secret_encrypted, created_at, expires_at,
         last_used_at, restriction) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8)`,
      [rec.accessKeyId, rec.userId, rec.tenancyId, rec.name, rec.secretEncrypted, rec.createdAt, rec.expiresAt, rec.restriction],
    );
    return {
      accessKeyId: rec.accessKeyId,
      userId: rec.userId,
      tenancyId: rec.tenancyId,
      name: rec.name,
      secretEncrypted: rec.secretEncrypted,
      createdAt: rec.createdAt,
      expiresAt: rec.expiresAt,
      lastUsedAt: null,
      restriction: rec.restriction,
    };
  }
  async getAccessKey(accessKeyId: string): Promise<AccessKeyRecord | undefined> {
    const r = (await this.query('SELECT * FROM access_keys WHERE access_key_id = $1', [accessKeyId])).rows[0];
    return r && this.withPendingTouch(toAccessKey(r));
  }
  async listAccessKeys(userId: string): Promise<AccessKeyRecord[]> {
    const rows = (await this.query('SELECT * FROM access_keys WHERE user_id = $1 ORDER BY created_at, access_key_id', [userId])).rows;
    return rows.map((r) => this.withPendingTouch(toAccessKey(r)));
  }
  async deleteAccessKey(accessKeyId: string): Promise<boolean> {
    this.pendingTouches.delete(accessKeyId);
    return ((await this.query('DELETE FROM access_keys WHERE access_key_id = $1', [accessKeyId])).rowCount ?? 0) > 0;
  }
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
  private withPendingTouch(k: AccessKeyRecord): AccessKeyRecord {
    const pending = this.pendingTouches.get(k.accessKeyId);
    if (pending !== undefined && (k.lastUsedAt === null || pending > k.lastUsedAt)) k.lastUsedAt = pending;
    return k;
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
      const rec: BucketRecord = { id: newId(), tenancyId: b.tenancyId, name: b.name, ownerId: b.ownerId, region: b.region, createdAt: Date.now() };
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
  async getBucket(tenancyId: string, name: string): Promise<BucketRecord | undefined> {
    const r = (await this.query('SELECT * FROM buckets WHERE tenancy_id = $1 AND name = $2', [tenancyId, name])).rows[0];
    return r && toBucket(r);
  }
  async getBucketById(id: string): Promise<BucketRecord | undefined> {
    const r = (await this.query('SELECT * FROM buckets WHERE id = $1', [id])).rows[0];
    return r && toBucket(r);
  }
  async listBuckets(tenancyId: string): Promise<BucketRecord[]> {
    return (await this.query('SELECT * FROM buckets WHERE tenancy_id = $1 ORDER BY name', [tenancyId])).rows.map(toBucket);
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

  // ----- objects

  async getObject(bucketId: string, key: string): Promise<ObjectRecord | undefined> {
    const r = (await this.query(`SELECT ${OBJECT_COLUMNS} FROM objects WHERE bucket_id = $1 AND key = $2`, [bucketId, key])).rows[0];
    return r && toObject(r);
  }

  putObject(o: NewObject, condition?: WriteCondition): Promise<PutObjectResult> {
    const now = Date.now();
    return this.write([PostgresMetadataStore.objectLane(o.bucketId, o.key)], async (c) => {
      const bucket = (await c.query(SQL.bucketForWrite, [o.bucketId])).rows[0];
      if (!bucket) return { ok: false, reason: 'no-such-bucket' };
      const stored = await this.storeObject(c, o, condition, now);
      if (!stored.ok) return stored;
      await this.releaseBlobs(c, stored.oldBlobs, now);
      await this.addUsage(c, o.bucketId, o.size - (stored.replaced?.size ?? 0), stored.replaced ? 0 : 1);
      return { ok: true, object: stored.object, replaced: stored.replaced };
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
      await c.query(SQL.deleteObject, [bucketId, key]);
      await c.query(SQL.unreferenceObject, [bucketId, key]);
      await this.releaseBlobs(c, blobIdsOf(old.parts), now);
      await this.addUsage(c, bucketId, -old.size, -1);
      return { ok: true, deleted: old };
    });
  }

  async scanObjects(bucketId: string, scan: ObjectScan): Promise<ObjectRecord[]> {
    const limit = Math.max(0, Math.floor(scan.limit));
    if (limit === 0) return [];
    const upper = prefixSuccessor(scan.prefix);
    const op = scan.inclusive ? '>=' : '>';
    // One index range scan on the (bucket_id, key) primary key; keys compare in COLLATE "C" (bytes).
    const sql =
      upper === undefined
        ? `SELECT ${OBJECT_LIST_COLUMNS} FROM objects WHERE bucket_id = $1 AND key >= $2 AND key ${op} $3
           ORDER BY key LIMIT $4`
        : `SELECT ${OBJECT_LIST_COLUMNS} FROM objects WHERE bucket_id = $1 AND key >= $2 AND key ${op} $3
           AND key < $5 ORDER BY key LIMIT $4`;
    const params = upper === undefined ? [bucketId, scan.prefix, scan.start, limit] : [bucketId, scan.prefix, scan.start, limit, upper];
    return (await this.query(sql, params)).rows.map(toObject);
  }

  // ----- multipart uploads

  async createUpload(u: NewMultipartUpload): Promise<MultipartUploadRecord> {
    const rec: MultipartUploadRecord = { ...u, initiatedAt: Date.now() };
    await this.query(
      `INSERT INTO multipart_uploads (upload_id, bucket_id, key, initiated_at, owner_id, content_type, headers, tagging,
         storage_class, checksum_algorithm, checksum_type) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [rec.uploadId, rec.bucketId, rec.key, rec.initiatedAt, rec.ownerId, rec.contentType, JSON.stringify(rec.headers),
        rec.tagging, rec.storageClass, rec.checksumAlgorithm, rec.checksumType],
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
    if (out.length < limit) {
      const upper = prefixSuccessor(scan.prefix);
      const rest = limit - out.length;
      const rows =
        upper === undefined
          ? await this.query(
              `SELECT * FROM multipart_uploads WHERE bucket_id = $1 AND key >= $2 AND key > $3
               ORDER BY key, initiated_at, upload_id LIMIT $4`,
              [bucketId, scan.prefix, scan.keyMarker, rest],
            )
          : await this.query(
              `SELECT * FROM multipart_uploads WHERE bucket_id = $1 AND key >= $2 AND key > $3 AND key < $5
               ORDER BY key, initiated_at, upload_id LIMIT $4`,
              [bucketId, scan.prefix, scan.keyMarker, rest, upper],
            );
      out.push(...rows.rows);
    }
    return out.map(toUpload);
  }

  putUploadPart(p: NewUploadPart): Promise<PartResult> {
    return this.write([PostgresMetadataStore.uploadLane(p.uploadId)], async (c): Promise<PartResult> => {
      const now = Date.now();
      const up = (await c.query(SQL.uploadForPart, [p.uploadId])).rows[0];
      if (!up) return { ok: false, reason: 'no-such-upload' };
      // The upload row lock serialises writers of this upload's parts, so this read is stable.
      const oldRow = (await c.query(SQL.part, [p.uploadId, p.partNumber])).rows[0];
      const old = oldRow && toPart(oldRow);
      await c.query(SQL.upsertPart, [p.uploadId, p.partNumber, p.blobId, p.size, p.etag, p.checksum, now]);
      if (old && old.blobId !== p.blobId) await this.releaseBlobs(c, [old.blobId], now);
      await this.addUsage(c, up.bucket_id, p.size - (old?.size ?? 0), 0);
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

  completeUpload(uploadId: string, o: NewObject, condition?: WriteCondition): Promise<CompleteResult> {
    const now = Date.now();
    const lanes = [PostgresMetadataStore.uploadLane(uploadId), PostgresMetadataStore.objectLane(o.bucketId, o.key)];
    return this.write(lanes, async (c): Promise<CompleteResult> => {
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
      await c.query(SQL.deleteUpload, [uploadId]);
      // Part blobs now referenced by the object survive the release; unused parts are queued.
      await this.releaseBlobs(c, [...stored.oldBlobs, ...parts.map((p) => p.blobId)], now);
      const partBytes = parts.reduce((n, p) => n + p.size, 0);
      await this.addUsage(c, o.bucketId, o.size - partBytes - (stored.replaced?.size ?? 0), stored.replaced ? 0 : 1);
      return { ok: true, object: stored.object, replaced: stored.replaced };
    });
  }

  abortUpload(uploadId: string): Promise<boolean> {
    return this.write([PostgresMetadataStore.uploadLane(uploadId)], async (c) => {
      const now = Date.now();
      const up = (await c.query(SQL.uploadForUpdate, [uploadId])).rows[0];
      if (!up) return false;
      const parts = (await c.query(SQL.partsOf, [uploadId])).rows.map(toPart);
      await c.query(SQL.deleteUpload, [uploadId]);
      await this.releaseBlobs(c, parts.map((p) => p.blobId), now);
      await this.addUsage(c, up.bucket_id, -parts.reduce((n, p) => n + p.size, 0), 0);
      return true;
    });
  }

  // ----- usage

  async getTenancyUsage(tenancyId: string): Promise<UsageRecord> {
    const r = (await this.query('SELECT used_bytes, used_objects FROM tenancies WHERE id = $1', [tenancyId])).rows[0];
    return { bytes: r?.used_bytes ?? 0, objects: r?.used_objects ?? 0 };
  }
  async getBucketUsage(bucketId: string): Promise<UsageRecord> {
    const r = (await this.query('SELECT used_bytes, used_objects FROM buckets WHERE id = $1', [bucketId])).rows[0];
    return { bytes: r?.used_bytes ?? 0, objects: r?.used_objects ?? 0 };
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
    const object: ObjectRecord = {
      bucketId: o.bucketId,
      key: o.key,
      size: o.size,
      etag: o.etag,
      lastModified: o.lastModified ?? now,
      contentType: o.contentType,
      headers: o.headers,
      inline: o.inline,
      parts: o.parts,
      checksum: o.checksum,
      tagging: o.tagging,
      ownerId: o.ownerId,
      storageClass: o.storageClass,
    };
    const params = [object.bucketId, object.key, object.size, object.etag, object.lastModified, object.contentType,
      JSON.stringify(object.headers), object.inline, JSON.stringify(object.parts),
      object.checksum === null ? null : JSON.stringify(object.checksum), object.tagging, object.ownerId, object.storageClass];
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

  private async releaseBlobs(c: pg.PoolClient, blobIds: string[], now: number): Promise<void> {
    const ids = [...new Set(blobIds)];
    if (ids.length > 0) await c.query(SQL.releaseBlobs, [ids, now]);
  }

  private async addUsage(c: pg.PoolClient, bucketId: string, bytes: number, objects: number): Promise<void> {
    if (bytes === 0 && objects === 0) return;
    await c.query(SQL.addUsage, [bytes, objects, bucketId]);
  }
}
