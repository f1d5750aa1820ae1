/**
 * S3 access control lists, as s3cmd (`setacl --acl-public`) and rclone (`acl = private`) use them.
 * Stored as JSON on buckets and objects; null means the canned `private` ACL (owner FULL_CONTROL).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html
 */
import { S3Error } from '../errors/s3-error.js';

export type AclPermission = 'READ' | 'WRITE' | 'READ_ACP' | 'WRITE_ACP' | 'FULL_CONTROL';
export const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
export const AUTHENTICATED_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';

export type Grantee = { type: 'user'; id: string } | { type: 'group'; uri: string };
export interface Grant {
  grantee: Grantee;
  permission: AclPermission;
}
/** Grants beyond the owner's implicit FULL_CONTROL. */
export interface Acl {
  grants: Grant[];
}

const PERMISSIONS = new Set<AclPermission>(['READ', 'WRITE', 'READ_ACP', 'WRITE_ACP', 'FULL_CONTROL']);

/** The grants of a canned ACL (x-amz-acl), besides the owner's FULL_CONTROL. */
export function cannedAcl(name: string, bucketOwnerId?: string): Acl {
  switch (name) {
    case 'private':
      return { grants: [] };
    case 'public-read':
      return { grants: [{ grantee: { type: 'group', uri: ALL_USERS }, permission: 'READ' }] };
    case 'public-read-write':
      return {
        grants: [
          { grantee: { type: 'group', uri: ALL_USERS }, permission: 'READ' },
          { grantee: { type: 'group', uri: ALL_USERS }, permission: 'WRITE' },
        ],
      };
    case 'authenticated-read':
      return { grants: [{ grantee: { type: 'group', uri: AUTHENTICATED_USERS }, permission: 'READ' }] };
    case 'bucket-owner-read':
      return { grants: bucketOwnerId ? [{ grantee: { type: 'user', id: bucketOwnerId }, permission: 'READ' }] : [] };
    case 'bucket-owner-full-control':
      return { grants: bucketOwnerId ? [{ grantee: { type: 'user', id: bucketOwnerId }, permission: 'FULL_CONTROL' }] : [] };
    case 'log-delivery-write':
    case 'aws-exec-read':
      return { grants: [] };
    default:
      throw new S3Error('InvalidArgument', { message: `Invalid canned ACL: ${name}`, details: { ArgumentName: 'x-amz-acl', ArgumentValue: name } });
  }
}

export function serialiseAcl(acl: Acl): string | null {
  return acl.grants.length === 0 ? null : JSON.stringify(acl);
}

export function parseStoredAcl(json: string | null): Acl {
  if (json === null) return { grants: [] };
  return JSON.parse(json) as Acl;
}

export function isPermission(v: string): v is AclPermission {
  return PERMISSIONS.has(v as AclPermission);
}

/** Whether the ACL grants `needed` (FULL_CONTROL implies all) to someone in `who`. */
export function aclGrants(acl: Acl, needed: AclPermission, who: { userId?: string; authenticated: boolean }): boolean {
  return acl.grants.some((g) => {
    if (g.permission !== needed && g.permission !== 'FULL_CONTROL') return false;
    const e = g.grantee;
    if (e.type === 'user') return who.userId !== undefined && e.id === who.userId;
    if (e.uri === ALL_USERS) return true;
    if (e.uri === AUTHENTICATED_USERS) return who.authenticated;
    return false;
  });
}

/** Whether an ACL exposes anything to anonymous users (for GetBucketPolicyStatus / portal). */
export function aclIsPublic(acl: Acl): boolean {
  return acl.grants.some((g) => g.grantee.type === 'group' && g.grantee.uri === ALL_USERS);
}
