/**
 * Reads of object versions (issue 19; metadata/versions.ts), the same SQL on both dialects over the query port:
 * one version by id, the delete marker a GET that missed answers with, and ListObjectVersions' scan.
 */
import type { DeleteMarkerRecord, ListedVersion, ObjectVersion, VersionScan } from '../store.js';
import { scanRange } from '../key-range.js';
import { toObject } from '../rows.js';
import { LISTED_VERSION_COLUMNS, mergeVersionScans, toListedVersion, toMarker } from '../versions.js';
import type { Row, SqlPort } from './port.js';

/** A key's newest noncurrent row (the latest version when the key has no current one). */
const NEWEST_VERSION = 'SELECT * FROM object_versions WHERE bucket_id = ? AND key = ? ORDER BY seq DESC LIMIT 1';

export async function getObjectVersion(q: SqlPort, bucketId: string, key: string, versionId: string): Promise<ObjectVersion | undefined> {
  const cur = await q.one('SELECT * FROM objects WHERE bucket_id = ? AND key = ? AND version_id = ?', [bucketId, key, versionId]);
  if (cur) return { kind: 'object', object: toObject(cur), isLatest: true };
  const row = await q.one('SELECT * FROM object_versions WHERE bucket_id = ? AND key = ? AND version_id = ?', [bucketId, key, versionId]);
  if (!row) return undefined;
  // A noncurrent row is the latest only when the key has no current version and nothing newer.
  const isLatest = !(await q.one('SELECT 1 AS one FROM objects WHERE bucket_id = ? AND key = ?', [bucketId, key]))
    && Number((await q.one(NEWEST_VERSION, [bucketId, key]))!.seq) === Number(row.seq);
  const marker = row.is_delete_marker === true || row.is_delete_marker === 1;
  return marker ? { kind: 'marker', marker: toMarker(row), isLatest } : { kind: 'object', object: toObject(row), isLatest };
}

export async function getDeleteMarker(q: SqlPort, bucketId: string, key: string): Promise<DeleteMarkerRecord | undefined> {
  if (await q.one('SELECT 1 AS one FROM objects WHERE bucket_id = ? AND key = ?', [bucketId, key])) return undefined;
  const newest = await q.one(NEWEST_VERSION, [bucketId, key]);
  return newest && (newest.is_delete_marker === true || newest.is_delete_marker === 1) ? toMarker(newest) : undefined;
}

/**
 * At most `limit` rows from each table per call, each scan with one lower bound (key-range.ts scanRange),
 * merged (metadata/versions.ts): a page costs what it shows, wherever it starts in the bucket.
 */
export async function scanObjectVersions(q: SqlPort, bucketId: string, scan: VersionScan): Promise<ListedVersion[]> {
  const limit = Math.max(0, Math.floor(scan.limit));
  if (limit === 0) return [];
  const out: ListedVersion[] = [];
  const inclusive = scan.inclusive ?? false;
  if (scan.versionIdMarker !== undefined && !inclusive && scan.start.startsWith(scan.prefix)) {
    // The rest of the marker key: the versions older than the marker version (none for an unknown id).
    const k = scan.start;
    const cur = await q.one('SELECT version_id FROM objects WHERE bucket_id = ? AND key = ?', [bucketId, k]);
    let rows: Row[] = [];
    if (cur?.version_id === scan.versionIdMarker) {
      rows = await q.all(`SELECT ${LISTED_VERSION_COLUMNS}, is_delete_marker FROM object_versions WHERE bucket_id = ? AND key = ?
        ORDER BY seq DESC LIMIT ?`, [bucketId, k, limit]);
    } else {
      const m = await q.one('SELECT seq FROM object_versions WHERE bucket_id = ? AND key = ? AND version_id = ?', [bucketId, k, scan.versionIdMarker]);
      if (m) {
        rows = await q.all(`SELECT ${LISTED_VERSION_COLUMNS}, is_delete_marker FROM object_versions WHERE bucket_id = ? AND key = ?
          AND seq < ? ORDER BY seq DESC LIMIT ?`, [bucketId, k, m.seq, limit]);
      }
    }
    for (const r of rows) out.push(toListedVersion(r, false));
  }
  const r = scanRange(scan.prefix, scan.start, inclusive);
  if (out.length >= limit || r === undefined) return out;
  const rest = limit - out.length;
  const bound = `key ${r.inclusive ? '>=' : '>'} ?${r.to === undefined ? '' : ' AND key < ?'}`;
  const params = r.to === undefined ? [bucketId, r.from, rest] : [bucketId, r.from, r.to, rest];
  const current = await q.all(`SELECT ${LISTED_VERSION_COLUMNS} FROM objects WHERE bucket_id = ? AND ${bound} ORDER BY key LIMIT ?`, params);
  const noncurrent = await q.all(`SELECT ${LISTED_VERSION_COLUMNS}, is_delete_marker FROM object_versions WHERE bucket_id = ? AND ${bound}
    ORDER BY key, seq DESC LIMIT ?`, params);
  out.push(...mergeVersionScans(current, noncurrent, rest));
  return out;
}
