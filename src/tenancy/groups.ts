/**
 * Site-wide groups for administration. Stored groups are 'local' (managed here) or 'ldap' (mirrored from
 * the directory at sign-in, read-only here). The derived `<tenancy>-members` groups are listed too but
 * follow membership: they cannot be created, changed or deleted as groups.
 */
import type { GroupRecord, GroupRepository, TenancyRepository, UserRecord, UserRepository } from '../metadata/store.js';
import type { Actor, AuditTrail } from './audit.js';
import { conflict, invalid, notFound } from './domain-error.js';
import { MEMBERS_GROUP_SUFFIX, membersGroupName } from './membership.js';

export type GroupSource = GroupRecord['source'] | 'tenancy';
export interface GroupView {
  name: string;
  source: GroupSource;
  createdAt: number;
}

export function groupNameProblem(name: string): string | undefined {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$/.test(name)) return 'a group name must be 2 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit';
  if (name.endsWith(MEMBERS_GROUP_SUFFIX)) return `names ending in "${MEMBERS_GROUP_SUFFIX}" are kept for the tenancies' member groups`;
  return undefined;
}

export class Groups {
  constructor(
    private readonly metadata: GroupRepository & TenancyRepository & UserRepository,
    private readonly audit: AuditTrail,
  ) {}

  /** Stored groups and the derived member group of every tenancy, by name. */
  async list(): Promise<GroupView[]> {
    const stored = (await this.metadata.listGroups()).map((g): GroupView => ({ name: g.name, source: g.source, createdAt: g.createdAt }));
    const derived = (await this.metadata.listTenancies()).map((t): GroupView => ({ name: membersGroupName(t.name), source: 'tenancy', createdAt: t.createdAt }));
    return [...stored, ...derived].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async create(actor: Actor, name: string): Promise<GroupRecord> {
    const problem = groupNameProblem(name);
    if (problem) throw invalid(problem);
    if (await this.metadata.getGroupByName(name)) throw conflict(`a group named "${name}" already exists`);
    const g = await this.metadata.createGroup(name, 'local');
    await this.audit.record(actor, null, 'group.create', name);
    return g;
  }

  async delete(actor: Actor, name: string): Promise<void> {
    const g = await this.localGroup(name);
    await this.metadata.deleteGroup(g.id);
    await this.audit.record(actor, null, 'group.delete', name);
  }

  /** Members of a stored group, or of a tenancy's derived members group. */
  async members(name: string): Promise<UserRecord[]> {
    if (name.endsWith(MEMBERS_GROUP_SUFFIX)) {
      const t = await this.metadata.getTenancyByName(name.slice(0, -MEMBERS_GROUP_SUFFIX.length));
      if (t) {
        const ms = await this.metadata.listMembers(t.id);
        const users = await Promise.all(ms.map((m) => this.metadata.getUserById(m.userId)));
        return users.filter((u): u is UserRecord => u !== undefined);
      }
    }
    const g = await this.metadata.getGroupByName(name);
    if (!g) throw notFound(`no group named "${name}"`);
    return this.metadata.listGroupMembers(g.id);
  }

  async addMember(actor: Actor, name: string, user: UserRecord): Promise<void> {
    const g = await this.localGroup(name);
    await this.metadata.addGroupMember(g.id, user.id);
    await this.audit.record(actor, null, 'group.add', name, { user: user.username });
  }

  async removeMember(actor: Actor, name: string, user: UserRecord): Promise<void> {
    const g = await this.localGroup(name);
    if (!(await this.metadata.removeGroupMember(g.id, user.id))) throw notFound(`"${user.username}" is not in group "${name}"`);
    await this.audit.record(actor, null, 'group.remove', name, { user: user.username });
  }

  /** A group whose membership is managed here (not derived, not mirrored from LDAP). */
  private async localGroup(name: string): Promise<GroupRecord> {
    const g = await this.metadata.getGroupByName(name);
    if (!g) {
      if (name.endsWith(MEMBERS_GROUP_SUFFIX) && (await this.metadata.getTenancyByName(name.slice(0, -MEMBERS_GROUP_SUFFIX.length)))) {
        throw conflict(`"${name}" follows the tenancy's membership; add or remove members of the tenancy instead`);
      }
      throw notFound(`no group named "${name}"`);
    }
    if (g.source !== 'local') throw conflict(`"${name}" mirrors the ${g.source} directory and cannot be changed here`);
    return g;
  }
}
