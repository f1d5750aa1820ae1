/**
 * "Can user U do action A on key K of this bucket?" for the portal's permissions page: the same decision
 * point as every S3 request (iam/authorize.ts, asked through iam/user-access.ts), plus the bucket-policy
 * statement that decided (from iam/policy/evaluate.ts), so whoever shares the bucket sees *why*. For the
 * bucket's owner and the tenancy's managers and deputies (who may read its policy).
 */
import { resourceArn } from '../../iam/authorize.js';
import { evaluate } from '../../iam/policy/evaluate.js';
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
      const { decision, policy, groups, context } = await ctx.services.userAccess.decide({ user, tenancy, bucket, action, ...(key !== undefined ? { key } : {}) });
      let statement: PolicyCheckResponse['statement'] = null;
      if (policy) {
        const d = evaluate([policy], {
          principal: user ? { kind: 'user', username: user.username, groups } : { kind: 'anonymous' },
          action,
          resource: resourceArn(bucket.name, key),
          context,
        });
        if (d.statement) {
          const doc = JSON.parse(bucket.policy!) as { Statement?: unknown };
          const list = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
          statement = { index: d.statement.index, sid: d.statement.sid ?? null, effect: d.effect === 'Deny' ? 'Deny' : 'Allow', document: list[d.statement.index] ?? null };
        }
      }
      const body: PolicyCheckResponse = decision.allowed
        ? { allowed: true, decidedBy: decision.by, statement }
        : { allowed: false, decidedBy: decision.reason, statement };
      return ok(body);
    },
  },
];
