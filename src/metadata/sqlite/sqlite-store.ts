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
import { migrations } from './migrations.js';
import type { StoreObserver } from '../store.js';
import type {
  CreateBucketResult,
  MetadataStore,
  NewBucket,
  UsageRecord,
  AuthAttempt,
  AuthFailureRecord,
  UsageGroup,
} from '../store.js';

import { SharedSqlStore } from '../sql/shared-store.js';
import { toBucket } from '../rows.js';
import { MAX_BATCH, TOUCH_FLUSH_MS } from './statements.js';
import { SqliteWritePath } from './write-path.js';

export interface SqliteStoreOptions {
  /**
   * Called (synchronously) when a group commit fails for want of disk space (SQLITE_FULL); returns true
   * when it freed space (app.ts releases the space reserve, core/capacity.ts), and the batch is then run
   * once more, so a delete can still commit on a full disk and start giving space back.
   */
  onFull?: () => boolean;
  /** Told of every group commit (duration, writes in it). */
  observer?: StoreObserver;
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

export class SqliteMetadataStore extends SqliteWritePath implements MetadataStore {
  private touchTimer: NodeJS.Timeout | undefined;

  async pendingMigrations(): Promise<number> {
    const done = new Set((this.db.prepare('SELECT id FROM schema_migrations').all() as { id: number }[]).map((r) => r.id));
    return migrations.filter((m) => !done.has(m.id)).length;
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

  // ----- groups

  /**
   * A name that is already a 'local' group is skipped: local groups are managed in Granary, and the
   * directory must not be able to put users into them (nor take them out).
   */
  setDirectoryGroups(userId: string, names: string[]): Promise<void> {
    return this.outsideTx(() =>
      this.db.transaction(() => {
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
      }).immediate(),
    );
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

  createBucket(b: NewBucket): Promise<CreateBucketResult> {
    return this.outsideTx((): CreateBucketResult => {
      const rec = SharedSqlStore.newBucketRecord({ id: newId(), tenancyId: b.tenancyId, name: b.name, ownerId: b.ownerId, region: b.region });
      const info = this.s.insBucket.run(rec.id, rec.tenancyId, rec.name, rec.ownerId, rec.region, rec.createdAt);
      if (info.changes > 0) return { created: true, bucket: rec };
      return { created: false, existing: toBucket(this.s.bucket.get(b.tenancyId, b.name)!) };
    });
  }

  async usageByOwner(tenancyId: string): Promise<UsageGroup[]> {
    return this.s.usageByOwner.all(tenancyId, tenancyId).map((r) => ({ group: r.grp, bytes: Number(r.bytes), objects: Number(r.objects) }));
  }
  async usageByPrefix(bucketId: string): Promise<UsageGroup[]> {
    return this.s.usageByPrefix.all(bucketId, bucketId).map((r) => ({ group: r.grp, bytes: Number(r.bytes), objects: Number(r.objects) }));
  }

  // ----- usage

  /**
   * Bucket counted = its object rows and version rows (bytes, count; a delete marker's bytes are its key's) + the part rows of its uploads (bytes); tenancy
   * counted = the sum over its buckets. Read (and fixed) in one IMMEDIATE transaction, so the recount and
   * the counters describe the same instant: no write (group-committed or not) runs in between.
   */
  async recountUsage(tenancyId: string, fix: boolean): Promise<{
    counted: UsageRecord;
    recorded: UsageRecord;
    buckets: Array<{ bucketId: string; counted: UsageRecord; recorded: UsageRecord }>;
  }> {
    return this.outsideTx(() =>
      this.db.transaction(() => {
        const t = this.s.tenancyUsage.get(tenancyId);
        const recorded: UsageRecord = { bytes: t?.used_bytes ?? 0, objects: t?.used_objects ?? 0 };
        const counted: UsageRecord = { bytes: 0, objects: 0 };
        const buckets = this.s.recount.all(tenancyId).map((r) => {
          const b = {
            bucketId: r.id as string,
            counted: { bytes: r.object_bytes + r.version_bytes + r.part_bytes - r.credit_bytes, objects: r.object_count + r.version_count } as UsageRecord,
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
      }).immediate(),
    );
  }

  // ----- usage history

  // ----- portal sessions

  // ----- password-guessing throttle

  beginAuthAttempt(keys: Array<{ key: string; forgetBefore: number }>, at: number, retryAt: (records: AuthFailureRecord[]) => number): Promise<AuthAttempt> {
    return this.outsideTx(() =>
      this.db.transaction((): AuthAttempt => {
        const before = keys.map(({ key, forgetBefore }): AuthFailureRecord => {
          const r = this.s.authFailure.get(key) as { failures: number; last_failure: number } | undefined;
          return r && r.last_failure >= forgetBefore ? { key, failures: r.failures, lastFailure: r.last_failure } : { key, failures: 0, lastFailure: 0 };
        });
        const wait = retryAt(before);
        if (wait > at) return { allowed: false, retryAt: wait };
        for (const r of before) this.s.putAuthFailure.run(r.key, r.failures + 1, at);
        return { allowed: true, before };
      }).immediate(),
    );
  }

  // ----- blob garbage collection

  async takeBlobDeletions(queuedBefore: number, limit: number): Promise<string[]> {
    return this.s.takeBlobs.all(queuedBefore, Math.max(0, Math.floor(limit))).map((r) => r.blob_id as string);
  }
  async ackBlobDeletions(blobIds: string[]): Promise<void> {
    if (blobIds.length === 0) return;
    await this.outsideTx(() =>
      this.db.transaction(() => {
        for (const id of blobIds) this.s.ackBlob.run(id);
      }).immediate(),
    );
  }
  async isBlobKnown(blobId: string): Promise<boolean> {
    return !!(this.s.blobInObjects.get(blobId) || this.s.blobInParts.get(blobId) || this.s.blobQueued.get(blobId));
  }
}
