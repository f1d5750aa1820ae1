/**
 * Sharing a bucket as server operations (tenancy/sharing.ts): its grants (list, grant, revoke), making it
 * public or private, its landing page, and who a grant can name (autocomplete). Any member may call these
 * routes; the sharing service lets through exactly who S3 lets set the bucket's policy (its owner, the
 * tenancy's MANAGER and DEPUTY, site administrators).
 */
import { DEFAULT_LANDING, landingFrom, landingOf } from '../../core/landing.js';
import { isGrantAccess, parseGrantPrincipal, GrantError } from '../../iam/grants.js';
import { membersGroupName } from '../../iam/groups.js';
import type { BucketRecord } from '../../metadata/store.js';
import type { AdminContext, AdminRoute } from '../context.js';
import { me, ok, tenancyOf } from '../context.js';
import type * as C from '../contract.js';
import { object } from '../input.js';
import { AdminProblem, badRequest } from '../problems.js';

const MEMBER = { kind: 'tenancy', roles: ['USER', 'DEPUTY', 'MANAGER'] } as const;
const actor = (ctx: AdminContext) => ({ userId: me(ctx).user.id });

async function bucketOf(ctx: AdminContext): Promise<BucketRecord> {
  return ctx.services.sharing.bucket(tenancyOf(ctx).tenancy, ctx.params.bucket!);
}

async function grantsBody(ctx: AdminContext, bucket: BucketRecord): Promise<C.GrantsResponse> {
  const fresh = (await ctx.services.metadata.getBucketById(bucket.id)) ?? bucket;
  const v = await ctx.services.sharing.view(me(ctx).user, tenancyOf(ctx).tenancy, fresh);
  return { tenancy: tenancyOf(ctx).tenancy.name, bucket: fresh.name, ...v };
}

async function landingBody(ctx: AdminContext, bucket: BucketRecord): Promise<C.LandingResponse> {
  const t = tenancyOf(ctx).tenancy;
  return { tenancy: t.name, bucket: bucket.name, url: `${ctx.services.tenancies.endpoints(t.name).external}/${bucket.name}/`, ...landingOf(bucket.landing) };
}

export const sharingRoutes: AdminRoute[] = [
  {
    method: 'GET', path: '/tenancies/{tenancy}/buckets/{bucket}/grants', access: MEMBER, summary: "A bucket's grants (who, what access, which prefix) and whether it is public",
    handle: async (ctx) => ok(await grantsBody(ctx, await bucketOf(ctx))),
  },
  {
    method: 'POST', path: '/tenancies/{tenancy}/buckets/{bucket}/grants', access: MEMBER, summary: 'Grant a user or group read, read-write or full access (to the bucket or a prefix)',
    handle: async (ctx) => {
      const b = object(await ctx.body());
      let principal: C.Grant['principal'];
      try {
        principal = typeof b.principal === 'string' ? parseGrantPrincipal(b.principal) : (b.principal as C.Grant['principal']);
      } catch (e) {
        if (e instanceof GrantError) throw badRequest(e.message);
        throw e;
      }
      if (typeof principal !== 'object' || principal === null || (principal.kind !== 'user' && principal.kind !== 'group') || typeof principal.name !== 'string' || principal.name === '') {
        throw badRequest('"principal" must be "user:NAME", "group:NAME" or {kind, name}');
      }
      if (!isGrantAccess(b.access)) throw badRequest('"access" must be read, read-write or full');
      if (b.prefix !== undefined && typeof b.prefix !== 'string') throw badRequest('"prefix" must be text');
      const bucket = await bucketOf(ctx);
      await ctx.services.sharing.grant(actor(ctx), me(ctx).user, tenancyOf(ctx).tenancy, bucket, { principal: { kind: principal.kind, name: principal.name.trim() }, access: b.access, prefix: (b.prefix as string | undefined) ?? '' });
      return ok(await grantsBody(ctx, bucket), 201);
    },
  },
  {
    method: 'DELETE', path: '/tenancies/{tenancy}/buckets/{bucket}/grants/{grant}', access: MEMBER, summary: 'Remove one grant',
    handle: async (ctx) => {
      const bucket = await bucketOf(ctx);
      await ctx.services.sharing.revoke(actor(ctx), me(ctx).user, tenancyOf(ctx).tenancy, bucket, ctx.params.grant!);
      return ok(await grantsBody(ctx, bucket));
    },
  },
  {
    method: 'PUT', path: '/tenancies/{tenancy}/buckets/{bucket}/public', access: MEMBER, summary: 'Make a bucket public (anyone may read and list it) or not (body: {"public": true|false})',
    handle: async (ctx) => {
      const b = object(await ctx.body());
      if (typeof b.public !== 'boolean') throw badRequest('"public" must be true or false');
      const bucket = await bucketOf(ctx);
      await ctx.services.sharing.setPublic(actor(ctx), me(ctx).user, tenancyOf(ctx).tenancy, bucket, b.public);
      return ok(await grantsBody(ctx, bucket));
    },
  },
  {
    method: 'GET', path: '/tenancies/{tenancy}/buckets/{bucket}/landing', access: MEMBER, summary: "A public bucket's landing page settings and URL",
    handle: async (ctx) => ok(await landingBody(ctx, await bucketOf(ctx))),
  },
  {
    method: 'PUT', path: '/tenancies/{tenancy}/buckets/{bucket}/landing', access: MEMBER, summary: "Change a bucket's landing page (enabled, title, description, citation, readme)",
    handle: async (ctx) => {
      const bucket = await bucketOf(ctx);
      const { tenancy } = tenancyOf(ctx);
      if (!(await ctx.services.sharing.mayChange(me(ctx).user, tenancy, bucket))) throw new AdminProblem(403, `only the owner of ${bucket.name} and the managers and deputies of ${tenancy.name} may change its landing page`);
      const next = landingFrom(object(await ctx.body()), landingOf(bucket.landing));
      const same = JSON.stringify(next) === JSON.stringify(DEFAULT_LANDING);
      await ctx.services.metadata.setBucketConfiguration(bucket.id, 'landing', same ? null : JSON.stringify(next));
      await ctx.services.audit.record(actor(ctx), tenancy.id, 'bucket.landing', bucket.name, { enabled: next.enabled });
      return ok(await landingBody(ctx, (await ctx.services.metadata.getBucketById(bucket.id)) ?? bucket));
    },
  },
  {
    method: 'GET', path: '/tenancies/{tenancy}/directory', access: MEMBER, summary: "Who a grant can name: the tenancy's members and the groups they are in",
    handle: async (ctx) => {
      const { tenancy } = tenancyOf(ctx);
      const m = ctx.services.metadata;
      const users: C.ShareDirectoryResponse['users'] = [];
      const groups = new Set<string>([membersGroupName(tenancy.name)]);
      for (const ms of await m.listMembers(tenancy.id)) {
        const u = await m.getUserById(ms.userId);
        if (!u) continue;
        users.push({ username: u.username, displayName: u.displayName });
        for (const g of await m.listGroupsOfUser(u.id)) groups.add(g);
      }
      users.sort((a, b) => (a.username < b.username ? -1 : 1));
      return ok({ users, groups: [...groups].sort() } satisfies C.ShareDirectoryResponse);
    },
  },
];
