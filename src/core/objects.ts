/**
 * Objects: the write path (stream → blob → one metadata transaction), reads with ranges across parts,
 * and deletes. S3 semantics without the wire: callers hand in decoded bodies and get records back.
 *
 * Write path (DESIGN §3): bytes stream through the digesters (MD5 for the ETag, plus whatever integrity
 * checks the request asked for) into a temporary blob that is fsynced and renamed only when every check
 * passed; then the object row, usage counters and the replaced blobs' deletion are committed together.
 * Small objects skip the blob file and live inline in the metadata row: their durability then costs one
 * (group-committed) database sync instead of a file sync, a directory sync and a database sync.
 */
import { createHash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { S3Error } from '../errors/s3-error.js';
import type { BlobStore } from '../blob/store.js';
import type {
  BucketRecord,
  DeleteMarkerRecord,
  ObjectChecksum,
  ObjectPart,
  ObjectRecord,
  ObjectWriteRepository,
  WriteCondition,
  WriteQuota,
} from '../metadata/store.js';
import type { QuotaGuard } from './quota.js';
import { hashOffload, type OffloadedHash } from '../lib/hash-offload.js';
import { decryptRange, encryptSegments } from '../blob/encryption/segments.js';
import { Encryption, type CustomerKey, type EncryptionRequest } from './encryption.js';

/** AWS's single-PUT limit. */
export const MAX_PUT_SIZE = 5 * 1024 ** 3;
/** AWS's limit on user-defined metadata (names + values of x-amz-meta-*). */
export const MAX_USER_METADATA_BYTES = 2048;

/** Sees every byte of a body; `finish` throws the S3Error for a mismatch once the body ended. */
export interface Digester {
  update(chunk: Buffer): void;
  finish(): void;
}

export interface PutObjectInput {
  bucket: BucketRecord;
  key: string;
  ownerId: string;
  body: AsyncIterable<Buffer>;
  /** Declared size of the (decoded) body, when the request declared one. */
  size: number | undefined;
  contentType: string;
  headers: Record<string, string>;
  /** Content-MD5 header (base64), verified against the bytes. */
  contentMd5?: string;
  /** Further checks (payload SHA-256, integrity checksums). */
  digesters?: Digester[];
  /** Called after the body ended and every digester passed: the checksum to keep with the object. */
  checksum?: () => ObjectChecksum | null;
  condition?: WriteCondition;
  tagging?: string | null;
  storageClass?: string;
  acl?: string | null;
  /** Quota enforcement for this write (reservation taken before the body was read). */
  quota?: WriteQuota;
  /** Server-side encryption of the stored bytes (none: stored in clear). */
  encryption?: EncryptionRequest;
}

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

/** Content-MD5 must be 16 bytes in base64 (checked before the body is read). */
function validContentMd5(expectedBase64: string | undefined): void {
  if (expectedBase64 !== undefined && !/^[A-Za-z0-9+/]{22}==$/.test(expectedBase64)) throw new S3Error('InvalidDigest');
}

/** The object's own MD5 (computed anyway, for the ETag) is what Content-MD5 is checked against. */
function checkContentMd5(expectedBase64: string | undefined, md5Hex: string): void {
  if (expectedBase64 === undefined) return;
  if (Buffer.from(md5Hex, 'hex').toString('base64') !== expectedBase64) throw new S3Error('BadDigest', { details: { ExpectedDigest: expectedBase64 } });
}

/** Bodies at least this large (or of unknown size) are MD5-hashed on a worker thread (lib/hash-offload.ts). */
const OFFLOAD_MD5_MIN_BYTES = 1024 * 1024;

/**
 * Streams a body into a new blob while computing its MD5 and running the digesters; the blob becomes
 * visible only if the byte count matches the declared size, the Content-MD5 (if any) matches and every
 * digester passed. Shared by PutObject, CopyObject and UploadPart so the write path is the same everywhere.
 */
export async function writeVerifiedBlob(
  blobs: BlobStore,
  body: AsyncIterable<Buffer>,
  opts: {
    size: number | undefined;
    maxSize: number;
    digesters: Digester[];
    contentMd5?: string;
    /** Encrypt the bytes with this data key (blob/encryption/segments.ts); digests are of the plaintext. */
    encrypt?: { key: Buffer; identity: string };
  },
): Promise<{ blobId: string; size: number; md5Hex: string }> {
  validContentMd5(opts.contentMd5);
  const md5 = opts.size === undefined || opts.size >= OFFLOAD_MD5_MIN_BYTES ? hashOffload.create('md5') : localMd5();
  let received = 0;
  let md5Hex: string | undefined;
  const tap = async function* (source: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
    for await (const chunk of source) {
      received += chunk.length;
      if (received > opts.maxSize) throw new S3Error('EntityTooLarge', { details: { MaxSizeAllowed: opts.maxSize } });
      const wait = md5.update(chunk);
      for (const c of opts.digesters) c.update(chunk);
      yield chunk;
      if (wait) await wait;
    }
  };
  try {
    const plain = tap(body);
    const blob = await blobs.write(opts.encrypt ? encryptSegments(plain, opts.encrypt.key, opts.encrypt.identity) : plain, {
      beforeCommit: async () => {
        checkReceived(opts.size, received);
        md5Hex = await md5.digest();
        checkContentMd5(opts.contentMd5, md5Hex);
        for (const c of opts.digesters) c.finish();
      },
    });
    // The size is the plaintext's: what the object (and the quota) counts, and what reads are ranged over.
    return { blobId: blob.blobId, size: received, md5Hex: md5Hex! };
  } finally {
    if (md5Hex === undefined) md5.drop();
  }
}

/** The OffloadedHash interface over an in-thread hash, for bodies too small to be worth a worker. */
function localMd5(): OffloadedHash {
  const h = createHash('md5');
  return {
    update: (c) => void h.update(c),
    digest: () => Promise.resolve(h.digest('hex')),
    drop: () => {},
  };
}

function checkReceived(declared: number | undefined, received: number): void {
  if (declared !== undefined && received !== declared) {
    throw new S3Error('IncompleteBody', { details: { NumberBytesExpected: declared, NumberBytesProvided: received } });
  }
}

export class Objects {
  constructor(
    private readonly metadata: ObjectWriteRepository,
    private readonly blobs: BlobStore,
    private readonly inlineMaxBytes: number,
    private readonly quota: QuotaGuard,
    private readonly encryption: Encryption,
  ) {}

  /**
   * The data key of each part (undefined for parts stored in clear), checking the SSE-C key a reader
   * presented: throws the S3 error before any byte is sent (GetObject, HeadObject, copy sources).
   */
  dataKeys(o: ObjectRecord, customer: CustomerKey | undefined): Array<Buffer | undefined> {
    return o.parts.map((p) => (p.sse ? this.encryption.dataKeyOf(p.sse, customer) : undefined));
  }

  async get(bucket: BucketRecord, key: string): Promise<ObjectRecord> {
    const o = await this.metadata.getObject(bucket.id, key);
    if (!o) throw new S3Error('NoSuchKey', { details: { Key: key } });
    return o;
  }

  /** The object, or undefined (for callers to whom a missing key is no error). */
  find(bucket: BucketRecord, key: string): Promise<ObjectRecord | undefined> {
    return this.metadata.getObject(bucket.id, key);
  }

  /** Replaces the object's tags (URL-encoded, or null for none); NoSuchKey when there is no such object. */
  async setTagging(bucket: BucketRecord, key: string, tagging: string | null): Promise<void> {
    if (!(await this.metadata.setObjectTagging(bucket.id, key, tagging))) throw new S3Error('NoSuchKey', { details: { Key: key } });
  }

  /** Replaces the object's ACL (stored form, iam/acl.ts); NoSuchKey when there is no such object. */
  async setAcl(bucket: BucketRecord, key: string, acl: string | null): Promise<void> {
    if (!(await this.metadata.setObjectAcl(bucket.id, key, acl))) throw new S3Error('NoSuchKey', { details: { Key: key } });
  }

  async put(input: PutObjectInput): Promise<ObjectRecord> {
    if (input.size !== undefined && input.size > MAX_PUT_SIZE) {
      throw new S3Error('EntityTooLarge', { details: { ProposedSize: input.size, MaxSizeAllowed: MAX_PUT_SIZE } });
    }
    const checks: Digester[] = input.digesters ?? [];
    validContentMd5(input.contentMd5);

    let size: number;
    let md5Hex: string;
    let inline: Buffer | null = null;
    let parts: ObjectPart[] = [];
    // Encrypted objects always get a blob: inline bytes would sit in clear in the metadata database.
    if (input.size !== undefined && input.size <= this.inlineMaxBytes && !input.encryption) {
      const md5 = createHash('md5');
      const chunks: Buffer[] = [];
      let received = 0;
      for await (const chunk of input.body) {
        received += chunk.length;
        if (received > input.size) break; // more than declared: reported by checkReceived
        md5.update(chunk);
        for (const c of checks) c.update(chunk);
        chunks.push(chunk);
      }
      checkReceived(input.size, received);
      md5Hex = md5.digest('hex');
      checkContentMd5(input.contentMd5, md5Hex);
      for (const c of checks) c.finish();
      inline = Buffer.concat(chunks, received);
      size = received;
    } else {
      const dataKey = input.encryption ? this.encryption.newDataKey(input.encryption) : undefined;
      const blob = await writeVerifiedBlob(this.blobs, input.body, {
        size: input.size,
        maxSize: MAX_PUT_SIZE,
        digesters: checks,
        contentMd5: input.contentMd5,
        ...(dataKey ? { encrypt: { key: dataKey.key, identity: objectIdentity(input.bucket.id, input.key) } } : {}),
      });
      parts = [{ blobId: blob.blobId, size: blob.size, ...(dataKey ? { sse: dataKey.sse } : {}) }];
      size = blob.size;
      // compat: as AWS, an SSE-S3 object's ETag is the MD5 of its plaintext; an SSE-C object's is not.
      md5Hex = dataKey?.sse.mode === 'SSE-C' ? Encryption.opaqueEtag(blob.md5Hex, dataKey.key) : blob.md5Hex;
    }

    const result = await this.metadata
      .putObject(
        {
          bucketId: input.bucket.id,
          key: input.key,
          size,
          etag: `"${md5Hex}"`,
          contentType: input.contentType,
          headers: input.headers,
          inline,
          parts,
          checksum: input.checksum ? input.checksum() : null,
          tagging: input.tagging ?? null,
          ownerId: input.ownerId,
          storageClass: input.storageClass ?? 'STANDARD',
          acl: input.acl ?? null,
          versioning: input.bucket.versioning ?? undefined,
        },
        input.condition,
        input.quota,
      )
      .catch(async (e: unknown) => {
        await this.discardParts(parts);
        throw e;
      });
    if (!result.ok) {
      await this.discardParts(parts);
      if (result.reason === 'no-such-bucket') throw new S3Error('NoSuchBucket', { details: { BucketName: input.bucket.name } });
      if (result.reason === 'quota-exceeded') throw await this.quota.errorFor(result, input.bucket);
      throw new S3Error('PreconditionFailed', { details: { Condition: input.condition?.ifMatch ? 'If-Match' : 'If-None-Match' } });
    }
    return result.object;
  }

  /** Best effort: a blob we failed to delete is an orphan the sweeper reclaims. */
  private async discardParts(parts: ObjectPart[]): Promise<void> {
    await Promise.all(parts.map((p) => this.blobs.delete(p.blobId).catch(() => undefined)));
  }

  /**
   * A stream of the object's bytes, or of the inclusive range. An encrypted object's parts are decrypted
   * (only the segments the range touches are read); `customer` is the SSE-C key the reader presented.
   */
  read(o: ObjectRecord, range?: ByteRange, customer?: CustomerKey): Readable {
    const start = range?.start ?? 0;
    const end = range?.end ?? o.size - 1;
    if (o.inline) return Readable.from([o.inline.subarray(start, end + 1)], { objectMode: false });
    const keys = this.dataKeys(o, customer);
    if (end < start) return Readable.from([], { objectMode: false });
    const identity = objectIdentity(o.bucketId, o.key);
    if (o.parts.length === 1) return this.readPart(o.parts[0]!, keys[0], identity, start, end);
    return this.readParts(o.parts, keys, identity, start, end);
  }

  /** Inclusive range [start, end] of one part's plaintext. */
  private readPart(p: ObjectPart, key: Buffer | undefined, identity: string, start: number, end: number): Readable {
    if (!key) return this.blobs.read(p.blobId, { start, end });
    return decryptRange((s, e) => this.blobs.read(p.blobId, { start: s, end: e }), key, identity, p.size, { start, end });
  }

  /** Concatenates the needed slices of several parts, one blob open at a time. */
  private readParts(parts: ObjectPart[], keys: Array<Buffer | undefined>, identity: string, start: number, end: number): Readable {
    const out = new PassThrough({ highWaterMark: 1024 * 1024 });
    (async () => {
      let offset = 0;
      for (const [i, p] of parts.entries()) {
        const pStart = offset;
        const pEnd = offset + p.size - 1;
        offset += p.size;
        if (pEnd < start || p.size === 0) continue;
        if (pStart > end) break;
        const s = Math.max(start, pStart) - pStart;
        const e = Math.min(end, pEnd) - pStart;
        for await (const chunk of this.readPart(p, keys[i], identity, s, e)) {
          if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', r));
          if (out.destroyed) return;
        }
      }
      out.end();
    })().catch((e: unknown) => out.destroy(e as Error));
    return out;
  }

  /**
   * Deletes the object if present (S3 answers success for a missing key). In a bucket whose versioning was
   * ever enabled this adds a delete marker made by `requesterId` (core/versions.ts deletes by version id).
   */
  async delete(bucket: BucketRecord, key: string, condition?: WriteCondition, requesterId?: string): Promise<ObjectRecord | undefined> {
    return (await this.deleteCurrent(bucket, key, condition, requesterId)).deleted;
  }

  /** As `delete`, with the delete marker it made (versioned buckets). */
  async deleteCurrent(bucket: BucketRecord, key: string, condition?: WriteCondition, requesterId?: string): Promise<{ deleted: ObjectRecord | undefined; marker: DeleteMarkerRecord | undefined }> {
    const versioned = bucket.versioning ? { versioning: bucket.versioning, ownerId: requesterId ?? bucket.ownerId } : undefined;
    const r = await this.metadata.deleteObject(bucket.id, key, condition, versioned);
    if (!r.ok) throw new S3Error('PreconditionFailed', { details: { Condition: 'If-Match' } });
    return { deleted: r.deleted, marker: r.marker };
  }
}

/** What an object's blob is bound to (in each segment's AAD): a blob moved under another row fails to read. */
function objectIdentity(bucketId: string, key: string): string {
  return `${bucketId}/${key}`;
}
