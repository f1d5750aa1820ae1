/**
 * "What may this person do here?" asked outside an S3 request: the policy check, who may share a bucket,
 * and the buckets shared with someone. The answer comes from the one decision point S3 uses
 * (authorize.ts) with the same facts S3 would load (the user's groups, their membership, the bucket's
 * policy and ACLs), judged as a request made now over HTTPS from no particular address, with a key that
 * has no restriction — the question is about the person, not one of their keys.
 */
import type { BucketRecord, MetadataStore, TenancyRecord, UserRecord } from '../metadata/store.js';
import { parseStoredAcl } from './acl.js';
import { authorize, type Decision } from './authorize.js';
import type { BucketPolicies } from './bucket-policies.js';
import { groupsOfUser } from './groups.js';
import type { Policy } from './policy/types.js';

export interface UserAccessQuestion {
  /** Undefined: an anonymous request. */
  user: UserRecord | undefined;
  tenancy: TenancyRecord;
  bucket: BucketRecord;
  action: string;
  key?: string;
  /** Extra condition keys (normalised names), e.g. `s3:prefix` for a listing. */
  context?: Record<string, string>;
}

export interface UserAccessAnswer {
  decision: Decision;
  /** The bucket's parsed policy, if any (to find the statement that decided). */
  policy: Policy | undefined;
  groups: string[];
  context: Record<string, string | undefined>;
}

export class UserAccess {
  constructor(
    private readonly metadata: MetadataStore,
    private readonly policies: BucketPolicies,
  ) {}

  async decide(q: UserAccessQuestion, groups?: string[]): Promise<UserAccessAnswer> {
    const m = this.metadata;
    const user = q.user;
    const g = groups ?? (user ? await groupsOfUser(m, user.id) : []);
    const membership = user ? await m.getMembership(q.tenancy.id, user.id) : undefined;
    const policy = this.policies.parsedOf(q.bucket);
    const now = new Date();
    const context: Record<string, string | undefined> = {
      'aws:securetransport': 'true',
      'aws:currenttime': now.toISOString(),
      'aws:epochtime': String(Math.floor(now.getTime() / 1000)),
      'aws:username': user?.username,
      'aws:userid': user?.id ?? 'anonymous',
      'aws:principaltype': user ? 'User' : 'Anonymous',
      'aws:principalarn': user ? `arn:aws:iam:::user/${user.username}` : undefined,
      ...q.context,
    };
    const bucket = q.bucket;
    const key = q.key;
    const decision = await authorize({
      // A stand-in key of the tenancy without restriction: the question is about the user.
      principal: user
        ? { kind: 'user', user, key: { accessKeyId: 'user-access', userId: user.id, tenancyId: q.tenancy.id, name: 'user-access', secretEncrypted: '', createdAt: 0, expiresAt: null, lastUsedAt: null, restriction: null } }
        : { kind: 'anonymous' },
      groups: g,
      membership,
      tenancy: q.tenancy,
      action: q.action,
      bucket,
      key,
      policy,
      bucketAcl: parseStoredAcl(bucket.acl),
      objectAcl:
        key !== undefined
          ? async () => {
              const o = await m.getObject(bucket.id, key);
              return o ? { acl: parseStoredAcl(o.acl), ownerId: o.ownerId } : undefined;
            }
          : undefined,
      context,
    });
    return { decision, policy, groups: g, context };
  }

  async allowed(q: UserAccessQuestion, groups?: string[]): Promise<boolean> {
    return (await this.decide(q, groups)).decision.allowed;
  }
}
