/**
 * The admin API's contract: every route (`AdminApi`: method and path → request and response bodies) and
 * the JSON bodies themselves (under /_admin/api/v1). The typed client (api-client.ts), shared by the
 * portal and the CLI, is built from `AdminApi`; the server's route table is checked against
 * `ADMIN_API_ROUTES` (test/integration/admin-api.test.ts), and docs/openapi.json describes the same for
 * everyone else. Times are ISO 8601 strings; sizes are bytes; `null` quota = unlimited. Errors are
 * RFC 9457 `Problem` documents. Types only (and one list of route names): the browser imports this file.
 */
import type { PolicyCheckRequest, PolicyCheckResponse, PortalBucket, PresignRequest, PresignResponse, SessionInfo, SignInRequest, ElevateRequest } from './session-contract.js';
export type { PolicyCheckRequest, PolicyCheckResponse, PortalBucket, PresignRequest, PresignResponse, SessionInfo, SignInRequest, ElevateRequest };

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
  /** Listed among the tenancies people may find and ask to join. */
  listed: boolean;
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
  /** List the tenancy (or not) for people looking for one to join (MANAGER). */
  listed?: boolean;
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
  /** Why it was rejected, as the manager wrote it ('' if none). */
  reason: string;
}
export interface CreateJoinRequestRequest {
  tenancy: string;
  message?: string;
}
export interface DecideJoinRequestRequest {
  /** Role given on approval (default USER); ignored on rejection. */
  role?: Role;
  /** Why a rejection: shown to the requester. */
  reason?: string;
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
  /** Whose key (username). */
  owner: string;
  /** Past its expiry: it no longer works (listed last). */
  expired: boolean;
  /** The key the portal made for this person's browser uploads, downloads and share links. */
  portal: boolean;
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
  /** Join requests waiting for a decision (for MANAGER and DEPUTY; null for USER). */
  pendingRequests: number | null;
}
export interface Me {
  username: string;
  displayName: string;
  email: string;
  siteAdmin: boolean;
  groups: string[];
  tenancies: MyTenancy[];
  /** The longest lifetime of a new access key, in days (the site's setting). */
  maxKeyLifetimeDays: number;
  /** Passwords are changed here (built-in directory), not in an LDAP directory. */
  managesPasswords: boolean;
  /** The external endpoint's certificate is from a private CA, downloadable at GET /ca.pem. */
  privateCa: boolean;
}
/** PUT /me/password */
export interface ChangePasswordRequest {
  currentPassword: string;
  newPassword: string;
}

/** A bucket shared with the caller by a policy or an ACL (S3's own decision). */
export interface SharedBucket {
  tenancy: string;
  bucket: string;
  owner: string;
  access: 'read' | 'read-write';
  /** [''] = the whole bucket, else the prefixes where the access holds. */
  prefixes: string[];
  by: string;
}

export type GrantAccess = 'read' | 'read-write' | 'full';
export interface Grant {
  id: string;
  principal: { kind: 'user' | 'group'; name: string };
  access: GrantAccess;
  /** '' = the whole bucket. */
  prefix: string;
}
export interface GrantsResponse {
  tenancy: string;
  bucket: string;
  grants: Grant[];
  /** Public as AWS defines it (the policy or the ACL lets anyone read): the one rule GetBucketPolicyStatus uses. */
  public: boolean;
  /** Made public here ("make public"); false while public only through another statement or the ACL. */
  publicStatement: boolean;
  /** Statements of the policy that are not grants (written as JSON). */
  otherStatements: number;
  /** The caller may change the sharing (the bucket's owner, MANAGER, DEPUTY). */
  mayChange: boolean;
}
/** POST …/grants. `principal`: "user:NAME" or "group:NAME", or the object form. */
export interface CreateGrantRequest {
  principal: string | { kind: 'user' | 'group'; name: string };
  access: GrantAccess;
  prefix?: string;
}
export interface SetPublicRequest {
  public: boolean;
}
/** GET /tenancies/{t}/directory: who a grant can name (autocomplete). */
export interface ShareDirectoryResponse {
  users: Array<{ username: string; displayName: string }>;
  groups: string[];
}

/** A public bucket's landing page (GET/PUT …/landing). */
export interface LandingSettings {
  enabled: boolean;
  title: string;
  description: string;
  citation: string;
  /** Key of the README (Markdown) shown on the page; '' for none. */
  readme: string;
}
export interface LandingResponse extends LandingSettings {
  tenancy: string;
  bucket: string;
  /** Where browsers see it (the bucket's public URL on the external endpoint). */
  url: string;
}

/** GET /tenancies/{t}/usage/breakdown: what is using the space. */
export interface UsageBreakdownResponse {
  tenancy: string;
  owners: Array<{ username: string; bytes: number; objects: number }>;
  prefixes: Array<{ bucket: string; prefix: string; bytes: number; objects: number }>;
}
/** An incomplete multipart upload (its parts take space until completed or aborted). */
export interface IncompleteUpload {
  bucket: string;
  key: string;
  uploadId: string;
  initiatedAt: string;
  owner: string;
  parts: number;
  bytes: number;
}

/** GET /directory/tenancies */
export interface DirectoryTenancy {
  name: string;
  /** Listed by its managers (q= finds unlisted ones by name too). */
  listed: boolean;
  /** The caller is a member already. */
  member: boolean;
  /** The caller has a request waiting there. */
  pending: boolean;
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

// ───────────────────────────── the routes ─────────────────────────────

/** One route: its request body (`req`, if any) and its response body (`res`; `void` = 204). */
interface R<Res, Req = never> {
  req: Req;
  res: Res;
}

/** Every admin API route, by `METHOD /path` (relative to /_admin/api/v1). */
export interface AdminApi {
  'GET /openapi.json': R<unknown>;
  'GET /ca.pem': R<string>;
  'POST /session': R<SessionInfo, SignInRequest>;
  'GET /session': R<SessionInfo>;
  'DELETE /session': R<void>;
  'POST /session/elevate': R<SessionInfo, ElevateRequest>;

  'GET /me': R<Me>;
  'PUT /me/password': R<SessionInfo, ChangePasswordRequest>;
  'GET /me/keys': R<ListResponse<AccessKey>>;
  'POST /me/keys': R<CreatedAccessKey, CreateAccessKeyRequest>;
  'DELETE /me/keys/{key}': R<void>;
  'GET /me/requests': R<ListResponse<JoinRequest>>;
  'POST /me/requests': R<JoinRequest, CreateJoinRequestRequest>;
  'GET /me/shared': R<ListResponse<SharedBucket>>;
  'GET /directory/tenancies': R<ListResponse<DirectoryTenancy>>;

  'GET /tenancies': R<ListResponse<Tenancy>>;
  'POST /tenancies': R<TenancyDetail, CreateTenancyRequest>;
  'GET /tenancies/{tenancy}': R<TenancyDetail>;
  'PATCH /tenancies/{tenancy}': R<TenancyDetail, UpdateTenancyRequest>;
  'DELETE /tenancies/{tenancy}': R<void>;
  'GET /tenancies/{tenancy}/quota': R<QuotaResponse>;
  'PUT /tenancies/{tenancy}/quota': R<QuotaResponse, SetQuotaRequest>;
  'GET /tenancies/{tenancy}/usage': R<UsageResponse>;
  'GET /tenancies/{tenancy}/usage/history': R<UsageHistoryResponse>;
  'GET /tenancies/{tenancy}/usage/breakdown': R<UsageBreakdownResponse>;
  'POST /tenancies/{tenancy}/usage/repair': R<UsageRepairResponse>;
  'GET /tenancies/{tenancy}/uploads': R<ListResponse<IncompleteUpload>>;
  'GET /tenancies/{tenancy}/audit': R<ListResponse<AuditEntry>>;
  'GET /audit': R<ListResponse<AuditEntry>>;

  'GET /tenancies/{tenancy}/members': R<ListResponse<Member>>;
  'POST /tenancies/{tenancy}/members': R<Member, AddMemberRequest>;
  'PUT /tenancies/{tenancy}/members/{user}': R<Member, SetRoleRequest>;
  'DELETE /tenancies/{tenancy}/members/{user}': R<void>;
  'GET /tenancies/{tenancy}/requests': R<ListResponse<JoinRequest>>;
  'POST /tenancies/{tenancy}/requests/{id}/approve': R<JoinRequest, DecideJoinRequestRequest>;
  'POST /tenancies/{tenancy}/requests/{id}/reject': R<JoinRequest, DecideJoinRequestRequest>;
  'GET /tenancies/{tenancy}/keys': R<ListResponse<AccessKey>>;
  'DELETE /tenancies/{tenancy}/keys/{key}': R<void>;
  'GET /tenancies/{tenancy}/directory': R<ShareDirectoryResponse>;

  'GET /tenancies/{tenancy}/buckets': R<ListResponse<PortalBucket>>;
  'PUT /tenancies/{tenancy}/buckets/{bucket}/quota': R<BucketQuotaResponse, { bytes: number | string | null; objects?: number | null }>;
  'GET /tenancies/{tenancy}/buckets/{bucket}/policy': R<BucketPolicyResponse>;
  /** The body is the policy document itself (sent as text). */
  'PUT /tenancies/{tenancy}/buckets/{bucket}/policy': R<BucketPolicyResponse, string>;
  'DELETE /tenancies/{tenancy}/buckets/{bucket}/policy': R<void>;
  'POST /tenancies/{tenancy}/buckets/{bucket}/policy-check': R<PolicyCheckResponse, PolicyCheckRequest>;
  'GET /tenancies/{tenancy}/buckets/{bucket}/grants': R<GrantsResponse>;
  'POST /tenancies/{tenancy}/buckets/{bucket}/grants': R<GrantsResponse, CreateGrantRequest>;
  'DELETE /tenancies/{tenancy}/buckets/{bucket}/grants/{grant}': R<GrantsResponse>;
  'PUT /tenancies/{tenancy}/buckets/{bucket}/public': R<GrantsResponse, SetPublicRequest>;
  'GET /tenancies/{tenancy}/buckets/{bucket}/landing': R<LandingResponse>;
  'PUT /tenancies/{tenancy}/buckets/{bucket}/landing': R<LandingResponse, Partial<LandingSettings>>;
  'POST /tenancies/{tenancy}/presign': R<PresignResponse, PresignRequest>;

  'GET /users': R<ListResponse<User>>;
  'POST /users': R<User, CreateUserRequest>;
  'PUT /users/{user}/password': R<void, SetPasswordRequest>;
  'GET /groups': R<ListResponse<Group>>;
  'POST /groups': R<Group, CreateGroupRequest>;
  'DELETE /groups/{group}': R<void>;
  'GET /groups/{group}/members': R<ListResponse<User>>;
  'POST /groups/{group}/members': R<void, AddGroupMemberRequest>;
  'DELETE /groups/{group}/members/{user}': R<void>;
}

export type AdminRouteKey = keyof AdminApi;

/** The same routes as a value, for the check against the server's route table. */
export const ADMIN_API_ROUTES = [
  'GET /openapi.json', 'GET /ca.pem', 'POST /session', 'GET /session', 'DELETE /session', 'POST /session/elevate',
  'GET /me', 'PUT /me/password', 'GET /me/keys', 'POST /me/keys', 'DELETE /me/keys/{key}', 'GET /me/requests', 'POST /me/requests',
  'GET /me/shared', 'GET /directory/tenancies',
  'GET /tenancies', 'POST /tenancies', 'GET /tenancies/{tenancy}', 'PATCH /tenancies/{tenancy}', 'DELETE /tenancies/{tenancy}',
  'GET /tenancies/{tenancy}/quota', 'PUT /tenancies/{tenancy}/quota', 'GET /tenancies/{tenancy}/usage', 'GET /tenancies/{tenancy}/usage/history',
  'GET /tenancies/{tenancy}/usage/breakdown', 'POST /tenancies/{tenancy}/usage/repair', 'GET /tenancies/{tenancy}/uploads',
  'GET /tenancies/{tenancy}/audit', 'GET /audit',
  'GET /tenancies/{tenancy}/members', 'POST /tenancies/{tenancy}/members', 'PUT /tenancies/{tenancy}/members/{user}', 'DELETE /tenancies/{tenancy}/members/{user}',
  'GET /tenancies/{tenancy}/requests', 'POST /tenancies/{tenancy}/requests/{id}/approve', 'POST /tenancies/{tenancy}/requests/{id}/reject',
  'GET /tenancies/{tenancy}/keys', 'DELETE /tenancies/{tenancy}/keys/{key}', 'GET /tenancies/{tenancy}/directory',
  'GET /tenancies/{tenancy}/buckets', 'PUT /tenancies/{tenancy}/buckets/{bucket}/quota', 'GET /tenancies/{tenancy}/buckets/{bucket}/policy',
  'PUT /tenancies/{tenancy}/buckets/{bucket}/policy', 'DELETE /tenancies/{tenancy}/buckets/{bucket}/policy', 'POST /tenancies/{tenancy}/buckets/{bucket}/policy-check',
  'GET /tenancies/{tenancy}/buckets/{bucket}/grants', 'POST /tenancies/{tenancy}/buckets/{bucket}/grants', 'DELETE /tenancies/{tenancy}/buckets/{bucket}/grants/{grant}',
  'PUT /tenancies/{tenancy}/buckets/{bucket}/public', 'GET /tenancies/{tenancy}/buckets/{bucket}/landing', 'PUT /tenancies/{tenancy}/buckets/{bucket}/landing',
  'POST /tenancies/{tenancy}/presign',
  'GET /users', 'POST /users', 'PUT /users/{user}/password', 'GET /groups', 'POST /groups', 'DELETE /groups/{group}', 'GET /groups/{group}/members',
  'POST /groups/{group}/members', 'DELETE /groups/{group}/members/{user}',
] as const satisfies readonly AdminRouteKey[];

/** Compile-time: the list above names every route of AdminApi. */
type Unlisted = Exclude<AdminRouteKey, (typeof ADMIN_API_ROUTES)[number]>;
export const ADMIN_API_ROUTES_COMPLETE: [Unlisted] extends [never] ? true : Unlisted = true;
