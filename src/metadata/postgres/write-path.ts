/**
 * The PostgreSQL store's write path: the plumbing (pool queries, retried transactions, per-key lanes),
 * objects and multipart uploads, and the write bodies with their row locks and quota step (see
 * postgres-store.ts for the locking order and why). The quota arithmetic is metadata/quota-rule.ts.
 */
import pg from 'pg';
import { scanRange } from '../key-range.js';
import { postgresPort } from '../sql/port.js';
import { PostgresVersionWrites } from './version-writes.js';
import { conditionHolds, creditFor, needsReservations, overQuota, trimCredits, type QuotaCounters } from '../quota-rule.js';
import { COMPLETED_UPLOAD_RETENTION_MS } from '../store.js';
import type {
  VersionedDelete,
  DeleteObjectResult,
  MultipartUploadRecord,
  NewMultipartUpload,
  NewObject,
  NewUploadPart,
  ListedObject,
  ObjectRecord,
  ObjectScan,
  PutObjectResult,
  CompletedUploadRecord,
  QuotaExceeded,
  UploadPartRecord,
  WriteCondition,
  WriteQuota,
} from '../store.js';
import { objectRecordOf, toObject, toPart, toUpload } from '../rows.js';
import { effectiveVersioning, newVersionId } from '../versions.js';
import type { StoreObserver } from '../store.js';
import { blobIdsOf, CONFIGURATION_SQL, isRetryable, LISTED_COLUMNS, MAX_ATTEMPTS, OBJECT_COLUMNS, QuotaRefusal, SQL, sleep, toListedObject, type CompleteResult, type PartResult, type Row } from './statements.js';

export abstract class PostgresWritePath extends PostgresVersionWrites {
  protected closed = false;
  /** Tail of the write chain per lane (object key or upload id); the promises never reject. */
  private readonly lanes = new Map<string, Promise<void>>();
  protected readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    protected readonly pool: pg.Pool,
    protected readonly observer: StoreObserver = {},
  ) {
    // The port runs through query() and tx() below, which refuse once the store is closed.
    let store: PostgresWritePath | undefined;
    super(
      postgresPort(
        (sql, params) => store!.query(sql, params),
        (fn) => (store!.closed ? Promise.reject(new Error('metadata store is closed')) : store!.tx((c) => fn((sql, params) => c.query(sql, params)))),
      ),
      CONFIGURATION_SQL,
    );
    store = this;
  }

  // ----- plumbing

  protected async query(sql: string, params: unknown[] = []): Promise<pg.QueryResult<Row>> {
    if (this.closed) throw new Error('metadata store is closed');
    return this.pool.query(sql, params);
  }

  /**
   * Runs `fn` in one transaction on one pooled connection; retried on serialization failure/deadlock
   * (the whole function re-runs, so it must only depend on what it reads inside the transaction).
   */
  protected async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const waitStarted = process.hrtime.bigint();
      const c = await this.pool.connect();
      const started = process.hrtime.bigint();
      this.observer.poolWait?.(Number(started - waitStarted) / 1e9);
      let discard = false;
      try {
        await c.query('BEGIN');
        const value = await fn(c);
        await c.query('COMMIT');
        this.observer.transaction?.(Number(process.hrtime.bigint() - started) / 1e9, 1);
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
  protected write<T>(laneNames: string[], fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
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
  protected quotaWrite<T>(laneNames: string[], quota: WriteQuota | undefined, fn: (c: pg.PoolClient) => Promise<T>): Promise<T | QuotaExceeded> {
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

  protected static uploadLane(uploadId: string): string {
    return `u:${uploadId}`;
  }

  // ----- objects

  async getObject(bucketId: string, key: string): Promise<ObjectRecord | undefined> {
    const r = (await this.query(`SELECT ${OBJECT_COLUMNS} FROM objects WHERE bucket_id = $1 AND key = $2`, [bucketId, key])).rows[0];
    return r && toObject(r);
  }

  putObject(o: NewObject, condition?: WriteCondition, quota?: WriteQuota): Promise<PutObjectResult> {
    const now = Date.now();
    return this.quotaWrite([PostgresWritePath.objectLane(o.bucketId, o.key)], quota, async (c): Promise<PutObjectResult> => {
      const bucket = (await c.query(SQL.bucketForWrite, [o.bucketId])).rows[0];
      if (!bucket) return { ok: false, reason: 'no-such-bucket' };
      const stored = await this.storeObject(c, o, condition, now, bucket.version_seq);
      if (!stored.ok) return stored;
      await this.releaseBlobs(c, stored.oldBlobs, now);
      // A smaller object offers less to the uploads that will replace it: their cut credits become usage.
      // Credits are held against a current null version only; one that stays noncurrent keeps none.
      const old = stored.old;
      const cut = old?.versionId === 'null' && (stored.object.versionId !== 'null' || o.size < old.size)
        ? await this.fitCredits(c, o.bucketId, o.key, stored.object.versionId !== 'null' ? 0 : o.size)
        : 0;
      await this.applyUsage(c, o.bucketId, o.size - stored.removedBytes + cut, stored.removed ? 0 : 1, quota);
      return { ok: true, object: stored.object, replaced: stored.replaced };
    });
  }

  async setObjectAcl(bucketId: string, key: string, acl: string | null, versionId?: string): Promise<boolean> {
    return this.setObjectColumn('acl', bucketId, key, acl, versionId);
  }

  async setObjectTagging(bucketId: string, key: string, tagging: string | null, versionId?: string): Promise<boolean> {
    return this.setObjectColumn('tagging', bucketId, key, tagging, versionId);
  }

  deleteObject(bucketId: string, key: string, condition?: WriteCondition, versioned?: VersionedDelete): Promise<DeleteObjectResult> {
    return this.write([PostgresWritePath.objectLane(bucketId, key)], async (c): Promise<DeleteObjectResult> => {
      const now = Date.now();
      const oldRow = (await c.query(SQL.objectForUpdate, [bucketId, key])).rows[0];
      const old = oldRow && toObject(oldRow);
      if (!conditionHolds(old, condition)) return { ok: false, reason: 'precondition-failed' };
      const mode = effectiveVersioning(versioned?.versioning, 0, old);
      if (mode) return this.addDeleteMarker(c, bucketId, key, old, mode, versioned?.ownerId ?? old!.ownerId, now);
      if (!old) return { ok: true, deleted: undefined };
      const credit = (await c.query(SQL.deleteObject, [bucketId, key])).rows[0]?.credit ?? 0;
      await c.query(SQL.unreferenceObject, [bucketId, key, old.versionId]);
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

  putUploadPart(p: NewUploadPart, quota?: WriteQuota): Promise<PartResult> {
    return this.quotaWrite([PostgresWritePath.uploadLane(p.uploadId)], quota, async (c): Promise<PartResult> => {
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
      if (object && object.version_id === 'null') {
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
    const lanes = [PostgresWritePath.uploadLane(uploadId), PostgresWritePath.objectLane(o.bucketId, o.key)];
    return this.quotaWrite(lanes, quota, async (c): Promise<CompleteResult> => {
      const up = (await c.query(SQL.uploadForUpdate, [uploadId])).rows[0];
      if (!up) return { ok: false, reason: 'no-such-upload' };
      if (up.bucket_id !== o.bucketId || up.key !== o.key) {
        throw new Error(`completeUpload: object ${o.bucketId}/${o.key} does not match upload ${uploadId}`);
      }
      const bucket = (await c.query(SQL.bucketForWrite, [o.bucketId])).rows[0];
      if (!bucket) return { ok: false, reason: 'no-such-bucket' };
      const stored = await this.storeObject(c, o, condition, now, bucket.version_seq);
      // A failed precondition leaves the upload in place (S3 lets the client retry or abort); nothing
      // has been written at that point, so committing the (read-only) transaction is harmless.
      if (!stored.ok) return stored;
      const parts = (await c.query(SQL.partsOf, [uploadId])).rows.map(toPart);
      // Credits exist only against a current null version: this upload's comes back (with the replaced object,
      // or as usage when that version stays noncurrent), the others' are trimmed to the new current version's
      // size (nothing, when it is not the null version).
      let credit = 0;
      let cut = 0;
      if (stored.old?.versionId === 'null') {
        credit = (await c.query(SQL.creditOf, [uploadId])).rows[0]!.bytes;
        cut = await this.fitCredits(c, o.bucketId, o.key, stored.object.versionId === 'null' ? o.size : 0, uploadId);
      }
      await c.query(SQL.deleteUpload, [uploadId]); // its credit goes with it (ON DELETE CASCADE)
      // Part blobs now referenced by the object survive the release; unused parts are queued.
      await this.releaseBlobs(c, [...stored.oldBlobs, ...parts.map((p) => p.blobId)], now);
      const partBytes = parts.reduce((n, p) => n + p.size, 0);
      await this.applyUsage(c, o.bucketId, o.size - partBytes - stored.removedBytes + credit + cut, stored.removed ? 0 : 1, quota);
      await c.query(SQL.recordCompletion, [uploadId, o.bucketId, o.key, stored.object.etag, stored.object.lastModified, now, now - COMPLETED_UPLOAD_RETENTION_MS]);
      return { ok: true, object: stored.object, replaced: stored.replaced };
    });
  }

  abortUpload(uploadId: string): Promise<boolean> {
    return this.write([PostgresWritePath.uploadLane(uploadId)], async (c) => {
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

  // ----- write bodies (inside a transaction)

  /**
   * Locks the object row (or wins the insert race for a new key), checks the condition against the
   * locked state, and writes the object and its blob references. Returns the old object's blob ids,
   * for the caller to release once everything else that may still reference them is written.
   */
  protected async storeObject(
    c: pg.PoolClient,
    o: NewObject,
    condition: WriteCondition | undefined,
    now: number,
    versionSeq: number,
  ): Promise<
    | {
        ok: true;
        object: ObjectRecord;
        /** The current version before (kept as noncurrent in a versioned bucket unless it was the null version). */
        old: ObjectRecord | undefined;
        /** The object whose data is gone (the old one, or in a Suspended bucket the null version), and the bytes given back. */
        replaced: ObjectRecord | undefined;
        removed: boolean;
        removedBytes: number;
        oldBlobs: string[];
      }
    | { ok: false; reason: 'precondition-failed' }
  > {
    for (;;) {
      const oldRow = (await c.query(SQL.objectForUpdate, [o.bucketId, o.key])).rows[0];
      const old = oldRow && toObject(oldRow);
      if (!conditionHolds(old, condition)) return { ok: false, reason: 'precondition-failed' };
      const mode = effectiveVersioning(o.versioning, versionSeq, old);
      // Versioned: the version's place in the bucket (after the object row lock), and what goes for good.
      const seq = mode ? ((await c.query(SQL.takeSeq, [o.bucketId])).rows[0]!.version_seq as number) : 0;
      const removed = mode ? await this.nullVersionToRemove(c, o.bucketId, o.key, old, mode) : old && { record: old, marker: false, current: true, charged: old.size };
      const object: ObjectRecord = objectRecordOf(o, now, mode === 'Enabled' ? newVersionId(seq) : 'null');
      const params = [object.bucketId, object.key, object.size, object.etag, object.lastModified, object.contentType,
        JSON.stringify(object.headers), object.inline, JSON.stringify(object.parts),
        object.checksum === null ? null : JSON.stringify(object.checksum), object.tagging, object.ownerId, object.storageClass, object.acl,
        object.versionId, seq];
      if (old) {
        if (!removed?.current) await c.query(SQL.toHistory, [o.bucketId, o.key]);
        await c.query(SQL.updateObject, params);
      } else {
        // Nobody had the key when we looked; if someone inserted it since, DO NOTHING waits for them
        // to commit and then leaves the row alone: loop to lock it and re-check the condition.
        const ins = await c.query(SQL.insertObject, params);
        if ((ins.rowCount ?? 0) === 0) continue;
      }
      if (removed && !removed.current) await c.query(SQL.delHistory, [o.bucketId, o.key, 'null']);
      if (removed && !removed.marker) await c.query(SQL.unreferenceObject, [o.bucketId, o.key, removed.record.versionId]);
      const ids = blobIdsOf(object.parts);
      if (ids.length > 0) await c.query(SQL.referenceBlobs, [ids, o.bucketId, o.key, object.versionId]);
      const replaced = removed && !removed.marker ? removed.record : undefined;
      return { ok: true, object, old, replaced, removed: removed !== undefined, removedBytes: removed?.charged ?? 0, oldBlobs: replaced ? blobIdsOf(replaced.parts) : [] };
    }
  }

  /**
   * For the (locked) object at (bucketId, key) becoming `size` bytes: trims the credits uploads hold against
   * it to fit (metadata/quota-rule.ts) and returns the bytes cut, which become charged usage. A quota
   * refusal later in the write rolls the trim back with everything else. `except`: the completing upload.
   */
  protected async fitCredits(c: pg.PoolClient, bucketId: string, key: string, size: number, except?: string): Promise<number> {
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

  /**
   * The usage update of a write, with its quota check (DESIGN §3: the check is part of the update). When
   * enforcing and a delta is positive, the counter rows are locked (bucket, then tenancy: the order every
   * writer uses), other writers' live reservations are added, and a write that would pass a quota throws
   * QuotaRefusal (rolling back everything it did; see quotaWrite, which also releases the write's own
   * reservation in this transaction).
   */
  protected async applyUsage(c: pg.PoolClient, bucketId: string, bytes: number, objects: number, quota: WriteQuota | undefined): Promise<void> {
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
  protected async lockCounters(
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

}
