/**
 * The metadata store: every authoritative fact of Granary except object bytes.
 *
 * It speaks storage, not S3: "not found" is `undefined`, conditional writes return result unions, and
 * `core/` decides which S3 error a result is. Every method is async so that a networked implementation
 * (PostgreSQL) fits behind the same interface. Implementations: `sqlite/` (embedded default) and later
 * `postgres/`; both must pass `contract/`.
 *
 * Object keys compare as raw UTF-8 bytes (the order S3 lists in). All times are epoch milliseconds.
 */
import type { BucketConfigurationFields } from './bucket-configuration.js';
import type {
  StoreLifecycle,
  SettingsRepository,
  TenancyRepository,
  UserRepository,
  GroupRepository,
  JoinRequestRepository,
  AuditRepository,
  AccessKeyRepository,
  BucketRepository,
  ObjectWriteRepository,
  QuotaRepository,
  SessionRepository,
  AuthFailureRepository,
  NoticeRepository,
  BlobGcRepository,
  LogSpoolRepository,
} from './repositories.js';

/** The repositories are part of this module's vocabulary: services import them from here. */
export type * from './repositories.js';

export type Role = 'USER' | 'DEPUTY' | 'MANAGER';

/** What a full tenancy (usage ≥ quota) still allows. */
export type QuotaAction = 'read-delete' | 'read-only' | 'notify' | 'lockout';
/** Who reaches a bucket without a policy: its owner (and MANAGER/DEPUTY), or every member. */
export type DefaultAccess = 'owner' | 'members';

export interface TenancyRecord {
  id: string;
  name: string;
  createdAt: number;
  defaultAccess: DefaultAccess;
  /** Quota in bytes / objects; null = unlimited. */
  quotaBytes: number | null;
  quotaObjects: number | null;
  quotaAction: QuotaAction;
  /** Listed in the directory of tenancies people may ask to join (the tenancy's managers opt in). */
  listed: boolean;
}
export interface NewTenancy {
  name: string;
  defaultAccess?: DefaultAccess;
}
/** Fields of a tenancy that administration may change (undefined = keep). */
export interface TenancyUpdate {
  defaultAccess?: DefaultAccess;
  quotaBytes?: number | null;
  quotaObjects?: number | null;
  quotaAction?: QuotaAction;
  listed?: boolean;
}

export interface GroupRecord {
  id: string;
  name: string;
  /** 'local' groups are managed in Granary; 'ldap' groups mirror the directory (replaced at each sign-in). */
  source: 'local' | 'ldap';
  createdAt: number;
}

export type JoinRequestStatus = 'pending' | 'approved' | 'rejected';
export interface JoinRequestRecord {
  id: string;
  tenancyId: string;
  userId: string;
  message: string;
  status: JoinRequestStatus;
  createdAt: number;
  decidedAt: number | null;
  decidedBy: string | null;
  /** Role given on approval. */
  role: Role | null;
  /** Why it was rejected (shown to the requester); '' when none was given or it was approved. */
  reason: string;
}

export interface AuditRecord {
  id: string;
  at: number;
  /** User who acted (null for the system). */
  actorId: string | null;
  tenancyId: string | null;
  /** e.g. 'member.add', 'key.create', 'policy.put', 'quota.set'. */
  action: string;
  /** What was acted on, e.g. a username, bucket or key id (never a secret). */
  target: string;
  details: Record<string, unknown>;
}
export type NewAuditRecord = Omit<AuditRecord, 'id' | 'at'>;

/** Room taken for an upload before its body is read, so parallel writers cannot overshoot a quota. */
export interface QuotaReservation {
  id: string;
  tenancyId: string;
  bucketId: string;
  bytes: number;
  objects: number;
}
export type ReserveResult = { ok: true; reservation: QuotaReservation } | QuotaExceeded;

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

/** A bucket row: identity, quota (beside the usage counters it limits) and every configuration (bucket-configuration.ts). */
export interface BucketRecord extends BucketConfigurationFields {
  id: string;
  tenancyId: string;
  name: string;
  ownerId: string;
  region: string;
  createdAt: number;
  /** Bucket quota (inside the tenancy's); null = none. */
  quotaBytes: number | null;
  quotaObjects: number | null;
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
  /** How the blob's bytes are encrypted at rest (core/encryption.ts); undefined: stored in clear. */
  sse?: BlobEncryption;
}

/**
 * Encryption of one blob (blob/encryption/segments.ts format). Kept with the blob reference, in the object's
 * parts, because each blob has its own data key: rotating the master key rewrites these, never the blobs.
 */
export interface BlobEncryption {
  /** 'AES256': SSE-S3 (data key wrapped by the site master key); 'SSE-C': customer-provided key. */
  mode: 'AES256' | 'SSE-C';
  /** SSE-S3: the data key sealed by the master key (iam/secrets.ts SecretBox format). */
  wrappedKey?: string;
  /** SSE-C: random salt (base64) the data key is derived from together with the customer's key. */
  salt?: string;
  /** SSE-C: HMAC of the customer's key under the salt (base64), to tell a wrong key from a corrupt blob. */
  keyCheck?: string;
  /** SSE-C: base64 MD5 of the customer's key, as AWS echoes it in x-amz-server-side-encryption-customer-key-MD5. */
  keyMd5?: string;
}

export interface ObjectRecord {
  bucketId: string;
  key: string;
  /**
   * The version this record is (docs/architecture.md, "Object versions"): `'null'` (NULL_VERSION_ID) for what
   * an unversioned bucket holds and what a write makes while versioning is Suspended; an opaque id, sortable
   * by creation within the bucket, for a write while versioning is Enabled.
   */
  versionId: string;
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
  /** Object ACL as JSON (see iam/acl.ts), or null for the canned private ACL. */
  acl: string | null;
}
export interface ObjectChecksum {
  algorithm: 'CRC32' | 'CRC32C' | 'CRC64NVME' | 'SHA1' | 'SHA256';
  value: string;
  type: 'FULL_OBJECT' | 'COMPOSITE';
}
/** What a listing shows of an object: a scan reads only these columns (listing speed is row decoding). */
export type ListedObject = Pick<ObjectRecord, 'key' | 'size' | 'etag' | 'lastModified' | 'checksum' | 'ownerId' | 'storageClass'>;
export type NewObject = Omit<ObjectRecord, 'lastModified' | 'acl' | 'versionId'> & {
  lastModified?: number;
  acl?: string | null;
  /** The bucket's versioning state as the caller read it (undefined: never enabled); the store decides the version id. */
  versioning?: VersioningState;
};

/** A bucket's versioning state (the `versioning` configuration kind); absent = never enabled. */
export type VersioningState = 'Enabled' | 'Suspended';
/** The version id of the `null` version (AWS spells it so). */
export const NULL_VERSION_ID = 'null';

/** A delete marker: a version with no data, which makes its key answer 404 while it is the latest. */
export interface DeleteMarkerRecord {
  bucketId: string;
  key: string;
  versionId: string;
  lastModified: number;
  ownerId: string;
}

/** One version of a key, addressed by id: an object's data or a delete marker, and whether it is the latest. */
export type ObjectVersion =
  | { kind: 'object'; object: ObjectRecord; isLatest: boolean }
  | { kind: 'marker'; marker: DeleteMarkerRecord; isLatest: boolean };

/** What ListObjectVersions shows of a version (a marker has size 0, etag '' and no checksum). */
export type ListedVersion = ListedObject & { versionId: string; isLatest: boolean; isDeleteMarker: boolean };

/**
 * A scan of a bucket's versions in ListObjectVersions order: keys ascending (UTF-8 bytes), newest first
 * within a key. Starts after `start` (or at it, when `inclusive`); with `versionIdMarker`, first the versions
 * of the key `start` older than that version (an unknown version id: none of that key).
 */
export interface VersionScan {
  prefix: string;
  start: string;
  inclusive?: boolean;
  versionIdMarker?: string;
  limit: number;
}

/** How a versioned delete is recorded: the bucket's state and who made the marker. */
export interface VersionedDelete {
  versioning: VersioningState;
  ownerId: string;
}

/**
 * Quota enforcement for one write, inside its transaction: when `enforce`, the write fails with
 * 'quota-exceeded' if usage after it (plus other live reservations) would pass the tenancy's or the bucket's
 * quota; `reservationId` (if any) is released in the same transaction, its room counting for this write.
 * Writes that shrink usage are never refused.
 */
export interface WriteQuota {
  enforce: boolean;
  reservationId?: string;
}

/** Preconditions for a conditional write or delete, checked inside the same transaction. */
export interface WriteCondition {
  /** `If-None-Match: *`: only if no object exists at the key. */
  ifNoneMatch?: '*';
  /** `If-Match: <etag>`: only if the current object's quoted ETag equals this. */
  ifMatch?: string;
}

export type PutObjectResult =
  | { ok: true; object: ObjectRecord; replaced: ObjectRecord | undefined }
  | { ok: false; reason: 'precondition-failed' | 'no-such-bucket' }
  | QuotaExceeded;

/**
 * A write would take usage past a quota (after counting other writers' reservations): `used` includes the
 * live reservations, `needed` is what the write would have added (of `kind`).
 */
export type QuotaExceeded = {
  ok: false;
  reason: 'quota-exceeded';
  scope: 'tenancy' | 'bucket';
  kind: 'bytes' | 'objects';
  limit: number;
  used: number;
  needed: number;
};

/** How long a completion is remembered for retries (an SDK retrying a lost response does so within minutes). */
export const COMPLETED_UPLOAD_RETENTION_MS = 24 * 60 * 60 * 1000;

/** What a completed multipart upload became: a retried completion succeeds while this object is unchanged. */
export interface CompletedUploadRecord {
  uploadId: string;
  bucketId: string;
  key: string;
  etag: string;
  lastModified: number;
}

export type DeleteObjectResult =
  /**
   * `deleted`: the object whose data is gone (in a versioned bucket only a replaced null version);
   * `marker`: the delete marker the delete made (versioned buckets).
   */
  | { ok: true; deleted: ObjectRecord | undefined; marker?: DeleteMarkerRecord }
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
  acl: string | null;
  /** Checksum algorithm and type requested at CreateMultipartUpload, if any. */
  checksumAlgorithm: ObjectChecksum['algorithm'] | null;
  checksumType: ObjectChecksum['type'] | null;
}
export type NewMultipartUpload = Omit<MultipartUploadRecord, 'initiatedAt' | 'acl'> & { acl?: string | null };

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
  /** Start at keyMarker itself (its uploads included; uploadIdMarker is then ignored): a seek past a common prefix. */
  inclusive?: boolean;
  limit: number;
}

/** Usage as the quota counts it: bytes net of upload credits (what usage is once in-flight uploads complete). */
export interface UsageRecord {
  bytes: number;
  objects: number;
}

/** One sample of a tenancy's usage at a point in time (the portal's usage chart). */
export type UsageSample = { at: number } & UsageRecord;

/**
 * A portal session as stored: shared by every gateway. Keyed by the SHA-256 (hex) of the session id; the
 * raw id exists only in the browser's cookie.
 */
export interface SessionRecord {
  idHash: string;
  userId: string;
  csrfToken: string;
  createdAt: number;
  lastSeen: number;
  /** Epoch ms until which key management is unlocked (0 = not elevated). */
  elevatedUntil: number;
}

/**
 * Failed password checks counted for one throttle key (`user:<name>`, `ip:<address>`), shared by every
 * gateway. A key never seen reads as `{ failures: 0, lastFailure: 0 }`.
 */
export interface AuthFailureRecord {
  key: string;
  failures: number;
  lastFailure: number;
}

/** The outcome of beginAuthAttempt: go ahead (with the records as they were before), or wait. */
export type AuthAttempt = { allowed: true; before: AuthFailureRecord[] } | { allowed: false; retryAt: number };

/** What a tenancy's (or a bucket's) objects take, grouped by owner or by top-level prefix. */
export interface UsageGroup {
  /** The owner's user id, or the top-level prefix ('a/'; '' for keys without a '/'). */
  group: string;
  bytes: number;
  objects: number;
}

/**
 * The metadata store: every repository (repositories.ts). Implementations: sqlite/ and postgres/, both
 * passing contract/.
 */
export interface MetadataStore
  extends StoreLifecycle,
    SettingsRepository,
    TenancyRepository,
    UserRepository,
    GroupRepository,
    JoinRequestRepository,
    AuditRepository,
    AccessKeyRepository,
    BucketRepository,
    ObjectWriteRepository,
    QuotaRepository,
    SessionRepository,
    AuthFailureRepository,
    NoticeRepository,
    BlobGcRepository,
    LogSpoolRepository {}
