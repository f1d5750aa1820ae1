/**
 * "Can user U do action A on key K of this bucket?" for the portal's permissions page: the same decision
 * point as every S3 request (iam/authorize.ts, asked through iam/user-access.ts), with the bucket-policy
 * statement that matched (authorize returns it, Allow or Deny), so whoever shares the bucket sees *why*. For the
 * bucket's owner and the tenancy's managers and deputies (who may read its policy).
 */
import type { AdminRoute } from '../context.js';
import { me, ok, tenancyOf } from '../context.js';
import { object, optStr, str } from '../input.js';
import { AdminProblem, badRequest } from '../problems.js';
import type { PolicyCheckResponse } from '../session-contract.js';

const MEMBER = { kind: 'tenancy', roles: ['USER', 'DEPUTY', 'MANAGER'] } as const;

export const policyCheckRoutes: AdminRoute[] = [
  {
    method: 'POST', path: '/tenancies/{tenancy}/buckets/{bucket}/policy-check', access: MEMBER,
    summary: 'Would user U be allowed action A on this bucket (or key)? Answers with what decided',
    handle: async (ctx) => {
      const { tenancy } = tenancyOf(ctx);
      const m = ctx.services.metadata;
      const bucket = await m.getBucket(tenancy.id, ctx.params.bucket!);
      if (!bucket) throw new AdminProblem(404, `no bucket "${ctx.params.bucket}" in ${tenancy.name}`);
      if (!(await ctx.services.userAccess.allowed({ user: me(ctx).user, tenancy, bucket, action: 's3:GetBucketPolicy' }))) {
        throw new AdminProblem(403, `only the owner of ${bucket.name} and the managers and deputies of ${tenancy.name} may check its permissions`);
      }
      const b = object(await ctx.body());
      const username = optStr(b, 'user');
      const action = str(b, 'action');
      if (!/^s3:[A-Za-z0-9]+$/.test(action)) throw badRequest('"action" must be an S3 action such as s3:GetObject');
      const key = optStr(b, 'key') || undefined;
      const user = username ? await m.getUserByName(username) : undefined;
      if (username && !user) throw new AdminProblem(404, `no user named "${username}"`);
      const { decision } = await ctx.services.userAccess.decide({ user, tenancy, bucket, action, ...(key !== undefined ? { key } : {}) });
      let statement: PolicyCheckResponse['statement'] = null;
      if (decision.statement) {
        const doc = JSON.parse(bucket.policy!) as { Statement?: unknown };
        const list = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
        const { index, sid, effect } = decision.statement;
        statement = { index, sid: sid ?? null, effect, document: list[index] ?? null };
      }
      const body: PolicyCheckResponse = decision.allowed
        ? { allowed: true, decidedBy: decision.by, statement }
        : { allowed: false, decidedBy: decision.reason, statement };
      return ok(body);
    },
  },
];
