/**
 * Bucket policies of a tenancy's buckets as JSON, for whoever S3 lets read or set them (the bucket's
 * owner, the tenancy's managers and deputies: iam/user-access.ts asks iam/authorize.ts): the same
 * validation and storage as the S3 PutBucketPolicy (iam/bucket-policies.ts), so a malformed policy or an
 * unknown principal is refused with the parser's message. The PUT body is the policy document itself.
 */
import type { BucketRecord } from '../../metadata/store.js';
import type { AdminContext, AdminRoute } from '../context.js';
import { me, noContent, ok, tenancyOf } from '../context.js';
import type * as C from '../contract.js';
import { AdminProblem, badRequest } from '../problems.js';
import { parseSize } from '../../tenancy/quota.js';

const MEMBER = { kind: 'tenancy', roles: ['USER', 'DEPUTY', 'MANAGER'] } as const;

async function bucketOf(ctx: AdminContext, action?: string): Promise<BucketRecord> {
  const { tenancy } = tenancyOf(ctx);
  const b = await ctx.services.metadata.getBucket(tenancy.id, ctx.params.bucket!);
  if (!b) throw new AdminProblem(404, `no bucket "${ctx.params.bucket}" in ${tenancy.name}`);
  if (action && !(await ctx.services.userAccess.allowed({ user: me(ctx).user, tenancy, bucket: b, action }))) {
    throw new AdminProblem(403, `only the owner of ${b.name} and the managers and deputies of ${tenancy.name} may do that (${action})`);
  }
  return b;
}

export const policyRoutes: AdminRoute[] = [
  {
    method: 'PUT', path: '/tenancies/{tenancy}/buckets/{bucket}/quota', access: { kind: 'site-admin' }, summary: "Set a bucket's quota inside its tenancy's (bytes/objects; null = none)",
    handle: async (ctx) => {
      const b = await bucketOf(ctx);
      const body = (await ctx.body()) as Record<string, unknown> | null;
      if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badRequest('the body must be a JSON object with "bytes" and/or "objects"');
      const count = (k: 'bytes' | 'objects'): number | null => {
        const v = body[k];
        if (v === undefined || v === null) return null;
        if (k === 'bytes' && typeof v === 'string') return parseSize(v);
        if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw badRequest(`"${k}" must be a whole number ≥ 0, a size string, or null`);
        return v;
      };
      const quota = { bytes: count('bytes'), objects: count('objects') };
      await ctx.services.metadata.setBucketQuota(b.id, quota);
      await ctx.services.audit.record({ userId: me(ctx).user.id }, b.tenancyId, 'bucket-quota.set', b.name, quota);
      return ok({ tenancy: tenancyOf(ctx).tenancy.name, bucket: b.name, quota, usage: await ctx.services.metadata.getBucketUsage(b.id) } satisfies C.BucketQuotaResponse);
    },
  },
  {
    method: 'GET', path: '/tenancies/{tenancy}/buckets/{bucket}/policy', access: MEMBER, summary: "A bucket's policy",
    handle: async (ctx) => {
      const b = await bucketOf(ctx, 's3:GetBucketPolicy');
      if (b.policy === null) throw new AdminProblem(404, `bucket "${b.name}" has no policy`, 'no-such-policy');
      return ok({ tenancy: tenancyOf(ctx).tenancy.name, bucket: b.name, policy: JSON.parse(b.policy) as unknown } satisfies C.BucketPolicyResponse);
    },
  },
  {
    method: 'PUT', path: '/tenancies/{tenancy}/buckets/{bucket}/policy', access: MEMBER, summary: "Set a bucket's policy (body: the policy document)",
    handle: async (ctx) => {
      const b = await bucketOf(ctx, 's3:PutBucketPolicy');
      const text = await ctx.text();
      if (text.trim() === '') throw badRequest('the request body must be the policy document');
      await ctx.services.bucketPolicies.put(b, text);
      await ctx.services.audit.record({ userId: me(ctx).user.id }, b.tenancyId, 'policy.put', b.name, { bytes: Buffer.byteLength(text) });
      return ok({ tenancy: tenancyOf(ctx).tenancy.name, bucket: b.name, policy: JSON.parse(text) as unknown } satisfies C.BucketPolicyResponse);
    },
  },
  {
    method: 'DELETE', path: '/tenancies/{tenancy}/buckets/{bucket}/policy', access: MEMBER, summary: "Delete a bucket's policy",
    handle: async (ctx) => {
      const b = await bucketOf(ctx, 's3:DeleteBucketPolicy');
      await ctx.services.bucketPolicies.delete(b);
      await ctx.services.audit.record({ userId: me(ctx).user.id }, b.tenancyId, 'policy.delete', b.name);
      return noContent();
    },
  },
];
