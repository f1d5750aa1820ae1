/**
 * Versioning (issue 19), S3 semantics without the wire: a bucket's versioning state, versions addressed by id,
 * delete markers, and ListObjectVersions. The storage is metadata/versions.ts; every write of a versioned
 * bucket goes through the same store paths as any other (core/objects.ts, core/multipart.ts pass the bucket's
 * state with each write).
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html
 */
import { S3Error } from '../errors/s3-error.js';
import type { BucketRecord, DeleteMarkerRecord, ListedVersion, ObjectRecord, ObjectVersion, ObjectWriteRepository, BucketRepository, VersioningState } from '../metadata/store.js';
import { walkDelimited } from './delimited-scan.js';

export interface ListVersionsRequest {
  prefix: string;
  /** '' = no delimiter. */
  delimiter: string;
  /** Start after this key ('' = from the beginning)… */
  keyMarker: string;
  /** …or, with a key marker, after this version of it. */
  versionIdMarker: string;
  maxKeys: number;
}

export type VersionEntry = { kind: 'version'; version: ListedVersion } | { kind: 'prefix'; prefix: string };

export interface ListVersionsResult {
  entries: VersionEntry[];
  isTruncated: boolean;
  /** Where the next page starts (NextKeyMarker / NextVersionIdMarker), when truncated. */
  nextKeyMarker: string | undefined;
  nextVersionIdMarker: string | undefined;
}

/**
 * One page of ListObjectVersions, with the page walk of every listing (delimited-scan.ts): a page costs the
 * rows it shows (plus one per common prefix), not the versions under them.
 */
export async function listObjectVersions(store: Pick<ObjectWriteRepository, 'scanObjectVersions'>, bucketId: string, req: ListVersionsRequest): Promise<ListVersionsResult> {
  type Cursor = { start: string; inclusive: boolean; versionIdMarker: string | undefined };
  const page = await walkDelimited({
    prefix: req.prefix,
    delimiter: req.delimiter,
    maxEntries: req.maxKeys,
    // A common prefix equal to the key marker was the last entry of the page before.
    marker: req.keyMarker,
    start: { start: req.keyMarker, inclusive: false, versionIdMarker: req.keyMarker !== '' && req.versionIdMarker !== '' ? req.versionIdMarker : undefined } as Cursor,
    scan: (cursor, limit) => store.scanObjectVersions(bucketId, { prefix: req.prefix, ...cursor, limit }),
    keyOf: (v) => v.key,
    after: (v) => ({ start: v.key, inclusive: false, versionIdMarker: v.versionId }),
    at: (key) => ({ start: key, inclusive: true, versionIdMarker: undefined }),
  });
  const entries = page.entries.map((e): VersionEntry => (e.kind === 'row' ? { kind: 'version', version: e.row } : e));
  const tail = entries.at(-1);
  if (!page.isTruncated || !tail) return { entries, isTruncated: page.isTruncated, nextKeyMarker: undefined, nextVersionIdMarker: undefined };
  return {
    entries,
    isTruncated: true,
    nextKeyMarker: tail.kind === 'version' ? tail.version.key : tail.prefix,
    nextVersionIdMarker: tail.kind === 'version' ? tail.version.versionId : undefined,
  };
}

/** The versioning operations of a bucket and its keys. */
export class Versions {
  constructor(private readonly metadata: ObjectWriteRepository & Pick<BucketRepository, 'setBucketConfiguration'>) {}

  /**
   * PutBucketVersioning's state change: an unversioned bucket can become Enabled or Suspended, and then
   * switch between them; it never becomes unversioned again (there is no state to write for that).
   */
  async setState(bucket: BucketRecord, status: string): Promise<VersioningState> {
    if (status !== 'Enabled' && status !== 'Suspended') throw new S3Error('MalformedXML');
    const ok = await this.metadata.setBucketConfiguration(bucket.id, 'versioning', status);
    if (!ok) throw new S3Error('NoSuchBucket', { details: { BucketName: bucket.name } });
    return status;
  }

  /**
   * The version `versionId` of the key for reading: NoSuchVersion when there is none (also for a version of
   * another key), and for a delete marker 405 MethodNotAllowed with `x-amz-delete-marker: true` (AWS's
   * answer to a GET or HEAD of a marker by id).
   */
  async get(bucket: BucketRecord, key: string, versionId: string): Promise<ObjectRecord> {
    const v = await this.find(bucket, key, versionId);
    if (v.kind === 'marker') throw markerNotAllowed(v.marker);
    return v.object;
  }

  /** The version, object or marker; NoSuchVersion when there is none. */
  async find(bucket: BucketRecord, key: string, versionId: string): Promise<ObjectVersion> {
    const v = await this.metadata.getObjectVersion(bucket.id, key, versionId);
    if (!v) throw new S3Error('NoSuchVersion', { details: { Key: key, VersionId: versionId } });
    return v;
  }

  /**
   * For a GET or HEAD that found no current object: NoSuchKey, saying `x-amz-delete-marker: true` (and the
   * marker's id) when the key's latest version is a delete marker. Unversioned buckets never look.
   */
  async missing(bucket: BucketRecord, key: string): Promise<S3Error> {
    const marker = bucket.versioning ? await this.metadata.getDeleteMarker(bucket.id, key) : undefined;
    return new S3Error('NoSuchKey', {
      details: { Key: key },
      ...(marker ? { headers: { 'x-amz-delete-marker': 'true', 'x-amz-version-id': marker.versionId } } : {}),
    });
  }

  /**
   * DeleteObject with a version id: removes it for good (S3 answers success for one that does not exist).
   * Returns what was removed, for the response's `x-amz-delete-marker`.
   */
  deleteVersion(bucket: BucketRecord, key: string, versionId: string): Promise<ObjectVersion | undefined> {
    return this.metadata.deleteObjectVersion(bucket.id, key, versionId);
  }

  /** Tags of one version (PutObjectTagging with versionId); NoSuchVersion when there is none, 405 for a marker. */
  async setTagging(bucket: BucketRecord, key: string, versionId: string, tagging: string | null): Promise<void> {
    if (await this.metadata.setObjectTagging(bucket.id, key, tagging, versionId)) return;
    await this.get(bucket, key, versionId);
    throw new S3Error('NoSuchVersion', { details: { Key: key, VersionId: versionId } });
  }

  /** ACL of one version (PutObjectAcl with versionId). */
  async setAcl(bucket: BucketRecord, key: string, versionId: string, acl: string | null): Promise<void> {
    if (await this.metadata.setObjectAcl(bucket.id, key, acl, versionId)) return;
    await this.get(bucket, key, versionId);
    throw new S3Error('NoSuchVersion', { details: { Key: key, VersionId: versionId } });
  }

  /** One page of ListObjectVersions; a version-id marker needs a key marker (AWS's InvalidArgument). */
  async list(bucket: BucketRecord, req: ListVersionsRequest): Promise<ListVersionsResult> {
    if (req.versionIdMarker !== '' && req.keyMarker === '') {
      throw new S3Error('InvalidArgument', { message: 'A version-id marker cannot be specified without a key marker.', details: { ArgumentName: 'version-id-marker', ArgumentValue: req.versionIdMarker } });
    }
    return listObjectVersions(this.metadata, bucket.id, req);
  }
}

function markerNotAllowed(marker: DeleteMarkerRecord): S3Error {
  return new S3Error('MethodNotAllowed', {
    message: 'The specified method is not allowed against this resource.',
    details: { Method: 'GET', ResourceType: 'DeleteMarker' },
    headers: { 'x-amz-delete-marker': 'true', 'x-amz-version-id': marker.versionId, 'last-modified': new Date(marker.lastModified).toUTCString() },
  });
}
