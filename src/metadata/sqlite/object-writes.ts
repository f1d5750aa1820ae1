/**
 * The SQLite store's write bodies below the group commit (sqlite/write-path.ts runs them inside its batch
 * transaction; synchronous): usage and the quota step, blob references and releases, upload credits, and the
 * versioned writes of issue 19 (metadata/versions.ts: a new version, a delete marker, a version deleted by id).
 */
import type {
  DeleteMarkerRecord,
  DeleteObjectResult,
  NewObject,
  ObjectRecord,
  ObjectVersion,
  PutObjectResult,
  QuotaExceeded,
  VersioningState,
  WriteQuota,
} from '../store.js';
import { SharedSqlStore } from '../sql/shared-store.js';
import { needsReservations, overQuota, trimCredits, type QuotaCounters } from '../quota-rule.js';
import { objectRecordOf, toObject } from '../rows.js';
import { chargedBytes, newVersionId, toMarker } from '../versions.js';
import { blobIdsOf, partsJson, type Row, type Stmt } from './statements.js';

/** A version a write removes for good (the null version, in a Suspended bucket), and the bytes it took. */
export interface RemovedVersion {
  record: ObjectRecord;
  marker: boolean;
  /** It is the key's current version (replaced in place) rather than a noncurrent one. */
  current: boolean;
  charged: number;
}

export abstract class SqliteObjectWrites extends SharedSqlStore {
  protected abstract readonly s: Record<string, Stmt>;

  protected addUsage(bucketId: string, tenancyId: string, bytes: number, objects: number): void {
    if (bytes === 0 && objects === 0) return;
    this.s.addBucketUsage.run(bytes, objects, bucketId);
    this.s.addTenancyUsage.run(bytes, objects, tenancyId);
  }

  /**
   * The quota check (DESIGN §3) for a change of usage by (bytes, objects) in the bucket and its tenancy:
   * reads the counters of `state` (a quotaState row) and, only where a growing kind has a quota, the live
   * reservations; the decision itself is the shared rule (metadata/quota-rule.ts).
   */
  protected checkQuota(bucketId: string, state: Row, bytes: number, objects: number, now: number): QuotaExceeded | undefined {
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
  protected enforceQuota(quota: WriteQuota | undefined, bucketId: string, bytes: number, objects: number): QuotaExceeded | undefined {
    if (!quota?.enforce || (bytes <= 0 && objects <= 0)) return undefined;
    const state = this.s.quotaState.get(bucketId);
    return state && this.checkQuota(bucketId, state, bytes, objects, Date.now());
  }

  /** Releases a write's reservation first thing: its room now counts as the write itself (or nothing). */
  protected releaseReservation(quota: WriteQuota | undefined): void {
    if (quota?.reservationId !== undefined) this.s.delReservation.run(quota.reservationId);
  }

  /** Queues the blob for deletion unless an object or an upload part still references it. */
  protected releaseBlob(blobId: string, now: number): void {
    if (this.s.blobInObjects.get(blobId) || this.s.blobInParts.get(blobId)) return;
    this.s.queueBlob.run(blobId, now);
  }

  /** Writes the object row (as the current version) and its blob references; returns the record as stored. */
  protected writeObject(o: NewObject, now: number, versionId = 'null', seq = 0): ObjectRecord {
    const rec: ObjectRecord = objectRecordOf(o, now, versionId);
    this.s.putObject.run(rec.bucketId, rec.key, rec.size, rec.etag, rec.lastModified, rec.contentType,
      JSON.stringify(rec.headers), rec.inline, partsJson(rec.parts),
      rec.checksum === null ? null : JSON.stringify(rec.checksum), rec.tagging, rec.ownerId, rec.storageClass, rec.acl, versionId, seq);
    for (const blobId of blobIdsOf(rec.parts)) this.s.insObjectBlob.run(blobId, rec.bucketId, rec.key, versionId);
    return rec;
  }

  /** Drops the object-blob references of `old` (a replaced/deleted version); returns its blob ids. */
  protected unreferenceObject(old: ObjectRecord): string[] {
    const ids = blobIdsOf(old.parts);
    for (const blobId of ids) this.s.delObjectBlob.run(blobId, old.bucketId, old.key, old.versionId);
    return ids;
  }

  /**
   * The version a versioned write (or delete marker) at the key removes for good: in a Suspended bucket the
   * null version, current (`old`) or noncurrent; nothing in an Enabled one. `charged`: the bytes it took.
   */
  protected nullVersionToRemove(bucketId: string, key: string, old: ObjectRecord | undefined, mode: VersioningState): RemovedVersion | undefined {
    if (mode !== 'Suspended') return undefined;
    if (old?.versionId === 'null') return { record: old, marker: false, current: true, charged: old.size };
    const row = this.s.historyVersion.get(bucketId, key, 'null');
    if (!row) return undefined;
    const marker = row.is_delete_marker === 1;
    return { record: toObject(row), marker, current: false, charged: chargedBytes(row as { key: string; size: number }, marker) };
  }

  /**
   * Writes `o` as the key's new current version in a versioned bucket: the current version (if not the null
   * version being removed) becomes noncurrent, `removed` goes for good, both in this transaction.
   */
  protected writeVersion(o: NewObject, old: ObjectRecord | undefined, removed: RemovedVersion | undefined, mode: VersioningState, now: number): ObjectRecord {
    const seq = this.s.takeSeq.get(o.bucketId)!.version_seq as number;
    if (old && !removed?.current) this.s.toHistory.run(o.bucketId, o.key);
    if (removed && !removed.current) this.s.delHistory.run(o.bucketId, o.key, 'null');
    const removedBlobs = removed && !removed.marker ? this.unreferenceObject(removed.record) : [];
    const object = this.writeObject(o, now, mode === 'Enabled' ? newVersionId(seq) : 'null', seq);
    for (const b of removedBlobs) this.releaseBlob(b, now);
    return object;
  }

  /** Promotes the key's newest noncurrent version to current, unless it is a delete marker (or there is none). */
  protected promoteNewest(bucketId: string, key: string): void {
    const newest = this.s.newestHistory.get(bucketId, key);
    if (!newest || newest.is_delete_marker === 1) return;
    this.s.fromHistory.run(bucketId, key, newest.version_id);
    this.s.delHistory.run(bucketId, key, newest.version_id);
  }

  /**
   * For the object at (bucketId, key) becoming `size` bytes (0 = deleted): how the credits uploads hold
   * against it must be trimmed to fit (metadata/quota-rule.ts). `cut` becomes charged usage; `apply`
   * writes the trim (only once the write is past its quota check). `except` (the completing upload) is
   * left out.
   */
  protected fitCredits(bucketId: string, key: string, size: number, except?: string): { cut: number; apply: () => void } {
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

  /** putObjectNow in a versioned bucket: every version counts (an overwrite adds one), a removed null version is given back. */
  protected putVersionNow(o: NewObject, old: ObjectRecord | undefined, mode: VersioningState, tenancyId: string, quota: WriteQuota | undefined, now: number): PutObjectResult {
    const removed = this.nullVersionToRemove(o.bucketId, o.key, old, mode);
    // Credits are held against a current null version only: trimmed to what replaces it, or to nothing.
    const fit = old?.versionId === 'null' && (mode === 'Enabled' || o.size < old.size) ? this.fitCredits(o.bucketId, o.key, mode === 'Enabled' ? 0 : o.size) : undefined;
    const bytes = o.size - (removed?.charged ?? 0) + (fit?.cut ?? 0);
    const objects = removed ? 0 : 1;
    const exceeded = this.enforceQuota(quota, o.bucketId, bytes, objects);
    if (exceeded) return exceeded;
    fit?.apply();
    const object = this.writeVersion(o, old, removed, mode, now);
    this.addUsage(o.bucketId, tenancyId, bytes, objects);
    return { ok: true, object, replaced: removed && !removed.marker ? removed.record : undefined };
  }

  /**
   * A delete in a versioned bucket: the current version becomes noncurrent (or, the null version in a
   * Suspended bucket, goes), and a delete marker becomes the latest version. A marker takes its key's length
   * and one object of usage; deletes are never refused for quota.
   */
  protected addDeleteMarkerNow(bucketId: string, key: string, old: ObjectRecord | undefined, mode: VersioningState, ownerId: string, now: number): DeleteObjectResult {
    const bucket = this.s.bucketTenancy.get(bucketId);
    if (!bucket) return { ok: true, deleted: undefined };
    const removed = this.nullVersionToRemove(bucketId, key, old, mode);
    const seq = this.s.takeSeq.get(bucketId)!.version_seq as number;
    const fit = old?.versionId === 'null' ? this.fitCredits(bucketId, key, 0) : undefined;
    fit?.apply();
    if (old) {
      if (!removed?.current) this.s.toHistory.run(bucketId, key);
      this.s.delObject.run(bucketId, key);
    }
    if (removed && !removed.current) this.s.delHistory.run(bucketId, key, 'null');
    if (removed && !removed.marker) for (const b of this.unreferenceObject(removed.record)) this.releaseBlob(b, now);
    const marker: DeleteMarkerRecord = { bucketId, key, versionId: mode === 'Enabled' ? newVersionId(seq) : 'null', lastModified: now, ownerId };
    this.s.insMarker.run(bucketId, key, seq, marker.versionId, now, ownerId);
    this.addUsage(bucketId, bucket.tenancy_id, chargedBytes({ key, size: 0 }, true) - (removed?.charged ?? 0) + (fit?.cut ?? 0), removed ? 0 : 1);
    return { ok: true, deleted: removed && !removed.marker ? removed.record : undefined, marker };
  }

  /** Removes one version for good; when it was the latest, the newest remaining one (not a marker) becomes current. */
  protected deleteObjectVersionNow(bucketId: string, key: string, versionId: string): ObjectVersion | undefined {
    const now = Date.now();
    const bucket = this.s.bucketTenancy.get(bucketId);
    if (!bucket) return undefined;
    const curRow = this.s.object.get(bucketId, key);
    if (curRow && curRow.version_id === versionId) {
      const cur = toObject(curRow);
      this.s.delObject.run(bucketId, key);
      for (const b of this.unreferenceObject(cur)) this.releaseBlob(b, now);
      const fit = this.fitCredits(bucketId, key, 0);
      fit.apply();
      this.promoteNewest(bucketId, key);
      this.addUsage(bucketId, bucket.tenancy_id, -cur.size + fit.cut, -1);
      return { kind: 'object', object: cur, isLatest: true };
    }
    const row = this.s.historyVersion.get(bucketId, key, versionId);
    if (!row) return undefined;
    const isLatest = !curRow && this.s.newestHistory.get(bucketId, key)!.seq === row.seq;
    this.s.delHistory.run(bucketId, key, versionId);
    const marker = row.is_delete_marker === 1;
    const version: ObjectVersion = marker ? { kind: 'marker', marker: toMarker(row), isLatest } : { kind: 'object', object: toObject(row), isLatest };
    if (version.kind === 'object') for (const b of this.unreferenceObject(version.object)) this.releaseBlob(b, now);
    if (!curRow) this.promoteNewest(bucketId, key);
    this.addUsage(bucketId, bucket.tenancy_id, -chargedBytes(row as { key: string; size: number }, marker), -1);
    return version;
  }

  /** One column (tags, ACL) of the version `versionId`, current or noncurrent (not a marker). */
  protected setVersionColumn(column: 'tagging' | 'acl', bucketId: string, key: string, value: string | null, versionId: string): boolean {
    const [current, noncurrent] = column === 'tagging' ? [this.s.setTaggingOf!, this.s.setHistoryTagging!] : [this.s.setObjectAclOf!, this.s.setHistoryAcl!];
    return current.run(value, bucketId, key, versionId).changes > 0 || noncurrent.run(value, bucketId, key, versionId).changes > 0;
  }
}
