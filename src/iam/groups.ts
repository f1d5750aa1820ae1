/**
 * The groups a user is in, as bucket policies see them (`arn:aws:iam:::group/<name>`): stored groups
 * (local and directory) plus `<tenancy>-members` for each tenancy the user belongs to, which always
 * mirrors membership because it is derived from it, never stored.
 */
import type { GroupRepository, TenancyRepository, UserRepository } from '../metadata/store.js';

export const MEMBERS_GROUP_SUFFIX = '-members';

export function membersGroupName(tenancyName: string): string {
  return tenancyName + MEMBERS_GROUP_SUFFIX;
}

export async function groupsOfUser(metadata: Pick<GroupRepository, 'listGroupsOfUser'> & Pick<TenancyRepository, 'listMembershipsOfUser' | 'getTenancyById'>, userId: string): Promise<string[]> {
  const [stored, memberships] = await Promise.all([metadata.listGroupsOfUser(userId), metadata.listMembershipsOfUser(userId)]);
  const derived = await Promise.all(memberships.map(async (m) => (await metadata.getTenancyById(m.tenancyId))?.name));
  const names = new Set(stored);
  for (const t of derived) if (t !== undefined) names.add(membersGroupName(t));
  return [...names].sort();
}

/**
 * Whether a policy principal names someone Granary knows: a user (signed in once, for LDAP), a stored
 * group, or the members group of an existing tenancy. A grant to a typo must be refused, as AWS refuses
 * a principal that does not exist ("Invalid principal in policy").
 */
export async function principalExists(metadata: GroupRepository & TenancyRepository & UserRepository, kind: 'user' | 'group', name: string): Promise<boolean> {
  if (kind === 'user') return (await metadata.getUserByName(name)) !== undefined;
  if (await metadata.getGroupByName(name)) return true;
  return name.endsWith(MEMBERS_GROUP_SUFFIX) && (await metadata.getTenancyByName(name.slice(0, -MEMBERS_GROUP_SUFFIX.length))) !== undefined;
}
