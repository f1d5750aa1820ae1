/**
 * The facts a decision (authorize.ts) is made from, loaded one way for every asker: the S3 pipeline
 * (s3/access.ts, a user through one key) and the questions asked outside S3 (user-access.ts: the policy
 * check, who may share, what is shared with someone; a user as a person, no key). Who the asker is in
 * the tenancy (membership, as far as the key carries it), their groups, the bucket's policy and ACLs, the
 * object's ACL and tags, each loaded once and only when a decision needs it.
 */
import type {
  AccessKeyRecord,
  BucketRecord,
  GroupRepository,
  MembershipRecord,
  ObjectWriteRepository,
  TenancyRecord,
  TenancyRepository,
  UserRecord,
} from '../metadata/store.js';
import { parseStoredAcl } from './acl.js';
import type { AccessRequest } from './authorize.js';
import type { BucketPolicies } from './bucket-policies.js';
import { groupsOfUser } from './groups.js';

export type ConditionContext = Record<string, string | string[] | undefined>;

/** What the facts are read from: memberships, the user's groups, an object's ACL and tags. Nothing else. */
export type AccessFactsRepositories = Pick<TenancyRepository, 'getMembership' | 'listMembershipsOfUser' | 'getTenancyById'> &
  Pick<GroupRepository, 'listGroupsOfUser'> &
  Pick<ObjectWriteRepository, 'getObject'>;

/** The repositories and the parsed-policy cache the facts come from. */
export interface AccessFactsSources {
  accessFacts: AccessFactsRepositories;
  policies: BucketPolicies;
}

export class AccessFacts {
  #membership: Promise<MembershipRecord | undefined> | undefined;
  #groups: Promise<string[]> | undefined;

  /**
   * `user` undefined: anonymous. `key`: the access key the request was signed with (its restriction
   * applies, and it carries the user's role only into its own tenancy); undefined for a question about
   * the person. `groups`: already known groups of the user, if any.
   */
  constructor(
    private readonly services: AccessFactsSources,
    readonly user: UserRecord | undefined,
    readonly key: AccessKeyRecord | undefined,
    readonly tenancy: TenancyRecord,
    groups?: string[],
  ) {
    if (groups) this.#groups = Promise.resolve(groups);
  }

  /** The user's membership of the tenancy; a key created for another tenancy does not bring its role here. */
  membership(): Promise<MembershipRecord | undefined> {
    if (!this.user || (this.key && this.key.tenancyId !== this.tenancy.id)) return Promise.resolve(undefined);
    return (this.#membership ??= this.services.accessFacts.getMembership(this.tenancy.id, this.user.id));
  }

  /** Stored and directory groups plus `<tenancy>-members` of each membership (policies name them). */
  groups(): Promise<string[]> {
    if (!this.user) return Promise.resolve([]);
    return (this.#groups ??= groupsOfUser(this.services.accessFacts, this.user.id));
  }

  /** Whether the conditions of a decision on this bucket will be read (a policy, or a restricted key). */
  conditional(bucket: BucketRecord | undefined): boolean {
    return (bucket !== undefined && this.services.policies.parsedOf(bucket) !== undefined) || !!this.key?.restriction;
  }

  /**
   * Everything authorize() needs for `action` on the bucket (or key; undefined bucket: a service action),
   * with `context` the request's condition keys. A stored policy that no longer parses fails closed.
   */
  async request(action: string, bucket: BucketRecord | undefined, key: string | undefined, context: ConditionContext): Promise<AccessRequest> {
    const policy = bucket ? this.services.policies.parsedOf(bucket) : undefined;
    const ctx: ConditionContext = { ...context };
    if (policy && key !== undefined && bucket && bucket.policy?.toLowerCase().includes('existingobjecttag')) {
      const o = await this.services.accessFacts.getObject(bucket.id, key);
      for (const [k, v] of new URLSearchParams(o?.tagging ?? '')) ctx[`s3:existingobjecttag/${k}`] = v;
    }
    const repositories = this.services.accessFacts;
    return {
      principal: this.user ? { kind: 'user', user: this.user, key: this.key } : { kind: 'anonymous' },
      groups: policy ? await this.groups() : [],
      membership: await this.membership(),
      tenancy: this.tenancy,
      action,
      bucket,
      key,
      policy,
      policyUnreadable: !!bucket?.policy && !policy,
      bucketAcl: parseStoredAcl(bucket?.acl ?? null),
      objectAcl:
        bucket && key !== undefined
          ? async () => {
              const o = await repositories.getObject(bucket.id, key);
              return o ? { acl: parseStoredAcl(o.acl), ownerId: o.ownerId } : undefined;
            }
          : undefined,
      context: ctx,
    };
  }
}
