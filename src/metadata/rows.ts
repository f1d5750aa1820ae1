/**
 * Row → record mappings shared by the SQLite and PostgreSQL stores. They read either dialect's values:
 * 0/1 or a boolean, JSON text or JSONB already parsed. Mappings of the write path's hot rows (objects,
 * uploads, listings) stay in each store, tuned to its driver.
 */
import type {
  AccessKeyRecord,
  AuditRecord,
  BucketRecord,
  GroupRecord,
  JoinRequestRecord,
  MembershipRecord,
  MultipartUploadRecord,
  NewObject,
  ObjectChecksum,
  ObjectRecord,
  SessionRecord,
  TenancyRecord,
  UploadPartRecord,
  UserRecord,
} from './store.js';
import { decodeConfiguration } from './bucket-configuration.js';

export type Row = Record<string, any>;

export const toTenancy = (r: Row): TenancyRecord => ({
  id: r.id,
  name: r.name,
  createdAt: r.created_at,
  defaultAccess: r.default_access,
  quotaBytes: r.quota_bytes,
  quotaObjects: r.quota_objects,
  quotaAction: r.quota_action,
  listed: r.listed === true || r.listed === 1,
});
/** A JSON column: text on SQLite, already parsed from JSONB on PostgreSQL. */
const json = (v: unknown): any => (typeof v === 'string' ? JSON.parse(v) : v);

export const toUser = (r: Row): UserRecord => ({
  id: r.id,
  username: r.username,
  displayName: r.display_name,
  email: r.email,
  passwordHash: r.password_hash,
  isSiteAdmin: r.is_site_admin === true || r.is_site_admin === 1,
  createdAt: r.created_at,
});
export const toAudit = (r: Row): AuditRecord => ({
  id: r.id,
  at: r.at,
  actorId: r.actor_id,
  tenancyId: r.tenancy_id,
  action: r.action,
  target: r.target,
  details: json(r.details),
});
export const toSession = (r: Row): SessionRecord => ({
  idHash: r.id_hash,
  userId: r.user_id,
  csrfToken: r.csrf_token,
  createdAt: Number(r.created_at),
  lastSeen: Number(r.last_seen),
  elevatedUntil: Number(r.elevated_until),
});
/** An object row (hot: every GET and HEAD decodes one). */
export function toObject(r: Row): ObjectRecord {
  return {
    bucketId: r.bucket_id,
    key: r.key,
    versionId: r.version_id ?? 'null',
    size: r.size,
    etag: r.etag,
    lastModified: r.last_modified,
    contentType: r.content_type,
    headers: json(r.headers),
    inline: r.inline ?? null,
    parts: json(r.parts),
    checksum: checksumOf(r.checksum),
    tagging: r.tagging,
    ownerId: r.owner_id,
    storageClass: r.storage_class,
    acl: r.acl ?? null,
  };
}
export const toUpload = (r: Row): MultipartUploadRecord => ({
  uploadId: r.upload_id,
  bucketId: r.bucket_id,
  key: r.key,
  initiatedAt: r.initiated_at,
  ownerId: r.owner_id,
  contentType: r.content_type,
  headers: json(r.headers),
  tagging: r.tagging,
  storageClass: r.storage_class,
  acl: r.acl ?? null,
  checksumAlgorithm: r.checksum_algorithm,
  checksumType: r.checksum_type,
});
export const toGroup = (r: Row): GroupRecord => ({ id: r.id, name: r.name, source: r.source, createdAt: r.created_at });
export const toJoinRequest = (r: Row): JoinRequestRecord => ({
  id: r.id,
  tenancyId: r.tenancy_id,
  userId: r.user_id,
  message: r.message,
  status: r.status,
  createdAt: r.created_at,
  decidedAt: r.decided_at,
  decidedBy: r.decided_by,
  role: r.role,
  reason: r.reason ?? '',
});
export const toMembership = (r: Row): MembershipRecord => ({
  tenancyId: r.tenancy_id,
  userId: r.user_id,
  role: r.role,
  createdAt: r.created_at,
});
export const toAccessKey = (r: Row): AccessKeyRecord => ({
  accessKeyId: r.access_key_id,
  userId: r.user_id,
  tenancyId: r.tenancy_id,
  name: r.name,
  secretEncrypted: r.secret_encrypted,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  lastUsedAt: r.last_used_at,
  restriction: r.restriction,
});
export const toBucket = (r: Row): BucketRecord => ({
  id: r.id,
  tenancyId: r.tenancy_id,
  name: r.name,
  ownerId: r.owner_id,
  region: r.region,
  createdAt: r.created_at,
  quotaBytes: r.quota_bytes,
  quotaObjects: r.quota_objects,
  ...decodeConfiguration(r.configuration),
});
export const toPart = (r: Row): UploadPartRecord => ({
  uploadId: r.upload_id,
  partNumber: r.part_number,
  blobId: r.blob_id,
  size: r.size,
  etag: r.etag,
  checksum: r.checksum,
  lastModified: r.last_modified,
});

/** An object's checksum column (JSON text, or NULL). */
export function checksumOf(text: string | null): ObjectChecksum | null {
  return text === null ? null : (JSON.parse(text) as ObjectChecksum);
}

/** The record a store keeps for a new object: the write's fields, the store's clock, the private ACL by default. */
export function objectRecordOf(o: NewObject, now: number, versionId = 'null'): ObjectRecord {
  return {
    bucketId: o.bucketId,
    key: o.key,
    versionId,
    size: o.size,
    etag: o.etag,
    lastModified: o.lastModified ?? now,
    contentType: o.contentType,
    headers: o.headers,
    inline: o.inline,
    parts: o.parts,
    checksum: o.checksum,
    tagging: o.tagging,
    ownerId: o.ownerId,
    storageClass: o.storageClass,
    acl: o.acl ?? null,
  };
}
