/**
 * Object versions (issue 19; docs/architecture.md, "Object versions"): the rules both dialects apply, free of
 * SQL. `objects` holds each key's current version, `object_versions` its noncurrent versions and delete
 * markers; a write takes `seq` from the bucket's counter inside its transaction, so the order of versions
 * never depends on clocks.
 */
import { randomBytes } from 'node:crypto';
import { compareKeys } from './key-range.js';
import { NULL_VERSION_ID, type DeleteMarkerRecord, type ListedVersion, type VersioningState } from './store.js';
import { checksumOf, type Row } from './rows.js';

/** Digits of seq in a version id: base 36, fixed width, so ids sort as their writes did (36^11 > 2^53). */
const SEQ_DIGITS = 11;

/**
 * A version id for the bucket's `seq`-th write: opaque to clients (seq then 80 random bits, 31 characters of
 * [0-9a-z]), unique, and in creation order when compared as strings. Never 'null'.
 */
export function newVersionId(seq: number): string {
  return seq.toString(36).padStart(SEQ_DIGITS, '0') + randomBytes(10).toString('hex');
}

/**
 * How a write versions, from the state the caller read and what the store sees: a bucket whose counter has
 * moved (`versionSeq > 0`) or whose current version is not the null version has had versioning, and can never
 * be unversioned again, so a caller still holding the bucket as it was (a read cache) writes as Suspended
 * would: nothing is ever overwritten that versioning keeps.
 */
export function effectiveVersioning(requested: VersioningState | undefined, versionSeq: number, current: { versionId: string } | undefined): VersioningState | undefined {
  if (requested) return requested;
  return versionSeq > 0 || (current !== undefined && current.versionId !== NULL_VERSION_ID) ? 'Suspended' : undefined;
}

/** Bytes a version takes in usage: its size, or for a delete marker its key's UTF-8 length (as AWS bills them). */
export function chargedBytes(v: { key: string; size: number }, isDeleteMarker: boolean): number {
  return isDeleteMarker ? Buffer.byteLength(v.key, 'utf8') : v.size;
}

const isTrue = (v: unknown) => v === true || v === 1;

/** A delete-marker row of object_versions. */
export const toMarker = (r: Row): DeleteMarkerRecord => ({
  bucketId: r.bucket_id,
  key: r.key,
  versionId: r.version_id,
  lastModified: Number(r.last_modified),
  ownerId: r.owner_id,
});

/** The columns of a listed version, from either table (`objects` has no marker column: 0). */
export const LISTED_VERSION_COLUMNS = 'key, version_id, size, etag, last_modified, checksum, owner_id, storage_class';

export const toListedVersion = (r: Row, isLatest: boolean): ListedVersion => {
  const marker = isTrue(r.is_delete_marker);
  return {
    key: r.key,
    versionId: r.version_id,
    size: marker ? 0 : Number(r.size),
    etag: r.etag,
    lastModified: Number(r.last_modified),
    checksum: checksumOf(r.checksum),
    ownerId: r.owner_id,
    storageClass: r.storage_class,
    isLatest,
    isDeleteMarker: marker,
  };
};

/**
 * Merges a scan of current versions and one of noncurrent versions that start at the same key bound, each
 * ordered and limited to `limit`, into ListObjectVersions order (key ascending; within a key the current
 * version first, then newest first): the first `limit` rows of the merge are the first `limit` of the union,
 * since each of them is among the first `limit` of its own table. A key's newest noncurrent row is the latest
 * when the key has no current version (a delete marker, or whatever a version deleted by id left newest).
 * `previousKey`: the key of the row before this page, when the page starts inside a key.
 */
export function mergeVersionScans(current: Row[], noncurrent: Row[], limit: number, previousKey?: string): ListedVersion[] {
  const out: ListedVersion[] = [];
  let i = 0;
  let j = 0;
  let lastKey = previousKey;
  while (out.length < limit && (i < current.length || j < noncurrent.length)) {
    const takeCurrent = j >= noncurrent.length || (i < current.length && compareKeys(current[i]!.key, noncurrent[j]!.key) <= 0);
    const r = takeCurrent ? current[i++]! : noncurrent[j++]!;
    out.push(toListedVersion(r, takeCurrent || r.key !== lastKey));
    lastKey = r.key;
  }
  return out;
}
