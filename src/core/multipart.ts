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
  MultipartUploadRecord,
  NewMultipartUpload,
  ObjectChecksum,
  ObjectRecord,
  ObjectWriteRepository,
  UploadPartRecord,
  WriteCondition,
  WriteQuota,
} from '../metadata/store.js';
import type { QuotaGuard } from './quota.js';
import { listUploads, type UploadListRequest, type UploadListResult } from './upload-listing.js';
import { newId } from '../lib/ids.js';
import { writeVerifiedBlob, type Digester } from './objects.js';
import { checksumHeaderName, combineFullObjectCrc, compositeChecksum, isValidChecksumValue, type ChecksumAlgorithm } from './checksums.js';

export const MAX_PART_NUMBER = 10_000;
export const MAX_PART_SIZE = 5 * 1024 ** 3;
export const MIN_PART_SIZE = 5 * 1024 ** 2;

export interface CompletedPartRequest {
  partNumber: number;
  etag: string;
  /** Checksums the client states for the part (base64), by algorithm (normally at most the upload's one). */
  checksums?: Partial<Record<ChecksumAlgorithm, string>>;
}

/** What a CompleteMultipartUpload request states about the object it makes (each checked when given). */
export interface CompleteExpectations {
  /** x-amz-checksum-type: must be the upload's. */
  checksumType?: ObjectChecksum['type'];
  /** x-amz-checksum-<alg>: the whole object's checksum as the client computed it ("…-N" for COMPOSITE). */
  checksum?: { algorithm: ChecksumAlgorithm; value: string };
  /** x-amz-mp-object-size. */
  objectSize?: number;
}

/** A part's checksums in the completion request against the part as uploaded. */
function checkPartChecksum(alg: ChecksumAlgorithm, type: ObjectChecksum['type'], r: CompletedPartRequest, p: UploadPartRecord): void {
  const stated = Object.entries(r.checksums ?? {}) as Array<[ChecksumAlgorithm, string]>;
  const mine = r.checksums?.[alg];
  if (stated.length > 1 || (mine !== undefined && !isValidChecksumValue(alg, mine))) {
    throw new S3Error('InvalidArgument', { message: 'Invalid Base64 or multiple checksums present in request' });
  }
  if (mine === undefined && stated.length === 1) {
    throw new S3Error('BadDigest', { message: `The ${stated[0]![0].toLowerCase()} you specified for part ${r.partNumber} did not match what we received.` });
  }
  if (mine === undefined) {
    if (type === 'COMPOSITE') {
      throw new S3Error('InvalidRequest', {
        message: `The upload was created using a ${alg.toLowerCase()} checksum. The complete request must include the checksum for each part. It was missing for part ${r.partNumber} in the request.`,
      });
    }
    return;
  }
  if (p.checksum !== null && mine !== p.checksum) {
    throw new S3Error('InvalidPart', { message: `The checksum of part ${r.partNumber} does not match the uploaded part.`, details: { PartNumber: r.partNumber } });
  }
}

/** The request's whole-object checksum against the one the parts make. */
function checkObjectChecksum(alg: ChecksumAlgorithm, type: ObjectChecksum['type'], sent: { algorithm: ChecksumAlgorithm; value: string }, made: ObjectChecksum | null, partCount: number): void {
  if (sent.algorithm !== alg) {
    throw new S3Error('InvalidRequest', { message: `Checksum Type mismatch occurred, expected checksum Type: ${alg.toLowerCase()}, actual checksum Type: ${sent.algorithm.toLowerCase()}` });
  }
  const m = type === 'COMPOSITE' ? /^([A-Za-z0-9+/=]+)-([1-9]\d{0,4})$/.exec(sent.value) : /^([A-Za-z0-9+/=]+)$/.exec(sent.value);
  if (!m || !isValidChecksumValue(alg, m[1]!)) {
    throw new S3Error('InvalidRequest', { message: `Value for ${checksumHeaderName(alg)} header is invalid.` });
  }
  if (!made || made.value !== sent.value || (type === 'COMPOSITE' && Number(m[2]) !== partCount)) {
    throw new S3Error('BadDigest', { message: `The ${alg} you specified did not match the calculated checksum.` });
  }
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

/**
 * A part named twice in a row (a client that re-sent it lists each response, in the order they came) counts
 * once, as its last mention: the copy that finished last, which is the part the upload holds.
 */
function lastMentions(requested: CompletedPartRequest[]): CompletedPartRequest[] {
  return requested.filter((r, i) => requested[i + 1]?.partNumber !== r.partNumber);
}

export class Multipart {
  constructor(
    private readonly metadata: ObjectWriteRepository,
    private readonly blobs: BlobStore,
    private readonly quota: QuotaGuard,
  ) {}

  create(u: Omit<NewMultipartUpload, 'uploadId'>): Promise<MultipartUploadRecord> {
    return this.metadata.createUpload({ ...u, uploadId: newId() });
  }

  /** A page of the upload's parts after part number `after`. */
  listParts(upload: MultipartUploadRecord, after: number, limit: number): Promise<UploadPartRecord[]> {
    return this.metadata.listUploadParts(upload.uploadId, after, limit);
  }

  /** A page of the bucket's unfinished uploads (ListMultipartUploads: prefix, delimiter, markers; upload-listing.ts). */
  list(bucket: BucketRecord, req: UploadListRequest): Promise<UploadListResult> {
    return listUploads(this.metadata, bucket.id, req);
  }

  /**
   * For a CompleteMultipartUpload of an upload that no longer exists: the object it completed into, when
   * that object is still unchanged and the request names the same parts (a retry after a lost response,
   * which AWS answers as it answered the first).
   */
  async completedInto(bucket: BucketRecord, key: string, uploadId: string | null, requested: CompletedPartRequest[]): Promise<ObjectRecord | undefined> {
    const done = uploadId ? await this.metadata.getCompletedUpload(uploadId) : undefined;
    if (!done || done.bucketId !== bucket.id || done.key !== key) return undefined;
    const o = await this.metadata.getObject(bucket.id, key);
    if (!o || o.etag !== done.etag || o.lastModified !== done.lastModified) return undefined;
    const parts = lastMentions(requested);
    if (o.parts.length !== parts.length || o.parts.some((p, i) => p.etag === undefined || unquote(p.etag) !== unquote(parts[i]!.etag))) return undefined;
    return o;
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

  /**
   * Completes the upload from the requested parts, with AWS's rules: parts in ascending order (and, when
   * the upload has a checksum algorithm, numbered 1, 2, 3… without gaps), each part's ETag and checksum
   * as uploaded, every COMPOSITE part's checksum stated, and the request's checksum type, whole-object
   * checksum and object size (when given) matching what the parts make.
   */
  async complete(
    bucket: BucketRecord,
    upload: MultipartUploadRecord,
    requested: CompletedPartRequest[],
    condition?: WriteCondition,
    quota?: WriteQuota,
    expect: CompleteExpectations = {},
  ): Promise<ObjectRecord> {
    if (requested.length === 0) {
      throw new S3Error('MalformedXML', { message: 'The XML you provided was not well-formed or did not validate against our published schema' });
    }
    for (let i = 1; i < requested.length; i++) {
      if (requested[i]!.partNumber < requested[i - 1]!.partNumber) throw new S3Error('InvalidPartOrder', { details: { UploadId: upload.uploadId } });
    }
    requested = lastMentions(requested);
    if (requested.length > MAX_PART_NUMBER) throw new S3Error('MalformedXML');
    const alg = upload.checksumAlgorithm;
    const type = upload.checksumType ?? (alg === 'CRC64NVME' ? 'FULL_OBJECT' : 'COMPOSITE');
    if (alg) {
      // Part checksums are combined in part-number order: AWS wants the numbers to run 1, 2, 3…
      if (requested.some((r, i) => r.partNumber !== i + 1)) {
        throw new S3Error('InvalidPartOrder', { message: 'The parts of an upload with checksums must be numbered consecutively from 1.', details: { UploadId: upload.uploadId } });
      }
      if (expect.checksumType !== undefined && expect.checksumType !== type) {
        throw new S3Error('InvalidRequest', { message: `The upload was created using the ${type} checksum mode. The complete request must use the same checksum mode.` });
      }
    }
    const stored = new Map((await this.allParts(upload.uploadId)).map((p) => [p.partNumber, p]));
    const parts: UploadPartRecord[] = requested.map((r) => {
      const p = stored.get(r.partNumber);
      if (!p || unquote(p.etag) !== unquote(r.etag)) {
        throw new S3Error('InvalidPart', { details: { UploadId: upload.uploadId, PartNumber: r.partNumber, ETag: r.etag } });
      }
      if (alg) checkPartChecksum(alg, type, r, p);
      return p;
    });
    parts.forEach((p, i) => {
      if (i < parts.length - 1 && p.size < MIN_PART_SIZE) {
        throw new S3Error('EntityTooSmall', { details: { UploadId: upload.uploadId, PartNumber: p.partNumber, ProposedSize: p.size, MinSizeAllowed: MIN_PART_SIZE } });
      }
    });
    const size = parts.reduce((n, p) => n + p.size, 0);
    if (expect.objectSize !== undefined && expect.objectSize !== size) {
      throw new S3Error('InvalidRequest', { message: `The provided 'x-amz-mp-object-size' header value ${expect.objectSize} does not match what was computed: ${size}` });
    }
    const checksum = this.objectChecksum(upload, parts);
    // compat: as AWS, a whole-object checksum sent for an upload created without an algorithm is ignored.
    if (alg && expect.checksum) checkObjectChecksum(alg, type, expect.checksum, checksum, parts.length);

    const etagHash = createHash('md5');
    for (const p of parts) etagHash.update(Buffer.from(unquote(p.etag), 'hex'));
    const result = await this.metadata.completeUpload(
      upload.uploadId,
      {
        bucketId: upload.bucketId,
        key: upload.key,
        size,
        etag: `"${etagHash.digest('hex')}-${parts.length}"`,
        contentType: upload.contentType,
        headers: upload.headers,
        inline: null,
        parts: parts.map((p) => ({ blobId: p.blobId, size: p.size, etag: p.etag, ...(p.checksum ? { checksum: p.checksum } : {}) })),
        checksum,
        tagging: upload.tagging,
        ownerId: upload.ownerId,
        storageClass: upload.storageClass,
        acl: upload.acl,
        versioning: bucket.versioning ?? undefined,
      },
      condition,
      quota,
    );
    if (!result.ok) {
      if (result.reason === 'no-such-upload') {
        // Completed by a concurrent request (the same retry arriving twice): answer as that one did.
        const done = await this.completedInto(bucket, upload.key, upload.uploadId, requested);
        if (done) return done;
        throw new S3Error('NoSuchUpload', { details: { UploadId: upload.uploadId } });
      }
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
    // SHA-1 and SHA-256 are COMPOSITE only (CreateMultipartUpload refuses FULL_OBJECT for them).
    if (alg === 'SHA1' || alg === 'SHA256') return null;
    return { algorithm: alg, type, value: combineFullObjectCrc(alg, parts.map((p) => ({ checksum: p.checksum!, size: p.size }))) };
  }

  async abort(upload: MultipartUploadRecord): Promise<void> {
    if (!(await this.metadata.abortUpload(upload.uploadId))) throw new S3Error('NoSuchUpload', { details: { UploadId: upload.uploadId } });
  }
}
