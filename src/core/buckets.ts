/**
 * Buckets: naming rules, creation, lookup and deletion, with S3 semantics but no wire format.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */
import { S3Error } from '../errors/s3-error.js';
import type { BucketRecord, BucketRepository, ObjectWriteRepository } from '../metadata/store.js';
import { listObjects, type ListRequest, type ListResult } from './listing.js';

/** Why a bucket name is invalid, or undefined if it is valid (general purpose bucket rules). */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'Bucket name must be between 3 and 63 characters long';
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) {
    return 'Bucket name can consist only of lowercase letters, numbers, periods and hyphens, and must begin and end with a letter or number';
  }
  if (name.includes('..')) return 'Bucket name must not contain two adjacent periods';
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return 'Bucket name must not be formatted as an IP address';
  if (name.startsWith('xn--') || name.startsWith('sthree-')) return 'Bucket name must not start with a reserved prefix';
  if (name.endsWith('-s3alias') || name.endsWith('--ol-s3') || name.endsWith('.mrap') || name.endsWith('--x-s3')) {
    return 'Bucket name must not end with a reserved suffix';
  }
  return undefined;
}

export class Buckets {
  constructor(private readonly metadata: BucketRepository & Pick<ObjectWriteRepository, 'scanObjects'>) {}

  /**
   * Creates the bucket. A name another user of the tenancy has is BucketAlreadyExists; one the same user has
   * is BucketAlreadyOwnedByYou, except in us-east-1, where AWS answers 200 for legacy compatibility
   * (`created: false`: the bucket is left as it is).
   */
  async create(tenancyId: string, name: string, ownerId: string, region: string): Promise<{ bucket: BucketRecord; created: boolean }> {
    const problem = bucketNameProblem(name);
    if (problem) throw new S3Error('InvalidBucketName', { message: problem, details: { BucketName: name } });
    const r = await this.metadata.createBucket({ tenancyId, name, ownerId, region });
    if (r.created) return { bucket: r.bucket, created: true };
    if (r.existing.ownerId !== ownerId) throw new S3Error('BucketAlreadyExists', { details: { BucketName: name } });
    if (region === 'us-east-1' && r.existing.region === region) return { bucket: r.existing, created: false };
    throw new S3Error('BucketAlreadyOwnedByYou', { details: { BucketName: name } });
  }

  /** The bucket, or NoSuchBucket. */
  async get(tenancyId: string, name: string): Promise<BucketRecord> {
    const b = await this.metadata.getBucket(tenancyId, name);
    if (!b) throw new S3Error('NoSuchBucket', { details: { BucketName: name } });
    return b;
  }

  list(tenancyId: string): Promise<BucketRecord[]> {
    return this.metadata.listBuckets(tenancyId);
  }

  /** Replaces the bucket's ACL (stored form, iam/acl.ts; null: the owner's full control alone). */
  async setAcl(bucket: BucketRecord, acl: string | null): Promise<void> {
    await this.metadata.setBucketConfiguration(bucket.id, 'acl', acl);
  }

  /** Replaces the bucket's CORS rules (stored form, s3/cors.ts), or removes them (null); NoSuchBucket when gone. */
  async setCors(bucket: BucketRecord, cors: string | null): Promise<void> {
    const ok = await this.metadata.setBucketConfiguration(bucket.id, 'cors', cors);
    if (!ok && cors !== null) throw new S3Error('NoSuchBucket', { details: { BucketName: bucket.name } });
  }

  /** Replaces the bucket's logging configuration (stored form, core/bucket-logging.ts), or turns logging off (null). */
  async setLogging(bucket: BucketRecord, logging: string | null): Promise<void> {
    const ok = await this.metadata.setBucketConfiguration(bucket.id, 'logging', logging);
    if (!ok && logging !== null) throw new S3Error('NoSuchBucket', { details: { BucketName: bucket.name } });
  }

  /** The bucket, or undefined (no error: the caller says what a missing bucket means). */
  find(tenancyId: string, name: string): Promise<BucketRecord | undefined> {
    return this.metadata.getBucket(tenancyId, name);
  }

  /** One page of the bucket's keys (core/listing.ts: common prefixes skipped by an index seek). */
  listObjects(bucket: BucketRecord, req: ListRequest): Promise<ListResult> {
    return listObjects(this.metadata, bucket.id, req);
  }

  async delete(bucket: BucketRecord): Promise<void> {
    const r = await this.metadata.deleteBucket(bucket.id);
    if (r === 'not-empty') throw new S3Error('BucketNotEmpty', { details: { BucketName: bucket.name } });
    if (r === 'not-found') throw new S3Error('NoSuchBucket', { details: { BucketName: bucket.name } });
  }
}
