/**
 * ACLs given with a request: `x-amz-acl` (canned) or `x-amz-grant-*` headers, and the grantees both these
 * and an AccessControlPolicy document name (a user by canonical ID or by email address, a predefined group
 * by URI).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#CannedACL
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectAcl.html (grant headers)
 */
import { S3Error } from '../../../errors/s3-error.js';
import { GROUP_URIS, cannedAcl, explicitAcl, serialiseAcl, type AclOwners, type AclPermission, type Grant, type Grantee } from '../../../iam/acl.js';
import type { Owners } from '../../../core/owners.js';
import { headerOf, type S3Context } from '../../context.js';

const GRANT_HEADERS: Array<[string, AclPermission]> = [
  ['x-amz-grant-read', 'READ'],
  ['x-amz-grant-write', 'WRITE'],
  ['x-amz-grant-read-acp', 'READ_ACP'],
  ['x-amz-grant-write-acp', 'WRITE_ACP'],
  ['x-amz-grant-full-control', 'FULL_CONTROL'],
];

export type GranteeRef = { kind: 'id'; value: string } | { kind: 'emailAddress'; value: string } | { kind: 'uri'; value: string };

/**
 * The grantee a grant names, as stored: an existing user (an email address resolved to its one user) or a
 * predefined group. AWS's errors otherwise: InvalidArgument, UnresolvableGrantByEmailAddress,
 * AmbiguousGrantByEmailAddress.
 */
export async function resolveGrantee(owners: Owners, ref: GranteeRef): Promise<Grantee> {
  const value = ref.value.trim();
  switch (ref.kind) {
    case 'uri':
      if (!GROUP_URIS.has(value)) throw new S3Error('InvalidArgument', { message: 'Invalid group uri', details: { ArgumentName: 'uri', ArgumentValue: value } });
      return { type: 'group', uri: value };
    case 'id':
      if (!(await owners.exists(value))) throw new S3Error('InvalidArgument', { message: 'Invalid id', details: { ArgumentName: 'CanonicalUser/ID', ArgumentValue: value } });
      return { type: 'user', id: value };
    case 'emailAddress': {
      const ids = value === '' ? [] : await owners.idsByEmail(value);
      if (ids.length === 0) throw new S3Error('UnresolvableGrantByEmailAddress', { details: { EmailAddress: value } });
      if (ids.length > 1) throw new S3Error('AmbiguousGrantByEmailAddress', { details: { EmailAddress: value } });
      return { type: 'user', id: ids[0]! };
    }
  }
}

/** `id="…", emailAddress="…", uri="…"` grantee lists of one grant header. */
function parseGranteeList(header: string, value: string): GranteeRef[] {
  return value.split(',').map((part) => {
    const m = /^\s*(id|uri|emailAddress)\s*=\s*("([^"]*)"|[^"\s]*)\s*$/i.exec(part);
    if (!m) throw new S3Error('InvalidArgument', { message: `Invalid grant: ${part.trim()}`, details: { ArgumentName: header, ArgumentValue: value } });
    const kind = m[1]!.toLowerCase() === 'emailaddress' ? 'emailAddress' : (m[1]!.toLowerCase() as 'id' | 'uri');
    return { kind, value: m[3] ?? m[2]! };
  });
}

/**
 * The ACL JSON the request's ACL headers give a bucket or object (null = private): `x-amz-acl`, or the grant
 * headers (exactly those grants: the owner keeps what they name for the owner, as on AWS). `owners` says who
 * owns the resource and its bucket, for the `bucket-owner-*` canned ACLs.
 */
export async function aclFromHeaders(ctx: Pick<S3Context, 'headers' | 'services'>, owners: AclOwners): Promise<string | null> {
  const canned = headerOf(ctx, 'x-amz-acl');
  const given = GRANT_HEADERS.flatMap(([h, p]) => {
    const v = headerOf(ctx, h);
    return v === undefined ? [] : parseGranteeList(h, v).map((ref) => ({ ref, permission: p }));
  });
  if (canned !== undefined && given.length) {
    throw new S3Error('InvalidRequest', { message: 'Specifying both Canned ACLs and Header Grants is not allowed' });
  }
  if (canned !== undefined) return serialiseAcl(cannedAcl(canned.trim(), owners));
  if (given.length === 0) return null;
  const grants: Grant[] = [];
  for (const { ref, permission } of given) grants.push({ grantee: await resolveGrantee(ctx.services.owners, ref), permission });
  return serialiseAcl(explicitAcl(grants, owners.owner));
}

/** True when the request carries any ACL header. */
export function hasAclHeaders(ctx: Pick<S3Context, 'headers'>): boolean {
  return headerOf(ctx, 'x-amz-acl') !== undefined || GRANT_HEADERS.some(([h]) => headerOf(ctx, h) !== undefined);
}
