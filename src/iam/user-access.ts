/**
 * "What may this person do here?" asked outside an S3 request: the policy check, who may share a bucket,
 * and the buckets shared with someone. The answer comes from the one decision point S3 uses
 * (authorize.ts) with the same facts S3 loads (access-facts.ts: the user's groups, their membership, the
 * bucket's policy and ACLs), judged as a request made now over HTTPS from no particular address, with no
 * key — the question is about the person, not one of their keys.
 */
import type { BucketRecord, TenancyRecord, UserRecord } from '../metadata/store.js';
import { AccessFacts, type AccessFactsRepositories } from './access-facts.js';
import { authorize, type Decision } from './authorize.js';
import type { BucketPolicies } from './bucket-policies.js';

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
  /** With the policy statement that matched, if any (for "why?"). */
  decision: Decision;
}

export class UserAccess {
  constructor(
    private readonly repositories: AccessFactsRepositories,
    private readonly policies: BucketPolicies,
  ) {}

  async decide(q: UserAccessQuestion, groups?: string[]): Promise<UserAccessAnswer> {
    const user = q.user;
    // No key: the question is about the person, so no key restriction applies and their role here counts.
    const facts = new AccessFacts({ accessFacts: this.repositories, policies: this.policies }, user, undefined, q.tenancy, groups);
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
    return { decision: await authorize(await facts.request(q.action, q.bucket, q.key, context)) };
  }

  async allowed(q: UserAccessQuestion, groups?: string[]): Promise<boolean> {
    return (await this.decide(q, groups)).decision.allowed;
  }
}
