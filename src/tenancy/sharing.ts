/**
 * Sharing a bucket as server operations: list its grants, grant, revoke, make public or private, and the
 * buckets shared with a person. Who may share is who S3 lets set the bucket's policy (the owner, the
 * tenancy's MANAGER and DEPUTY, site administrators: iam/authorize.ts asked through iam/user-access.ts),
 * so the portal, the CLI and PutBucketPolicy agree. Policies are stored through iam/bucket-policies.ts
 * (validated, every principal checked to exist) and "public" is judged by iam/public-access.ts alone.
 */
import { parseStoredAcl } from '../iam/acl.js';
import type { BucketPolicies } from '../iam/bucket-policies.js';
import { addGrant, GrantError, readGrants, removeGrant, setPublicStatement, type Grant } from '../iam/grants.js';
import { groupsOfUser } from '../iam/groups.js';
import { bucketIsPublic } from '../iam/public-access.js';
import type { Policy } from '../iam/policy/types.js';
import type { UserAccess } from '../iam/user-access.js';
import type { BucketRecord, BucketRepository, GroupRepository, TenancyRepository, UserRepository, TenancyRecord, UserRecord } from '../metadata/store.js';
import type { Actor, AuditTrail } from './audit.js';
import { forbidden, invalid, notFound } from './domain-error.js';

export interface SharingView {
  grants: Grant[];
  /** Public as AWS defines it (policy or ACL), from public-access.ts. */
  public: boolean;
  /** The public statement this module writes is there (false while public through something else). */
  publicStatement: boolean;
  /** Statements written by hand (the JSON editor, PutBucketPolicy) that are not grants. */
  otherStatements: number;
  /** Whether the asker may change the sharing. */
  mayChange: boolean;
}

export interface SharedBucket {
  tenancy: string;
  bucket: string;
  owner: string;
  access: 'read' | 'read-write';
  /** Where the access holds: [''] for the whole bucket, else the prefixes. */
  prefixes: string[];
  /** What grants it: 'bucket policy' or 'bucket ACL'. */
  by: string;
}

/** What decided, when it is a share rather than the person's own standing (owner, role, default access). */
const SHARED_BY = new Set(['bucket policy', 'bucket ACL', 'object ACL']);

export class BucketSharing {
  constructor(
    private readonly metadata: BucketRepository & GroupRepository & TenancyRepository & UserRepository,
    private readonly policies: BucketPolicies,
    private readonly access: UserAccess,
    private readonly audit: AuditTrail,
  ) {}

  async bucket(tenancy: TenancyRecord, name: string): Promise<BucketRecord> {
    const b = await this.metadata.getBucket(tenancy.id, name);
    if (!b) throw notFound(`no bucket "${name}" in ${tenancy.name}`);
    return b;
  }

  /** Whether `user` may change the bucket's sharing: the same decision as S3's PutBucketPolicy. */
  mayChange(user: UserRecord, tenancy: TenancyRecord, bucket: BucketRecord): Promise<boolean> {
    return this.access.allowed({ user, tenancy, bucket, action: 's3:PutBucketPolicy' });
  }

  private async assertMayChange(user: UserRecord, tenancy: TenancyRecord, bucket: BucketRecord): Promise<void> {
    if (!(await this.mayChange(user, tenancy, bucket))) throw forbidden(`only the owner of ${bucket.name} and the managers and deputies of ${tenancy.name} may share it`);
  }

  async view(user: UserRecord, tenancy: TenancyRecord, bucket: BucketRecord): Promise<SharingView> {
    const mayChange = await this.mayChange(user, tenancy, bucket);
    if (!mayChange && !(await this.access.allowed({ user, tenancy, bucket, action: 's3:GetBucketPolicy' }))) {
      throw forbidden(`you may not see how ${bucket.name} is shared`);
    }
    const { grants, publicStatement, otherStatements } = readGrants(bucket.policy, bucket.name);
    return { grants, publicStatement, otherStatements, public: bucketIsPublic(this.policies.parsedOf(bucket), parseStoredAcl(bucket.acl)), mayChange };
  }

  async grant(actor: Actor, user: UserRecord, tenancy: TenancyRecord, bucket: BucketRecord, input: Omit<Grant, 'id'>): Promise<Grant> {
    await this.assertMayChange(user, tenancy, bucket);
    let made: { policy: string; grant: Grant };
    try {
      made = addGrant(bucket.policy, bucket.name, input);
    } catch (e) {
      if (e instanceof GrantError) throw invalid(e.message);
      throw e;
    }
    await this.policies.put(bucket, made.policy);
    await this.audit.record(actor, tenancy.id, 'grant.add', bucket.name, { principal: `${input.principal.kind}:${input.principal.name}`, access: input.access, prefix: made.grant.prefix });
    return made.grant;
  }

  async revoke(actor: Actor, user: UserRecord, tenancy: TenancyRecord, bucket: BucketRecord, grantId: string): Promise<void> {
    await this.assertMayChange(user, tenancy, bucket);
    const r = removeGrant(bucket.policy, bucket.name, grantId);
    if (!r) throw notFound(`${bucket.name} has no grant ${grantId}`);
    await this.store(bucket, r.policy);
    await this.audit.record(actor, tenancy.id, 'grant.remove', bucket.name, { grant: grantId });
  }

  /** Makes the bucket public (anyone may read and list) or removes that statement; answers the new view. */
  async setPublic(actor: Actor, user: UserRecord, tenancy: TenancyRecord, bucket: BucketRecord, on: boolean): Promise<SharingView> {
    await this.assertMayChange(user, tenancy, bucket);
    const policy = setPublicStatement(bucket.policy, bucket.name, on);
    await this.store(bucket, policy);
    await this.audit.record(actor, tenancy.id, on ? 'bucket.public' : 'bucket.private', bucket.name);
    return this.view(user, tenancy, (await this.metadata.getBucketById(bucket.id)) ?? bucket);
  }

  private async store(bucket: BucketRecord, policy: string | null): Promise<void> {
    if (policy === null) await this.policies.delete(bucket);
    else await this.policies.put(bucket, policy);
  }

  /**
   * Buckets of any tenancy that `user` can list or read because a policy or an ACL lets them (not
   * because they own it or hold a role there), with the prefixes where that holds and whether they may
   * write. Each answer is S3's own decision (iam/authorize.ts).
   */
  async sharedWith(user: UserRecord): Promise<SharedBucket[]> {
    const m = this.metadata;
    const groups = await groupsOfUser(m, user.id);
    const out: SharedBucket[] = [];
    for (const tenancy of await m.listTenancies()) {
      for (const bucket of await m.listBuckets(tenancy.id)) {
        if (bucket.policy === null && bucket.acl === null) continue;
        if (bucket.ownerId === user.id) continue;
        const prefixes: string[] = [];
        let write = false;
        let by = '';
        for (const prefix of candidatePrefixes(this.policies.parsedOf(bucket), bucket.name)) {
          const ask = (action: string, key?: string, context?: Record<string, string>) => this.access.decide({ user, tenancy, bucket, action, key, context }, groups);
          const list = await ask('s3:ListBucket', undefined, { 's3:prefix': prefix });
          const read = list.decision.allowed ? list : await ask('s3:GetObject', `${prefix}.granary-probe`);
          if (!read.decision.allowed || !SHARED_BY.has(read.decision.by)) continue;
          by = read.decision.by;
          // A prefix inside one already found adds nothing.
          if (!prefixes.some((p) => prefix.startsWith(p))) prefixes.push(prefix);
          const put = await ask('s3:PutObject', `${prefix}.granary-probe`);
          if (put.decision.allowed) write = true;
        }
        if (prefixes.length === 0) continue;
        const owner = (await m.getUserById(bucket.ownerId))?.username ?? bucket.ownerId;
        out.push({ tenancy: tenancy.name, bucket: bucket.name, owner, access: write ? 'read-write' : 'read', prefixes, by });
      }
    }
    return out;
  }
}

/**
 * The places a policy can grant something: the whole bucket, and each literal prefix its statements
 * name (in a Resource `bucket/prefix*` or an `s3:prefix` condition), shortest first.
 */
function candidatePrefixes(policy: Policy | undefined, bucket: string): string[] {
  const found = new Set<string>(['']);
  const base = `arn:aws:s3:::${bucket}/`;
  const literalHead = (tokens: Array<{ kind: string; text?: string }>): string => {
    let s = '';
    for (const t of tokens) {
      if (t.kind !== 'literal') break;
      s += t.text;
    }
    return s;
  };
  for (const st of policy?.statements ?? []) {
    if (st.effect !== 'Allow') continue;
    for (const p of st.resource.patterns) {
      const head = literalHead(p.tokens);
      if (head.startsWith(base) && head.length > base.length) found.add(head.slice(base.length));
    }
    for (const c of st.conditions) {
      if (c.key !== 's3:prefix' || c.test.family !== 'String') continue;
      for (const v of c.test.values) {
        const head = literalHead(v.tokens);
        if (head) found.add(head);
      }
    }
  }
  return [...found].sort((a, b) => a.length - b.length);
}
