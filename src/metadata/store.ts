/**
 * The metadata store: every authoritative fact of Granary except object bytes.
 *
 * It speaks storage, not S3: "not found" is `undefined`, conditional writes return result unions, and
 * `core/` decides which S3 error a result is. Every method is async so that a networked implementation
 * (PostgreSQL) fits behind the same interface. Implementations: `sqlite/` (embedded default) and later
 * `postgres/`; both must pass `contract.ts`.
 *
 * Object keys compare as raw UTF-8 bytes (the order S3 lists in). All times are epoch milliseconds.
 */

export type Role = 'USER' | 'DEPUTY' | 'MANAGER';

export interface TenancyRecord {
  id: string;
  name: string;
  createdAt: number;
}
export interface NewTenancy {
  name: string;
}

export interface UserRecord {
  id: string;
  username: string;
  displayName: string;
  email: string;
  /** Password hash in PHC-like string form ("scrypt$…"); never a password. */
  passwordHash: string;
  isSiteAdmin: boolean;
  createdAt: number;
}
export interface NewUser {
  username: string;
  displayName?: string;
  email?: string;
  passwordHash: string;
  isSiteAdmin?: boolean;
}

export interface MembershipRecord {
  tenancyId: string;
  userId: string;
  role: Role;
  createdAt: number;
}

export interface AccessKeyRecord {
  /** The public access key id (what clients send in Credential=). */
  accessKeyId: string;
  userId: string;
  tenancyId: string;
  name: string;
  /** The secret, encrypted with the site master key (opaque to the store). */
  secretEncrypted: string;
  createdAt: number;
  /** Epoch ms after which the key no longer works; null = no expiry (bootstrap key only). */
  expiresAt: number | null;
  lastUsedAt: number | null;
  /** JSON restriction (read-only, buckets/prefixes), opaque to the store; null = none. */
  restriction: string | null;
}
export type NewAccessKey = Omit<AccessKeyRecord, 'createdAt' | 'lastUsedAt'>;

export interface BucketRecord {
  id: string;
  tenancyId: string;
  name: string;
  ownerId: string;
  region: string;
  createdAt: number;
}
export interface NewBucket {
  tenancyId: string;
  name: string;
  ownerId: string;
  region: string;
}

/** One stored piece of an object's bytes: a blob file (or a range of one) in the blob store. */
export interface ObjectPart {
  blobId: string;
  size: number;
  /** Part ETag (quoted hex MD5) for multipart objects; undefined for a single-PUT object. */
  etag?: string;
  /** Per-part checksum (base64) when the upload supplied one. */
  checksum?: string;
}

export interface ObjectRecord {
  bucketId: string;
  key: string;
  size: number;
  /** Quoted ETag exactly as returned to clients, e.g. "\"d41d8cd98f00b204e9800998ecf8427e\"". */
  etag: string;
  lastModified: number;
  contentType: string;
  /**
   * System headers kept with the object (content-encoding, content-disposition, content-language,
   * cache-control, expires, content-md5-less things) and user metadata (keys "x-amz-meta-*", lowercased
   * names, values exactly as sent). JSON-serialisable map.
   */
  headers: Record<string, string>;
  /** Bytes stored inline in the metadata (small objects); then `parts` is empty. */
  inline: Buffer | null;
  /** Blob parts in order; concatenated they are the object. Empty for inline objects. */
  parts: ObjectPart[];
  /** Checksum algorithm + value + type (e.g. {algorithm:'CRC32', value:'base64', type:'FULL_OBJECT'}). */
  checksum: ObjectChecksum | null;
  /** URL-encoded tag set (k=v&k2=v2) or null. */
  tagging: string | null;
  ownerId: string;
  storageClass: string;
}
export interface ObjectChecksum {
  algorithm: 'CRC32' | 'CRC32C' | 'CRC64NVME' | 'SHA1' | 'SHA256';
  value: string;
  type: 'FULL_OBJECT' | 'COMPOSITE';
}
export type NewObject = Omit<ObjectRecord, 'lastModified'> & { lastModified?: number };

/** Preconditions for a conditional write or delete, checked inside the same transaction. */
export interface WriteCondition {
  /** `If-None-Match: *`: only if no object exists at the key. */
  ifNoneMatch?: '*';
  /** `If-Match: <etag>`: only if the current object's quoted ETag equals this. */
  ifMatch?: string;
}

export type PutObjectResult =
  | { ok: true; object: ObjectRecord; replaced: ObjectRecord | undefined }
  | { ok: false; reason: 'precondition-failed' | 'no-such-bucket' };

export type DeleteObjectResult =
  | { ok: true; deleted: ObjectRecord | undefined }
  | { ok: false; reason: 'precondition-failed' };

export type DeleteBucketResult = 'deleted' | 'not-empty' | 'not-found';

export type CreateBucketResult =
  | { created: true; bucket: BucketRecord }
  | { created: false; existing: BucketRecord };

/** A range scan over one bucket's keys in byte order (listing is built from this in core/listing.ts). */
export interface ObjectScan {
  /** Only keys starting with this (may be ''). */
  prefix: string;
  /** Start strictly after this key (or at it, when `inclusive`); '' = from the beginning. */
  start: string;
  inclusive?: boolean;
  limit: number;
}

export interface MultipartUploadRecord {
  uploadId: string;
  bucketId: string;
  key: string;
  initiatedAt: number;
  ownerId: string;
  contentType: string;
  headers: Record<string, string>;
  tagging: string | null;
  storageClass: string;
  /** Checksum algorithm and type requested at CreateMultipartUpload, if any. */
  checksumAlgorithm: ObjectChecksum['algorithm'] | null;
  checksumType: ObjectChecksum['type'] | null;
}
export type NewMultipartUpload = Omit<MultipartUploadRecord, 'initiatedAt'>;

export interface UploadPartRecord {
  uploadId: string;
  partNumber: number;
  blobId: string;
  size: number;
  etag: string;
  checksum: string | null;
  lastModified: number;
}
export type NewUploadPart = Omit<UploadPartRecord, 'lastModified'>;

export interface UploadScan {
  prefix: string;
  /** Start after (keyMarker, uploadIdMarker) in (key, uploadId) order. */
  keyMarker: string;
  uploadIdMarker: string;
  limit: number;
}

export interface UsageRecord {
  bytes: number;
  objects: number;
}

export interface MetadataStore {
  close(): Promise<void>;

  // ----- site settings (a small key/value table: bootstrap flag, master-key check, …)
  getSetting(name: string): Promise<string | undefined>;
  setSetting(name: string, value: string): Promise<void>;

  // ----- tenancies, users, membership
  createTenancy(t: NewTenancy): Promise<TenancyRecord>;
  getTenancyById(id: string): Promise<TenancyRecord | undefined>;
  getTenancyByName(name: string): Promise<TenancyRecord | undefined>;
  listTenancies(): Promise<TenancyRecord[]>;

  createUser(u: NewUser): Promise<UserRecord>;
  getUserById(id: string): Promise<UserRecord | undefined>;
  getUserByName(username: string): Promise<UserRecord | undefined>;

  addMember(tenancyId: string, userId: string, role: Role): Promise<MembershipRecord>;
  getMembership(tenancyId: string, userId: string): Promise<MembershipRecord | undefined>;

  // ----- access keys
  createAccessKey(k: NewAccessKey): Promise<AccessKeyRecord>;
  getAccessKey(accessKeyId: string): Promise<AccessKeyRecord | undefined>;
  listAccessKeys(userId: string): Promise<AccessKeyRecord[]>;
  deleteAccessKey(accessKeyId: string): Promise<boolean>;
  /** Best-effort, may be batched/coalesced by the implementation. */
  touchAccessKey(accessKeyId: string, at: number): Promise<void>;

  // ----- buckets
  /** Creates the bucket unless (tenancyId, name) exists; then returns the existing one. */
  createBucket(b: NewBucket): Promise<CreateBucketResult>;
  getBucket(tenancyId: string, name: string): Promise<BucketRecord | undefined>;
  getBucketById(id: string): Promise<BucketRecord | undefined>;
  /** Buckets of a tenancy ordered by name. */
  listBuckets(tenancyId: string): Promise<BucketRecord[]>;
  /** Deletes only when it holds no objects and no multipart uploads. */
  deleteBucket(bucketId: string): Promise<DeleteBucketResult>;

  // ----- objects
  getObject(bucketId: string, key: string): Promise<ObjectRecord | undefined>;
  /**
   * Inserts or replaces the object at (bucketId, key) in ONE transaction with: the condition check, the
   * usage counters of bucket and tenancy, and queuing the replaced object's blobs for deletion.
   * Implementations may group several concurrent calls into one transaction/sync (group commit),
   * but each call resolves only once its write is durable.
   */
  putObject(o: NewObject, condition?: WriteCondition): Promise<PutObjectResult>;
  /** Deletes (if present) in one transaction with usage update and blob deletion queueing. */
  deleteObject(bucketId: string, key: string, condition?: WriteCondition): Promise<DeleteObjectResult>;
  /**
   * Replaces only the tag set of an existing object (PutObjectTagging/DeleteObjectTagging): bytes, ETag and
   * Last-Modified stay. False when there is no object at the key.
   */
  setObjectTagging(bucketId: string, key: string, tagging: string | null): Promise<boolean>;
  /** Keys ≥/> start with the prefix, ordered by UTF-8 bytes; `inline` is left null in results. */
  scanObjects(bucketId: string, scan: ObjectScan): Promise<ObjectRecord[]>;

  // ----- multipart uploads
  createUpload(u: NewMultipartUpload): Promise<MultipartUploadRecord>;
  getUpload(uploadId: string): Promise<MultipartUploadRecord | undefined>;
  /** Ordered by (key, initiatedAt, uploadId). */
  scanUploads(bucketId: string, scan: UploadScan): Promise<MultipartUploadRecord[]>;
  /** Adds or replaces a part (the replaced part's blob is queued for deletion); usage counts part bytes. */
  putUploadPart(p: NewUploadPart): Promise<{ ok: true; replaced: UploadPartRecord | undefined } | { ok: false; reason: 'no-such-upload' }>;
  /** Parts with partNumber > after, ordered, at most limit. */
  listUploadParts(uploadId: string, after: number, limit: number): Promise<UploadPartRecord[]>;
  /**
   * Atomically: removes the upload, stores the object (with condition and usage update), queues the blobs
   * of parts not used by the object and of the replaced object for deletion.
   */
  completeUpload(
    uploadId: string,
    o: NewObject,
    condition?: WriteCondition,
  ): Promise<PutObjectResult | { ok: false; reason: 'no-such-upload' }>;
  /** Removes the upload and queues all its part blobs for deletion. */
  abortUpload(uploadId: string): Promise<boolean>;

  // ----- usage
  getTenancyUsage(tenancyId: string): Promise<UsageRecord>;
  getBucketUsage(bucketId: string): Promise<UsageRecord>;

  // ----- blob garbage collection (the sweeper)
  /** Blob ids queued for deletion at or before `queuedBefore`, at most `limit`. */
  takeBlobDeletions(queuedBefore: number, limit: number): Promise<string[]>;
  /** Forget queued deletions once the files are gone. */
  ackBlobDeletions(blobIds: string[]): Promise<void>;
  /** True if any object or upload part references the blob, or it is queued for deletion. */
  isBlobKnown(blobId: string): Promise<boolean>;
}
