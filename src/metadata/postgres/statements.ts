/**
 * The PostgreSQL store's SQL text, constants and the object/upload row codecs of its hot paths (JSONB
 * columns arrive parsed). What both dialects share is in sql/shared-store.ts.
 */

import type {
  ListedObject,
  PutObjectResult,
  QuotaExceeded,
  UploadPartRecord,
} from '../store.js';
import { checksumOf } from '../rows.js';

/** How long touchAccessKey updates are coalesced in memory before being written. */
export const TOUCH_FLUSH_MS = 5_000;
/** Attempts for a transaction that fails with a serialization failure or deadlock. */
export const MAX_ATTEMPTS = 5;
export const RETRYABLE = new Set(['40001', '40P01']);
export const INT8_OID = 20;

export type Row = Record<string, any>;
export type PartResult = { ok: true; replaced: UploadPartRecord | undefined } | { ok: false; reason: 'no-such-upload' } | QuotaExceeded;
export type CompleteResult = PutObjectResult | { ok: false; reason: 'no-such-upload' };

export function blobIdsOf(parts: { blobId: string }[]): string[] {
  return [...new Set(parts.map((p) => p.blobId))];
}

export function isRetryable(e: unknown): boolean {
  return typeof e === 'object' && e !== null && RETRYABLE.has((e as { code?: string }).code ?? '');
}

/** Thrown inside a write transaction to roll it back when the write would pass a quota. */
export class QuotaRefusal extends Error {
  constructor(readonly result: QuotaExceeded) {
    super(`quota exceeded: ${result.scope} ${result.kind}`);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function toListedObject(r: Row): ListedObject {
  return {
    key: r.key,
    size: r.size,
    etag: r.etag,
    lastModified: r.last_modified,
    checksum: checksumOf(r.checksum),
    ownerId: r.owner_id,
    storageClass: r.storage_class,
  };
}
export const OBJECT_COLUMNS = `bucket_id, key, size, etag, last_modified, content_type, headers, inline, parts, checksum,
  tagging, owner_id, storage_class, acl, version_id`;
/** The columns a row keeps when it moves between objects and object_versions (metadata/versions.ts). */
const VERSION_COLUMNS = `bucket_id, key, seq, version_id, size, etag, last_modified, content_type, headers, inline, parts, checksum,
  tagging, owner_id, storage_class, acl`;
/** The columns of ListedObject (what a listing shows). */
export const LISTED_COLUMNS = 'key, size, etag, last_modified, checksum, owner_id, storage_class';

export const SQL = {
  bucketForWrite: 'SELECT tenancy_id, version_seq FROM buckets WHERE id = $1 FOR KEY SHARE',
  // A versioned write's place in the bucket's order of versions, taken after the object row lock (the order
  // object → bucket → tenancy every writer follows).
  takeSeq: 'UPDATE buckets SET version_seq = version_seq + 1 WHERE id = $1 RETURNING version_seq',
  toHistory: `INSERT INTO object_versions (${VERSION_COLUMNS}, is_delete_marker)
    SELECT ${VERSION_COLUMNS}, false FROM objects WHERE bucket_id = $1 AND key = $2`,
  // A promotion loses to a concurrent writer of a new current version (ON CONFLICT): the row stays noncurrent.
  fromHistory: `INSERT INTO objects (${VERSION_COLUMNS})
    SELECT ${VERSION_COLUMNS} FROM object_versions WHERE bucket_id = $1 AND key = $2 AND version_id = $3 ON CONFLICT DO NOTHING`,
  historyVersionForUpdate: `SELECT ${VERSION_COLUMNS}, is_delete_marker FROM object_versions
    WHERE bucket_id = $1 AND key = $2 AND version_id = $3 FOR UPDATE`,
  newestHistoryForUpdate: `SELECT seq, version_id, is_delete_marker FROM object_versions WHERE bucket_id = $1 AND key = $2
    ORDER BY seq DESC LIMIT 1 FOR UPDATE`,
  delHistory: 'DELETE FROM object_versions WHERE bucket_id = $1 AND key = $2 AND version_id = $3',
  insMarker: `INSERT INTO object_versions (bucket_id, key, seq, version_id, is_delete_marker, size, etag, last_modified,
    content_type, headers, parts, owner_id, storage_class) VALUES ($1, $2, $3, $4, true, 0, '', $5, '', '{}', '[]', $6, 'STANDARD')`,
  objectForUpdate: `SELECT ${OBJECT_COLUMNS} FROM objects WHERE bucket_id = $1 AND key = $2 FOR UPDATE`,
  insertObject: `INSERT INTO objects (${OBJECT_COLUMNS}, seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
    ON CONFLICT (bucket_id, key) DO NOTHING`,
  updateObject: `UPDATE objects SET size = $3, etag = $4, last_modified = $5, content_type = $6, headers = $7, inline = $8,
    parts = $9, checksum = $10, tagging = $11, owner_id = $12, storage_class = $13, acl = $14, version_id = $15, seq = $16
    WHERE bucket_id = $1 AND key = $2`,
  // The object and the credits uploads held against it (they become usage: see metadata/quota-rule.ts).
  deleteObject: `WITH c AS (DELETE FROM upload_credits WHERE bucket_id = $1 AND key = $2 RETURNING bytes)
    DELETE FROM objects WHERE bucket_id = $1 AND key = $2 RETURNING (SELECT coalesce(sum(bytes), 0) FROM c)::bigint AS credit`,
  unreferenceObject: 'DELETE FROM object_blobs WHERE bucket_id = $1 AND key = $2 AND version_id = $3',
  referenceBlobs: `INSERT INTO object_blobs (blob_id, bucket_id, key, version_id)
    SELECT b, $2::text, $3::text, $4::text FROM unnest($1::text[]) AS b ON CONFLICT DO NOTHING`,
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
  uploadForPart: 'SELECT upload_id, bucket_id, key FROM multipart_uploads WHERE upload_id = $1 FOR NO KEY UPDATE',
  // The object an upload will replace, locked (after the upload: the writers' order) so that credits against
  // it change one writer at a time; NO KEY UPDATE conflicts with the FOR UPDATE of puts and deletes.
  // Credits are held only against a current null version: a write in a versioned bucket replaces nothing else.
  objectSizeForCredit: `SELECT size, version_id FROM objects WHERE bucket_id = $1 AND key = $2 FOR NO KEY UPDATE`,
  creditState: `SELECT (SELECT coalesce(sum(size), 0) FROM upload_parts WHERE upload_id = $1)::bigint AS part_bytes,
      (SELECT coalesce(sum(bytes), 0) FROM upload_credits WHERE bucket_id = $2 AND key = $3)::bigint AS key_credit,
      (SELECT coalesce(sum(bytes), 0) FROM upload_credits WHERE upload_id = $1)::bigint AS credit`,
  creditOf: 'SELECT coalesce(sum(bytes), 0)::bigint AS bytes FROM upload_credits WHERE upload_id = $1',
  creditsAtKey: 'SELECT upload_id, bytes FROM upload_credits WHERE bucket_id = $1 AND key = $2 ORDER BY upload_id FOR UPDATE',
  setCredit: `INSERT INTO upload_credits (upload_id, bucket_id, key, bytes) VALUES ($1, $2, $3, $4)
    ON CONFLICT (upload_id) DO UPDATE SET bytes = excluded.bytes`,
  delCredit: 'DELETE FROM upload_credits WHERE upload_id = $1',
  // A completion replaces the key's earlier completions; completions past retention go on the way.
  recordCompletion: `WITH d AS (DELETE FROM completed_uploads WHERE (bucket_id = $2 AND key = $3) OR completed_at < $7)
    INSERT INTO completed_uploads (upload_id, bucket_id, key, etag, last_modified, completed_at)
    VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (upload_id) DO NOTHING`,
  part: 'SELECT * FROM upload_parts WHERE upload_id = $1 AND part_number = $2',
  upsertPart: `INSERT INTO upload_parts (upload_id, part_number, blob_id, size, etag, checksum, last_modified)
    VALUES ($1, $2, $3, $4, $5, $6, $7)
    ON CONFLICT (upload_id, part_number) DO UPDATE SET blob_id = excluded.blob_id, size = excluded.size,
      etag = excluded.etag, checksum = excluded.checksum, last_modified = excluded.last_modified`,
  partsOf: 'SELECT * FROM upload_parts WHERE upload_id = $1 ORDER BY part_number',
  deleteUpload: 'DELETE FROM multipart_uploads WHERE upload_id = $1', // parts go by ON DELETE CASCADE
  // Counter rows for a quota decision. NO KEY UPDATE (what the counter UPDATE takes anyway) rather than
  // UPDATE: it does not conflict with the KEY SHARE that writers and foreign-key checks hold on the bucket,
  // so two writers of one bucket queue here instead of deadlocking on a lock upgrade.
  lockBucketCounters: 'SELECT tenancy_id, used_bytes, used_objects, quota_bytes, quota_objects FROM buckets WHERE id = $1 FOR NO KEY UPDATE',
  lockTenancyCounters: 'SELECT used_bytes, used_objects, quota_bytes, quota_objects FROM tenancies WHERE id = $1 FOR NO KEY UPDATE',
  // Live reservations other than the write's own ($3), on PostgreSQL's clock (the same for every gateway).
  reservedInTenancy: `SELECT COALESCE(SUM(bytes), 0)::bigint AS bytes, COALESCE(SUM(objects), 0)::bigint AS objects
    FROM quota_reservations WHERE tenancy_id = $1 AND expires_at >= $2::bigint AND id <> $3`,
  reservedInBucket: `SELECT COALESCE(SUM(bytes), 0)::bigint AS bytes, COALESCE(SUM(objects), 0)::bigint AS objects
    FROM quota_reservations WHERE bucket_id = $1 AND expires_at >= $2::bigint AND id <> $3`,
  dbNow: 'SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now',
  releaseReservation: 'DELETE FROM quota_reservations WHERE id = $1',
};

/** JSONB operators of the bucket configuration document (bucket-configuration.ts). */
export const CONFIGURATION_SQL = {
  set: 'UPDATE buckets SET configuration = jsonb_set(configuration, ARRAY[CAST(? AS TEXT)], CAST(? AS JSONB)) WHERE id = ?',
  remove: 'UPDATE buckets SET configuration = configuration - CAST(? AS TEXT) WHERE id = ?',
  byPath: false,
};

