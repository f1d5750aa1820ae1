/**
 * "Can user U do action A on key K of this bucket?" for the portal's permissions page: the same decision
 * point as every S3 request (iam/authorize.ts), plus the bucket-policy statement that decided (from
 * iam/policy/evaluate.ts), so a manager sees *why*. The request is judged as made over HTTPS, now, from
 * no particular address (conditions on aws:SourceIp do not match), with a key that has no restriction.
 */
import { parseStoredAcl } from '../../iam/acl.js';
import { authorize, resourceArn } from '../../iam/authorize.js';
import { groupsOfUser } from '../../iam/groups.js';
import { evaluate } from '../../iam/policy/evaluate.js';
import type { AccessKeyRecord } from '../../metadata/store.js';
import type { AdminRoute } from '../context.js';
import { ok, tenancyOf } from '../context.js';
import { object, optStr, str } from '../input.js';
import { AdminProblem, badRequest } from '../problems.js';
import type { PolicyCheckResponse } from '../session-contract.js';

const STAFF = { kind: 'tenancy', roles: ['MANAGER', 'DEPUTY'] } as const;

export const policyCheckRoutes: AdminRoute[] = [
  {
    method: 'POST', path: '/tenancies/{tenancy}/buckets/{bucket}/policy-check', access: STAFF,
    summary: 'Would user U be allowed action A on this bucket (or key)? Answers with what decided',
    handle: async (ctx) => {
      const { tenancy } = tenancyOf(ctx);
      const m = ctx.services.metadata;
      const bucket = await m.getBucket(tenancy.id, ctx.params.bucket!);
      if (!bucket) throw new AdminProblem(404, `no bucket "${ctx.params.bucket}" in ${tenancy.name}`);
      const b = object(await ctx.body());
      const username = optStr(b, 'user');
      const action = str(b, 'action');
      if (!/^s3:[A-Za-z0-9]+$/.test(action)) throw badRequest('"action" must be an S3 action such as s3:GetObject');
      const key = optStr(b, 'key') || undefined;
      const user = username ? await m.getUserByName(username) : undefined;
      if (username && !user) throw new AdminProblem(404, `no user named "${username}"`);
      const groups = user ? await groupsOfUser(m, user.id) : [];
      const membership = user ? await m.getMembership(tenancy.id, user.id) : undefined;
      let policy;
      if (bucket.policy !== null) policy = ctx.services.bucketPolicies.validate(bucket, bucket.policy);
      const now = new Date();
      const context = {
        'aws:securetransport': 'true',
        'aws:currenttime': now.toISOString(),
        'aws:epochtime': String(Math.floor(now.getTime() / 1000)),
        'aws:username': user?.username,
      };
      // A stand-in key without restriction: the check is about the user, not one of their keys.
      const probeKey: AccessKeyRecord | undefined = user
        ? { accessKeyId: 'policy-check', userId: user.id, tenancyId: tenancy.id, name: 'policy-check', secretEncrypted: '', createdAt: 0, expiresAt: null, lastUsedAt: null, restriction: null }
        : undefined;
      const decision = await authorize({
        principal: user && probeKey ? { kind: 'user', user, key: probeKey } : { kind: 'anonymous' },
        groups,
        membership,
        tenancy,
        action,
        bucket,
        key,
        policy,
        bucketAcl: parseStoredAcl(bucket.acl),
        objectAcl: key !== undefined ? async () => { const o = await m.getObject(bucket.id, key); return o ? { acl: parseStoredAcl(o.acl), ownerId: o.ownerId } : undefined; } : undefined,
        context,
      });
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
