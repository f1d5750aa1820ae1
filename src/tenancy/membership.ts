/**
 * Membership of tenancies: members hold a role (USER, DEPUTY, MANAGER). Managers and deputies add members;
 * a deputy cannot make or unmake a manager. Every tenancy has a derived group `<tenancy>-members` whose
 * members are exactly its members: it is computed from memberships (`groupsOf`), never stored, so it
 * cannot drift from them.
 */
import type { MembershipRecord, Role, TenancyRecord, TenancyRepository, UserRecord, UserRepository } from '../metadata/store.js';
import type { Actor, AuditTrail } from './audit.js';
import { conflict, forbidden, invalid, notFound } from './domain-error.js';

export const ROLES: readonly Role[] = ['USER', 'DEPUTY', 'MANAGER'];

export function isRole(v: unknown): v is Role {
  return typeof v === 'string' && (ROLES as readonly string[]).includes(v);
}

// The derived `<tenancy>-members` group and a user's groups are computed in one place, shared with the
// S3 authorizer (policy principals `group/<name>` match these names).
export { MEMBERS_GROUP_SUFFIX, membersGroupName, groupsOfUser as groupsOf } from '../iam/groups.js';

/** How the acting person relates to the tenancy: their role there, or site administrator. */
export type ActingRole = Role | 'site-admin';

/** A member with their user record, as administration lists them. */
export interface MemberView {
  membership: MembershipRecord;
  user: UserRecord;
}

export class Membership {
  constructor(
    private readonly metadata: TenancyRepository & UserRepository,
    private readonly audit: AuditTrail,
  ) {}

  async userByName(username: string): Promise<UserRecord> {
    const u = await this.metadata.getUserByName(username);
    if (!u) throw notFound(`no user named "${username}"`);
    return u;
  }

  async list(tenancy: TenancyRecord): Promise<MemberView[]> {
    const ms = await this.metadata.listMembers(tenancy.id);
    const views: MemberView[] = [];
    for (const m of ms) {
      const user = await this.metadata.getUserById(m.userId);
      if (user) views.push({ membership: m, user });
    }
    return views;
  }

  async add(actor: Actor, acting: ActingRole, tenancy: TenancyRecord, username: string, role: Role = 'USER'): Promise<MemberView> {
    if (!isRole(role)) throw invalid('role must be USER, DEPUTY or MANAGER');
    const user = await this.userByName(username);
    if (await this.metadata.getMembership(tenancy.id, user.id)) throw conflict(`"${username}" is already a member of ${tenancy.name}; change the role instead`);
    assertMayAssign(acting, role);
    const membership = await this.metadata.addMember(tenancy.id, user.id, role);
    await this.audit.record(actor, tenancy.id, 'member.add', username, { role });
    return { membership, user };
  }

  async setRole(actor: Actor, acting: ActingRole, tenancy: TenancyRecord, username: string, role: Role): Promise<MemberView> {
    if (!isRole(role)) throw invalid('role must be USER, DEPUTY or MANAGER');
    const user = await this.userByName(username);
    const current = await this.metadata.getMembership(tenancy.id, user.id);
    if (!current) throw notFound(`"${username}" is not a member of ${tenancy.name}`);
    if (current.role === role) return { membership: current, user };
    assertMayAssign(acting, role);
    assertMayAssign(acting, current.role);
    if (current.role === 'MANAGER') await this.assertNotLastManager(tenancy);
    const membership = await this.metadata.addMember(tenancy.id, user.id, role);
    await this.audit.record(actor, tenancy.id, 'member.set-role', username, { from: current.role, to: role });
    return { membership, user };
  }

  async remove(actor: Actor, acting: ActingRole, tenancy: TenancyRecord, username: string): Promise<void> {
    const user = await this.userByName(username);
    const current = await this.metadata.getMembership(tenancy.id, user.id);
    if (!current) throw notFound(`"${username}" is not a member of ${tenancy.name}`);
    assertMayAssign(acting, current.role);
    if (current.role === 'MANAGER') await this.assertNotLastManager(tenancy);
    await this.metadata.removeMember(tenancy.id, user.id);
    await this.audit.record(actor, tenancy.id, 'member.remove', username, { role: current.role });
  }

  private async assertNotLastManager(tenancy: TenancyRecord): Promise<void> {
    const managers = (await this.metadata.listMembers(tenancy.id)).filter((m) => m.role === 'MANAGER');
    if (managers.length <= 1) throw conflict(`${tenancy.name} must keep at least one MANAGER`);
  }
}

/** Only managers (and site administrators) make, change or remove managers. */
export function assertMayAssign(acting: ActingRole, role: Role): void {
  if (acting === 'USER') throw forbidden('only a MANAGER or DEPUTY of the tenancy may change its members');
  if (role === 'MANAGER' && acting === 'DEPUTY') throw forbidden('a DEPUTY cannot make, change or remove a MANAGER');
}
