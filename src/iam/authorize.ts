/**
 * The one decision point: may this principal perform this action on this bucket/key?
 *
 * Order (explicit deny first, a key restriction can only narrow):
 *   1. the bucket policy's explicit Deny → denied; except that a bucket's administrators (below) can
 *      always read, replace and delete its policy, so no policy can lock them out (as AWS lets the account
 *      root do);
 *   2. bucket administration (BUCKET_ADMIN_ACTIONS) is allowed to the bucket's administrators only: site
 *      administrators, MANAGER and DEPUTY of the bucket's tenancy, and the bucket's owner while a member.
 *      No policy Allow, ACL grant or default access can give it to anyone else;
 *   3. otherwise an allow from: site administrator; MANAGER/DEPUTY of the bucket's tenancy; the bucket's
 *      owner; any member when the tenancy's default access is 'members'; a bucket policy Allow; an ACL
 *      grant (bucket ACL, or the object's ACL for object reads, where the object's owner holds the
 *      owner's grants);
 *   4. the access key's restriction (read-only, bucket/prefix scopes of its own tenancy) → may still deny;
 *   5. otherwise denied (implicit).
 * Service-level actions (ListAllMyBuckets, CreateBucket) need membership of the addressed tenancy.
 * The decision names what decided, so the portal can explain it.
 */
import type { BucketRecord, MembershipRecord, TenancyRecord, UserRecord } from '../metadata/store.js';
import type { Principal } from './principal.js';
import { evaluate, mayAllow } from './policy/evaluate.js';
import type { Policy, PolicyRequest } from './policy/types.js';
import { aclGrants, type Acl, type AclPermission } from './acl.js';
import { parseKeyRestriction, readOnlyAllows, restrictionAllows } from './key-restriction.js';

/**
 * Who asks: the principal of an S3 request (a user through one access key, whose restriction applies), or
 * a user as a person, with no key (questions asked outside S3: the portal's policy check, sharing).
 */
export type Asker = Principal | { kind: 'user'; user: UserRecord; key?: undefined };

export interface AccessRequest {
  principal: Asker;
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
  /**
   * The bucket has a stored policy that no longer parses (a stricter parser since): it fails closed, its
   * Deny statements must not silently disappear; only the bucket's administrators can reach it, to read,
   * replace or delete that policy (site administrators: for everything).
   */
  policyUnreadable?: boolean;
  bucketAcl: Acl;
  /**
   * The object's ACL and owner, loaded only when an object-level ACL could decide (object reads). The
   * object's owner (who wrote it) holds the owner's grants of that ACL.
   */
  objectAcl?: () => Promise<{ acl: Acl; ownerId: string } | undefined>;
  /** Condition keys (normalised names) for policy conditions. */
  context: PolicyRequest['context'];
}

/** The bucket-policy statement that matched the request (Deny or Allow), whether or not it decided alone. */
export interface MatchedStatement {
  effect: 'Allow' | 'Deny';
  index: number;
  sid?: string;
}

/**
 * What decided, in words (`by`/`reason`), and the policy statement that matched, for Allow and Deny alike,
 * so the portal can show *why* without evaluating the policy a second time.
 */
export type Decision =
  | { allowed: true; by: string; statement?: MatchedStatement }
  | { allowed: false; reason: string; statement?: MatchedStatement };

const SERVICE_ACTIONS = new Set(['s3:ListAllMyBuckets', 's3:CreateBucket']);

/**
 * Bucket administration: every action that deletes the bucket or changes its configuration, i.e. who may
 * reach it (policy, ACL, public access block, ownership controls, CORS, website), what happens to its data
 * without anyone asking (lifecycle expiry, replication elsewhere, object lock, versioning, encryption),
 * where facts about it go (logging, notifications) and what it costs (accelerate, request payment), and
 * its tags. These belong to the bucket's administrators alone (see the module comment), so a policy that
 * allows `s3:*` to everyone cannot hand the bucket over. The Delete* operations of a configuration need
 * its Put* action (as AWS maps them), except the three that have their own action. Reading a
 * configuration is not administration and can still be granted.
 */
export const BUCKET_ADMIN_ACTIONS: ReadonlySet<string> = new Set([
  's3:DeleteBucket',
  's3:PutBucketPolicy', 's3:DeleteBucketPolicy',
  's3:PutBucketAcl',
  's3:PutBucketPublicAccessBlock',
  's3:PutBucketOwnershipControls',
  's3:PutBucketCORS',
  's3:PutBucketWebsite', 's3:DeleteBucketWebsite',
  's3:PutLifecycleConfiguration',
  's3:PutReplicationConfiguration',
  's3:PutBucketObjectLockConfiguration',
  's3:PutBucketVersioning',
  's3:PutEncryptionConfiguration',
  's3:PutBucketLogging',
  's3:PutBucketNotification',
  's3:PutAccelerateConfiguration',
  's3:PutBucketRequestPayment',
  's3:PutBucketTagging',
]);

/** What a bucket's administrators can always do, whatever its policy says (AWS: the account root). */
const POLICY_ACTIONS: ReadonlySet<string> = new Set(['s3:GetBucketPolicy', 's3:PutBucketPolicy', 's3:DeleteBucketPolicy']);

/** ACL permission that grants an action, on the bucket or on the object. */
const BUCKET_ACL_PERMISSION: Record<string, AclPermission> = {
  's3:ListBucket': 'READ',
  's3:ListBucketMultipartUploads': 'READ',
  's3:PutObject': 'WRITE',
  's3:DeleteObject': 'WRITE',
  's3:AbortMultipartUpload': 'WRITE',
  's3:GetBucketAcl': 'READ_ACP',
  // compat: no 'WRITE_ACP' for s3:PutBucketAcl: changing the bucket's ACL is administration (see above).
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

/** Who administers the bucket (module comment, rule 2); the reason, or undefined for anyone else. */
function bucketAdministrator(req: AccessRequest): string | undefined {
  const user = req.principal.kind === 'user' ? req.principal.user : undefined;
  if (!user || !req.bucket) return undefined;
  if (user.isSiteAdmin) return 'site administrator';
  const role = req.membership?.role;
  if (role === 'MANAGER' || role === 'DEPUTY') return `${role} of ${req.tenancy.name}`;
  if (req.bucket.ownerId === user.id && req.membership) return 'bucket owner';
  return undefined;
}

export async function authorize(req: AccessRequest): Promise<Decision> {
  const { decision, matched } = await decideWithPolicy(req);
  return matched ? { ...decision, statement: matched } : decision;
}

async function decideWithPolicy(req: AccessRequest): Promise<{ decision: Decision; matched?: MatchedStatement }> {
  const user = req.principal.kind === 'user' ? req.principal.user : undefined;
  const key = req.principal.kind === 'user' ? req.principal.key : undefined;
  const admin = bucketAdministrator(req);

  if (req.policyUnreadable && !user?.isSiteAdmin && !(admin && POLICY_ACTIONS.has(req.action))) {
    return { decision: { allowed: false, reason: 'the bucket policy can no longer be read; an administrator of the bucket must replace or delete it' } };
  }

  // 1. Explicit deny in the bucket policy wins over everything, site administrators included, except
  //    over a bucket administrator's right to fix the policy itself.
  let policyAllow = false;
  let matched: MatchedStatement | undefined;
  if (req.policy && req.bucket) {
    const d = evaluate([req.policy], {
      principal: user ? { kind: 'user', username: user.username, groups: req.groups } : { kind: 'anonymous' },
      action: req.action,
      resource: resourceArn(req.bucket.name, req.key),
      context: req.context,
    });
    if (d.statement && d.effect !== 'NoMatch') matched = { effect: d.effect, index: d.statement.index, ...(d.statement.sid !== undefined ? { sid: d.statement.sid } : {}) };
    if (d.effect === 'Deny' && !(admin && POLICY_ACTIONS.has(req.action))) {
      return { decision: { allowed: false, reason: 'explicitly denied by the bucket policy' }, matched };
    }
    policyAllow = d.effect === 'Allow';
  }

  // 2. and 3. Any allow.
  let by: string | undefined;
  const role = req.membership?.role;
  if (user?.isSiteAdmin) by = 'site administrator';
  else if (SERVICE_ACTIONS.has(req.action) && req.bucket === undefined) {
    if (req.membership) by = `member of ${req.tenancy.name}`;
  } else if (req.bucket && BUCKET_ADMIN_ACTIONS.has(req.action)) {
    by = admin;
    if (!by) return { decision: { allowed: false, reason: `${req.action} is reserved to the bucket's owner, the tenancy's managers and deputies, and site administrators` }, matched };
  } else if (req.bucket) {
    if (role === 'MANAGER' || role === 'DEPUTY') by = `${role} of ${req.tenancy.name}`;
    else if (user && req.bucket.ownerId === user.id && req.membership) by = 'bucket owner';
    else if (req.membership && req.tenancy.defaultAccess === 'members') by = `member of ${req.tenancy.name} (members default access)`;
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
    return { decision: { allowed: false, reason: user ? `${user.username} has no grant for ${req.action}` : 'anonymous access is not granted' }, matched };
  }

  // 4. A key restriction narrows what its owner could do.
  if (key?.restriction) {
    const r = parseKeyRestriction(key.restriction);
    const prefix = req.context['s3:prefix'];
    if (!restrictionAllows(r, req.action, req.bucket, key.tenancyId, req.key, typeof prefix === 'string' ? prefix : undefined)) {
      return { decision: { allowed: false, reason: 'outside the access key\'s restriction' }, matched };
    }
  }
  return { decision: { allowed: true, by }, matched };
}

/**
 * Whether `action` could be allowed on *some* object of the bucket: false only when every per-object
 * decision would deny it. Lets the pipeline refuse a request that names its objects in the body
 * (DeleteObjects) before reading that body; the per-object decisions still follow. Policy statements
 * count by principal and action alone (resources and conditions are left to the per-object decision),
 * and any ACL grant of the action's permission counts, so this never denies what authorize would allow.
 */
export function mayAuthorizeSomeObject(req: Omit<AccessRequest, 'key' | 'objectAcl'>): Decision {
  const user = req.principal.kind === 'user' ? req.principal.user : undefined;
  const key = req.principal.kind === 'user' ? req.principal.key : undefined;
  const denied = (reason: string): Decision => ({ allowed: false, reason });
  if (key?.restriction) {
    const r = parseKeyRestriction(key.restriction);
    if (!readOnlyAllows(r, req.action)) return denied('outside the access key\'s restriction (read-only)');
    if (r?.scopes && (!req.bucket || req.bucket.tenancyId !== key.tenancyId || !r.scopes.some((s) => s.bucket === req.bucket!.name))) {
      return denied('outside the access key\'s restriction (bucket scopes)');
    }
  }
  if (req.policyUnreadable && !user?.isSiteAdmin) return denied('the bucket policy can no longer be read; an administrator of the bucket must replace or delete it');
  const role = req.membership?.role;
  if (user?.isSiteAdmin) return { allowed: true, by: 'site administrator' };
  if (!req.bucket) return denied('no bucket');
  if (role === 'MANAGER' || role === 'DEPUTY') return { allowed: true, by: `${role} of ${req.tenancy.name}` };
  if (user && req.bucket.ownerId === user.id && req.membership) return { allowed: true, by: 'bucket owner' };
  if (req.membership && req.tenancy.defaultAccess === 'members') return { allowed: true, by: `member of ${req.tenancy.name} (members default access)` };
  const principal = user ? { kind: 'user' as const, username: user.username, groups: req.groups } : { kind: 'anonymous' as const };
  if (req.policy && mayAllow([req.policy], { principal, action: req.action })) return { allowed: true, by: 'bucket policy (per object)' };
  const who = { userId: user?.id, authenticated: user !== undefined };
  const bucketPerm = BUCKET_ACL_PERMISSION[req.action];
  if (bucketPerm && aclGrants(req.bucketAcl, bucketPerm, who)) return { allowed: true, by: 'bucket ACL' };
  if (OBJECT_ACL_PERMISSION[req.action]) return { allowed: true, by: 'object ACL (per object)' };
  return denied(user ? `${user.username} has no grant for ${req.action} in this bucket` : 'anonymous access is not granted');
}
