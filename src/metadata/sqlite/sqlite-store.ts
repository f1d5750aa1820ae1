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
 *
 * Quota (DESIGN §3 "Quota is exact"): reserveQuota/releaseQuota also go through the group-commit queue,
 * so a reservation is checked against usage + live reservations and inserted with no other writer in
 * between (the batch is one BEGIN IMMEDIATE transaction, ops in order). A write with `quota.enforce`
 * first deletes its own reservation, then checks its usage delta (bucket and tenancy, bytes and objects;
 * only kinds that grow) against the counters as updated by the ops before it plus the other live
 * reservations; a refused op returns 'quota-exceeded' and the rest of the batch commits. Usage is net of
 * upload credits (metadata/quota-rule.ts), kept in the same transactions.
 */
import Database from 'better-sqlite3';
import { newId } from '../../lib/ids.js';
import { scanRange } from '../key-range.js';
import { migrations } from './migrations.js';
import type {
  JoinRequestRecord,
  CompletedUploadRecord,
  QuotaExceeded,
  QuotaReservation,
  ReserveResult,
  WriteQuota,
  CreateBucketResult,
  DeleteBucketResult,
  DeleteObjectResult,
  MetadataStore,
  MultipartUploadRecord,
  NewBucket,
  NewMultipartUpload,
  NewObject,
  NewUploadPart,
  ObjectPart,
  ListedObject,
  ObjectRecord,
  ObjectScan,
  PutObjectResult,
  Role,
  UploadPartRecord,
  UploadScan,
  UsageRecord,
  WriteCondition,
  AuthAttempt,
  AuthFailureRecord,
  UsageGroup,
} from '../store.js';
import { sqlitePort } from '../sql/port.js';
import { SharedSqlStore } from '../sql/shared-store.js';
import { conditionHolds, creditFor, needsReservations, overQuota, trimCredits, type QuotaCounters } from '../quota-rule.js';
import { COMPLETED_UPLOAD_RETENTION_MS } from '../store.js';
import { checksumOf, objectRecordOf, toBucket, toJoinRequest, toPart } from '../rows.js';

function isDiskFull(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'SQLITE_FULL';
}

/** Upper bound of ops per group-commit transaction (bounds latency and transaction size). */
const MAX_BATCH = 256;
/** How long touchAccessKey updates are coalesced in memory before being written. */
const TOUCH_FLUSH_MS = 5_000;

type Row = Record<string, any>;
type Stmt = Database.Statement<unknown[], Row>;

type PutPartResult =
  | { ok: true; replaced: UploadPartRecord | undefined }
  | { ok: false; reason: 'no-such-upload' }
  | QuotaExceeded;

interface QueuedOp {
  run: () => unknown;
  resolve: (value: any) => void;
  reject: (error: unknown) => void;
}

export interface SqliteStoreOptions {
  /**
   * Called (synchronously) when a group commit fails for want of disk space (SQLITE_FULL); returns true
   * when it freed space (app.ts releases the space reserve, core/capacity.ts), and the batch is then run
   * once more, so a delete can still commit on a full disk and start giving space back.
   */
  onFull?: () => boolean;
}

/** Opens (creating if needed) and migrates a database; ':memory:' gives a private in-memory store. */
export async function openSqliteMetadataStore(path: string, options: SqliteStoreOptions = {}): Promise<SqliteMetadataStore> {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL'); // in-memory databases answer 'memory'; that is fine
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    // Reads dominate (every request looks up a key, a bucket, an object): a 32 MiB page cache keeps hot
    // pages out of read() calls. No mmap: mapped pages count in the server's RSS and small objects live
    // inline in this file, so serving them would grow the resident size by the data set.
    db.pragma('cache_size = -32768');
    runMigrations(db);
    return new SqliteMetadataStore(db, options);
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
    checksum: checksumOf(r.checksum),
    tagging: r.tagging,
    ownerId: r.owner_id,
    storageClass: r.storage_class,
    acl: r.acl ?? null,
  };
}
/** A row of LISTED_COLUMNS, read in raw (array) mode: no per-row column-name object to build. */
function toListedObject(r: unknown[]): ListedObject {
  return {
    key: r[0] as string,
    size: r[1] as number,
    etag: r[2] as string,
    lastModified: r[3] as number,
    checksum: checksumOf(r[4] as string | null),
    ownerId: r[5] as string,
    storageClass: r[6] as string,
  };
}
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
  acl: r.acl,
  checksumAlgorithm: r.checksum_algorithm,
  checksumType: r.checksum_type,
});

/** The columns of ListedObject, in toListedObject's order. */
const LISTED_COLUMNS = 'key, size, etag, last_modified, checksum, owner_id, storage_class';

/** JSON operators of the bucket configuration document (bucket-configuration.ts). */
const CONFIGURATION_SQL = {
  set: 'UPDATE buckets SET configuration = json_set(configuration, ?, json(?)) WHERE id = ?',
  remove: 'UPDATE buckets SET configuration = json_remove(configuration, ?) WHERE id = ?',
  byPath: true,
};

export class SqliteMetadataStore extends SharedSqlStore implements MetadataStore {
  private readonly s: Record<string, Stmt>;
  private queue: QueuedOp[] = [];
  private flushScheduled = false;
  private closed = false;
  private touchTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Database.Database,
    private readonly options: SqliteStoreOptions = {},
  ) {
    super(sqlitePort(db), CONFIGURATION_SQL);
    const p = (sql: string) => db.prepare(sql) as Stmt;
    const raw = (sql: string) => db.prepare(sql).raw(true) as unknown as Database.Statement<unknown[], unknown[]>;
    // Prepared once: statement compilation is a measurable share of a small write.
    this.s = {
      begin: p('BEGIN IMMEDIATE'),
      commit: p('COMMIT'),
      rollback: p('ROLLBACK'),
      savepoint: p('SAVEPOINT op'),
      release: p('RELEASE op'),
      rollbackTo: p('ROLLBACK TO op'),

      setTagging: p('UPDATE objects SET tagging = ? WHERE bucket_id = ? AND key = ?'),
      setObjectAcl: p('UPDATE objects SET acl = ? WHERE bucket_id = ? AND key = ?'),

      tenancyById: p('SELECT * FROM tenancies WHERE id = ?'),
      tenancyHasBucket: p('SELECT 1 FROM buckets WHERE tenancy_id = ? LIMIT 1'),
      keysOfTenancy: p('SELECT access_key_id FROM access_keys WHERE tenancy_id = ?'),
      delTenancy: p('DELETE FROM tenancies WHERE id = ?'),
      setTenancyUsage: p('UPDATE tenancies SET used_bytes = ?, used_objects = ? WHERE id = ?'),
      tenancyUsage: p('SELECT used_bytes, used_objects FROM tenancies WHERE id = ?'),
      addTenancyUsage: p('UPDATE tenancies SET used_bytes = used_bytes + ?, used_objects = used_objects + ? WHERE id = ?'),


      upsertMember: p(`INSERT INTO memberships (tenancy_id, user_id, role, created_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (tenancy_id, user_id) DO UPDATE SET role = excluded.role RETURNING *`),
      delMember: p('DELETE FROM memberships WHERE tenancy_id = ? AND user_id = ?'),
      memberKeys: p('SELECT access_key_id FROM access_keys WHERE tenancy_id = ? AND user_id = ?'),
      delMemberKeys: p('DELETE FROM access_keys WHERE tenancy_id = ? AND user_id = ?'),

      insGroup: p('INSERT INTO groups (id, name, source, created_at) VALUES (?, ?, ?, ?)'),
      groupByName: p('SELECT * FROM groups WHERE name = ?'),
      addGroupMember: p('INSERT OR IGNORE INTO group_members (group_id, user_id) VALUES (?, ?)'),
      delGroupMember: p('DELETE FROM group_members WHERE group_id = ? AND user_id = ?'),
      groupsOfUser: p(`SELECT g.id, g.name, g.source FROM group_members m JOIN groups g ON g.id = m.group_id
        WHERE m.user_id = ? ORDER BY g.name`),

      decideJoinRequest: p(`UPDATE join_requests SET status = ?, decided_at = ?, decided_by = ?, role = ?, reason = ?
        WHERE id = ? AND status = 'pending' RETURNING *`),

      touchKey: p(`UPDATE access_keys SET last_used_at = max(coalesce(last_used_at, 0), ?) WHERE access_key_id = ?`),

      insBucket: p(`INSERT INTO buckets (id, tenancy_id, name, owner_id, region, created_at) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (tenancy_id, name) DO NOTHING`),
      bucket: p('SELECT * FROM buckets WHERE tenancy_id = ? AND name = ?'),
      bucketById: p('SELECT * FROM buckets WHERE id = ?'),
      bucketTenancy: p('SELECT tenancy_id FROM buckets WHERE id = ?'),
      usageByOwner: p(`SELECT o.owner_id AS grp, sum(o.size) AS bytes, count(*) AS objects FROM objects o
        JOIN buckets b ON b.id = o.bucket_id WHERE b.tenancy_id = ? GROUP BY o.owner_id ORDER BY bytes DESC, grp`),
      // The covering listing index holds (bucket_id, key, size): one index scan, no table rows.
      usageByPrefix: p(`SELECT CASE WHEN instr(key, '/') > 0 THEN substr(key, 1, instr(key, '/')) ELSE '' END AS grp,
        sum(size) AS bytes, count(*) AS objects FROM objects WHERE bucket_id = ? GROUP BY grp ORDER BY grp`),
      setBucketUsage: p('UPDATE buckets SET used_bytes = ?, used_objects = ? WHERE id = ?'),
      // Everything a quota check needs, in one lookup.
      quotaState: p(`SELECT b.tenancy_id, b.used_bytes AS b_used_bytes, b.used_objects AS b_used_objects,
        b.quota_bytes AS b_quota_bytes, b.quota_objects AS b_quota_objects,
        t.used_bytes AS t_used_bytes, t.used_objects AS t_used_objects,
        t.quota_bytes AS t_quota_bytes, t.quota_objects AS t_quota_objects
        FROM buckets b JOIN tenancies t ON t.id = b.tenancy_id WHERE b.id = ?`),
      recount: p(`SELECT b.id, b.used_bytes, b.used_objects,
        (SELECT coalesce(sum(o.size), 0) FROM objects o WHERE o.bucket_id = b.id) AS object_bytes,
        (SELECT count(*) FROM objects o WHERE o.bucket_id = b.id) AS object_count,
        (SELECT coalesce(sum(p.size), 0) FROM multipart_uploads u JOIN upload_parts p ON p.upload_id = u.upload_id
          WHERE u.bucket_id = b.id) AS part_bytes,
        (SELECT coalesce(sum(c.bytes), 0) FROM upload_credits c WHERE c.bucket_id = b.id) AS credit_bytes
        FROM buckets b WHERE b.tenancy_id = ? ORDER BY b.name`),

      insReservation: p(`INSERT INTO quota_reservations (id, tenancy_id, bucket_id, bytes, objects, expires_at)
        VALUES (?, ?, ?, ?, ?, ?)`),
      delReservation: p('DELETE FROM quota_reservations WHERE id = ?'),
      renewReservation: p('UPDATE quota_reservations SET expires_at = ? WHERE id = ? AND expires_at >= ?'),
      clearReservations: p('DELETE FROM quota_reservations'),
      delExpiredReservations: p('DELETE FROM quota_reservations WHERE tenancy_id = ? AND expires_at < ?'),
      bucketReserved: p(`SELECT coalesce(sum(bytes), 0) AS bytes, coalesce(sum(objects), 0) AS objects
        FROM quota_reservations WHERE bucket_id = ? AND expires_at >= ?`),
      tenancyReserved: p(`SELECT coalesce(sum(bytes), 0) AS bytes, coalesce(sum(objects), 0) AS objects
        FROM quota_reservations WHERE tenancy_id = ? AND expires_at >= ?`),
      addBucketUsage: p('UPDATE buckets SET used_bytes = used_bytes + ?, used_objects = used_objects + ? WHERE id = ?'),
      bucketHasObject: p('SELECT 1 FROM objects WHERE bucket_id = ? LIMIT 1'),
      bucketHasUpload: p('SELECT 1 FROM multipart_uploads WHERE bucket_id = ? LIMIT 1'),
      delBucket: p('DELETE FROM buckets WHERE id = ?'),

      object: p('SELECT * FROM objects WHERE bucket_id = ? AND key = ?'),
      putObject: p(`INSERT OR REPLACE INTO objects (bucket_id, key, size, etag, last_modified, content_type, headers,
        inline, parts, checksum, tagging, owner_id, storage_class, acl) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      delObject: p('DELETE FROM objects WHERE bucket_id = ? AND key = ?'),
      // Four shapes of the range scan so each is a plain index range (no `? IS NULL OR …` that defeats it),
      // each with one lower bound (key-range.ts scanRange): the index seek lands on the first row returned.
      scanGt: raw(`SELECT ${LISTED_COLUMNS} FROM objects WHERE bucket_id = ? AND key > ? ORDER BY key LIMIT ?`),
      scanGe: raw(`SELECT ${LISTED_COLUMNS} FROM objects WHERE bucket_id = ? AND key >= ? ORDER BY key LIMIT ?`),
      scanGtLt: raw(`SELECT ${LISTED_COLUMNS} FROM objects WHERE bucket_id = ? AND key > ? AND key < ?
        ORDER BY key LIMIT ?`),
      scanGeLt: raw(`SELECT ${LISTED_COLUMNS} FROM objects WHERE bucket_id = ? AND key >= ? AND key < ?
        ORDER BY key LIMIT ?`),

      insObjectBlob: p('INSERT OR IGNORE INTO object_blobs (blob_id, bucket_id, key) VALUES (?, ?, ?)'),
      delObjectBlob: p('DELETE FROM object_blobs WHERE blob_id = ? AND bucket_id = ? AND key = ?'),
      blobInObjects: p('SELECT 1 FROM object_blobs WHERE blob_id = ? LIMIT 1'),
      blobInParts: p('SELECT 1 FROM upload_parts WHERE blob_id = ? LIMIT 1'),
      blobQueued: p('SELECT 1 FROM blob_deletions WHERE blob_id = ?'),
      queueBlob: p('INSERT OR IGNORE INTO blob_deletions (blob_id, queued_at) VALUES (?, ?)'),
      takeBlobs: p('SELECT blob_id FROM blob_deletions WHERE queued_at <= ? ORDER BY queued_at, blob_id LIMIT ?'),
      ackBlob: p('DELETE FROM blob_deletions WHERE blob_id = ?'),

      insUpload: p(`INSERT INTO multipart_uploads (upload_id, bucket_id, key, initiated_at, owner_id, content_type,
        headers, tagging, storage_class, checksum_algorithm, checksum_type, acl) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      upload: p('SELECT * FROM multipart_uploads WHERE upload_id = ?'),
      uploadBucketTenancy: p(`SELECT u.bucket_id, u.key, b.tenancy_id FROM multipart_uploads u
        JOIN buckets b ON b.id = u.bucket_id WHERE u.upload_id = ?`),
      delUpload: p('DELETE FROM multipart_uploads WHERE upload_id = ?'),
      // ListMultipartUploads: after the key marker, or at it and after the marker upload in (initiated_at, id).
      // The keys after the marker have one lower bound too (scanRange): `>` the marker or `>=` the prefix.
      scanUploadsGt: p('SELECT * FROM multipart_uploads WHERE bucket_id = ? AND key > ? ORDER BY key, initiated_at, upload_id LIMIT ?'),
      scanUploadsGe: p('SELECT * FROM multipart_uploads WHERE bucket_id = ? AND key >= ? ORDER BY key, initiated_at, upload_id LIMIT ?'),
      scanUploadsGtLt: p(`SELECT * FROM multipart_uploads WHERE bucket_id = ? AND key > ? AND key < ?
        ORDER BY key, initiated_at, upload_id LIMIT ?`),
      scanUploadsGeLt: p(`SELECT * FROM multipart_uploads WHERE bucket_id = ? AND key >= ? AND key < ?
        ORDER BY key, initiated_at, upload_id LIMIT ?`),
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
      partBytes: p('SELECT coalesce(sum(size), 0) AS bytes FROM upload_parts WHERE upload_id = ?'),
      objectSize: p('SELECT size FROM objects WHERE bucket_id = ? AND key = ?'),

      creditOf: p('SELECT bytes FROM upload_credits WHERE upload_id = ?'),
      creditsAtKey: p('SELECT upload_id, bytes FROM upload_credits WHERE bucket_id = ? AND key = ? ORDER BY upload_id'),
      keyCredit: p('SELECT coalesce(sum(bytes), 0) AS bytes FROM upload_credits WHERE bucket_id = ? AND key = ?'),
      setCredit: p(`INSERT INTO upload_credits (upload_id, bucket_id, key, bytes) VALUES (?, ?, ?, ?)
        ON CONFLICT (upload_id) DO UPDATE SET bytes = excluded.bytes`),
      delCredit: p('DELETE FROM upload_credits WHERE upload_id = ?'),
      delCreditsAtKey: p('DELETE FROM upload_credits WHERE bucket_id = ? AND key = ?'),

      completedUpload: p('SELECT * FROM completed_uploads WHERE upload_id = ?'),
      delCompletedAtKey: p('DELETE FROM completed_uploads WHERE bucket_id = ? AND key = ?'),
      insCompleted: p(`INSERT OR REPLACE INTO completed_uploads (upload_id, bucket_id, key, etag, last_modified, completed_at)
        VALUES (?, ?, ?, ?, ?, ?)`),
      pruneCompleted: p(`DELETE FROM completed_uploads WHERE upload_id IN
        (SELECT upload_id FROM completed_uploads WHERE completed_at < ? ORDER BY completed_at LIMIT 100)`),

      authFailure: p('SELECT key, failures, last_failure FROM auth_failures WHERE key = ?'),
      putAuthFailure: p(`INSERT INTO auth_failures (key, failures, last_failure) VALUES (?, ?, ?)
        ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, last_failure = excluded.last_failure`),
      withdrawAuthFailure: p(`UPDATE auth_failures SET failures = failures - 1,
        last_failure = CASE WHEN last_failure = ? THEN ? ELSE last_failure END WHERE key = ? AND failures > 0`),
      dropSpentAuthFailure: p('DELETE FROM auth_failures WHERE key = ? AND failures <= 0'),
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

  // ----- tenancies, users, membership

  /** Memberships, keys, join requests and reservations go by ON DELETE CASCADE; the audit trail stays. */
  async deleteTenancy(id: string): Promise<boolean> {
    return this.db
      .transaction((): boolean => {
        if (!this.s.tenancyById.get(id) || this.s.tenancyHasBucket.get(id)) return false;
        for (const k of this.s.keysOfTenancy.all(id)) this.pendingTouches.delete(k.access_key_id);
        this.s.delTenancy.run(id);
        return true;
      })
      .immediate();
  }


  async removeMember(tenancyId: string, userId: string): Promise<boolean> {
    return this.db
      .transaction((): boolean => {
        for (const k of this.s.memberKeys.all(tenancyId, userId)) this.pendingTouches.delete(k.access_key_id);
        this.s.delMemberKeys.run(tenancyId, userId);
        return this.s.delMember.run(tenancyId, userId).changes > 0;
      })
      .immediate();
  }

  // ----- groups

  /**
   * A name that is already a 'local' group is skipped: local groups are managed in Granary, and the
   * directory must not be able to put users into them (nor take them out).
   */
  async setDirectoryGroups(userId: string, names: string[]): Promise<void> {
    this.db
      .transaction(() => {
        const wanted = new Set<string>();
        for (const name of new Set(names)) {
          let g = this.s.groupByName.get(name);
          if (!g) {
            g = { id: newId(), name, source: 'ldap' };
            this.s.insGroup.run(g.id, name, 'ldap', Date.now());
          }
          if (g.source !== 'ldap') continue;
          wanted.add(g.id);
          this.s.addGroupMember.run(g.id, userId);
        }
        for (const g of this.s.groupsOfUser.all(userId)) {
          if (g.source === 'ldap' && !wanted.has(g.id)) this.s.delGroupMember.run(g.id, userId);
        }
      })
      .immediate();
  }

  // ----- join requests

  async decideJoinRequest(
    id: string,
    decision: { approve: boolean; role: Role; decidedBy: string; reason?: string },
  ): Promise<JoinRequestRecord | undefined> {
    return this.db
      .transaction((): JoinRequestRecord | undefined => {
        const now = Date.now();
        const r = this.s.decideJoinRequest.get(
          decision.approve ? 'approved' : 'rejected', now, decision.decidedBy, decision.approve ? decision.role : null, decision.approve ? '' : (decision.reason ?? ''), id,
        );
        if (!r) return undefined;
        if (decision.approve) this.s.upsertMember.get(r.tenancy_id, r.user_id, decision.role, now);
        return toJoinRequest(r);
      })
      .immediate();
  }

  // ----- audit trail

  // ----- access keys

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
    const rec = SharedSqlStore.newBucketRecord({ id: newId(), tenancyId: b.tenancyId, name: b.name, ownerId: b.ownerId, region: b.region });
    const info = this.s.insBucket.run(rec.id, rec.tenancyId, rec.name, rec.ownerId, rec.region, rec.createdAt);
    if (info.changes > 0) return { created: true, bucket: rec };
    return { created: false, existing: toBucket(this.s.bucket.get(b.tenancyId, b.name)!) };
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

  async usageByOwner(tenancyId: string): Promise<UsageGroup[]> {
    return this.s.usageByOwner.all(tenancyId).map((r) => ({ group: r.grp, bytes: Number(r.bytes), objects: Number(r.objects) }));
  }
  async usageByPrefix(bucketId: string): Promise<UsageGroup[]> {
    return this.s.usageByPrefix.all(bucketId).map((r) => ({ group: r.grp, bytes: Number(r.bytes), objects: Number(r.objects) }));
  }

  // ----- objects

  async getObject(bucketId: string, key: string): Promise<ObjectRecord | undefined> {
    const r = this.s.object.get(bucketId, key);
    return r && toObject(r);
  }

  putObject(o: NewObject, condition?: WriteCondition, quota?: WriteQuota): Promise<PutObjectResult> {
    const now = Date.now();
    return this.enqueue(() => this.putObjectNow(o, condition, quota, now));
  }

  async setObjectTagging(bucketId: string, key: string, tagging: string | null): Promise<boolean> {
    return this.s.setTagging.run(tagging, bucketId, key).changes > 0;
  }
  async setObjectAcl(bucketId: string, key: string, acl: string | null): Promise<boolean> {
    return this.s.setObjectAcl.run(acl, bucketId, key).changes > 0;
  }

  deleteObject(bucketId: string, key: string, condition?: WriteCondition): Promise<DeleteObjectResult> {
    return this.enqueue(() => this.deleteObjectNow(bucketId, key, condition));
  }

  async scanObjects(bucketId: string, scan: ObjectScan): Promise<ListedObject[]> {
    const limit = Math.max(0, Math.floor(scan.limit));
    const r = scanRange(scan.prefix, scan.start, scan.inclusive ?? false);
    if (limit === 0 || r === undefined) return [];
    const rows =
      r.to === undefined
        ? (r.inclusive ? this.s.scanGe : this.s.scanGt).all(bucketId, r.from, limit)
        : (r.inclusive ? this.s.scanGeLt : this.s.scanGtLt).all(bucketId, r.from, r.to, limit);
    return (rows as unknown as unknown[][]).map(toListedObject);
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
      acl: u.acl ?? null,
      checksumAlgorithm: u.checksumAlgorithm,
      checksumType: u.checksumType,
    };
    this.s.insUpload.run(rec.uploadId, rec.bucketId, rec.key, rec.initiatedAt, rec.ownerId, rec.contentType,
      JSON.stringify(rec.headers), rec.tagging, rec.storageClass, rec.checksumAlgorithm, rec.checksumType, rec.acl);
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
    const r = scanRange(scan.prefix, scan.keyMarker, false);
    if (out.length < limit && r !== undefined) {
      const rest = limit - out.length;
      const rows =
        r.to === undefined
          ? (r.inclusive ? this.s.scanUploadsGe : this.s.scanUploadsGt).all(bucketId, r.from, rest)
          : (r.inclusive ? this.s.scanUploadsGeLt : this.s.scanUploadsGtLt).all(bucketId, r.from, r.to, rest);
      out.push(...rows);
    }
    return out.map(toUpload);
  }

  putUploadPart(p: NewUploadPart, quota?: WriteQuota): Promise<PutPartResult> {
    const now = Date.now();
    return this.enqueue(() => this.putUploadPartNow(p, quota, now));
  }
  async listUploadParts(uploadId: string, after: number, limit: number): Promise<UploadPartRecord[]> {
    return this.s.partsAfter.all(uploadId, after, Math.max(0, Math.floor(limit))).map(toPart);
  }
  completeUpload(uploadId: string, o: NewObject, condition?: WriteCondition, quota?: WriteQuota): Promise<PutObjectResult | { ok: false; reason: 'no-such-upload' }> {
    const now = Date.now();
    return this.enqueue(() => this.completeUploadNow(uploadId, o, condition, quota, now));
  }
  abortUpload(uploadId: string): Promise<boolean> {
    return this.enqueue(() => this.abortUploadNow(uploadId));
  }
  async getCompletedUpload(uploadId: string): Promise<CompletedUploadRecord | undefined> {
    const r = this.s.completedUpload.get(uploadId);
    return r && { uploadId: r.upload_id, bucketId: r.bucket_id, key: r.key, etag: r.etag, lastModified: r.last_modified };
  }
  async getKeyCredit(bucketId: string, key: string): Promise<number> {
    return this.s.keyCredit.get(bucketId, key)!.bytes as number;
  }

  // ----- usage

  /**
   * Bucket counted = its object rows (bytes, count) + the part rows of its uploads (bytes); tenancy
   * counted = the sum over its buckets. Read (and fixed) in one IMMEDIATE transaction, so the recount and
   * the counters describe the same instant: no write (group-committed or not) runs in between.
   */
  async recountUsage(tenancyId: string, fix: boolean): Promise<{
    counted: UsageRecord;
    recorded: UsageRecord;
    buckets: Array<{ bucketId: string; counted: UsageRecord; recorded: UsageRecord }>;
  }> {
    return this.db
      .transaction(() => {
        const t = this.s.tenancyUsage.get(tenancyId);
        const recorded: UsageRecord = { bytes: t?.used_bytes ?? 0, objects: t?.used_objects ?? 0 };
        const counted: UsageRecord = { bytes: 0, objects: 0 };
        const buckets = this.s.recount.all(tenancyId).map((r) => {
          const b = {
            bucketId: r.id as string,
            counted: { bytes: r.object_bytes + r.part_bytes - r.credit_bytes, objects: r.object_count } as UsageRecord,
            recorded: { bytes: r.used_bytes, objects: r.used_objects } as UsageRecord,
          };
          counted.bytes += b.counted.bytes;
          counted.objects += b.counted.objects;
          if (fix && (b.counted.bytes !== b.recorded.bytes || b.counted.objects !== b.recorded.objects)) {
            this.s.setBucketUsage.run(b.counted.bytes, b.counted.objects, b.bucketId);
          }
          return b;
        });
        if (fix && t && (counted.bytes !== recorded.bytes || counted.objects !== recorded.objects)) {
          this.s.setTenancyUsage.run(counted.bytes, counted.objects, tenancyId);
        }
        return { counted, recorded, buckets };
      })
      .immediate();
  }

  // ----- quota

  /**
   * Runs through the group-commit queue like the object writes: each reservation is checked and inserted
   * inside the batch's BEGIN IMMEDIATE transaction, after the ops queued before it, so N concurrent
   * reservations are serialised (none can see a stale sum) yet cost one fsync together. Expired
   * reservations of the tenancy are deleted on the way.
   */
  reserveQuota(r: { tenancyId: string; bucketId: string; bytes: number; objects: number; ttlMs: number }): Promise<ReserveResult> {
    return this.enqueue((): ReserveResult => {
      const now = Date.now();
      const state = this.s.quotaState.get(r.bucketId);
      if (!state) throw new Error(`reserveQuota: no bucket ${r.bucketId}`);
      if (state.tenancy_id !== r.tenancyId) throw new Error(`reserveQuota: bucket ${r.bucketId} is not in tenancy ${r.tenancyId}`);
      this.s.delExpiredReservations.run(r.tenancyId, now);
      const exceeded = this.checkQuota(r.bucketId, state, r.bytes, r.objects, now);
      if (exceeded) return exceeded;
      const reservation: QuotaReservation = { id: newId(), tenancyId: r.tenancyId, bucketId: r.bucketId, bytes: r.bytes, objects: r.objects };
      this.s.insReservation.run(reservation.id, reservation.tenancyId, reservation.bucketId, reservation.bytes,
        reservation.objects, now + Math.max(0, r.ttlMs));
      return { ok: true, reservation };
    });
  }
  releaseQuota(reservationId: string): Promise<void> {
    return this.enqueue(() => {
      this.s.delReservation.run(reservationId);
    });
  }
  /** Through the queue too: ordered with the write that may release it, and batched with other renewals. */
  renewQuota(reservationId: string, ttlMs: number): Promise<boolean> {
    return this.enqueue(() => this.s.renewReservation.run(Date.now() + Math.max(0, ttlMs), reservationId, Date.now()).changes > 0);
  }
  async clearQuotaReservations(): Promise<number> {
    return this.s.clearReservations.run().changes;
  }

  // ----- usage history

  // ----- portal sessions

  // ----- password-guessing throttle

  async beginAuthAttempt(keys: Array<{ key: string; forgetBefore: number }>, at: number, retryAt: (records: AuthFailureRecord[]) => number): Promise<AuthAttempt> {
    return this.db
      .transaction((): AuthAttempt => {
        const before = keys.map(({ key, forgetBefore }): AuthFailureRecord => {
          const r = this.s.authFailure.get(key) as { failures: number; last_failure: number } | undefined;
          return r && r.last_failure >= forgetBefore ? { key, failures: r.failures, lastFailure: r.last_failure } : { key, failures: 0, lastFailure: 0 };
        });
        const wait = retryAt(before);
        if (wait > at) return { allowed: false, retryAt: wait };
        for (const r of before) this.s.putAuthFailure.run(r.key, r.failures + 1, at);
        return { allowed: true, before };
      })
      .immediate();
  }
  async withdrawAuthFailure(key: string, at: number, previousLastFailure: number): Promise<void> {
    this.db
      .transaction(() => {
        this.s.withdrawAuthFailure.run(at, previousLastFailure, key);
        this.s.dropSpentAuthFailure.run(key);
      })
      .immediate();
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

  /**
   * One transaction, one SAVEPOINT per op, settle promises only after COMMIT (= durable). A batch that
   * failed for want of disk space is run once more after `onFull` freed some (nothing of it was committed,
   * and every op is a pure function of the database).
   */
  private runBatch(batch: QueuedOp[], retried = false): void {
    const outcomes: { ok: boolean; value: unknown }[] = [];
    const retryIfFull = (failures: unknown[]): boolean => {
      if (retried || !failures.some(isDiskFull) || !this.options.onFull?.()) return false;
      try {
        if (this.db.inTransaction) this.s.rollback.run();
      } catch {
        // the retry's BEGIN reports it
      }
      this.runBatch(batch, true);
      return true;
    };
    try {
      this.s.begin.run();
    } catch (e) {
      if (retryIfFull([e])) return;
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
    if (retryIfFull(outcomes.filter((o) => !o.ok).map((o) => o.value))) return;
    try {
      this.s.commit.run();
    } catch (e) {
      if (retryIfFull([e])) return;
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

  /**
   * The quota check (DESIGN §3) for a change of usage by (bytes, objects) in the bucket and its tenancy:
   * reads the counters of `state` (a quotaState row) and, only where a growing kind has a quota, the live
   * reservations; the decision itself is the shared rule (metadata/quota-rule.ts).
   */
  private checkQuota(bucketId: string, state: Row, bytes: number, objects: number, now: number): QuotaExceeded | undefined {
    if (bytes <= 0 && objects <= 0) return undefined;
    const counters = (p: 'b_' | 't_', reserved: () => Row): QuotaCounters => {
      const c = { usedBytes: state[`${p}used_bytes`], usedObjects: state[`${p}used_objects`], quotaBytes: state[`${p}quota_bytes`], quotaObjects: state[`${p}quota_objects`], reservedBytes: 0, reservedObjects: 0 };
      if (needsReservations(c, bytes, objects)) {
        const r = reserved();
        c.reservedBytes = r.bytes;
        c.reservedObjects = r.objects;
      }
      return c;
    };
    return overQuota(
      counters('b_', () => this.s.bucketReserved.get(bucketId, now) as Row),
      counters('t_', () => this.s.tenancyReserved.get(state.tenancy_id, now) as Row),
      bytes,
      objects,
    );
  }

  /** A write's quota step, after its reservation (if any) was released: refuses it if `enforce` and over. */
  private enforceQuota(quota: WriteQuota | undefined, bucketId: string, bytes: number, objects: number): QuotaExceeded | undefined {
    if (!quota?.enforce || (bytes <= 0 && objects <= 0)) return undefined;
    const state = this.s.quotaState.get(bucketId);
    return state && this.checkQuota(bucketId, state, bytes, objects, Date.now());
  }

  /** Releases a write's reservation first thing: its room now counts as the write itself (or nothing). */
  private releaseReservation(quota: WriteQuota | undefined): void {
    if (quota?.reservationId !== undefined) this.s.delReservation.run(quota.reservationId);
  }

  /** Queues the blob for deletion unless an object or an upload part still references it. */
  private releaseBlob(blobId: string, now: number): void {
    if (this.s.blobInObjects.get(blobId) || this.s.blobInParts.get(blobId)) return;
    this.s.queueBlob.run(blobId, now);
  }

  /** Writes the object row and its blob references; returns the record as stored. */
  private writeObject(o: NewObject, now: number): ObjectRecord {
    const rec: ObjectRecord = objectRecordOf(o, now);
    this.s.putObject.run(rec.bucketId, rec.key, rec.size, rec.etag, rec.lastModified, rec.contentType,
      JSON.stringify(rec.headers), rec.inline, partsJson(rec.parts),
      rec.checksum === null ? null : JSON.stringify(rec.checksum), rec.tagging, rec.ownerId, rec.storageClass, rec.acl);
    for (const blobId of blobIdsOf(rec.parts)) this.s.insObjectBlob.run(blobId, rec.bucketId, rec.key);
    return rec;
  }

  /** Drops the object-blob references of `old` (a replaced/deleted object); returns its blob ids. */
  private unreferenceObject(old: ObjectRecord): string[] {
    const ids = blobIdsOf(old.parts);
    for (const blobId of ids) this.s.delObjectBlob.run(blobId, old.bucketId, old.key);
    return ids;
  }

  /**
   * For the object at (bucketId, key) becoming `size` bytes (0 = deleted): how the credits uploads hold
   * against it must be trimmed to fit (metadata/quota-rule.ts). `cut` becomes charged usage; `apply`
   * writes the trim (only once the write is past its quota check). `except` (the completing upload) is
   * left out.
   */
  private fitCredits(bucketId: string, key: string, size: number, except?: string): { cut: number; apply: () => void } {
    const credits = (this.s.creditsAtKey.all(bucketId, key) as Row[])
      .filter((r) => r.upload_id !== except)
      .map((r) => ({ uploadId: r.upload_id as string, bytes: r.bytes as number }));
    const { changed, cut } = trimCredits(credits, size);
    return {
      cut,
      apply: () => {
        for (const c of changed) {
          if (c.bytes === 0) this.s.delCredit.run(c.uploadId);
          else this.s.setCredit.run(c.uploadId, bucketId, key, c.bytes);
        }
      },
    };
  }

  private putObjectNow(o: NewObject, condition: WriteCondition | undefined, quota: WriteQuota | undefined, now: number): PutObjectResult {
    this.releaseReservation(quota);
    const bucket = this.s.bucketTenancy.get(o.bucketId);
    if (!bucket) return { ok: false, reason: 'no-such-bucket' };
    const oldRow = this.s.object.get(o.bucketId, o.key);
    const old = oldRow && toObject(oldRow);
    if (!conditionHolds(old, condition)) return { ok: false, reason: 'precondition-failed' };
    // A smaller object offers less to the uploads that will replace it: their cut credits become usage.
    const fit = old && o.size < old.size ? this.fitCredits(o.bucketId, o.key, o.size) : undefined;
    const bytes = o.size - (old?.size ?? 0) + (fit?.cut ?? 0);
    const exceeded = this.enforceQuota(quota, o.bucketId, bytes, old ? 0 : 1);
    if (exceeded) return exceeded;
    fit?.apply();
    // Unreference first, then write: a blob kept by the new object must not be queued.
    const oldBlobs = old ? this.unreferenceObject(old) : [];
    const object = this.writeObject(o, now);
    for (const b of oldBlobs) this.releaseBlob(b, now);
    this.addUsage(o.bucketId, bucket.tenancy_id, bytes, old ? 0 : 1);
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
    // Uploads that were to replace it now add their bytes: the credits come back as usage (never more
    // than the object's size, so a delete never grows usage).
    const fit = this.fitCredits(bucketId, key, 0);
    fit.apply();
    this.addUsage(bucketId, bucket.tenancy_id, -old.size + fit.cut, -1);
    return { ok: true, deleted: old };
  }

  private putUploadPartNow(p: NewUploadPart, quota: WriteQuota | undefined, now: number): PutPartResult {
    this.releaseReservation(quota);
    const up = this.s.uploadBucketTenancy.get(p.uploadId);
    if (!up) return { ok: false, reason: 'no-such-upload' };
    const oldRow = this.s.part.get(p.uploadId, p.partNumber);
    const old = oldRow && toPart(oldRow);
    const growth = p.size - (old?.size ?? 0);
    // The upload's credit against the object it will replace (metadata/quota-rule.ts).
    const objectBytes = (this.s.objectSize.get(up.bucket_id, up.key)?.size as number | undefined) ?? 0;
    const credit = (this.s.creditOf.get(p.uploadId)?.bytes as number | undefined) ?? 0;
    let newCredit = 0;
    if (objectBytes > 0 || credit > 0) {
      const partBytes = (this.s.partBytes.get(p.uploadId)!.bytes as number) + growth;
      const others = (this.s.keyCredit.get(up.bucket_id, up.key)!.bytes as number) - credit;
      newCredit = creditFor(partBytes, objectBytes, others);
    }
    const bytes = growth - (newCredit - credit);
    const exceeded = this.enforceQuota(quota, up.bucket_id, bytes, 0);
    if (exceeded) return exceeded;
    this.s.putPart.run(p.uploadId, p.partNumber, p.blobId, p.size, p.etag, p.checksum, now);
    if (old && old.blobId !== p.blobId) this.releaseBlob(old.blobId, now);
    if (newCredit > 0) this.s.setCredit.run(p.uploadId, up.bucket_id, up.key, newCredit);
    else if (credit > 0) this.s.delCredit.run(p.uploadId);
    this.addUsage(up.bucket_id, up.tenancy_id, bytes, 0);
    return { ok: true, replaced: old };
  }

  /**
   * Usage changes by (object size − all the upload's part bytes − replaced object's size + the upload's
   * credit + other uploads' credits the new object no longer covers) bytes, which is normally ≤ 0 (the parts
   * were counted as they arrived, net of the credit), and by +1 object for a new key.
   */
  private completeUploadNow(uploadId: string, o: NewObject, condition: WriteCondition | undefined, quota: WriteQuota | undefined, now: number): PutObjectResult | { ok: false; reason: 'no-such-upload' } {
    this.releaseReservation(quota);
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
    const partBytes = parts.reduce((n, p) => n + p.size, 0);
    const credit = (this.s.creditOf.get(uploadId)?.bytes as number | undefined) ?? 0;
    const fit = old ? this.fitCredits(o.bucketId, o.key, o.size, uploadId) : undefined;
    const bytes = o.size - partBytes - (old?.size ?? 0) + credit + (fit?.cut ?? 0);
    // A refused completion, like a failed precondition, leaves the upload in place.
    const exceeded = this.enforceQuota(quota, o.bucketId, bytes, old ? 0 : 1);
    if (exceeded) return exceeded;
    fit?.apply();
    this.s.delParts.run(uploadId);
    this.s.delUpload.run(uploadId); // its credit goes with it (ON DELETE CASCADE)
    const oldBlobs = old ? this.unreferenceObject(old) : [];
    const object = this.writeObject(o, now);
    // Part blobs now referenced by the object survive releaseBlob; unused parts are queued.
    for (const b of [...oldBlobs, ...parts.map((p) => p.blobId)]) this.releaseBlob(b, now);
    this.addUsage(o.bucketId, up.tenancy_id, bytes, old ? 0 : 1);
    this.s.delCompletedAtKey.run(o.bucketId, o.key);
    this.s.pruneCompleted.run(now - COMPLETED_UPLOAD_RETENTION_MS);
    this.s.insCompleted.run(uploadId, o.bucketId, o.key, object.etag, object.lastModified, now);
    return { ok: true, object, replaced: old };
  }

  private abortUploadNow(uploadId: string): boolean {
    const now = Date.now();
    const up = this.s.uploadBucketTenancy.get(uploadId);
    if (!up) return false;
    const parts = this.s.parts.all(uploadId).map(toPart);
    const credit = (this.s.creditOf.get(uploadId)?.bytes as number | undefined) ?? 0;
    this.s.delParts.run(uploadId);
    this.s.delUpload.run(uploadId); // its credit goes with it (ON DELETE CASCADE)
    for (const p of parts) this.releaseBlob(p.blobId, now);
    // The credited bytes were never charged: only the rest comes back.
    this.addUsage(up.bucket_id, up.tenancy_id, -parts.reduce((n, p) => n + p.size, 0) + credit, 0);
    return true;
  }
}
