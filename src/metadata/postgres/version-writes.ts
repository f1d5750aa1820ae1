/**
 * The PostgreSQL store's write bodies of issue 19 (metadata/versions.ts), below the plumbing of write-path.ts:
 * a delete marker, a version deleted by id (and the promotion of the version under it), the null version a
 * Suspended bucket's write removes, one version's tags and ACL; and the blob and usage steps every write shares.
 * They run inside the caller's transaction, the key's object row locked first (the lock order of
 * postgres-store.ts).
 */
import type pg from 'pg';
import type { DeleteMarkerRecord, DeleteObjectResult, ObjectRecord, ObjectVersion, VersioningState } from '../store.js';
import { SharedSqlStore } from '../sql/shared-store.js';
import { toObject } from '../rows.js';
import { chargedBytes, newVersionId, toMarker } from '../versions.js';
import { blobIdsOf, SQL } from './statements.js';

/** A version a write removes for good (the null version, in a Suspended bucket), and the bytes it took. */
export interface RemovedVersion {
  record: ObjectRecord;
  marker: boolean;
  /** It is the key's current version (replaced in place) rather than a noncurrent one. */
  current: boolean;
  charged: number;
}

export abstract class PostgresVersionWrites extends SharedSqlStore {
  /** A write ordered after this process's earlier writes to the same lanes, in one retried transaction (write-path.ts). */
  protected abstract write<T>(laneNames: string[], fn: (c: pg.PoolClient) => Promise<T>): Promise<T>;

  protected static objectLane(bucketId: string, key: string): string {
    return `o:${bucketId}\u0000${key}`; // NUL cannot occur in a PostgreSQL text value, so no ambiguity
  }

  /** One column of the current object, or of the version `versionId` (current or noncurrent, not a marker). */
  protected setObjectColumn(column: 'acl' | 'tagging', bucketId: string, key: string, value: string | null, versionId: string | undefined): Promise<boolean> {
    return this.write([PostgresVersionWrites.objectLane(bucketId, key)], async (c) => {
      if (versionId === undefined) {
        return ((await c.query(`UPDATE objects SET ${column} = $1 WHERE bucket_id = $2 AND key = $3`, [value, bucketId, key])).rowCount ?? 0) > 0;
      }
      const cur = await c.query(`UPDATE objects SET ${column} = $1 WHERE bucket_id = $2 AND key = $3 AND version_id = $4`, [value, bucketId, key, versionId]);
      if ((cur.rowCount ?? 0) > 0) return true;
      const old = await c.query(`UPDATE object_versions SET ${column} = $1 WHERE bucket_id = $2 AND key = $3 AND version_id = $4 AND NOT is_delete_marker`,
        [value, bucketId, key, versionId]);
      return (old.rowCount ?? 0) > 0;
    });
  }

  /**
   * A delete in a versioned bucket (the object row, if any, is locked): the current version becomes
   * noncurrent (or, the null version in a Suspended bucket, goes) and a delete marker becomes the latest.
   * A marker takes its key's length and one object of usage; deletes are never refused for quota.
   */
  protected async addDeleteMarker(c: pg.PoolClient, bucketId: string, key: string, old: ObjectRecord | undefined, mode: VersioningState, ownerId: string, now: number): Promise<DeleteObjectResult> {
    if (!(await c.query(SQL.bucketForWrite, [bucketId])).rows[0]) return { ok: true, deleted: undefined };
    const removed = await this.nullVersionToRemove(c, bucketId, key, old, mode);
    const seq = (await c.query(SQL.takeSeq, [bucketId])).rows[0]!.version_seq as number;
    let credit = 0;
    if (old) {
      if (!removed?.current) await c.query(SQL.toHistory, [bucketId, key]);
      credit = (await c.query(SQL.deleteObject, [bucketId, key])).rows[0]?.credit ?? 0;
    }
    if (removed && !removed.current) await c.query(SQL.delHistory, [bucketId, key, 'null']);
    if (removed && !removed.marker) {
      await c.query(SQL.unreferenceObject, [bucketId, key, 'null']);
      await this.releaseBlobs(c, blobIdsOf(removed.record.parts), now);
    }
    const marker: DeleteMarkerRecord = { bucketId, key, versionId: mode === 'Enabled' ? newVersionId(seq) : 'null', lastModified: now, ownerId };
    await c.query(SQL.insMarker, [bucketId, key, seq, marker.versionId, now, ownerId]);
    await this.addUsage(c, bucketId, chargedBytes({ key, size: 0 }, true) - (removed?.charged ?? 0) + credit, removed ? 0 : 1);
    return { ok: true, deleted: removed && !removed.marker ? removed.record : undefined, marker };
  }

  /** Removes one version for good; when it was the latest, the newest remaining one (not a marker) becomes current. */
  deleteObjectVersion(bucketId: string, key: string, versionId: string): Promise<ObjectVersion | undefined> {
    return this.write([PostgresVersionWrites.objectLane(bucketId, key)], async (c): Promise<ObjectVersion | undefined> => {
      const now = Date.now();
      if (!(await c.query(SQL.bucketForWrite, [bucketId])).rows[0]) return undefined;
      const curRow = (await c.query(SQL.objectForUpdate, [bucketId, key])).rows[0];
      if (curRow && curRow.version_id === versionId) {
        const cur = toObject(curRow);
        const credit = (await c.query(SQL.deleteObject, [bucketId, key])).rows[0]?.credit ?? 0;
        await c.query(SQL.unreferenceObject, [bucketId, key, versionId]);
        await this.releaseBlobs(c, blobIdsOf(cur.parts), now);
        await this.promoteNewest(c, bucketId, key);
        await this.addUsage(c, bucketId, -cur.size + credit, -1);
        return { kind: 'object', object: cur, isLatest: true };
      }
      const newest = curRow ? undefined : (await c.query(SQL.newestHistoryForUpdate, [bucketId, key])).rows[0];
      const row = (await c.query(SQL.historyVersionForUpdate, [bucketId, key, versionId])).rows[0];
      if (!row) return undefined;
      const isLatest = newest !== undefined && Number(newest.seq) === Number(row.seq);
      await c.query(SQL.delHistory, [bucketId, key, versionId]);
      const marker = row.is_delete_marker === true;
      const version: ObjectVersion = marker ? { kind: 'marker', marker: toMarker(row), isLatest } : { kind: 'object', object: toObject(row), isLatest };
      if (version.kind === 'object') {
        await c.query(SQL.unreferenceObject, [bucketId, key, versionId]);
        await this.releaseBlobs(c, blobIdsOf(version.object.parts), now);
      }
      if (!curRow) await this.promoteNewest(c, bucketId, key);
      await this.addUsage(c, bucketId, -chargedBytes({ key, size: Number(row.size) }, marker), -1);
      return version;
    });
  }

  /** Promotes the key's newest noncurrent version to current, unless it is a delete marker (or there is none). */
  protected async promoteNewest(c: pg.PoolClient, bucketId: string, key: string): Promise<void> {
    const newest = (await c.query(SQL.newestHistoryForUpdate, [bucketId, key])).rows[0];
    if (!newest || newest.is_delete_marker) return;
    const moved = await c.query(SQL.fromHistory, [bucketId, key, newest.version_id]);
    if ((moved.rowCount ?? 0) > 0) await c.query(SQL.delHistory, [bucketId, key, newest.version_id]);
  }

  /**
   * The version a versioned write (or delete marker) at the key removes for good: in a Suspended bucket the
   * null version, current (`old`) or noncurrent (locked here); nothing in an Enabled one.
   */
  protected async nullVersionToRemove(c: pg.PoolClient, bucketId: string, key: string, old: ObjectRecord | undefined, mode: VersioningState): Promise<RemovedVersion | undefined> {
    if (mode !== 'Suspended') return undefined;
    if (old?.versionId === 'null') return { record: old, marker: false, current: true, charged: old.size };
    const row = (await c.query(SQL.historyVersionForUpdate, [bucketId, key, 'null'])).rows[0];
    if (!row) return undefined;
    const marker = row.is_delete_marker === true;
    return { record: toObject(row), marker, current: false, charged: chargedBytes({ key, size: Number(row.size) }, marker) };
  }

  protected async releaseBlobs(c: pg.PoolClient, blobIds: string[], now: number): Promise<void> {
    const ids = [...new Set(blobIds)];
    if (ids.length > 0) await c.query(SQL.releaseBlobs, [ids, now]);
  }

  protected async addUsage(c: pg.PoolClient, bucketId: string, bytes: number, objects: number): Promise<void> {
    if (bytes === 0 && objects === 0) return;
    await c.query(SQL.addUsage, [bytes, objects, bucketId]);
  }
}
