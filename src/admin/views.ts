/**
 * Store records → admin API bodies (contract.ts): ISO times, names instead of internal ids, and only the
 * fields a client may see (never a password hash or a sealed secret).
 */
import type { AuditRecord, JoinRequestRecord, TenancyRecord, TenancyRepository, UserRecord, UserRepository } from '../metadata/store.js';
import type { KeyView } from '../tenancy/user-keys.js';
import type { MemberView } from '../tenancy/membership.js';
import type { TenancyView } from '../tenancy/tenancies.js';
import type * as C from './contract.js';

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

export function tenancyBody(t: TenancyRecord): C.Tenancy {
  return { name: t.name, createdAt: iso(t.createdAt), defaultAccess: t.defaultAccess, quota: { bytes: t.quotaBytes, objects: t.quotaObjects, action: t.quotaAction }, listed: t.listed };
}

export function tenancyDetailBody(v: TenancyView): C.TenancyDetail {
  return { ...tenancyBody(v.tenancy), usage: v.usage, status: v.status, thresholds: v.thresholds, endpoints: v.endpoints, members: v.members, buckets: v.buckets };
}

export function userBody(u: UserRecord): C.User {
  return { username: u.username, displayName: u.displayName, email: u.email, siteAdmin: u.isSiteAdmin, createdAt: iso(u.createdAt) };
}

export function memberBody(m: MemberView): C.Member {
  return { username: m.user.username, displayName: m.user.displayName, role: m.membership.role, since: iso(m.membership.createdAt) };
}

export function keyBody(v: KeyView): C.AccessKey {
  const k = v.key;
  return {
    owner: v.owner,
    expired: v.expired,
    portal: v.portal,
    accessKeyId: k.accessKeyId,
    name: k.name,
    tenancy: v.tenancy,
    createdAt: iso(k.createdAt),
    expiresAt: isoOrNull(k.expiresAt),
    lastUsedAt: isoOrNull(k.lastUsedAt),
    restriction: v.restriction,
  };
}

/** Resolves user and tenancy ids to names, memoised for one response. */
export class NameResolver {
  readonly #users = new Map<string, Promise<string>>();
  readonly #tenancies = new Map<string, Promise<string>>();

  constructor(private readonly metadata: Pick<TenancyRepository, 'getTenancyById'> & Pick<UserRepository, 'getUserById'>) {}

  user(id: string): Promise<string> {
    let p = this.#users.get(id);
    if (!p) this.#users.set(id, (p = this.metadata.getUserById(id).then((u) => u?.username ?? id)));
    return p;
  }

  tenancy(id: string): Promise<string> {
    let p = this.#tenancies.get(id);
    if (!p) this.#tenancies.set(id, (p = this.metadata.getTenancyById(id).then((t) => t?.name ?? id)));
    return p;
  }
}

export async function joinRequestBody(r: JoinRequestRecord, names: NameResolver): Promise<C.JoinRequest> {
  return {
    id: r.id,
    tenancy: await names.tenancy(r.tenancyId),
    username: await names.user(r.userId),
    message: r.message,
    status: r.status,
    createdAt: iso(r.createdAt),
    decidedAt: isoOrNull(r.decidedAt),
    decidedBy: r.decidedBy === null ? null : await names.user(r.decidedBy),
    role: r.role,
    reason: r.reason,
  };
}

export async function auditBody(a: AuditRecord, names: NameResolver): Promise<C.AuditEntry> {
  return {
    id: a.id,
    at: iso(a.at),
    actor: a.actorId === null ? null : await names.user(a.actorId),
    tenancy: a.tenancyId === null ? null : await names.tenancy(a.tenancyId),
    action: a.action,
    target: a.target,
    details: a.details,
  };
}
