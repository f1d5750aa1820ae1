/**
 * The SQLite store's write path: objects and multipart uploads, quota reservations, and the group commit
 * that runs them (see sqlite-store.ts for durability, group commit, blob bookkeeping and quota). What is
 * the same on PostgreSQL is in sql/shared-store.ts; the quota arithmetic is metadata/quota-rule.ts.
 */
import Database from 'better-sqlite3';
import { newId } from '../../lib/ids.js';
import { scanRange } from '../key-range.js';
import type {
  CompletedUploadRecord,
  ObjectVersion,
  VersionedDelete,
  QuotaReservation,
  ReserveResult,
  WriteQuota,
  DeleteObjectResult,
  MultipartUploadRecord,
  NewMultipartUpload,
  NewObject,
  NewUploadPart,
  ListedObject,
  ObjectRecord,
  ObjectScan,
  PutObjectResult,
  UploadPartRecord,
  WriteCondition,
} from '../store.js';
import { sqlitePort, type SqlitePort } from '../sql/port.js';
import { SqliteObjectWrites } from './object-writes.js';
import { conditionHolds, creditFor } from '../quota-rule.js';
import { COMPLETED_UPLOAD_RETENTION_MS } from '../store.js';
import { toObject, toPart, toUpload } from '../rows.js';
import { effectiveVersioning } from '../versions.js';
import { isDiskFull, MAX_BATCH, prepareStatements, toListedObject, type PutPartResult, type QueuedOp, type Row, type Stmt } from './statements.js';
import type { SqliteStoreOptions } from './sqlite-store.js';

/** JSON operators of the bucket configuration document (bucket-configuration.ts). */
const CONFIGURATION_SQL = {
  set: 'UPDATE buckets SET configuration = json_set(configuration, ?, json(?)) WHERE id = ?',
  remove: 'UPDATE buckets SET configuration = json_remove(configuration, ?) WHERE id = ?',
  byPath: true,
};

export abstract class SqliteWritePath extends SqliteObjectWrites {
  protected readonly s: Record<string, Stmt>;
  protected queue: QueuedOp[] = [];
  private flushScheduled = false;
  protected closed = false;
  /** The shared CRUD's port (`q`), kept with its SQLite face: whether one of its transactions is open. */
  private readonly port: SqlitePort;

  constructor(
    protected readonly db: Database.Database,
    protected readonly options: SqliteStoreOptions = {},
  ) {
    const port = sqlitePort(db);
    super(port, CONFIGURATION_SQL);
    this.port = port;
    this.s = prepareStatements(db);
  }

  /**
   * Runs a write made with the store's own statements (not the port's, not the group commit) once no port
   * transaction is open: on the one connection it would otherwise join that transaction, and go with its
   * rollback. Synchronous, as before, when none is open (nearly always).
   */
  protected outsideTx<T>(write: () => T): Promise<T> {
    const open = this.port.idle();
    if (open) return open.then(() => this.outsideTx(write));
    try {
      return Promise.resolve(write());
    } catch (e) {
      return Promise.reject(e);
    }
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

  setObjectTagging(bucketId: string, key: string, tagging: string | null, versionId?: string): Promise<boolean> {
    return this.outsideTx(() => (versionId !== undefined ? this.setVersionColumn('tagging', bucketId, key, tagging, versionId) : this.s.setTagging.run(tagging, bucketId, key).changes > 0));
  }
  setObjectAcl(bucketId: string, key: string, acl: string | null, versionId?: string): Promise<boolean> {
    return this.outsideTx(() => (versionId !== undefined ? this.setVersionColumn('acl', bucketId, key, acl, versionId) : this.s.setObjectAcl.run(acl, bucketId, key).changes > 0));
  }

  deleteObject(bucketId: string, key: string, condition?: WriteCondition, versioned?: VersionedDelete): Promise<DeleteObjectResult> {
    return this.enqueue(() => this.deleteObjectNow(bucketId, key, condition, versioned));
  }

  deleteObjectVersion(bucketId: string, key: string, versionId: string): Promise<ObjectVersion | undefined> {
    return this.enqueue(() => this.deleteObjectVersionNow(bucketId, key, versionId));
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
    return this.outsideTx(() => {
      this.s.insUpload.run(rec.uploadId, rec.bucketId, rec.key, rec.initiatedAt, rec.ownerId, rec.contentType,
        JSON.stringify(rec.headers), rec.tagging, rec.storageClass, rec.checksumAlgorithm, rec.checksumType, rec.acl);
      return rec;
    });
  }
  async getUpload(uploadId: string): Promise<MultipartUploadRecord | undefined> {
    const r = this.s.upload.get(uploadId);
    return r && toUpload(r);
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
  clearQuotaReservations(): Promise<number> {
    return this.outsideTx(() => this.s.clearReservations.run().changes);
  }

  // ----- group commit

  protected enqueue<T>(run: () => T): Promise<T> {
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
    if (this.port.idle()) {
      // A port transaction is open on the connection (its body awaited past this turn): batch after it.
      this.flushScheduled = true;
      setImmediate(() => this.flush());
      return;
    }
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
  protected runBatch(batch: QueuedOp[], retried = false): void {
    const observer = this.options.observer;
    if (observer?.transaction && !retried) {
      const started = process.hrtime.bigint();
      this.runBatchNow(batch, false);
      observer.transaction(Number(process.hrtime.bigint() - started) / 1e9, batch.length);
      return;
    }
    this.runBatchNow(batch, retried);
  }

  private runBatchNow(batch: QueuedOp[], retried: boolean): void {
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

  private putObjectNow(o: NewObject, condition: WriteCondition | undefined, quota: WriteQuota | undefined, now: number): PutObjectResult {
    this.releaseReservation(quota);
    const bucket = this.s.bucketTenancy.get(o.bucketId);
    if (!bucket) return { ok: false, reason: 'no-such-bucket' };
    const oldRow = this.s.object.get(o.bucketId, o.key);
    const old = oldRow && toObject(oldRow);
    if (!conditionHolds(old, condition)) return { ok: false, reason: 'precondition-failed' };
    const mode = effectiveVersioning(o.versioning, bucket.version_seq, old);
    if (mode) return this.putVersionNow(o, old, mode, bucket.tenancy_id, quota, now);
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

  private deleteObjectNow(bucketId: string, key: string, condition: WriteCondition | undefined, versioned: VersionedDelete | undefined): DeleteObjectResult {
    const now = Date.now();
    const oldRow = this.s.object.get(bucketId, key);
    const old = oldRow && toObject(oldRow);
    if (!conditionHolds(old, condition)) return { ok: false, reason: 'precondition-failed' };
    const mode = effectiveVersioning(versioned?.versioning, 0, old);
    if (mode) return this.addDeleteMarkerNow(bucketId, key, old, mode, versioned?.ownerId ?? old!.ownerId, now);
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
    const mode = effectiveVersioning(o.versioning, up.version_seq, old);
    const parts = this.s.parts.all(uploadId).map(toPart);
    const partBytes = parts.reduce((n, p) => n + p.size, 0);
    const credit = (this.s.creditOf.get(uploadId)?.bytes as number | undefined) ?? 0;
    // Versioned: what goes is the null version (Suspended) if any; credits were held against a current null version.
    const removed = mode ? this.nullVersionToRemove(o.bucketId, o.key, old, mode) : old && { record: old, marker: false, current: true, charged: old.size };
    const fit = old && (!mode || old.versionId === 'null') ? this.fitCredits(o.bucketId, o.key, mode === 'Enabled' ? 0 : o.size, uploadId) : undefined;
    const bytes = o.size - partBytes - (removed?.charged ?? 0) + credit + (fit?.cut ?? 0);
    const objects = removed ? 0 : 1;
    // A refused completion, like a failed precondition, leaves the upload in place.
    const exceeded = this.enforceQuota(quota, o.bucketId, bytes, objects);
    if (exceeded) return exceeded;
    fit?.apply();
    this.s.delParts.run(uploadId);
    this.s.delUpload.run(uploadId); // its credit goes with it (ON DELETE CASCADE)
    let object: ObjectRecord;
    if (mode) {
      object = this.writeVersion(o, old, removed, mode, now);
      for (const p of parts) this.releaseBlob(p.blobId, now);
    } else {
      const oldBlobs = old ? this.unreferenceObject(old) : [];
      object = this.writeObject(o, now);
      // Part blobs now referenced by the object survive releaseBlob; unused parts are queued.
      for (const b of [...oldBlobs, ...parts.map((p) => p.blobId)]) this.releaseBlob(b, now);
    }
    this.addUsage(o.bucketId, up.tenancy_id, bytes, objects);
    this.s.delCompletedAtKey.run(o.bucketId, o.key);
    this.s.pruneCompleted.run(now - COMPLETED_UPLOAD_RETENTION_MS);
    this.s.insCompleted.run(uploadId, o.bucketId, o.key, object.etag, object.lastModified, now);
    return { ok: true, object, replaced: removed && !removed.marker ? removed.record : undefined };
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
