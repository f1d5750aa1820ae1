/**
 * SqliteMetadataStore: the embedded MetadataStore on better-sqlite3 (one process, one database file).
 *
 * Durability: WAL + synchronous=FULL, so every COMMIT fsyncs the WAL before a write is acknowledged.
 *
 * Group commit: one fsync per transaction is the throughput limit, so the object-path writes (putObject,
 * deleteObject, putUploadPart, completeUpload, abortUpload) are queued and a `setImmediate` flush runs
 * everything queued in the same event-loop turn in ONE `BEGIN IMMEDIATE … COMMIT`. Each op runs in order
 * inside its own SAVEPOINT (so an unexpected throw rolls back only that op) and sees the effects of the
 * ops before it (conditions are evaluated against them). Promises settle only after COMMIT returns, i.e.
 * once the batch is durable. better-sqlite3 is synchronous, so while a batch commits (fsync) no other
 * JavaScript runs; requests that arrive meanwhile form the next batch. Reads and rare writes (buckets,
 * users, keys…) run immediately in their own statements/transactions.
 *
 * Blob bookkeeping: whenever a reference to a blob disappears (object replaced/deleted, part replaced,
 * upload aborted, part unused at completion) the blob is queued in blob_deletions in the same transaction
 * unless something (object_blobs / upload_parts) still references it — which is what keeps a completed
 * multipart object's part blobs alive.
 */
import Database from 'better-sqlite3';
import { newId } from '../../lib/ids.js';
import { prefixSuccessor } from '../key-range.js';
import { migrations } from './migrations.js';
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
  ObjectPart,
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

/** Upper bound of ops per group-commit transaction (bounds latency and transaction size). */
const MAX_BATCH = 256;
/** How long touchAccessKey updates are coalesced in memory before being written. */
const TOUCH_FLUSH_MS = 5_000;

type Row = Record<string, any>;
type Stmt = Database.Statement<unknown[], Row>;

interface QueuedOp {
  run: () => unknown;
  resolve: (value: any) => void;
  reject: (error: unknown) => void;
}

/** Opens (creating if needed) and migrates a database; ':memory:' gives a private in-memory store. */
export async function openSqliteMetadataStore(path: string): Promise<SqliteMetadataStore> {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL'); // in-memory databases answer 'memory'; that is fine
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    runMigrations(db);
    return new SqliteMetadataStore(db);
  } catch (e) {
    db.close();
    throw e;
  }
}

/** Applies pending migrations in one IMMEDIATE transaction (so two processes starting together serialise). */
export function runMigrations(db: Database.Database): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const apply = db.transaction(() => {
    const done = new Set(
      (db.prepare('SELECT id FROM schema_migrations').all() as { id: number }[]).map((r) => r.id),
    );
    const applied: number[] = [];
    const record = db.prepare('INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)');
    for (const m of [...migrations].sort((a, b) => a.id - b.id)) {
      if (done.has(m.id)) continue;
      db.exec(m.sql);
      record.run(m.id, m.name, Date.now());
      applied.push(m.id);
    }
    return applied;
  });
  return apply.immediate();
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

function blobIdsOf(parts: ObjectPart[]): string[] {
  return [...new Set(parts.map((p) => p.blobId))];
}

/** JSON form of parts without undefined fields (so a round trip gives back an equal value). */
function partsJson(parts: ObjectPart[]): string {
  return JSON.stringify(
    parts.map((p) => {
      const out: ObjectPart = { blobId: p.blobId, size: p.size };
      if (p.etag !== undefined) out.etag = p.etag;
      if (p.checksum !== undefined) out.checksum = p.checksum;
      return out;
    }),
  );
}

function toObject(r: Row): ObjectRecord {
  return {
    bucketId: r.bucket_id,
    key: r.key,
    size: r.size,
    etag: r.etag,
    lastModified: r.last_modified,
    contentType: r.content_type,
    headers: JSON.parse(r.headers),
    inline: r.inline ?? null,
    parts: JSON.parse(r.parts),
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
  isSiteAdmin: r.is_site_admin === 1,
  createdAt: r.created_at,
});
const toMembership = (r: Row): MembershipRecord => ({
  tenancyId: r.tenancy_id,
  userId: r.user_id,
  role: r.role,
  createdAt: r.created_at,
});
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
  headers: JSON.parse(r.headers),
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

const OBJECT_LIST_COLUMNS = `bucket_id, key, size, etag, last_modified, content_type, headers, NULL AS inline,
  parts, checksum, tagging, owner_id, storage_class`;

export class SqliteMetadataStore implements MetadataStore {
  private readonly s: Record<string, Stmt>;
  private queue: QueuedOp[] = [];
  private flushScheduled = false;
  private closed = false;
  private readonly pendingTouches = new Map<string, number>();
  private touchTimer: NodeJS.Timeout | undefined;

  constructor(private readonly db: Database.Database) {
    const p = (sql: string) => db.prepare(sql) as Stmt;
    // Prepared once: statement compilation is a measurable share of a small write.
    this.s = {
      begin: p('BEGIN IMMEDIATE'),
      commit: p('COMMIT'),
      rollback: p('ROLLBACK'),
      savepoint: p('SAVEPOINT op'),
      release: p('RELEASE op'),
      rollbackTo: p('ROLLBACK TO op'),

      getSetting: p('SELECT value FROM settings WHERE name = ?'),
      setTagging: p('UPDATE objects SET tagging = ? WHERE bucket_id = ? AND key = ?'),
      setSetting: p('INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value'),

      insTenancy: p('INSERT INTO tenancies (id, name, created_at) VALUES (?, ?, ?)'),
      tenancyById: p('SELECT id, name, created_at FROM tenancies WHERE id = ?'),
      tenancyByName: p('SELECT id, name, created_at FROM tenancies WHERE name = ?'),
      tenancies: p('SELECT id, name, created_at FROM tenancies ORDER BY name'),
      tenancyUsage: p('SELECT used_bytes, used_objects FROM tenancies WHERE id = ?'),
      addTenancyUsage: p('UPDATE tenancies SET used_bytes = used_bytes + ?, used_objects = used_objects + ? WHERE id = ?'),

      insUser: p(`INSERT INTO users (id, username, display_name, email, password_hash, is_site_admin, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?)`),
      userById: p('SELECT * FROM users WHERE id = ?'),
      userByName: p('SELECT * FROM users WHERE username = ?'),

      upsertMember: p(`INSERT INTO memberships (tenancy_id, user_id, role, created_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (tenancy_id, user_id) DO UPDATE SET role = excluded.role RETURNING *`),
      membership: p('SELECT * FROM memberships WHERE tenancy_id = ? AND user_id = ?'),

      insKey: p(`INSERT INTO access_keys (access_key_id, user_id, tenancy_id, name, secret_encrypted, created_at,
        expires_at, last_used_at, restriction) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?)`),
      key: p('SELECT * FROM access_keys WHERE access_key_id = ?'),
      keysOfUser: p('SELECT * FROM access_keys WHERE user_id = ? ORDER BY created_at, access_key_id'),
      delKey: p('DELETE FROM access_keys WHERE access_key_id = ?'),
      touchKey: p(`UPDATE access_keys SET last_used_at = max(coalesce(last_used_at, 0), ?) WHERE access_key_id = ?`),

      insBucket: p(`INSERT INTO buckets (id, tenancy_id, name, owner_id, region, created_at) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (tenancy_id, name) DO NOTHING`),
      bucket: p('SELECT * FROM buckets WHERE tenancy_id = ? AND name = ?'),
      bucketById: p('SELECT * FROM buckets WHERE id = ?'),
      buckets: p('SELECT * FROM buckets WHERE tenancy_id = ? ORDER BY name'),
      bucketTenancy: p('SELECT tenancy_id FROM buckets WHERE id = ?'),
      bucketUsage: p('SELECT used_bytes, used_objects FROM buckets WHERE id = ?'),
      addBucketUsage: p('UPDATE buckets SET used_bytes = used_bytes + ?, used_objects = used_objects + ? WHERE id = ?'),
      bucketHasObject: p('SELECT 1 FROM objects WHERE bucket_id = ? LIMIT 1'),
      bucketHasUpload: p('SELECT 1 FROM multipart_uploads WHERE bucket_id = ? LIMIT 1'),
      delBucket: p('DELETE FROM buckets WHERE id = ?'),

      object: p('SELECT * FROM objects WHERE bucket_id = ? AND key = ?'),
      putObject: p(`INSERT OR REPLACE INTO objects (bucket_id, key, size, etag, last_modified, content_type, headers,
        inline, parts, checksum, tagging, owner_id, storage_class) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      delObject: p('DELETE FROM objects WHERE bucket_id = ? AND key = ?'),
      // Four shapes of the range scan so each is a plain index range (no `? IS NULL OR …` that defeats it).
      scanGt: p(`SELECT ${OBJECT_LIST_COLUMNS} FROM objects WHERE bucket_id = ? AND key >= ? AND key > ?
        ORDER BY key LIMIT ?`),
      scanGe: p(`SELECT ${OBJECT_LIST_COLUMNS} FROM objects WHERE bucket_id = ? AND key >= ? AND key >= ?
        ORDER BY key LIMIT ?`),
      scanGtLt: p(`SELECT ${OBJECT_LIST_COLUMNS} FROM objects WHERE bucket_id = ? AND key >= ? AND key > ?
        AND key < ? ORDER BY key LIMIT ?`),
      scanGeLt: p(`SELECT ${OBJECT_LIST_COLUMNS} FROM objects WHERE bucket_id = ? AND key >= ? AND key >= ?
        AND key < ? ORDER BY key LIMIT ?`),

      insObjectBlob: p('INSERT OR IGNORE INTO object_blobs (blob_id, bucket_id, key) VALUES (?, ?, ?)'),
      delObjectBlob: p('DELETE FROM object_blobs WHERE blob_id = ? AND bucket_id = ? AND key = ?'),
      blobInObjects: p('SELECT 1 FROM object_blobs WHERE blob_id = ? LIMIT 1'),
      blobInParts: p('SELECT 1 FROM upload_parts WHERE blob_id = ? LIMIT 1'),
      blobQueued: p('SELECT 1 FROM blob_deletions WHERE blob_id = ?'),
      queueBlob: p('INSERT OR IGNORE INTO blob_deletions (blob_id, queued_at) VALUES (?, ?)'),
      takeBlobs: p('SELECT blob_id FROM blob_deletions WHERE queued_at <= ? ORDER BY queued_at, blob_id LIMIT ?'),
      ackBlob: p('DELETE FROM blob_deletions WHERE blob_id = ?'),

      insUpload: p(`INSERT INTO multipart_uploads (upload_id, bucket_id, key, initiated_at, owner_id, content_type,
        headers, tagging, storage_class, checksum_algorithm, checksum_type) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      upload: p('SELECT * FROM multipart_uploads WHERE upload_id = ?'),
      uploadBucketTenancy: p(`SELECT u.bucket_id, u.key, b.tenancy_id FROM multipart_uploads u
        JOIN buckets b ON b.id = u.bucket_id WHERE u.upload_id = ?`),
      delUpload: p('DELETE FROM multipart_uploads WHERE upload_id = ?'),
      // ListMultipartUploads: after the key marker, or at it and after the marker upload in (initiated_at, id).
      scanUploadsAfterKey: p(`SELECT * FROM multipart_uploads WHERE bucket_id = ? AND key >= ? AND key > ?
        ORDER BY key, initiated_at, upload_id LIMIT ?`),
      scanUploadsAfterKeyLt: p(`SELECT * FROM multipart_uploads WHERE bucket_id = ? AND key >= ? AND key > ?
        AND key < ? ORDER BY key, initiated_at, upload_id LIMIT ?`),
      scanUploadsAtKey: p(`SELECT * FROM multipart_uploads WHERE bucket_id = ? AND key = ?
        AND (initiated_at, upload_id) > (?, ?) ORDER BY initiated_at, upload_id LIMIT ?`),
      scanUploadsAtKeyById: p(`SELECT * FROM multipart_uploads WHERE bucket_id = ? AND key = ? AND upload_id > ?
        ORDER BY initiated_at, upload_id LIMIT ?`),

      part: p('SELECT * FROM upload_parts WHERE upload_id = ? AND part_number = ?'),
      parts: p('SELECT * FROM upload_parts WHERE upload_id = ? ORDER BY part_number'),
      partsAfter: p('SELECT * FROM upload_parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?'),
      putPart: p(`INSERT OR REPLACE INTO upload_parts (upload_id, part_number, blob_id, size, etag, checksum,
        last_modified) VALUES (?, ?, ?, ?, ?, ?, ?)`),
      delParts: p('DELETE FROM upload_parts WHERE upload_id = ?'),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.queue.length > 0) this.runBatch(this.queue.splice(0, MAX_BATCH));
    this.flushTouches();
    if (this.touchTimer) clearTimeout(this.touchTimer);
    this.db.close();
  }

  // ----- settings

  async getSetting(name: string): Promise<string | undefined> {
    return this.s.getSetting.get(name)?.value;
  }
  async setSetting(name: string, value: string): Promise<void> {
    this.s.setSetting.run(name, value);
  }

  // ----- tenancies, users, membership

  async createTenancy(t: NewTenancy): Promise<TenancyRecord> {
    const rec: TenancyRecord = { id: newId(), name: t.name, createdAt: Date.now() };
    this.s.insTenancy.run(rec.id, rec.name, rec.createdAt);
    return rec;
  }
  async getTenancyById(id: string): Promise<TenancyRecord | undefined> {
    const r = this.s.tenancyById.get(id);
    return r && toTenancy(r);
  }
  async getTenancyByName(name: string): Promise<TenancyRecord | undefined> {
    const r = this.s.tenancyByName.get(name);
    return r && toTenancy(r);
  }
  async listTenancies(): Promise<TenancyRecord[]> {
    return this.s.tenancies.all().map(toTenancy);
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
    this.s.insUser.run(rec.id, rec.username, rec.displayName, rec.email, rec.passwordHash, rec.isSiteAdmin ? 1 : 0, rec.createdAt);
    return rec;
  }
  async getUserById(id: string): Promise<UserRecord | undefined> {
    const r = this.s.userById.get(id);
    return r && toUser(r);
  }
  async getUserByName(username: string): Promise<UserRecord | undefined> {
    const r = this.s.userByName.get(username);
    return r && toUser(r);
  }

  /** Adds the member, or changes the role of an existing one (keeping its createdAt). */
  async addMember(tenancyId: string, userId: string, role: Role): Promise<MembershipRecord> {
    return toMembership(this.s.upsertMember.get(tenancyId, userId, role, Date.now())!);
  }
  async getMembership(tenancyId: string, userId: string): Promise<MembershipRecord | undefined> {
    const r = this.s.membership.get(tenancyId, userId);
    return r && toMembership(r);
  }

  // ----- access keys

  async createAccessKey(k: NewAccessKey): Promise<AccessKeyRecord> {
    const rec: AccessKeyRecord = {
      accessKeyId: k.accessKeyId,
      userId: k.userId,
      tenancyId: k.tenancyId,
      name: k.name,
      secretEncrypted: k.secretEncrypted,
      createdAt: Date.now(),
      expiresAt: k.expiresAt,
      lastUsedAt: null,
      restriction: k.restriction,
    };
    this.s.insKey.run(rec.accessKeyId, rec.userId, rec.tenancyId, rec.name, rec.secretEncrypted, rec.createdAt, rec.expiresAt, rec.restriction);
    return rec;
  }
  async getAccessKey(accessKeyId: string): Promise<AccessKeyRecord | undefined> {
    const r = this.s.key.get(accessKeyId);
    return r && this.withPendingTouch(toAccessKey(r));
  }
  async listAccessKeys(userId: string): Promise<AccessKeyRecord[]> {
    return this.s.keysOfUser.all(userId).map((r) => this.withPendingTouch(toAccessKey(r)));
  }
  async deleteAccessKey(accessKeyId: string): Promise<boolean> {
    this.pendingTouches.delete(accessKeyId);
    return this.s.delKey.run(accessKeyId).changes > 0;
  }
  /**
   * Coalesced in memory (latest time per key) and written at most every TOUCH_FLUSH_MS or at close:
   * a write per authenticated request would cost an fsync each. Reads in this process overlay pending
   * touches so they never look stale here.
   */
  async touchAccessKey(accessKeyId: string, at: number): Promise<void> {
    const prev = this.pendingTouches.get(accessKeyId);
    if (prev === undefined || at > prev) this.pendingTouches.set(accessKeyId, at);
    if (!this.touchTimer && !this.closed) {
      this.touchTimer = setTimeout(() => {
        this.touchTimer = undefined;
        if (!this.closed) this.flushTouches();
      }, TOUCH_FLUSH_MS);
      this.touchTimer.unref();
    }
  }
  private withPendingTouch(k: AccessKeyRecord): AccessKeyRecord {
    const pending = this.pendingTouches.get(k.accessKeyId);
    if (pending !== undefined && (k.lastUsedAt === null || pending > k.lastUsedAt)) k.lastUsedAt = pending;
    return k;
  }
  private flushTouches(): void {
    if (this.pendingTouches.size === 0) return;
    const touches = [...this.pendingTouches];
    this.pendingTouches.clear();
    try {
      this.db.transaction(() => {
        for (const [id, at] of touches) this.s.touchKey.run(at, id);
      }).immediate();
    } catch {
      // best-effort by contract: a lost last-used time is not worth failing anything for
    }
  }

  // ----- buckets

  async createBucket(b: NewBucket): Promise<CreateBucketResult> {
    const rec: BucketRecord = { id: newId(), tenancyId: b.tenancyId, name: b.name, ownerId: b.ownerId, region: b.region, createdAt: Date.now() };
    const info = this.s.insBucket.run(rec.id, rec.tenancyId, rec.name, rec.ownerId, rec.region, rec.createdAt);
    if (info.changes > 0) return { created: true, bucket: rec };
    return { created: false, existing: toBucket(this.s.bucket.get(b.tenancyId, b.name)!) };
  }
  async getBucket(tenancyId: string, name: string): Promise<BucketRecord | undefined> {
    const r = this.s.bucket.get(tenancyId, name);
    return r && toBucket(r);
  }
  async getBucketById(id: string): Promise<BucketRecord | undefined> {
    const r = this.s.bucketById.get(id);
    return r && toBucket(r);
  }
  async listBuckets(tenancyId: string): Promise<BucketRecord[]> {
    return this.s.buckets.all(tenancyId).map(toBucket);
  }
  /** The usage counters are columns of the bucket row, so they go with it (and are zero when empty). */
  async deleteBucket(bucketId: string): Promise<DeleteBucketResult> {
    return this.db
      .transaction((): DeleteBucketResult => {
        if (!this.s.bucketById.get(bucketId)) return 'not-found';
        if (this.s.bucketHasObject.get(bucketId) || this.s.bucketHasUpload.get(bucketId)) return 'not-empty';
        this.s.delBucket.run(bucketId);
        return 'deleted';
      })
      .immediate();
  }

  // ----- objects

  async getObject(bucketId: string, key: string): Promise<ObjectRecord | undefined> {
    const r = this.s.object.get(bucketId, key);
    return r && toObject(r);
  }

  putObject(o: NewObject, condition?: WriteCondition): Promise<PutObjectResult> {
    const now = Date.now();
    return this.enqueue(() => this.putObjectNow(o, condition, now));
  }

  async setObjectTagging(bucketId: string, key: string, tagging: string | null): Promise<boolean> {
    return this.s.setTagging.run(tagging, bucketId, key).changes > 0;
  }

  deleteObject(bucketId: string, key: string, condition?: WriteCondition): Promise<DeleteObjectResult> {
    return this.enqueue(() => this.deleteObjectNow(bucketId, key, condition));
  }

  async scanObjects(bucketId: string, scan: ObjectScan): Promise<ObjectRecord[]> {
    const upper = prefixSuccessor(scan.prefix);
    const limit = Math.max(0, Math.floor(scan.limit));
    if (limit === 0) return [];
    const rows =
      upper === undefined
        ? (scan.inclusive ? this.s.scanGe : this.s.scanGt).all(bucketId, scan.prefix, scan.start, limit)
        : (scan.inclusive ? this.s.scanGeLt : this.s.scanGtLt).all(bucketId, scan.prefix, scan.start, upper, limit);
    return rows.map(toObject);
  }

  // ----- multipart uploads

  async createUpload(u: NewMultipartUpload): Promise<MultipartUploadRecord> {
    const rec: MultipartUploadRecord = {
      uploadId: u.uploadId,
      bucketId: u.bucketId,
      key: u.key,
      initiatedAt: Date.now(),
      ownerId: u.ownerId,
      contentType: u.contentType,
      headers: u.headers,
      tagging: u.tagging,
      storageClass: u.storageClass,
      checksumAlgorithm: u.checksumAlgorithm,
      checksumType: u.checksumType,
    };
    this.s.insUpload.run(rec.uploadId, rec.bucketId, rec.key, rec.initiatedAt, rec.ownerId, rec.contentType,
      JSON.stringify(rec.headers), rec.tagging, rec.storageClass, rec.checksumAlgorithm, rec.checksumType);
    return rec;
  }
  async getUpload(uploadId: string): Promise<MultipartUploadRecord | undefined> {
    const r = this.s.upload.get(uploadId);
    return r && toUpload(r);
  }
  /**
   * S3 ListMultipartUploads semantics: with an upload-id marker, first the remaining uploads of the
   * marker key after the marker upload (in (initiatedAt, uploadId) order), then keys > keyMarker.
   * An unknown upload-id marker (e.g. since completed) falls back to comparing upload ids alone.
   */
  async scanUploads(bucketId: string, scan: UploadScan): Promise<MultipartUploadRecord[]> {
    const limit = Math.max(0, Math.floor(scan.limit));
    if (limit === 0) return [];
    const out: Row[] = [];
    if (scan.uploadIdMarker !== '' && scan.keyMarker.startsWith(scan.prefix)) {
      const marker = this.s.upload.get(scan.uploadIdMarker);
      if (marker && marker.bucket_id === bucketId && marker.key === scan.keyMarker) {
        out.push(...this.s.scanUploadsAtKey.all(bucketId, scan.keyMarker, marker.initiated_at, marker.upload_id, limit));
      } else {
        // Unknown marker (e.g. completed since): approximate by upload id order within the key.
        out.push(...this.s.scanUploadsAtKeyById.all(bucketId, scan.keyMarker, scan.uploadIdMarker, limit));
      }
    }
    if (out.length < limit) {
      const upper = prefixSuccessor(scan.prefix);
      const rest = limit - out.length;
      const rows =
        upper === undefined
          ? this.s.scanUploadsAfterKey.all(bucketId, scan.prefix, scan.keyMarker, rest)
          : this.s.scanUploadsAfterKeyLt.all(bucketId, scan.prefix, scan.keyMarker, upper, rest);
      out.push(...rows);
    }
    return out.map(toUpload);
  }

  putUploadPart(p: NewUploadPart): Promise<{ ok: true; replaced: UploadPartRecord | undefined } | { ok: false; reason: 'no-such-upload' }> {
    const now = Date.now();
    return this.enqueue(() => this.putUploadPartNow(p, now));
  }
  async listUploadParts(uploadId: string, after: number, limit: number): Promise<UploadPartRecord[]> {
    return this.s.partsAfter.all(uploadId, after, Math.max(0, Math.floor(limit))).map(toPart);
  }
  completeUpload(uploadId: string, o: NewObject, condition?: WriteCondition): Promise<PutObjectResult | { ok: false; reason: 'no-such-upload' }> {
    const now = Date.now();
    return this.enqueue(() => this.completeUploadNow(uploadId, o, condition, now));
  }
  abortUpload(uploadId: string): Promise<boolean> {
    return this.enqueue(() => this.abortUploadNow(uploadId));
  }

  // ----- usage

  async getTenancyUsage(tenancyId: string): Promise<UsageRecord> {
    const r = this.s.tenancyUsage.get(tenancyId);
    return { bytes: r?.used_bytes ?? 0, objects: r?.used_objects ?? 0 };
  }
  async getBucketUsage(bucketId: string): Promise<UsageRecord> {
    const r = this.s.bucketUsage.get(bucketId);
    return { bytes: r?.used_bytes ?? 0, objects: r?.used_objects ?? 0 };
  }

  // ----- blob garbage collection

  async takeBlobDeletions(queuedBefore: number, limit: number): Promise<string[]> {
    return this.s.takeBlobs.all(queuedBefore, Math.max(0, Math.floor(limit))).map((r) => r.blob_id as string);
  }
  async ackBlobDeletions(blobIds: string[]): Promise<void> {
    if (blobIds.length === 0) return;
    this.db.transaction(() => {
      for (const id of blobIds) this.s.ackBlob.run(id);
    }).immediate();
  }
  async isBlobKnown(blobId: string): Promise<boolean> {
    return !!(this.s.blobInObjects.get(blobId) || this.s.blobInParts.get(blobId) || this.s.blobQueued.get(blobId));
  }

  // ----- group commit

  private enqueue<T>(run: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new Error('metadata store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // setImmediate (not a microtask) so that everything issued in this turn, including calls made
        // after awaiting other promises that settle in this turn, lands in the same batch.
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.closed || this.queue.length === 0) return;
    this.runBatch(this.queue.splice(0, MAX_BATCH));
    if (this.queue.length > 0 && !this.flushScheduled) {
      // Let I/O callbacks run between oversized batches rather than draining everything in one go.
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** One transaction, one SAVEPOINT per op, settle promises only after COMMIT (= durable). */
  private runBatch(batch: QueuedOp[]): void {
    const outcomes: { ok: boolean; value: unknown }[] = [];
    try {
      this.s.begin.run();
    } catch (e) {
      for (const op of batch) op.reject(e);
      return;
    }
    for (const op of batch) {
      this.s.savepoint.run();
      try {
        const value = op.run();
        this.s.release.run();
        outcomes.push({ ok: true, value });
      } catch (e) {
        try {
          this.s.rollbackTo.run();
          this.s.release.run();
        } catch {
          // handled by COMMIT failing below
        }
        outcomes.push({ ok: false, value: e });
      }
    }
    try {
      this.s.commit.run();
    } catch (e) {
      try {
        if (this.db.inTransaction) this.s.rollback.run();
      } catch {
        // nothing more to do: every op of the batch is reported failed
      }
      for (const op of batch) op.reject(e);
      return;
    }
    batch.forEach((op, i) => (outcomes[i]!.ok ? op.resolve(outcomes[i]!.value) : op.reject(outcomes[i]!.value)));
  }

  // ----- write bodies (run inside a batch transaction; synchronous)

  private addUsage(bucketId: string, tenancyId: string, bytes: number, objects: number): void {
    if (bytes === 0 && objects === 0) return;
    this.s.addBucketUsage.run(bytes, objects, bucketId);
    this.s.addTenancyUsage.run(bytes, objects, tenancyId);
  }

  /** Queues the blob for deletion unless an object or an upload part still references it. */
  private releaseBlob(blobId: string, now: number): void {
    if (this.s.blobInObjects.get(blobId) || this.s.blobInParts.get(blobId)) return;
    this.s.queueBlob.run(blobId, now);
  }

  /** Writes the object row and its blob references; returns the record as stored. */
  private writeObject(o: NewObject, now: number): ObjectRecord {
    const rec: ObjectRecord = {
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
    this.s.putObject.run(rec.bucketId, rec.key, rec.size, rec.etag, rec.lastModified, rec.contentType,
      JSON.stringify(rec.headers), rec.inline, partsJson(rec.parts),
      rec.checksum === null ? null : JSON.stringify(rec.checksum), rec.tagging, rec.ownerId, rec.storageClass);
    for (const blobId of blobIdsOf(rec.parts)) this.s.insObjectBlob.run(blobId, rec.bucketId, rec.key);
    return rec;
  }

  /** Drops the object-blob references of `old` (a replaced/deleted object); returns its blob ids. */
  private unreferenceObject(old: ObjectRecord): string[] {
    const ids = blobIdsOf(old.parts);
    for (const blobId of ids) this.s.delObjectBlob.run(blobId, old.bucketId, old.key);
    return ids;
  }

  private putObjectNow(o: NewObject, condition: WriteCondition | undefined, now: number): PutObjectResult {
    const bucket = this.s.bucketTenancy.get(o.bucketId);
    if (!bucket) return { ok: false, reason: 'no-such-bucket' };
    const oldRow = this.s.object.get(o.bucketId, o.key);
    const old = oldRow && toObject(oldRow);
    if (!conditionHolds(old, condition)) return { ok: false, reason: 'precondition-failed' };
    // Unreference first, then write: a blob kept by the new object must not be queued.
    const oldBlobs = old ? this.unreferenceObject(old) : [];
    const object = this.writeObject(o, now);
    for (const b of oldBlobs) this.releaseBlob(b, now);
    this.addUsage(o.bucketId, bucket.tenancy_id, o.size - (old?.size ?? 0), old ? 0 : 1);
    return { ok: true, object, replaced: old };
  }

  private deleteObjectNow(bucketId: string, key: string, condition: WriteCondition | undefined): DeleteObjectResult {
    const now = Date.now();
    const oldRow = this.s.object.get(bucketId, key);
    const old = oldRow && toObject(oldRow);
    if (!conditionHolds(old, condition)) return { ok: false, reason: 'precondition-failed' };
    if (!old) return { ok: true, deleted: undefined };
    const bucket = this.s.bucketTenancy.get(bucketId)!;
    this.s.delObject.run(bucketId, key);
    for (const b of this.unreferenceObject(old)) this.releaseBlob(b, now);
    this.addUsage(bucketId, bucket.tenancy_id, -old.size, -1);
    return { ok: true, deleted: old };
  }

  private putUploadPartNow(p: NewUploadPart, now: number): { ok: true; replaced: UploadPartRecord | undefined } | { ok: false; reason: 'no-such-upload' } {
    const up = this.s.uploadBucketTenancy.get(p.uploadId);
    if (!up) return { ok: false, reason: 'no-such-upload' };
    const oldRow = this.s.part.get(p.uploadId, p.partNumber);
    const old = oldRow && toPart(oldRow);
    this.s.putPart.run(p.uploadId, p.partNumber, p.blobId, p.size, p.etag, p.checksum, now);
    if (old && old.blobId !== p.blobId) this.releaseBlob(old.blobId, now);
    this.addUsage(up.bucket_id, up.tenancy_id, p.size - (old?.size ?? 0), 0);
    return { ok: true, replaced: old };
  }

  private completeUploadNow(uploadId: string, o: NewObject, condition: WriteCondition | undefined, now: number): PutObjectResult | { ok: false; reason: 'no-such-upload' } {
    const up = this.s.uploadBucketTenancy.get(uploadId);
    if (!up) return { ok: false, reason: 'no-such-upload' };
    if (up.bucket_id !== o.bucketId || up.key !== o.key) {
      throw new Error(`completeUpload: object ${o.bucketId}/${o.key} does not match upload ${uploadId}`);
    }
    const oldRow = this.s.object.get(o.bucketId, o.key);
    const old = oldRow && toObject(oldRow);
    // A failed precondition leaves the upload in place (S3 lets the client retry or abort).
    if (!conditionHolds(old, condition)) return { ok: false, reason: 'precondition-failed' };
    const parts = this.s.parts.all(uploadId).map(toPart);
    this.s.delParts.run(uploadId);
    this.s.delUpload.run(uploadId);
    const oldBlobs = old ? this.unreferenceObject(old) : [];
    const object = this.writeObject(o, now);
    // Part blobs now referenced by the object survive releaseBlob; unused parts are queued.
    for (const b of [...oldBlobs, ...parts.map((p) => p.blobId)]) this.releaseBlob(b, now);
    const partBytes = parts.reduce((n, p) => n + p.size, 0);
    this.addUsage(o.bucketId, up.tenancy_id, o.size - partBytes - (old?.size ?? 0), old ? 0 : 1);
    return { ok: true, object, replaced: old };
  }

  private abortUploadNow(uploadId: string): boolean {
    const now = Date.now();
    const up = this.s.uploadBucketTenancy.get(uploadId);
    if (!up) return false;
    const parts = this.s.parts.all(uploadId).map(toPart);
    this.s.delParts.run(uploadId);
    this.s.delUpload.run(uploadId);
    for (const p of parts) this.releaseBlob(p.blobId, now);
    this.addUsage(up.bucket_id, up.tenancy_id, -parts.reduce((n, p) => n + p.size, 0), 0);
    return true;
  }
}
