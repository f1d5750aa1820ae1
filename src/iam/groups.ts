/**
 * The groups a user is in, as bucket policies see them (`arn:aws:iam:::group/<name>`): stored groups
 * (local and directory) plus `<tenancy>-members` for each tenancy the user belongs to, which always
 * mirrors membership because it is derived from it, never stored.
 */
import type { MetadataStore } from '../metadata/store.js';

export const MEMBERS_GROUP_SUFFIX = '-members';

export function membersGroupName(tenancyName: string): string {
  return tenancyName + MEMBERS_GROUP_SUFFIX;
}

export async function groupsOfUser(metadata: MetadataStore, userId: string): Promise<string[]> {
  const [stored, memberships] = await Promise.all([metadata.listGroupsOfUser(userId), metadata.listMembershipsOfUser(userId)]);
  const derived = await Promise.all(memberships.map(async (m) => (await metadata.getTenancyById(m.tenancyId))?.name));
  const names = new Set(stored);
  for (const t of derived) if (t !== undefined) names.add(membersGroupName(t));
  return [...names].sort();
}
