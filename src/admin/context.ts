/**
 * What an admin route works with: the principal (resolved once per request), the services, the path
 * parameters, and — for tenancy routes — the tenancy and the caller's role there, already checked.
 */
import type { IncomingMessage } from 'node:http';
import type { SessionStore } from './session.js';
import type { PasswordThrottle } from '../iam/password-throttle.js';
import type { PortalOrigins } from '../config/portal-origin.js';
import type {
  AccessKeyRepository,
  BucketRepository,
  GroupRepository,
  JoinRequestRepository,
  ObjectWriteRepository,
  QuotaRepository,
  TenancyRecord,
  TenancyRepository,
  UserRecord,
  UserRepository,
} from '../metadata/store.js';
import type { BucketPolicies } from '../iam/bucket-policies.js';
import type { Directory } from '../iam/directory/directory.js';
import type { AuditTrail } from '../tenancy/audit.js';
import type { Groups } from '../tenancy/groups.js';
import type { JoinRequests } from '../tenancy/join-requests.js';
import type { ActingRole, Membership } from '../tenancy/membership.js';
import type { Tenancies } from '../tenancy/tenancies.js';
import type { UserKeys } from '../tenancy/user-keys.js';
import type { Users } from '../tenancy/users.js';
import type { RouteDef } from './router.js';
import type { BucketSharing } from '../tenancy/sharing.js';
import type { UserAccess } from '../iam/user-access.js';

/** Who is calling the admin API, however they authenticated. */
export interface AdminPrincipal {
  user: UserRecord;
  /** How: HTTP Basic through the directory today; a portal session later. */
  via: 'basic' | 'session';
}

/**
 * What admin routes read directly (views, usage, the portal's listings) besides the services, and the two
 * bucket settings they write in place (quota, landing page). Everything else — creating and deleting, members,
 * keys, sessions, audit — goes through the services, which audit it.
 */
export type AdminRepositories = Pick<AccessKeyRepository, 'getAccessKey'> &
  Pick<BucketRepository, 'getBucket' | 'getBucketById' | 'listBuckets' | 'setBucketQuota' | 'setBucketConfiguration'> &
  Pick<GroupRepository, 'listGroupsOfUser'> &
  Pick<JoinRequestRepository, 'listJoinRequests' | 'listJoinRequestsOfUser'> &
  Pick<QuotaRepository, 'getTenancyUsage' | 'getBucketUsage' | 'recountUsage' | 'usageByOwner' | 'usageByPrefix' | 'listUsageSamples'> &
  Pick<TenancyRepository, 'getTenancyById' | 'getTenancyByName' | 'getMembership' | 'listMembers' | 'listMembershipsOfUser'> &
  Pick<UserRepository, 'getUserById' | 'getUserByName'> &
  Pick<ObjectWriteRepository, 'scanUploads' | 'listUploadParts'>;

export interface AdminServices {
  metadata: AdminRepositories;
  /** Which directory people sign in through; passwords are checked only through `passwords` (the throttle). */
  directory: Pick<Directory, 'kind' | 'managesPasswords'>;
  audit: AuditTrail;
  tenancies: Tenancies;
  membership: Membership;
  joinRequests: JoinRequests;
  users: Users;
  groups: Groups;
  userKeys: UserKeys;
  bucketPolicies: BucketPolicies;
  /** Portal sessions (in the metadata store, shared by every gateway). */
  sessions: SessionStore;
  /** Every password check goes through this (the shared password-guessing throttle). */
  passwords: PasswordThrottle;
  /** The client's address (X-Forwarded-For only from trusted proxies), for the throttle. */
  clientAddress: (req: IncomingMessage) => string;
  /** Where the portal lives, and which S3 origin its presigned URLs point at. */
  origins: PortalOrigins;
  /** S3 region of presigned URLs. */
  region: string;
  /** Grants, public, shared-with-me (tenancy/sharing.ts). */
  sharing: BucketSharing;
  /** S3's authorization asked for a person (iam/user-access.ts). */
  userAccess: UserAccess;
  /** The private CA users' clients need for the external endpoint (PEM file), if the site has one. */
  tlsCa: string | undefined;
}

/**
 * What session routes need to know about the HTTP request being served, carried on the context (no
 * request object, no side channel): its session cookie, the client's address, TLS and the portal origin.
 */
export interface AdminRequestFacts {
  /** The session cookie's value, if the request carries one. */
  sessionId: string | undefined;
  /** The client's address (X-Forwarded-For only from trusted proxies), for the password throttle. */
  address: string;
  /** Reached over TLS: the request itself, or the portal origin (a TLS proxy in front), so cookies are Secure. */
  tls: boolean;
  /** The portal origin the request was made on (config/portal-origin.ts). */
  origin: string;
}

export interface AdminContext {
  services: AdminServices;
  request: AdminRequestFacts;
  /** Undefined only on public routes. */
  principal: AdminPrincipal | undefined;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The parsed JSON body ({} when empty); a 400 problem when it is not JSON. */
  body(): Promise<unknown>;
  /** The raw body as UTF-8 text (for documents kept as sent, like bucket policies). */
  text(): Promise<string>;
  /** Set for routes with tenancy access: the tenancy of `{tenancy}`, and the caller's standing there. */
  tenancy: TenancyRecord | undefined;
  acting: ActingRole | undefined;
}

export interface AdminResult {
  status: number;
  /** JSON-serialised unless `raw` is given. */
  body?: unknown;
  raw?: { contentType: string; data: string | Buffer };
  headers?: Record<string, string>;
}

export type AdminRouteHandler = (ctx: AdminContext) => Promise<AdminResult>;
export type AdminRoute = RouteDef<AdminRouteHandler>;

/** The principal of an authenticated route (the pipeline guarantees it). */
export function me(ctx: AdminContext): AdminPrincipal {
  if (!ctx.principal) throw new Error('route needs an authenticated principal');
  return ctx.principal;
}

/** The tenancy of a tenancy route (the pipeline guarantees it). */
export function tenancyOf(ctx: AdminContext): { tenancy: TenancyRecord; acting: ActingRole } {
  if (!ctx.tenancy || !ctx.acting) throw new Error('route needs a tenancy');
  return { tenancy: ctx.tenancy, acting: ctx.acting };
}

export const ok = (body: unknown, status = 200): AdminResult => ({ status, body });
export const noContent = (): AdminResult => ({ status: 204 });
