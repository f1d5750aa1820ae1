/**
 * Per-request glue between the S3 pipeline and the one decision point (iam/authorize.ts): who the
 * principal is in the addressed tenancy, their groups, the policy condition keys of this request, and
 * the bucket's policy and ACLs. Loads each fact once per request, and only when a decision needs it.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { S3Error } from '../errors/s3-error.js';
import { authorize, type Decision } from '../iam/authorize.js';
import { parseStoredAcl } from '../iam/acl.js';
import { groupsOfUser } from '../iam/groups.js';
import type { Principal } from '../iam/principal.js';
import type { BucketRecord, MembershipRecord, TenancyRecord } from '../metadata/store.js';
import type { S3Services } from './context.js';

type ConditionContext = Record<string, string | string[] | undefined>;

export class AccessContext {
  #membership: Promise<MembershipRecord | undefined> | undefined;
  #groups: Promise<string[]> | undefined;
  #context: ConditionContext | undefined;

  constructor(
    private readonly services: S3Services,
    private readonly req: IncomingMessage,
    readonly principal: Principal,
    readonly tenancy: TenancyRecord,
    private readonly query: URLSearchParams,
  ) {}

  /**
   * The policy condition keys of this request. Built on first need: only a bucket policy or a key
   * restriction reads them, and most requests (an owner's own bucket) have neither.
   */
  private conditionContext(): ConditionContext {
    if (this.#context) return this.#context;
    const { req, principal, query } = this;
    const now = new Date();
    const referer = req.headers.referer;
    return (this.#context = {
      'aws:sourceip': req.socket.remoteAddress,
      'aws:securetransport': (req.socket as TLSSocket).encrypted ? 'true' : 'false',
      'aws:currenttime': now.toISOString(),
      'aws:epochtime': String(Math.floor(now.getTime() / 1000)),
      'aws:referer': typeof referer === 'string' ? referer : undefined,
      'aws:useragent': req.headers['user-agent'],
      'aws:username': principal.kind === 'user' ? principal.user.username : undefined,
      's3:prefix': query.get('prefix') ?? undefined,
      's3:delimiter': query.get('delimiter') ?? undefined,
      's3:max-keys': query.get('max-keys') ?? undefined,
    });
  }

  /**
   * The principal's membership of the addressed tenancy, as far as this key carries it: a key created for
   * another tenancy does not bring the user's role here (policies and ACLs naming the user still apply).
   */
  private membership(): Promise<MembershipRecord | undefined> {
    if (this.principal.kind !== 'user' || this.principal.key.tenancyId !== this.tenancy.id) return Promise.resolve(undefined);
    return (this.#membership ??= this.services.metadata.getMembership(this.tenancy.id, this.principal.user.id));
  }

  private groups(): Promise<string[]> {
    if (this.principal.kind !== 'user') return Promise.resolve([]);
    return (this.#groups ??= groupsOfUser(this.services.metadata, this.principal.user.id));
  }

  /** The decision for an action on a bucket (or key); undefined bucket = a service-level action. */
  async decide(action: string, bucket: BucketRecord | undefined, key: string | undefined): Promise<Decision> {
    const policy = bucket ? this.services.policies.parsedOf(bucket) : undefined;
    // A stored policy that no longer parses (a stricter parser since) fails closed: its Deny statements
    // must not silently disappear. Site administrators can still reach the bucket to fix it.
    if (bucket?.policy && !policy && !(this.principal.kind === 'user' && this.principal.user.isSiteAdmin)) {
      return { allowed: false, reason: 'the bucket policy can no longer be read; a site administrator must replace it' };
    }
    const conditional = policy !== undefined || (this.principal.kind === 'user' && this.principal.key.restriction);
    const context: ConditionContext = conditional ? { ...this.conditionContext() } : {};
    if (policy && key !== undefined && bucket && bucket.policy?.toLowerCase().includes('existingobjecttag')) {
      const o = await this.services.metadata.getObject(bucket.id, key);
      for (const [k, v] of new URLSearchParams(o?.tagging ?? '')) context[`s3:existingobjecttag/${k}`] = v;
    }
    return authorize({
      principal: this.principal,
      groups: policy ? await this.groups() : [],
      membership: await this.membership(),
      tenancy: this.tenancy,
      action,
      bucket,
      key,
      policy,
      bucketAcl: parseStoredAcl(bucket?.acl ?? null),
      objectAcl:
        bucket && key !== undefined
          ? async () => {
              const o = await this.services.metadata.getObject(bucket.id, key);
              return o ? parseStoredAcl(o.acl) : undefined;
            }
          : undefined,
      context,
    });
  }

  /** Throws AccessDenied unless allowed. */
  async require(action: string, bucket: BucketRecord | undefined, key: string | undefined): Promise<void> {
    const d = await this.decide(action, bucket, key);
    if (!d.allowed) throw new S3Error('AccessDenied');
  }

  async allowed(action: string, bucket: BucketRecord | undefined, key?: string): Promise<boolean> {
    return (await this.decide(action, bucket, key)).allowed;
  }
}
