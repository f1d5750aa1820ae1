/**
 * The SQLite store's prepared statements (prepared once: compilation is a measurable share of a small
 * write) and the object/upload row codecs of its hot paths (JSON text columns, raw-mode listing rows).
 */
import Database from 'better-sqlite3';
import type {
  QuotaExceeded,
  ObjectPart,
  ListedObject,
  UploadPartRecord,
} from '../store.js';

import { checksumOf } from '../rows.js';

export function isDiskFull(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'SQLITE_FULL';
}

/** Upper bound of ops per group-commit transaction (bounds latency and transaction size). */
export const MAX_BATCH = 256;
/** How long touchAccessKey updates are coalesced in memory before being written. */
export const TOUCH_FLUSH_MS = 5_000;

export type Row = Record<string, any>;
export type Stmt = Database.Statement<unknown[], Row>;

export type PutPartResult =
  | { ok: true; replaced: UploadPartRecord | undefined }
  | { ok: false; reason: 'no-such-upload' }
  | QuotaExceeded;

export interface QueuedOp {
  run: () => unknown;
  resolve: (value: any) => void;
  reject: (error: unknown) => void;
}

export function blobIdsOf(parts: ObjectPart[]): string[] {
  return [...new Set(parts.map((p) => p.blobId))];
}

/** JSON form of parts without undefined fields (so a round trip gives back an equal value). */
export function partsJson(parts: ObjectPart[]): string {
  return JSON.stringify(
    parts.map((p) => {
      const out: ObjectPart = { blobId: p.blobId, size: p.size };
      if (p.etag !== undefined) out.etag = p.etag;
      if (p.checksum !== undefined) out.checksum = p.checksum;
      if (p.sse !== undefined) out.sse = p.sse;
      return out;
    }),
  );
}

/** A row of LISTED_COLUMNS, read in raw (array) mode: no per-row column-name object to build. */
export function toListedObject(r: unknown[]): ListedObject {
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
/** The columns of ListedObject, in toListedObject's order. */
export const LISTED_COLUMNS = 'key, size, etag, last_modified, checksum, owner_id, storage_class';

/** Every statement the SQLite store runs through better-sqlite3 directly (the rest go through sql/port.ts). */
export function prepareStatements(db: Database.Database): Record<string, Stmt> {
  const p = (sql: string) => db.prepare(sql) as Stmt;
  const raw = (sql: string) => db.prepare(sql).raw(true) as unknown as Database.Statement<unknown[], unknown[]>;
  // Prepared once: statement compilation is a measurable share of a small write.
return {
    begin: p('BEGIN IMMEDIATE'),
    commit: p('COMMIT'),
    rollback: p('ROLLBACK'),
    savepoint: p('SAVEPOINT op'),
    release: p('RELEASE op'),
    rollbackTo: p('ROLLBACK TO op'),

    setTagging: p('UPDATE objects SET tagging = ? WHERE bucket_id = ? AND key = ?'),
    setObjectAcl: p('UPDATE objects SET acl = ? WHERE bucket_id = ? AND key = ?'),

    setTenancyUsage: p('UPDATE tenancies SET used_bytes = ?, used_objects = ? WHERE id = ?'),
    tenancyUsage: p('SELECT used_bytes, used_objects FROM tenancies WHERE id = ?'),
    addTenancyUsage: p('UPDATE tenancies SET used_bytes = used_bytes + ?, used_objects = used_objects + ? WHERE id = ?'),


    insGroup: p('INSERT INTO groups (id, name, source, created_at) VALUES (?, ?, ?, ?)'),
    groupByName: p('SELECT * FROM groups WHERE name = ?'),
    addGroupMember: p('INSERT OR IGNORE INTO group_members (group_id, user_id) VALUES (?, ?)'),
    delGroupMember: p('DELETE FROM group_members WHERE group_id = ? AND user_id = ?'),
    groupsOfUser: p(`SELECT g.id, g.name, g.source FROM group_members m JOIN groups g ON g.id = m.group_id
      WHERE m.user_id = ? ORDER BY g.name`),


    touchKey: p(`UPDATE access_keys SET last_used_at = max(coalesce(last_used_at, 0), ?) WHERE access_key_id = ?`),

    insBucket: p(`INSERT INTO buckets (id, tenancy_id, name, owner_id, region, created_at) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (tenancy_id, name) DO NOTHING`),
    bucket: p('SELECT * FROM buckets WHERE tenancy_id = ? AND name = ?'),
    bucketTenancy: p('SELECT tenancy_id, version_seq FROM buckets WHERE id = ?'),
    // A versioned write's place in the bucket's order of versions (metadata/versions.ts).
    takeSeq: p('UPDATE buckets SET version_seq = version_seq + 1 WHERE id = ? RETURNING version_seq'),
    // Every version counts, as in usage: current objects, noncurrent versions and delete markers (a marker's
    // bytes are its key's).
    usageByOwner: p(`SELECT v.owner_id AS grp, sum(v.size) AS bytes, count(*) AS objects FROM (
        SELECT o.owner_id, o.size FROM objects o JOIN buckets b ON b.id = o.bucket_id WHERE b.tenancy_id = ?
        UNION ALL SELECT h.owner_id, CASE WHEN h.is_delete_marker = 1 THEN length(CAST(h.key AS BLOB)) ELSE h.size END
          FROM object_versions h JOIN buckets b ON b.id = h.bucket_id WHERE b.tenancy_id = ?) v
      GROUP BY v.owner_id ORDER BY bytes DESC, grp`),
    // The covering listing indexes hold (bucket_id, key, size…): index scans, no table rows.
    usageByPrefix: p(`SELECT CASE WHEN instr(key, '/') > 0 THEN substr(key, 1, instr(key, '/')) ELSE '' END AS grp,
      sum(size) AS bytes, count(*) AS objects FROM (
        SELECT key, size FROM objects WHERE bucket_id = ?
        UNION ALL SELECT key, CASE WHEN is_delete_marker = 1 THEN length(CAST(key AS BLOB)) ELSE size END FROM object_versions WHERE bucket_id = ?)
      GROUP BY grp ORDER BY grp`),
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
      (SELECT coalesce(sum(CASE WHEN v.is_delete_marker = 1 THEN length(CAST(v.key AS BLOB)) ELSE v.size END), 0)
        FROM object_versions v WHERE v.bucket_id = b.id) AS version_bytes,
      (SELECT count(*) FROM object_versions v WHERE v.bucket_id = b.id) AS version_count,
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

    // Every column a record shows (not seq: only the write path needs it, and every GET and HEAD decodes this row).
    object: p(`SELECT bucket_id, key, size, etag, last_modified, content_type, headers, parts, checksum, tagging, owner_id,
      storage_class, acl, version_id, inline FROM objects WHERE bucket_id = ? AND key = ?`),
    putObject: p(`INSERT OR REPLACE INTO objects (bucket_id, key, size, etag, last_modified, content_type, headers,
      inline, parts, checksum, tagging, owner_id, storage_class, acl, version_id, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    // Versions (metadata/versions.ts): the current row becomes noncurrent as it is, and back.
    toHistory: p(`INSERT INTO object_versions (bucket_id, key, seq, version_id, is_delete_marker, size, etag, last_modified,
      content_type, headers, parts, checksum, tagging, owner_id, storage_class, acl, inline)
      SELECT bucket_id, key, seq, version_id, 0, size, etag, last_modified, content_type, headers, parts, checksum, tagging,
      owner_id, storage_class, acl, inline FROM objects WHERE bucket_id = ? AND key = ?`),
    fromHistory: p(`INSERT INTO objects (bucket_id, key, size, etag, last_modified, content_type, headers, parts, checksum,
      tagging, owner_id, storage_class, acl, version_id, seq, inline)
      SELECT bucket_id, key, size, etag, last_modified, content_type, headers, parts, checksum, tagging, owner_id,
      storage_class, acl, version_id, seq, inline FROM object_versions WHERE bucket_id = ? AND key = ? AND version_id = ?`),
    historyVersion: p('SELECT * FROM object_versions WHERE bucket_id = ? AND key = ? AND version_id = ?'),
    newestHistory: p('SELECT * FROM object_versions WHERE bucket_id = ? AND key = ? ORDER BY seq DESC LIMIT 1'),
    delHistory: p('DELETE FROM object_versions WHERE bucket_id = ? AND key = ? AND version_id = ?'),
    insMarker: p(`INSERT INTO object_versions (bucket_id, key, seq, version_id, is_delete_marker, size, etag, last_modified,
      content_type, headers, parts, owner_id, storage_class) VALUES (?, ?, ?, ?, 1, 0, '', ?, '', '{}', '[]', ?, 'STANDARD')`),
    setTaggingOf: p('UPDATE objects SET tagging = ? WHERE bucket_id = ? AND key = ? AND version_id = ?'),
    setHistoryTagging: p('UPDATE object_versions SET tagging = ? WHERE bucket_id = ? AND key = ? AND version_id = ? AND is_delete_marker = 0'),
    setObjectAclOf: p('UPDATE objects SET acl = ? WHERE bucket_id = ? AND key = ? AND version_id = ?'),
    setHistoryAcl: p('UPDATE object_versions SET acl = ? WHERE bucket_id = ? AND key = ? AND version_id = ? AND is_delete_marker = 0'),
    delObject: p('DELETE FROM objects WHERE bucket_id = ? AND key = ?'),
    // Four shapes of the range scan so each is a plain index range (no `? IS NULL OR …` that defeats it),
    // each with one lower bound (key-range.ts scanRange): the index seek lands on the first row returned.
    scanGt: raw(`SELECT ${LISTED_COLUMNS} FROM objects WHERE bucket_id = ? AND key > ? ORDER BY key LIMIT ?`),
    scanGe: raw(`SELECT ${LISTED_COLUMNS} FROM objects WHERE bucket_id = ? AND key >= ? ORDER BY key LIMIT ?`),
    scanGtLt: raw(`SELECT ${LISTED_COLUMNS} FROM objects WHERE bucket_id = ? AND key > ? AND key < ?
      ORDER BY key LIMIT ?`),
    scanGeLt: raw(`SELECT ${LISTED_COLUMNS} FROM objects WHERE bucket_id = ? AND key >= ? AND key < ?
      ORDER BY key LIMIT ?`),

    insObjectBlob: p('INSERT OR IGNORE INTO object_blobs (blob_id, bucket_id, key, version_id) VALUES (?, ?, ?, ?)'),
    delObjectBlob: p('DELETE FROM object_blobs WHERE blob_id = ? AND bucket_id = ? AND key = ? AND version_id = ?'),
    blobInObjects: p('SELECT 1 FROM object_blobs WHERE blob_id = ? LIMIT 1'),
    blobInParts: p('SELECT 1 FROM upload_parts WHERE blob_id = ? LIMIT 1'),
    blobQueued: p('SELECT 1 FROM blob_deletions WHERE blob_id = ?'),
    queueBlob: p('INSERT OR IGNORE INTO blob_deletions (blob_id, queued_at) VALUES (?, ?)'),
    takeBlobs: p('SELECT blob_id FROM blob_deletions WHERE queued_at <= ? ORDER BY queued_at, blob_id LIMIT ?'),
    ackBlob: p('DELETE FROM blob_deletions WHERE blob_id = ?'),

    insUpload: p(`INSERT INTO multipart_uploads (upload_id, bucket_id, key, initiated_at, owner_id, content_type,
      headers, tagging, storage_class, checksum_algorithm, checksum_type, acl) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    upload: p('SELECT * FROM multipart_uploads WHERE upload_id = ?'),
    uploadBucketTenancy: p(`SELECT u.bucket_id, u.key, b.tenancy_id, b.version_seq FROM multipart_uploads u
      JOIN buckets b ON b.id = u.bucket_id WHERE u.upload_id = ?`),
    delUpload: p('DELETE FROM multipart_uploads WHERE upload_id = ?'),

    part: p('SELECT * FROM upload_parts WHERE upload_id = ? AND part_number = ?'),
    parts: p('SELECT * FROM upload_parts WHERE upload_id = ? ORDER BY part_number'),
    partsAfter: p('SELECT * FROM upload_parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?'),
    putPart: p(`INSERT OR REPLACE INTO upload_parts (upload_id, part_number, blob_id, size, etag, checksum,
      last_modified) VALUES (?, ?, ?, ?, ?, ?, ?)`),
    delParts: p('DELETE FROM upload_parts WHERE upload_id = ?'),
    partBytes: p('SELECT coalesce(sum(size), 0) AS bytes FROM upload_parts WHERE upload_id = ?'),
    // Credits are held only against a current null version: a write in a versioned bucket replaces nothing else.
    objectSize: p(`SELECT size FROM objects WHERE bucket_id = ? AND key = ? AND version_id = 'null'`),

    creditOf: p('SELECT bytes FROM upload_credits WHERE upload_id = ?'),
    creditsAtKey: p('SELECT upload_id, bytes FROM upload_credits WHERE bucket_id = ? AND key = ? ORDER BY upload_id'),
    keyCredit: p('SELECT coalesce(sum(bytes), 0) AS bytes FROM upload_credits WHERE bucket_id = ? AND key = ?'),
    setCredit: p(`INSERT INTO upload_credits (upload_id, bucket_id, key, bytes) VALUES (?, ?, ?, ?)
      ON CONFLICT (upload_id) DO UPDATE SET bytes = excluded.bytes`),
    delCredit: p('DELETE FROM upload_credits WHERE upload_id = ?'),

    completedUpload: p('SELECT * FROM completed_uploads WHERE upload_id = ?'),
    delCompletedAtKey: p('DELETE FROM completed_uploads WHERE bucket_id = ? AND key = ?'),
    insCompleted: p(`INSERT OR REPLACE INTO completed_uploads (upload_id, bucket_id, key, etag, last_modified, completed_at)
      VALUES (?, ?, ?, ?, ?, ?)`),
    pruneCompleted: p(`DELETE FROM completed_uploads WHERE upload_id IN
      (SELECT upload_id FROM completed_uploads WHERE completed_at < ? ORDER BY completed_at LIMIT 100)`),

    authFailure: p('SELECT key, failures, last_failure FROM auth_failures WHERE key = ?'),
    putAuthFailure: p(`INSERT INTO auth_failures (key, failures, last_failure) VALUES (?, ?, ?)
      ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, last_failure = excluded.last_failure`),
  };
}
