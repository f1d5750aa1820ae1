/**
 * The metadata layer's repositories, one per aggregate: each a small interface that a service takes on its
 * own (a service needing buckets and users takes `BucketRepository & UserRepository`, not the whole store).
 * `MetadataStore` (store.ts) is all of them; both dialects implement it, sharing the CRUD (sql/shared-store.ts)
 * and keeping only the write path, recount and their transactions apart. The read cache declares a policy
 * for every method of every repository (read-cache.ts).
 */
import type { BucketConfigurationKind, BucketConfigurations } from './bucket-configuration.js';
import type {
  AccessKeyRecord,
  AuditRecord,
  AuthAttempt,
  AuthFailureRecord,
  BucketRecord,
  CompletedUploadRecord,
  CreateBucketResult,
  DeleteBucketResult,
  DeleteObjectResult,
  GroupRecord,
  JoinRequestRecord,
  JoinRequestStatus,
  ListedObject,
  MembershipRecord,
  MultipartUploadRecord,
  NewAccessKey,
  NewAuditRecord,
  NewBucket,
  NewMultipartUpload,
  NewObject,
  NewTenancy,
  NewUploadPart,
  NewUser,
  ObjectRecord,
  ObjectScan,
  ObjectVersion,
  DeleteMarkerRecord,
  ListedVersion,
  VersionScan,
  VersionedDelete,
  PutObjectResult,
  QuotaExceeded,
  ReserveResult,
  Role,
  SessionRecord,
  TenancyRecord,
  TenancyUpdate,
  UploadPartRecord,
  UploadScan,
  UsageGroup,
  UsageRecord,
  UsageSample,
  UserRecord,
  WriteCondition,
  WriteQuota,
} from './store.js';

/** Closing the store (flushes what is pending). */
export interface StoreLifecycle {
  close(): Promise<void>;
  /**
   * Migrations this build knows that the database has not applied (0: the schema is current); rejects when
   * the database is unreachable. Readiness (`/_admin/ready`) asks it.
   */
  pendingMigrations(): Promise<number>;
}

/** Hooks a store calls as it works, for metrics (ops/metrics.ts); each is cheap and must not throw. */
export interface StoreObserver {
  /** A write transaction committed (or failed) after `seconds`; `ops`: writes in it (SQLite group commit). */
  transaction?(seconds: number, ops: number): void;
  /** A pooled connection was obtained after waiting `seconds` (PostgreSQL). */
  poolWait?(seconds: number): void;
}

/** Site settings: a small key/value table (bootstrap flag, master-key check, …). */
export interface SettingsRepository {
  getSetting(name: string): Promise<string | undefined>;
  setSetting(name: string, value: string): Promise<void>;
}

/** Tenancies and their memberships. */
export interface TenancyRepository {
  createTenancy(t: NewTenancy): Promise<TenancyRecord>;
  getTenancyById(id: string): Promise<TenancyRecord | undefined>;
  getTenancyByName(name: string): Promise<TenancyRecord | undefined>;
  listTenancies(): Promise<TenancyRecord[]>;
  updateTenancy(id: string, update: TenancyUpdate): Promise<TenancyRecord | undefined>;
  /** Deletes a tenancy that has no buckets (false otherwise), with its memberships, keys and requests. */
  deleteTenancy(id: string): Promise<boolean>;
  /** Adds the member, or changes the role of an existing member (keeping createdAt). */
  addMember(tenancyId: string, userId: string, role: Role): Promise<MembershipRecord>;
  getMembership(tenancyId: string, userId: string): Promise<MembershipRecord | undefined>;
  /** Members of a tenancy ordered by createdAt. */
  listMembers(tenancyId: string): Promise<MembershipRecord[]>;
  /** Tenancies a user belongs to. */
  listMembershipsOfUser(userId: string): Promise<MembershipRecord[]>;
  /** Removes the member and deletes the access keys they hold for that tenancy. */
  removeMember(tenancyId: string, userId: string): Promise<boolean>;
}

/** Users (local and directory). */
export interface UserRepository {
  createUser(u: NewUser): Promise<UserRecord>;
  getUserById(id: string): Promise<UserRecord | undefined>;
  getUserByName(username: string): Promise<UserRecord | undefined>;
  /** Users whose email address is `email`, compared without regard to case (ACL grants by email address). */
  listUsersByEmail(email: string): Promise<UserRecord[]>;
  listUsers(): Promise<UserRecord[]>;
  updateUser(id: string, update: { displayName?: string; email?: string; passwordHash?: string; isSiteAdmin?: boolean }): Promise<UserRecord | undefined>;
}

/** Groups (site-wide; `<tenancy>-members` groups are derived from memberships, not stored). */
export interface GroupRepository {
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
}

/** Requests to join a tenancy, and their decisions. */
export interface JoinRequestRepository {
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
}

/** The audit trail. */
export interface AuditRepository {
  appendAudit(a: NewAuditRecord): Promise<AuditRecord>;
  /** Newest first; tenancyId undefined = site-wide (every record). */
  listAudit(tenancyId: string | undefined, limit: number): Promise<AuditRecord[]>;
}

/** Access keys (secrets sealed by the caller). */
export interface AccessKeyRepository {
  createAccessKey(k: NewAccessKey): Promise<AccessKeyRecord>;
  getAccessKey(accessKeyId: string): Promise<AccessKeyRecord | undefined>;
  listAccessKeys(userId: string): Promise<AccessKeyRecord[]>;
  deleteAccessKey(accessKeyId: string): Promise<boolean>;
  /** Best-effort, may be batched/coalesced by the implementation. */
  touchAccessKey(accessKeyId: string, at: number): Promise<void>;
}

/** Buckets, their quota and their configurations (bucket-configuration.ts). */
export interface BucketRepository {
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
}

/** Objects and multipart uploads: reads, scans and the write path (per dialect: group commit on SQLite, row locks on PostgreSQL). */
export interface ObjectWriteRepository {
  getObject(bucketId: string, key: string): Promise<ObjectRecord | undefined>;
  /**
   * Inserts or replaces the object at (bucketId, key) in ONE transaction with: the condition check, the
   * usage counters of bucket and tenancy, and queuing the replaced object's blobs for deletion.
   * Implementations may group several concurrent calls into one transaction/sync (group commit),
   * but each call resolves only once its write is durable.
   */
  putObject(o: NewObject, condition?: WriteCondition, quota?: WriteQuota): Promise<PutObjectResult>;
  /**
   * Deletes the key's current object in one transaction with usage update and blob deletion queueing.
   * With `versioned` (a bucket whose versioning was ever enabled) it adds a delete marker instead: the current
   * version becomes noncurrent (Enabled), or the null version goes and the marker is the new null version
   * (Suspended). A marker is made even when the key has no current object, as S3 does.
   */
  deleteObject(bucketId: string, key: string, condition?: WriteCondition, versioned?: VersionedDelete): Promise<DeleteObjectResult>;
  /**
   * Removes one version (or delete marker) for good, returning it (undefined: no such version of the key).
   * When it was the latest, the newest remaining version becomes current (unless it is a marker).
   */
  deleteObjectVersion(bucketId: string, key: string, versionId: string): Promise<ObjectVersion | undefined>;
  /** One version of the key by id, current or noncurrent, object or delete marker. */
  getObjectVersion(bucketId: string, key: string, versionId: string): Promise<ObjectVersion | undefined>;
  /** The delete marker that is the key's latest version, if it is one (a GET that missed answers with it). */
  getDeleteMarker(bucketId: string, key: string): Promise<DeleteMarkerRecord | undefined>;
  /** A page of the bucket's versions and delete markers in ListObjectVersions order (two bounded index scans merged). */
  scanObjectVersions(bucketId: string, scan: VersionScan): Promise<ListedVersion[]>;
  /**
   * Replaces only the tag set of an existing object (PutObjectTagging/DeleteObjectTagging): bytes, ETag and
   * Last-Modified stay. False when there is no object at the key (or no such version; a marker has no tags).
   */
  setObjectTagging(bucketId: string, key: string, tagging: string | null, versionId?: string): Promise<boolean>;
  /** Replaces only the ACL of an existing object (or of one version of it). False when there is none. */
  setObjectAcl(bucketId: string, key: string, acl: string | null, versionId?: string): Promise<boolean>;
  /** Keys ≥/> start with the prefix, ordered by UTF-8 bytes; `inline` is left null in results. */
  scanObjects(bucketId: string, scan: ObjectScan): Promise<ListedObject[]>;
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
}

/** Usage counters, recount, quota reservations (DESIGN §3: the check is part of the usage update) and usage history. */
export interface QuotaRepository {
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
  /** Records (or replaces, for the same instant) a usage sample. */
  recordUsageSample(tenancyId: string, at: number, usage: UsageRecord): Promise<void>;
  /** Samples taken at or after `since`, oldest first, at most `limit` (the most recent ones when more). */
  listUsageSamples(tenancyId: string, since: number, limit: number): Promise<UsageSample[]>;
}

/** Portal sessions (shared by all gateways; cascade with the user). */
export interface SessionRepository {
  createSession(s: SessionRecord): Promise<void>;
  getSession(idHash: string): Promise<SessionRecord | undefined>;
  /** Sets last-seen and/or elevated-until; false when the session is gone. */
  updateSession(idHash: string, update: { lastSeen?: number; elevatedUntil?: number }): Promise<boolean>;
  deleteSession(idHash: string): Promise<boolean>;
  /** Ends every session of the user; returns how many. */
  deleteSessionsOfUser(userId: string): Promise<number>;
  /** Deletes sessions idle since before `idleBefore` or created before `createdBefore`; returns how many. */
  deleteExpiredSessions(idleBefore: number, createdBefore: number): Promise<number>;
}

/** The password-guessing throttle's failures (iam/password-throttle.ts decides; shared by all gateways). */
export interface AuthFailureRepository {
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
}

/** Notices sent by mail (tenancy/notices.ts: each is sent once). */
export interface NoticeRepository {
  /** Records that the notice `key` is being sent; false when it was recorded before (sent already). */
  claimNotice(key: string, at: number): Promise<boolean>;
  /** Forgets notices whose key starts with `prefix` (a sending that failed, a quota level left); returns how many. */
  releaseNotices(prefix: string): Promise<number>;
  /** Whether the notice `key` was recorded. */
  hasNotice(key: string): Promise<boolean>;
}

/** A server access log record waiting for delivery (core/log-delivery.ts). */
export interface NewLogRecord {
  /** The source bucket (the one whose logging configuration says where the record goes). */
  bucketId: string;
  /** When the request was received (ms). */
  eventTime: number;
  /** The record, formatted (core/server-access-log.ts). */
  line: string;
}
export interface LogRecord extends NewLogRecord {
  id: string;
}

/**
 * The spool of server access log records (bucket logging): every gateway appends, the one delivering
 * (core/log-delivery.ts) takes the oldest, writes them as log objects and acknowledges them.
 */
export interface LogSpoolRepository {
  /** Appends records in one transaction: once it resolves, they are durable. */
  appendLogRecords(records: readonly NewLogRecord[]): Promise<void>;
  /** The oldest records (by event time), at most `limit`. */
  takeLogRecords(limit: number): Promise<LogRecord[]>;
  /** Forgets records once delivered (or dropped). */
  ackLogRecords(ids: readonly string[]): Promise<void>;
}

/** Blob garbage collection (the sweeper). */
export interface BlobGcRepository {
  /** Blob ids queued for deletion at or before `queuedBefore`, at most `limit`. */
  takeBlobDeletions(queuedBefore: number, limit: number): Promise<string[]>;
  /** Forget queued deletions once the files are gone. */
  ackBlobDeletions(blobIds: string[]): Promise<void>;
  /** True if any object or upload part references the blob, or it is queued for deletion. */
  isBlobKnown(blobId: string): Promise<boolean>;
}
