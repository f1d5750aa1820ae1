/**
 * The one decision point: may this principal perform this action on this bucket/key?
 *
 * Order (explicit deny first, a key restriction can only narrow):
 *   1. the bucket policy's explicit Deny → denied;
 *   2. an allow from: site administrator; MANAGER/DEPUTY of the bucket's tenancy; the bucket's owner;
 *      any member when the tenancy's default access is 'members'; a bucket policy Allow; an ACL grant
 *      (bucket ACL, or the object's ACL for object reads, where the object's owner holds the owner's grants);
 *   3. the access key's restriction (read-only, bucket/prefix scopes) → may still deny;
 *   4. otherwise denied (implicit).
 * Service-level actions (ListAllMyBuckets, CreateBucket) need membership of the addressed tenancy.
 * The decision names what decided, so the portal can explain it.
 */
import type { BucketRecord, MembershipRecord, TenancyRecord } from '../metadata/store.js';
import type { Principal } from './principal.js';
import { evaluate } from './policy/evaluate.js';
import type { Policy, PolicyRequest } from './policy/types.js';
import { aclGrants, type Acl, type AclPermission } from './acl.js';
import { parseKeyRestriction, restrictionAllows } from './key-restriction.js';

export interface AccessRequest {
  principal: Principal;
  /** The user's groups: stored and directory groups plus `<tenancy>-members` of each membership. */
  groups: string[];
  /** The principal's membership of `tenancy`, if any. */
  membership: MembershipRecord | undefined;
  /** The tenancy the request addresses (the bucket's tenancy for bucket/object actions). */
  tenancy: TenancyRecord;
  action: string;
  bucket: BucketRecord | undefined;
  key: string | undefined;
  /** The bucket's parsed policy, if it has one. */
  policy: Policy | undefined;
  bucketAcl: Acl;
  /**
   * The object's ACL and owner, loaded only when an object-level ACL could decide (object reads). The
   * object's owner (who wrote it) holds the owner's grants of that ACL.
   */
  objectAcl?: () => Promise<{ acl: Acl; ownerId: string } | undefined>;
  /** Condition keys (normalised names) for policy conditions. */
  context: PolicyRequest['context'];
}

export type Decision =
  | { allowed: true; by: string }
  | { allowed: false; reason: string; statement?: { sid?: string; index: number } };

const SERVICE_ACTIONS = new Set(['s3:ListAllMyBuckets', 's3:CreateBucket']);
/** Administration of a bucket stays with its owner, MANAGER and DEPUTY under 'members' default access. */
const BUCKET_ADMIN_ACTIONS = new Set([
  's3:PutBucketPolicy', 's3:DeleteBucketPolicy', 's3:PutBucketAcl', 's3:DeleteBucket', 's3:PutBucketCORS',
  's3:PutLifecycleConfiguration', 's3:PutBucketVersioning', 's3:PutBucketTagging',
]);

/** ACL permission that grants an action, on the bucket or on the object. */
const BUCKET_ACL_PERMISSION: Record<string, AclPermission> = {
  's3:ListBucket': 'READ',
  's3:ListBucketMultipartUploads': 'READ',
  's3:PutObject': 'WRITE',
  's3:DeleteObject': 'WRITE',
  's3:AbortMultipartUpload': 'WRITE',
  's3:GetBucketAcl': 'READ_ACP',
  's3:PutBucketAcl': 'WRITE_ACP',
};
const OBJECT_ACL_PERMISSION: Record<string, AclPermission> = {
  's3:GetObject': 'READ',
  's3:GetObjectAttributes': 'READ',
  's3:GetObjectTagging': 'READ',
  's3:GetObjectAcl': 'READ_ACP',
  's3:PutObjectAcl': 'WRITE_ACP',
};

export function resourceArn(bucket: string | undefined, key: string | undefined): string {
  if (bucket === undefined) return 'arn:aws:s3:::*';
  return key === undefined ? `arn:aws:s3:::${bucket}` : `arn:aws:s3:::${bucket}/${key}`;
}

export async function authorize(req: AccessRequest): Promise<Decision> {
  const user = req.principal.kind === 'user' ? req.principal.user : undefined;
  const key = req.principal.kind === 'user' ? req.principal.key : undefined;

  // 1. Explicit deny in the bucket policy wins over everything, site administrators included.
  let policyAllow = false;
  if (req.policy && req.bucket) {
    const d = evaluate([req.policy], {
      principal: user ? { kind: 'user', username: user.username, groups: req.groups } : { kind: 'anonymous' },
      action: req.action,
      resource: resourceArn(req.bucket.name, req.key),
      context: req.context,
    });
    if (d.effect === 'Deny') {
      return { allowed: false, reason: 'explicitly denied by the bucket policy', statement: d.statement && { sid: d.statement.sid, index: d.statement.index } };
    }
    policyAllow = d.effect === 'Allow';
  }

  // 2. Any allow.
  let by: string | undefined;
  const role = req.membership?.role;
  if (user?.isSiteAdmin) by = 'site administrator';
  else if (SERVICE_ACTIONS.has(req.action) && req.bucket === undefined) {
    if (req.membership) by = `member of ${req.tenancy.name}`;
  } else if (req.bucket) {
    if (role === 'MANAGER' || role === 'DEPUTY') by = `${role} of ${req.tenancy.name}`;
    else if (user && req.bucket.ownerId === user.id && req.membership) by = 'bucket owner';
    else if (req.membership && req.tenancy.defaultAccess === 'members' && !BUCKET_ADMIN_ACTIONS.has(req.action)) {
      by = `member of ${req.tenancy.name} (members default access)`;
    }
    else if (policyAllow) by = 'bucket policy';
    else {
      const who = { userId: user?.id, authenticated: user !== undefined };
      const bucketPerm = BUCKET_ACL_PERMISSION[req.action];
      if (bucketPerm && aclGrants(req.bucketAcl, bucketPerm, who)) by = 'bucket ACL';
      const objectPerm = OBJECT_ACL_PERMISSION[req.action];
      if (!by && objectPerm && req.key !== undefined && req.objectAcl) {
        const o = await req.objectAcl();
        // The object's owner holds the ACL's owner grants while a member here, as a bucket's owner does.
        if (o && aclGrants(o.acl, objectPerm, who, req.membership ? o.ownerId : undefined)) by = o.ownerId === user?.id ? 'object owner' : 'object ACL';
      }
    }
  }
  if (!by) {
    return { allowed: false, reason: user ? `${user.username} has no grant for ${req.action}` : 'anonymous access is not granted' };
  }

  // 3. A key restriction narrows what its owner could do.
  if (key?.restriction) {
    const r = parseKeyRestriction(key.restriction);
    const prefix = req.context['s3:prefix'];
    if (!restrictionAllows(r, req.action, req.bucket?.name, req.key, typeof prefix === 'string' ? prefix : undefined)) {
      return { allowed: false, reason: 'outside the access key\'s restriction' };
    }
  }
  return { allowed: true, by };
}
