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
import type { BucketConfigurationFields, BucketConfigurationKind, BucketConfigurations } from './bucket-configuration.js';

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
export type NewObject = Omit<ObjectRecord, 'lastModified' | 'acl'> & { lastModified?: number; acl?: string | null };

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
  /** Users whose email address is `email`, compared without regard to case (ACL grants by email address). */
  listUsersByEmail(email: string): Promise<UserRecord[]>;

  updateTenancy(id: string, update: TenancyUpdate): Promise<TenancyRecord | undefined>;
  /** Deletes a tenancy that has no buckets (false otherwise), with its memberships, keys and requests. */
  deleteTenancy(id: string): Promise<boolean>;

  listUsers(): Promise<UserRecord[]>;
  updateUser(id: string, update: { displayName?: string; email?: string; passwordHash?: string; isSiteAdmin?: boolean }): Promise<UserRecord | undefined>;

  /** Adds the member, or changes the role of an existing member (keeping createdAt). */
  addMember(tenancyId: string, userId: string, role: Role): Promise<MembershipRecord>;
  getMembership(tenancyId: string, userId: string): Promise<MembershipRecord | undefined>;
  /** Members of a tenancy ordered by createdAt. */
  listMembers(tenancyId: string): Promise<MembershipRecord[]>;
  /** Tenancies a user belongs to. */
  listMembershipsOfUser(userId: string): Promise<MembershipRecord[]>;
  /** Removes the member and deletes the access keys they hold for that tenancy. */
  removeMember(tenancyId: string, userId: string): Promise<boolean>;

  // ----- groups (site-wide; `<tenancy>-members` groups are derived from memberships, not stored)
  createGroup(name: string, source?: 'local' | 'ldap'): Promise<GroupRecord>;
  getGroupByName(name: string): Promise<GroupRecord | undefined>;
  listGroups(): Promise<GroupRecord[]>;
  deleteGroup(id: string): Promise<boolean>;
  addGroupMember(groupId: string, userId: string): Promise<void>;
  removeGroupMember(groupId: string, userId: string): Promise<boolean>;
  listGroupMembers(groupId: string): Promise<UserRecord[]>;
  /** Names of the stored groups the user belongs to, sorted. */
  listGroupsOfUser(userId: string): Promise<string[]>;
  /** Replaces the user's memberships of 'ldap' groups with exactly these names (creating groups as needed). */
  setDirectoryGroups(userId: string, names: string[]): Promise<void>;

  // ----- join requests
  createJoinRequest(r: { tenancyId: string; userId: string; message: string }): Promise<JoinRequestRecord>;
  getJoinRequest(id: string): Promise<JoinRequestRecord | undefined>;
  /** Requests of a tenancy (all, or only with this status), newest first. */
  listJoinRequests(tenancyId: string, status?: JoinRequestStatus): Promise<JoinRequestRecord[]>;
  listJoinRequestsOfUser(userId: string): Promise<JoinRequestRecord[]>;
  /**
   * Decides a pending request; on approval adds the membership with `role` in the same transaction.
   * Returns undefined when the request does not exist or was already decided.
   */
  decideJoinRequest(id: string, decision: { approve: boolean; role: Role; decidedBy: string; reason?: string }): Promise<JoinRequestRecord | undefined>;

  // ----- audit trail
  appendAudit(a: NewAuditRecord): Promise<AuditRecord>;
  /** Newest first; tenancyId undefined = site-wide (every record). */
  listAudit(tenancyId: string | undefined, limit: number): Promise<AuditRecord[]>;

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
  /** Sets (or with null removes) the bucket quota. False when the bucket is gone. */
  setBucketQuota(bucketId: string, quota: { bytes: number | null; objects: number | null }): Promise<boolean>;
  /**
   * Sets (or with null removes) one configuration of the bucket (policy, ACL, CORS, landing page, …; see
   * bucket-configuration.ts), leaving the others as they are. False when the bucket is gone.
   */
  setBucketConfiguration<K extends BucketConfigurationKind>(bucketId: string, kind: K, value: BucketConfigurations[K] | null): Promise<boolean>;

  // ----- objects
  getObject(bucketId: string, key: string): Promise<ObjectRecord | undefined>;
  /**
   * Inserts or replaces the object at (bucketId, key) in ONE transaction with: the condition check, the
   * usage counters of bucket and tenancy, and queuing the replaced object's blobs for deletion.
   * Implementations may group several concurrent calls into one transaction/sync (group commit),
   * but each call resolves only once its write is durable.
   */
  putObject(o: NewObject, condition?: WriteCondition, quota?: WriteQuota): Promise<PutObjectResult>;
  /** Deletes (if present) in one transaction with usage update and blob deletion queueing. */
  deleteObject(bucketId: string, key: string, condition?: WriteCondition): Promise<DeleteObjectResult>;
  /**
   * Replaces only the tag set of an existing object (PutObjectTagging/DeleteObjectTagging): bytes, ETag and
   * Last-Modified stay. False when there is no object at the key.
   */
  setObjectTagging(bucketId: string, key: string, tagging: string | null): Promise<boolean>;
  /** Replaces only the ACL of an existing object. False when there is no object at the key. */
  setObjectAcl(bucketId: string, key: string, acl: string | null): Promise<boolean>;
  /** Keys ≥/> start with the prefix, ordered by UTF-8 bytes; `inline` is left null in results. */
  scanObjects(bucketId: string, scan: ObjectScan): Promise<ListedObject[]>;

  // ----- multipart uploads
  createUpload(u: NewMultipartUpload): Promise<MultipartUploadRecord>;
  getUpload(uploadId: string): Promise<MultipartUploadRecord | undefined>;
  /** Ordered by (key, initiatedAt, uploadId). */
  scanUploads(bucketId: string, scan: UploadScan): Promise<MultipartUploadRecord[]>;
  /**
   * Adds or replaces a part (the replaced part's blob is queued for deletion); usage counts part bytes, net of
   * the upload's credit against the object at its key (metadata/quota-rule.ts).
   */
  putUploadPart(p: NewUploadPart, quota?: WriteQuota): Promise<{ ok: true; replaced: UploadPartRecord | undefined } | { ok: false; reason: 'no-such-upload' } | QuotaExceeded>;
  /** Parts with partNumber > after, ordered, at most limit. */
  listUploadParts(uploadId: string, after: number, limit: number): Promise<UploadPartRecord[]>;
  /**
   * Atomically: removes the upload, stores the object (with condition and usage update), queues the blobs
   * of parts not used by the object and of the replaced object for deletion, and records the completion
   * (getCompletedUpload).
   */
  completeUpload(
    uploadId: string,
    o: NewObject,
    condition?: WriteCondition,
    quota?: WriteQuota,
  ): Promise<PutObjectResult | { ok: false; reason: 'no-such-upload' }>;
  /** Removes the upload and queues all its part blobs for deletion. */
  abortUpload(uploadId: string): Promise<boolean>;
  /**
   * The object a completed upload became: kept COMPLETED_UPLOAD_RETENTION_MS at least, unless the key is
   * completed again (the caller compares it with the current object).
   */
  getCompletedUpload(uploadId: string): Promise<CompletedUploadRecord | undefined>;
  /** Bytes of in-flight uploads' parts counted against the object at the key (their credits; 0 when none). */
  getKeyCredit(bucketId: string, key: string): Promise<number>;

  // ----- usage
  getTenancyUsage(tenancyId: string): Promise<UsageRecord>;
  getBucketUsage(bucketId: string): Promise<UsageRecord>;
  /**
   * Usage recounted from the object, upload-part and upload-credit rows (the repair command): returns what the rows say
   * and what the counters said, and when `fix` is true overwrites the counters with the recount.
   */
  recountUsage(tenancyId: string, fix: boolean): Promise<{ counted: UsageRecord; recorded: UsageRecord; buckets: Array<{ bucketId: string; counted: UsageRecord; recorded: UsageRecord }> }>;

  /** Objects of a tenancy's buckets summed by owner (largest first). */
  usageByOwner(tenancyId: string): Promise<UsageGroup[]>;
  /** A bucket's objects summed by top-level prefix (the key up to and with its first '/'), in key order. */
  usageByPrefix(bucketId: string): Promise<UsageGroup[]>;

  // ----- quota (DESIGN §3: the check is part of the usage update; parallel writers reserve first)
  /**
   * Reserves room for a write of `bytes` (and `objects`) in the bucket and its tenancy, checked against
   * their quotas counting usage plus every live reservation. Reservations expire after `ttlMs` (a gateway
   * that died holding one does not block the quota forever).
   */
  reserveQuota(r: { tenancyId: string; bucketId: string; bytes: number; objects: number; ttlMs: number }): Promise<ReserveResult>;
  /** Releases a reservation (write failed or was refused). Idempotent. */
  releaseQuota(reservationId: string): Promise<void>;
  /**
   * Extends a live reservation to expire `ttlMs` from now (an upload whose bytes keep flowing keeps its
   * room; a stalled or abandoned one loses it soon). False when it no longer exists (expired or released).
   */
  renewQuota(reservationId: string, ttlMs: number): Promise<boolean>;
  /**
   * Drops every reservation. Only where this process is the store's only user (embedded SQLite), at start:
   * nothing can be in flight yet, so every reservation left is from a process that is gone.
   */
  clearQuotaReservations(): Promise<number>;

  // ----- usage history (sampled periodically; cascades with the tenancy)
  /** Records (or replaces, for the same instant) a usage sample. */
  recordUsageSample(tenancyId: string, at: number, usage: UsageRecord): Promise<void>;
  /** Samples taken at or after `since`, oldest first, at most `limit` (the most recent ones when more). */
  listUsageSamples(tenancyId: string, since: number, limit: number): Promise<UsageSample[]>;

  // ----- portal sessions (shared by all gateways; cascade with the user)
  createSession(s: SessionRecord): Promise<void>;
  getSession(idHash: string): Promise<SessionRecord | undefined>;
  /** Sets last-seen and/or elevated-until; false when the session is gone. */
  updateSession(idHash: string, update: { lastSeen?: number; elevatedUntil?: number }): Promise<boolean>;
  deleteSession(idHash: string): Promise<boolean>;
  /** Ends every session of the user; returns how many. */
  deleteSessionsOfUser(userId: string): Promise<number>;
  /** Deletes sessions idle since before `idleBefore` or created before `createdBefore`; returns how many. */
  deleteExpiredSessions(idleBefore: number, createdBefore: number): Promise<number>;

  // ----- password-guessing throttle (iam/password-throttle.ts decides; shared by all gateways)
  /**
   * A password check is about to be made for `keys` at `at`. Atomically (parallel checks on every gateway
   * see each other): reads the keys' records — one whose last failure is before its `forgetBefore` reads
   * as never seen —; if `retryAt(records)` is later than `at`, changes nothing and answers
   * `allowed: false`; else counts the check as a failure of every key in advance (failures + 1,
   * lastFailure = at), so parallel guesses cannot all pass before the first one fails.
   */
  beginAuthAttempt(keys: Array<{ key: string; forgetBefore: number }>, at: number, retryAt: (records: AuthFailureRecord[]) => number): Promise<AuthAttempt>;
  /**
   * Takes back the failure counted in advance at `at` for `key` (the check succeeded or could not be made):
   * failures − 1, and lastFailure back to `previousLastFailure` unless a later failure has set it since.
   */
  withdrawAuthFailure(key: string, at: number, previousLastFailure: number): Promise<void>;
  /** Forgets a key's failures (a successful sign-in of that user). */
  clearAuthFailures(key: string): Promise<void>;
  /** Forgets keys whose last failure was before `before`; returns how many. */
  deleteAuthFailuresBefore(before: number): Promise<number>;

  // ----- notices sent by mail (tenancy/notices.ts: each is sent once)
  /** Records that the notice `key` is being sent; false when it was recorded before (sent already). */
  claimNotice(key: string, at: number): Promise<boolean>;
  /** Forgets notices whose key starts with `prefix` (a sending that failed, a quota level left); returns how many. */
  releaseNotices(prefix: string): Promise<number>;
  /** Whether the notice `key` was recorded. */
  hasNotice(key: string): Promise<boolean>;

  // ----- blob garbage collection (the sweeper)
  /** Blob ids queued for deletion at or before `queuedBefore`, at most `limit`. */
  takeBlobDeletions(queuedBefore: number, limit: number): Promise<string[]>;
  /** Forget queued deletions once the files are gone. */
  ackBlobDeletions(blobIds: string[]): Promise<void>;
  /** True if any object or upload part references the blob, or it is queued for deletion. */
  isBlobKnown(blobId: string): Promise<boolean>;
}
