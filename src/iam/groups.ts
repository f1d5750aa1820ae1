/**
 * The groups a user is in, as bucket policies see them (`arn:aws:iam:::group/<name>`): stored groups
 * (local and directory) plus `<tenancy>-members` for each tenancy the user belongs to, which always
 * mirrors membership because it is derived from it, never stored.
 */
import type { MetadataStore } from '../metadata/store.js';

export function membersGroupName(tenancyName: string): string {
  return `${tenancyName}-members`;
}

export async function groupsOfUser(metadata: MetadataStore, userId: string): Promise<string[]> {
  const [stored, memberships] = await Promise.all([metadata.listGroupsOfUser(userId), metadata.listMembershipsOfUser(userId)]);
  const derived = await Promise.all(memberships.map(async (m) => (await metadata.getTenancyById(m.tenancyId))?.name));
  return [...new Set([...stored, ...derived.filter((n): n is string => n !== undefined).map(membersGroupName)])].sort();
}
