/**
 * Multipart uploads with AWS's rules: part numbers 1–10,000, parts ≤ 5 GiB, all but the last ≥ 5 MiB,
 * the multipart ETag "<md5 of the part MD5s>-N", COMPOSITE / FULL_OBJECT checksums. Completing does not
 * copy bytes: the object's parts are the uploaded parts' blobs.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html
 */
import { createHash } from 'node:crypto';
import { S3Error } from '../errors/s3-error.js';
import type { BlobStore } from '../blob/store.js';
import type {
  BucketRecord,
  MetadataStore,
  MultipartUploadRecord,
  NewMultipartUpload,
  ObjectChecksum,
  ObjectRecord,
  UploadPartRecord,
  WriteCondition,
  WriteQuota,
} from '../metadata/store.js';
import type { QuotaGuard } from './quota.js';
import { newId } from '../lib/ids.js';
import { writeVerifiedBlob, type Digester } from './objects.js';
import { combineFullObjectCrc, compositeChecksum } from './checksums.js';

export const MAX_PART_NUMBER = 10_000;
export const MAX_PART_SIZE = 5 * 1024 ** 3;
export const MIN_PART_SIZE = 5 * 1024 ** 2;

export interface CompletedPartRequest {
  partNumber: number;
  etag: string;
  /** Checksum the client states for the part (base64), if any. */
  checksum?: string;
}

export function validPartNumber(v: string | null): number {
  if (v === null || !/^\d{1,5}$/.test(v) || Number(v) < 1 || Number(v) > MAX_PART_NUMBER) {
    throw new S3Error('InvalidArgument', {
      message: 'Part number must be an integer between 1 and 10000, inclusive',
      details: { ArgumentName: 'partNumber', ArgumentValue: v ?? '' },
    });
  }
  return Number(v);
}

const unquote = (e: string): string => e.trim().replace(/^"+|"+$/g, '');

export class Multipart {
  constructor(
    private readonly metadata: MetadataStore,
    private readonly blobs: BlobStore,
    private readonly quota: QuotaGuard,
  ) {}

  create(u: Omit<NewMultipartUpload, 'uploadId'>): Promise<MultipartUploadRecord> {
    return this.metadata.createUpload({ ...u, uploadId: newId() });
  }

  /** The upload, which must belong to this bucket and key, or NoSuchUpload. */
  async get(bucket: BucketRecord, key: string, uploadId: string | null): Promise<MultipartUploadRecord> {
    const u = uploadId ? await this.metadata.getUpload(uploadId) : undefined;
    if (!u || u.bucketId !== bucket.id || u.key !== key) throw new S3Error('NoSuchUpload', { details: { UploadId: uploadId ?? '' } });
    return u;
  }

  async uploadPart(input: {
    upload: MultipartUploadRecord;
    partNumber: number;
    body: AsyncIterable<Buffer>;
    size: number | undefined;
    contentMd5?: string;
    digesters?: Digester[];
    checksum?: () => string | null;
    bucket: BucketRecord;
    quota?: WriteQuota;
  }): Promise<UploadPartRecord> {
    if (input.size !== undefined && input.size > MAX_PART_SIZE) {
      throw new S3Error('EntityTooLarge', { details: { ProposedSize: input.size, MaxSizeAllowed: MAX_PART_SIZE } });
    }
    const blob = await writeVerifiedBlob(this.blobs, input.body, {
      size: input.size,
      maxSize: MAX_PART_SIZE,
      digesters: input.digesters ?? [],
      contentMd5: input.contentMd5,
    });
    const part = {
      uploadId: input.upload.uploadId,
      partNumber: input.partNumber,
      blobId: blob.blobId,
      size: blob.size,
      etag: `"${blob.md5Hex}"`,
      checksum: input.checksum ? input.checksum() : null,
    };
    const r = await this.metadata.putUploadPart(part, input.quota).catch(async (e: unknown) => {
      await this.blobs.delete(blob.blobId).catch(() => undefined);
      throw e;
    });
    if (!r.ok) {
      await this.blobs.delete(blob.blobId).catch(() => undefined);
      if (r.reason === 'quota-exceeded') throw await this.quota.errorFor(r, input.bucket);
      throw new S3Error('NoSuchUpload', { details: { UploadId: input.upload.uploadId } });
    }
    return { ...part, lastModified: Date.now() };
  }

  /** Every part of an upload, in order (for completion; at most 10,000). */
  async allParts(uploadId: string): Promise<UploadPartRecord[]> {
    const out: UploadPartRecord[] = [];
    let after = 0;
    for (;;) {
      const page = await this.metadata.listUploadParts(uploadId, after, 1000);
      out.push(...page);
      if (page.length < 1000) return out;
      after = page[page.length - 1]!.partNumber;
    }
  }

  async complete(bucket: BucketRecord, upload: MultipartUploadRecord, requested: CompletedPartRequest[], condition?: WriteCondition, quota?: WriteQuota): Promise<ObjectRecord> {
    if (requested.length === 0) {
      throw new S3Error('MalformedXML', { message: 'The XML you provided was not well-formed or did not validate against our published schema' });
    }
    if (requested.length > MAX_PART_NUMBER) throw new S3Error('MalformedXML');
    for (let i = 1; i < requested.length; i++) {
      if (requested[i]!.partNumber <= requested[i - 1]!.partNumber) throw new S3Error('InvalidPartOrder', { details: { UploadId: upload.uploadId } });
    }
    const stored = new Map((await this.allParts(upload.uploadId)).map((p) => [p.partNumber, p]));
    const parts: UploadPartRecord[] = requested.map((r) => {
      const p = stored.get(r.partNumber);
      if (!p || unquote(p.etag) !== unquote(r.etag)) {
        throw new S3Error('InvalidPart', { details: { UploadId: upload.uploadId, PartNumber: r.partNumber, ETag: r.etag } });
      }
      if (r.checksum !== undefined && p.checksum !== null && r.checksum !== p.checksum) {
        throw new S3Error('InvalidPart', { message: `The checksum of part ${r.partNumber} does not match the uploaded part.`, details: { PartNumber: r.partNumber } });
      }
      return p;
    });
    parts.forEach((p, i) => {
      if (i < parts.length - 1 && p.size < MIN_PART_SIZE) {
        throw new S3Error('EntityTooSmall', { details: { UploadId: upload.uploadId, PartNumber: p.partNumber, ProposedSize: p.size, MinSizeAllowed: MIN_PART_SIZE } });
      }
    });

    const etagHash = createHash('md5');
    for (const p of parts) etagHash.update(Buffer.from(unquote(p.etag), 'hex'));
    const result = await this.metadata.completeUpload(
      upload.uploadId,
      {
        bucketId: upload.bucketId,
        key: upload.key,
        size: parts.reduce((n, p) => n + p.size, 0),
        etag: `"${etagHash.digest('hex')}-${parts.length}"`,
        contentType: upload.contentType,
        headers: upload.headers,
        inline: null,
        parts: parts.map((p) => ({ blobId: p.blobId, size: p.size, etag: p.etag, ...(p.checksum ? { checksum: p.checksum } : {}) })),
        checksum: this.objectChecksum(upload, parts),
        tagging: upload.tagging,
        ownerId: upload.ownerId,
        storageClass: upload.storageClass,
        acl: upload.acl,
      },
      condition,
      quota,
    );
    if (!result.ok) {
      if (result.reason === 'no-such-upload') throw new S3Error('NoSuchUpload', { details: { UploadId: upload.uploadId } });
      if (result.reason === 'no-such-bucket') throw new S3Error('NoSuchBucket');
      if (result.reason === 'quota-exceeded') throw await this.quota.errorFor(result, bucket);
      throw new S3Error('PreconditionFailed', { details: { Condition: condition?.ifMatch ? 'If-Match' : 'If-None-Match' } });
    }
    return result.object;
  }

  /** The whole-object checksum, when the upload asked for one and every part carries it. */
  private objectChecksum(upload: MultipartUploadRecord, parts: UploadPartRecord[]): ObjectChecksum | null {
    const alg = upload.checksumAlgorithm;
    if (!alg || parts.some((p) => p.checksum === null)) return null;
    const type = upload.checksumType ?? (alg === 'CRC64NVME' ? 'FULL_OBJECT' : 'COMPOSITE');
    if (type === 'COMPOSITE') return { algorithm: alg, type, value: compositeChecksum(alg, parts.map((p) => p.checksum!)) };
    if (alg === 'SHA1' || alg === 'SHA256') return null;
    return { algorithm: alg, type, value: combineFullObjectCrc(alg, parts.map((p) => ({ checksum: p.checksum!, size: p.size }))) };
  }

  async abort(upload: MultipartUploadRecord): Promise<void> {
    if (!(await this.metadata.abortUpload(upload.uploadId))) throw new S3Error('NoSuchUpload', { details: { UploadId: upload.uploadId } });
  }
}
