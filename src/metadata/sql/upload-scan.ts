/**
 * The ordered scan of a bucket's multipart uploads that ListMultipartUploads pages through (core/upload-listing.ts),
 * written once over the query port for both dialects. Order: key (UTF-8 bytes: SQLite's BINARY, PostgreSQL's
 * COLLATE "C"), then (initiatedAt, uploadId). With an upload-id marker, first the remaining uploads of the
 * marker key after the marker upload, then the keys after the marker; an unknown upload-id marker (since
 * completed, say) falls back to upload id order within the key. The keys after the marker have one lower
 * bound (key-range.ts scanRange), so the index seek lands on the first row returned.
 */
import { scanRange } from '../key-range.js';
import { toUpload } from '../rows.js';
import type { MultipartUploadRecord, UploadScan } from '../store.js';
import type { Row, SqlPort } from './port.js';

const ORDER = 'ORDER BY key, initiated_at, upload_id LIMIT ?';

export async function scanUploads(q: SqlPort, bucketId: string, scan: UploadScan): Promise<MultipartUploadRecord[]> {
  const limit = Math.max(0, Math.floor(scan.limit));
  if (limit === 0) return [];
  const out: Row[] = [];
  if (scan.uploadIdMarker !== '' && !scan.inclusive && scan.keyMarker.startsWith(scan.prefix)) {
    const marker = await q.one('SELECT bucket_id, key, initiated_at, upload_id FROM multipart_uploads WHERE upload_id = ?', [scan.uploadIdMarker]);
    out.push(
      ...(marker && marker.bucket_id === bucketId && marker.key === scan.keyMarker
        ? await q.all(
            `SELECT * FROM multipart_uploads WHERE bucket_id = ? AND key = ? AND (initiated_at, upload_id) > (?, ?)
              ORDER BY initiated_at, upload_id LIMIT ?`,
            [bucketId, scan.keyMarker, marker.initiated_at, marker.upload_id, limit],
          )
        : await q.all('SELECT * FROM multipart_uploads WHERE bucket_id = ? AND key = ? AND upload_id > ? ORDER BY initiated_at, upload_id LIMIT ?', [
            bucketId, scan.keyMarker, scan.uploadIdMarker, limit,
          ])),
    );
  }
  const r = scanRange(scan.prefix, scan.keyMarker, scan.inclusive ?? false);
  if (out.length < limit && r !== undefined) {
    const from = r.inclusive ? 'key >= ?' : 'key > ?';
    out.push(
      ...(r.to === undefined
        ? await q.all(`SELECT * FROM multipart_uploads WHERE bucket_id = ? AND ${from} ${ORDER}`, [bucketId, r.from, limit - out.length])
        : await q.all(`SELECT * FROM multipart_uploads WHERE bucket_id = ? AND ${from} AND key < ? ${ORDER}`, [bucketId, r.from, r.to, limit - out.length])),
    );
  }
  return out.map(toUpload);
}
