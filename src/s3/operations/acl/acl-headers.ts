/**
 * ACLs given with a write: `x-amz-acl` (canned) or `x-amz-grant-*` headers.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#CannedACL
 */
import { S3Error } from '../../../errors/s3-error.js';
import { cannedAcl, serialiseAcl, type AclPermission, type Grant } from '../../../iam/acl.js';
import { headerOf, type S3Context } from '../../context.js';

const GRANT_HEADERS: Array<[string, AclPermission]> = [
  ['x-amz-grant-read', 'READ'],
  ['x-amz-grant-write', 'WRITE'],
  ['x-amz-grant-read-acp', 'READ_ACP'],
  ['x-amz-grant-write-acp', 'WRITE_ACP'],
  ['x-amz-grant-full-control', 'FULL_CONTROL'],
];

/** Parses `id="…", uri="…"` grantee lists. */
function parseGrantees(value: string, permission: AclPermission): Grant[] {
  return value.split(',').map((part) => {
    const m = /^\s*(id|uri|emailAddress)\s*=\s*"?([^"]*)"?\s*$/i.exec(part);
    if (!m) throw new S3Error('InvalidArgument', { message: `Invalid grant: ${part.trim()}` });
    const kind = m[1]!.toLowerCase();
    if (kind === 'emailaddress') throw new S3Error('NotImplemented', { message: 'Grants by email address are not supported; grant by id or uri' });
    return { grantee: kind === 'uri' ? { type: 'group' as const, uri: m[2]! } : { type: 'user' as const, id: m[2]! }, permission };
  });
}

/** The ACL JSON for a new bucket or object (null = private), from the request's ACL headers. */
export function aclFromHeaders(ctx: S3Context, bucketOwnerId?: string): string | null {
  const canned = headerOf(ctx, 'x-amz-acl');
  const grants = GRANT_HEADERS.flatMap(([h, p]) => {
    const v = headerOf(ctx, h);
    return v === undefined ? [] : parseGrantees(v, p);
  });
  if (canned !== undefined && grants.length) {
    throw new S3Error('InvalidRequest', { message: 'Specifying both Canned ACLs and Header Grants is not allowed' });
  }
  if (canned !== undefined) return serialiseAcl(cannedAcl(canned.trim(), bucketOwnerId));
  return grants.length ? serialiseAcl({ grants }) : null;
}

/** True when the request carries any ACL header. */
export function hasAclHeaders(ctx: S3Context): boolean {
  return headerOf(ctx, 'x-amz-acl') !== undefined || GRANT_HEADERS.some(([h]) => headerOf(ctx, h) !== undefined);
}
