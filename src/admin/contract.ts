/**
 * The admin API's request and response bodies (JSON under /_admin/api/v1). The portal and the CLI import
 * these types only; docs/openapi.json describes the same shapes for everyone else. Times are ISO 8601
 * strings; sizes are bytes; `null` quota = unlimited. Errors are RFC 9457 `Problem` documents.
 */

export type Role = 'USER' | 'DEPUTY' | 'MANAGER';
export type QuotaAction = 'read-delete' | 'read-only' | 'notify' | 'lockout';
export type DefaultAccess = 'owner' | 'members';
export type QuotaLevel = 'ok' | 'warning' | 'critical' | 'full';
export type JoinRequestStatus = 'pending' | 'approved' | 'rejected';

/** application/problem+json (RFC 9457). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
}

export interface Usage {
  bytes: number;
  objects: number;
}

export interface QuotaInfo {
  bytes: number | null;
  objects: number | null;
  action: QuotaAction;
}

export interface QuotaStatus {
  /** Fuller of bytes% and objects%, or null without a quota. */
  percent: number | null;
  level: QuotaLevel;
}

export interface Endpoints {
  internal: string;
  external: string;
}

export interface Tenancy {
  name: string;
  createdAt: string;
  defaultAccess: DefaultAccess;
  quota: QuotaInfo;
}

export interface TenancyDetail extends Tenancy {
  usage: Usage;
  status: QuotaStatus;
  thresholds: { warning: number; critical: number };
  endpoints: Endpoints;
  members: number;
  buckets: number;
}

export interface CreateTenancyRequest {
  name: string;
  defaultAccess?: DefaultAccess;
}
export interface UpdateTenancyRequest {
  defaultAccess?: DefaultAccess;
}
/** PUT /tenancies/{t}/quota. bytes may be a number or a size string ("10GiB"); null = unlimited. */
export interface SetQuotaRequest {
  bytes: number | string | null;
  objects?: number | null;
  action?: QuotaAction;
}
export interface QuotaResponse {
  tenancy: string;
  quota: QuotaInfo;
  usage: Usage;
  status: QuotaStatus;
  thresholds: { warning: number; critical: number };
}
export interface UsageResponse {
  tenancy: string;
  usage: Usage;
  status: QuotaStatus;
  buckets: Array<{ name: string; usage: Usage; quota: { bytes: number | null; objects: number | null } }>;
}
export interface UsageSampleBody {
  /** ISO 8601 time of the sample. */
  at: string;
  bytes: number;
  objects: number;
}
/** GET /tenancies/{t}/usage/history?days=N: recorded samples (oldest first), the usage now, and the quota. */
export interface UsageHistoryResponse {
  tenancy: string;
  days: number;
  samples: UsageSampleBody[];
  current: UsageSampleBody;
  quota: { bytes: number | null; objects: number | null };
}
export interface UsageRepairResponse {
  tenancy: string;
  counted: Usage;
  recorded: Usage;
  drift: Array<{ scope: 'tenancy' | 'bucket'; name: string; counted: Usage; recorded: Usage }>;
  fixed: boolean;
}

export interface User {
  username: string;
  displayName: string;
  email: string;
  siteAdmin: boolean;
  createdAt: string;
}
export interface CreateUserRequest {
  username: string;
  password: string;
  displayName?: string;
  email?: string;
  siteAdmin?: boolean;
}
export interface SetPasswordRequest {
  password: string;
}

export interface Member {
  username: string;
  displayName: string;
  role: Role;
  since: string;
}
export interface AddMemberRequest {
  username: string;
  role?: Role;
}
export interface SetRoleRequest {
  role: Role;
}

export interface Group {
  name: string;
  /** 'tenancy' = the derived `<tenancy>-members` group (follows membership). */
  source: 'local' | 'ldap' | 'tenancy';
  createdAt: string;
}
export interface CreateGroupRequest {
  name: string;
}
export interface AddGroupMemberRequest {
  username: string;
}

export interface JoinRequest {
  id: string;
  tenancy: string;
  username: string;
  message: string;
  status: JoinRequestStatus;
  createdAt: string;
  decidedAt: string | null;
  decidedBy: string | null;
  role: Role | null;
}
export interface CreateJoinRequestRequest {
  tenancy: string;
  message?: string;
}
export interface DecideJoinRequestRequest {
  /** Role given on approval (default USER); ignored on rejection. */
  role?: Role;
}

export interface KeyRestriction {
  readOnly: boolean;
  scopes: Array<{ bucket: string; prefix?: string }> | null;
}
export interface AccessKey {
  accessKeyId: string;
  name: string;
  tenancy: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  restriction: KeyRestriction | null;
}
export interface CreateAccessKeyRequest {
  tenancy: string;
  name: string;
  /** Required; at most the site's maximum key lifetime ahead. */
  expiresAt: string;
  readOnly?: boolean;
  /** "bucket" or "bucket/prefix" strings, or {bucket, prefix} objects. */
  scopes?: Array<string | { bucket: string; prefix?: string }>;
}
/** The only response that ever contains a secret. */
export interface CreatedAccessKey extends AccessKey {
  secretAccessKey: string;
}

export interface BucketPolicyResponse {
  tenancy: string;
  bucket: string;
  /** The policy document as stored. */
  policy: unknown;
}

export interface AuditEntry {
  id: string;
  at: string;
  actor: string | null;
  tenancy: string | null;
  action: string;
  target: string;
  details: Record<string, unknown>;
}

export interface MyTenancy {
  name: string;
  role: Role;
  endpoints: Endpoints;
  quota: QuotaInfo;
  usage: Usage;
  status: QuotaStatus;
}
export interface Me {
  username: string;
  displayName: string;
  email: string;
  siteAdmin: boolean;
  groups: string[];
  tenancies: MyTenancy[];
}

export interface ListResponse<T> {
  items: T[];
}

/** PUT /tenancies/{t}/buckets/{b}/quota answer: a bucket quota inside its tenancy's. */
export interface BucketQuotaResponse {
  tenancy: string;
  bucket: string;
  quota: { bytes: number | null; objects: number | null };
  usage: { bytes: number; objects: number };
}
