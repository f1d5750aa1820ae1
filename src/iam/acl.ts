/**
 * S3 access control lists, as s3cmd (`setacl --acl-public`) and rclone (`acl = private`) use them.
 * Stored as JSON on buckets and objects; null means the canned `private` ACL (owner FULL_CONTROL).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html
 */
import { S3Error } from '../errors/s3-error.js';

export type AclPermission = 'READ' | 'WRITE' | 'READ_ACP' | 'WRITE_ACP' | 'FULL_CONTROL';
export const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
export const AUTHENTICATED_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';
export const LOG_DELIVERY = 'http://acs.amazonaws.com/groups/s3/LogDelivery';
/** The predefined groups a grant may name (AWS refuses any other group URI). */
export const GROUP_URIS: ReadonlySet<string> = new Set([ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY]);

export type Grantee = { type: 'user'; id: string } | { type: 'group'; uri: string };
export interface Grant {
  grantee: Grantee;
  permission: AclPermission;
}
export interface Acl {
  /** Grants to others than the owner (users by id, predefined groups by URI). */
  grants: Grant[];
  /**
   * The owner's own grants, when the ACL says otherwise than FULL_CONTROL (absent: FULL_CONTROL, as every
   * canned ACL gives). An ACL written with grant headers or a document that leaves the owner out gives
   * the owner nothing, as on AWS; the owner can still read and replace the ACL.
   */
  owner?: AclPermission[];
}

const PERMISSIONS = new Set<AclPermission>(['READ', 'WRITE', 'READ_ACP', 'WRITE_ACP', 'FULL_CONTROL']);

/** Who owns what an ACL is on, and the bucket's owner (they differ for an object another user wrote). */
export interface AclOwners {
  owner: string;
  bucketOwner: string;
}

/**
 * The ACL of a canned name (x-amz-acl). `bucket-owner-read` and `bucket-owner-full-control` grant the
 * bucket's owner, which adds nothing when the bucket owner owns the resource already (on a bucket, AWS
 * ignores them).
 */
export function cannedAcl(name: string, owners: AclOwners): Acl {
  const bucketOwner = (permission: AclPermission): Grant[] =>
    owners.bucketOwner !== owners.owner ? [{ grantee: { type: 'user', id: owners.bucketOwner }, permission }] : [];
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
      return { grants: bucketOwner('READ') };
    case 'bucket-owner-full-control':
      return { grants: bucketOwner('FULL_CONTROL') };
    case 'log-delivery-write':
      return {
        grants: [
          { grantee: { type: 'group', uri: LOG_DELIVERY }, permission: 'WRITE' },
          { grantee: { type: 'group', uri: LOG_DELIVERY }, permission: 'READ_ACP' },
        ],
      };
    case 'aws-exec-read':
      // Grants READ to Amazon EC2, which a Granary site does not have.
      throw new S3Error('NotImplemented', { message: 'The canned ACL aws-exec-read grants Amazon EC2, which this store does not have' });
    default:
      throw new S3Error('InvalidArgument', { message: `Invalid canned ACL: ${name}`, details: { ArgumentName: 'x-amz-acl', ArgumentValue: name } });
  }
}

/**
 * An ACL from explicit grants (grant headers or an AccessControlPolicy document): the owner's grants are
 * exactly those naming the owner, the others stay as given (duplicates once).
 */
export function explicitAcl(grants: Grant[], ownerId: string): Acl {
  const owner: AclPermission[] = [];
  const others: Grant[] = [];
  const seen = new Set<string>();
  for (const g of grants) {
    if (g.grantee.type === 'user' && g.grantee.id === ownerId) {
      if (!owner.includes(g.permission)) owner.push(g.permission);
      continue;
    }
    const k = `${g.grantee.type === 'user' ? g.grantee.id : g.grantee.uri}\n${g.permission}`;
    if (seen.has(k)) continue;
    seen.add(k);
    others.push(g);
  }
  return owner.length === 1 && owner[0] === 'FULL_CONTROL' ? { grants: others } : { grants: others, owner };
}

export function serialiseAcl(acl: Acl): string | null {
  return acl.grants.length === 0 && acl.owner === undefined ? null : JSON.stringify(acl);
}

export function parseStoredAcl(json: string | null): Acl {
  if (json === null) return { grants: [] };
  return JSON.parse(json) as Acl;
}

/** The owner's grants: FULL_CONTROL unless the ACL says otherwise. */
export function ownerPermissions(acl: Acl): AclPermission[] {
  return acl.owner ?? ['FULL_CONTROL'];
}

export function isPermission(v: string): v is AclPermission {
  return PERMISSIONS.has(v as AclPermission);
}

/**
 * Whether the ACL grants `needed` (FULL_CONTROL implies all) to someone in `who`. `ownerId` names the
 * resource's owner when the ACL is to speak for them too: the owner has their own grants, and may always
 * read and write the ACL itself (AWS's rule, so an owner who revoked everything can undo it).
 */
export function aclGrants(acl: Acl, needed: AclPermission, who: { userId?: string; authenticated: boolean }, ownerId?: string): boolean {
  if (ownerId !== undefined && who.userId === ownerId) {
    if (needed === 'READ_ACP' || needed === 'WRITE_ACP') return true;
    const own = ownerPermissions(acl);
    if (own.includes(needed) || own.includes('FULL_CONTROL')) return true;
  }
  return acl.grants.some((g) => {
    if (g.permission !== needed && g.permission !== 'FULL_CONTROL') return false;
    const e = g.grantee;
    if (e.type === 'user') return who.userId !== undefined && e.id === who.userId;
    if (e.uri === ALL_USERS) return true;
    if (e.uri === AUTHENTICATED_USERS) return who.authenticated;
    return false;
  });
}

/**
 * Whether an ACL is public as AWS defines it ("The meaning of public"): it grants anything to AllUsers or
 * to AuthenticatedUsers (any signed-in user of the site, whatever their tenancy).
 */
export function aclIsPublic(acl: Acl): boolean {
  return acl.grants.some((g) => g.grantee.type === 'group' && (g.grantee.uri === ALL_USERS || g.grantee.uri === AUTHENTICATED_USERS));
}
