/** Tenancies: list/create/show/update/delete, quota, usage and its repair, the tenancy's audit trail. */
import { parseSize } from '../../tenancy/quota.js';
import { isDefaultAccess } from '../../tenancy/tenancies.js';
import { isQuotaAction } from '../../tenancy/quota.js';
import { repairUsage } from '../../tenancy/usage.js';
import type { AdminRoute } from '../context.js';
import { me, noContent, ok, tenancyOf } from '../context.js';
import type * as C from '../contract.js';
import { object, optBool, optCount, optStr, str } from '../input.js';
import { badRequest } from '../problems.js';
import { auditBody, NameResolver, tenancyBody, tenancyDetailBody } from '../views.js';

const STAFF = { kind: 'tenancy', roles: ['MANAGER', 'DEPUTY'] } as const;
const MEMBER = { kind: 'tenancy', roles: ['USER', 'DEPUTY', 'MANAGER'] } as const;
/** At most this many samples per answer (the most recent): a year of 10-minute samples is ~52,000. */
const HISTORY_MAX_SAMPLES = 5000;
const actor = (ctx: Parameters<AdminRoute['handle']>[0]) => ({ userId: me(ctx).user.id });

export const tenancyRoutes: AdminRoute[] = [
  {
    method: 'GET', path: '/tenancies', access: { kind: 'site-admin' }, summary: 'List tenancies',
    handle: async (ctx) => ok({ items: (await ctx.services.tenancies.list()).map(tenancyBody) } satisfies C.ListResponse<C.Tenancy>),
  },
  {
    method: 'POST', path: '/tenancies', access: { kind: 'site-admin' }, summary: 'Create a tenancy',
    handle: async (ctx) => {
      const b = object(await ctx.body());
      const defaultAccess = optStr(b, 'defaultAccess') ?? 'owner';
      if (!isDefaultAccess(defaultAccess)) throw badRequest('"defaultAccess" must be "owner" or "members"');
      const t = await ctx.services.tenancies.create(actor(ctx), str(b, 'name'), defaultAccess);
      return ok(tenancyDetailBody(await ctx.services.tenancies.view(t)), 201);
    },
  },
  {
    method: 'GET', path: '/tenancies/{tenancy}', access: MEMBER, summary: 'Show a tenancy with usage, quota status and endpoints (any member)',
    handle: async (ctx) => ok(tenancyDetailBody(await ctx.services.tenancies.view(tenancyOf(ctx).tenancy)) satisfies C.TenancyDetail),
  },
  {
    method: 'PATCH', path: '/tenancies/{tenancy}', access: { kind: 'tenancy', roles: ['MANAGER'] }, summary: "Change a tenancy's default access, or list it for join requests",
    handle: async (ctx) => {
      const b = object(await ctx.body());
      let t = tenancyOf(ctx).tenancy;
      const defaultAccess = optStr(b, 'defaultAccess');
      if (defaultAccess !== undefined) {
        if (!isDefaultAccess(defaultAccess)) throw badRequest('"defaultAccess" must be "owner" or "members"');
        t = await ctx.services.tenancies.setDefaultAccess(actor(ctx), t, defaultAccess);
      }
      const listed = optBool(b, 'listed');
      if (listed !== undefined) t = await ctx.services.tenancies.setListed(actor(ctx), t, listed);
      return ok(tenancyDetailBody(await ctx.services.tenancies.view(t)));
    },
  },
  {
    method: 'DELETE', path: '/tenancies/{tenancy}', access: { kind: 'site-admin' }, summary: 'Delete an empty tenancy',
    handle: async (ctx) => {
      await ctx.services.tenancies.delete(actor(ctx), tenancyOf(ctx).tenancy);
      return noContent();
    },
  },
  {
    method: 'GET', path: '/tenancies/{tenancy}/quota', access: MEMBER, summary: 'Quota, usage and quota status',
    handle: async (ctx) => ok(await quotaBody(ctx)),
  },
  {
    method: 'PUT', path: '/tenancies/{tenancy}/quota', access: { kind: 'site-admin' }, summary: 'Set the quota (bytes, objects, action when full)',
    handle: async (ctx) => {
      const b = object(await ctx.body());
      const rawBytes = b.bytes;
      if (rawBytes === undefined) throw badRequest('"bytes" is required (a byte count, a size such as "10GiB", or null for unlimited)');
      const bytes = rawBytes === null ? null : typeof rawBytes === 'number' || typeof rawBytes === 'string' ? parseSize(rawBytes) : undefined;
      if (bytes === undefined) throw badRequest('"bytes" must be a number, a size string or null');
      const objects = optCount(b, 'objects');
      const action = optStr(b, 'action');
      if (action !== undefined && !isQuotaAction(action)) throw badRequest('"action" must be one of read-delete, read-only, notify, lockout');
      const t = tenancyOf(ctx).tenancy;
      const updated = await ctx.services.tenancies.setQuota(actor(ctx), t, { bytes, objects: objects === undefined ? t.quotaObjects : objects, action });
      return ok(await quotaBody({ ...ctx, tenancy: updated }));
    },
  },
  {
    method: 'GET', path: '/tenancies/{tenancy}/usage', access: STAFF, summary: 'Usage of the tenancy and each bucket',
    handle: async (ctx) => {
      const { tenancy } = tenancyOf(ctx);
      const m = ctx.services.metadata;
      const usage = await m.getTenancyUsage(tenancy.id);
      const buckets = await Promise.all(
        (await m.listBuckets(tenancy.id)).map(async (b) => ({ name: b.name, usage: await m.getBucketUsage(b.id), quota: { bytes: b.quotaBytes, objects: b.quotaObjects } })),
      );
      return ok({ tenancy: tenancy.name, usage, status: ctx.services.tenancies.status(tenancy, usage), buckets } satisfies C.UsageResponse);
    },
  },
  {
    method: 'GET', path: '/tenancies/{tenancy}/usage/history', access: STAFF, summary: 'Usage samples over the last ?days=N days (default 30, at most 366), oldest first, with the quota',
    handle: async (ctx) => {
      const { tenancy } = tenancyOf(ctx);
      const raw = ctx.query.get('days');
      const days = raw === null ? 30 : Number(raw);
      if (!Number.isFinite(days) || days <= 0 || days > 366) throw badRequest('"days" must be a number of days between 0 and 366');
      const now = Date.now();
      const m = ctx.services.metadata;
      const samples = await m.listUsageSamples(tenancy.id, now - days * 24 * 60 * 60 * 1000, HISTORY_MAX_SAMPLES);
      const usage = await m.getTenancyUsage(tenancy.id);
      return ok({
        tenancy: tenancy.name,
        days,
        samples: samples.map((x) => ({ at: new Date(x.at).toISOString(), bytes: x.bytes, objects: x.objects })),
        current: { at: new Date(now).toISOString(), bytes: usage.bytes, objects: usage.objects },
        quota: { bytes: tenancy.quotaBytes, objects: tenancy.quotaObjects },
      } satisfies C.UsageHistoryResponse);
    },
  },
  {
    method: 'GET', path: '/tenancies/{tenancy}/usage/breakdown', access: STAFF, summary: 'What is using the space: usage by owner and by top-level prefix of each bucket',
    handle: async (ctx) => {
      const { tenancy } = tenancyOf(ctx);
      const m = ctx.services.metadata;
      const names = new NameResolver(m);
      const owners = await Promise.all((await m.usageByOwner(tenancy.id)).map(async (g) => ({ username: await names.user(g.group), bytes: g.bytes, objects: g.objects })));
      const prefixes: C.UsageBreakdownResponse['prefixes'] = [];
      for (const b of await m.listBuckets(tenancy.id)) {
        for (const g of await m.usageByPrefix(b.id)) prefixes.push({ bucket: b.name, prefix: g.group, bytes: g.bytes, objects: g.objects });
      }
      prefixes.sort((a, b) => b.bytes - a.bytes);
      return ok({ tenancy: tenancy.name, owners, prefixes } satisfies C.UsageBreakdownResponse);
    },
  },
  {
    method: 'GET', path: '/tenancies/{tenancy}/uploads', access: STAFF, summary: 'Incomplete multipart uploads (their parts take space until completed or aborted)',
    handle: async (ctx) => {
      const { tenancy } = tenancyOf(ctx);
      const m = ctx.services.metadata;
      const names = new NameResolver(m);
      const items: C.IncompleteUpload[] = [];
      for (const b of await m.listBuckets(tenancy.id)) {
        let keyMarker = '';
        let uploadIdMarker = '';
        for (;;) {
          const page = await m.scanUploads(b.id, { prefix: '', keyMarker, uploadIdMarker, limit: 1000 });
          for (const u of page) {
            const parts = await m.listUploadParts(u.uploadId, 0, 10_000);
            items.push({ bucket: b.name, key: u.key, uploadId: u.uploadId, initiatedAt: new Date(u.initiatedAt).toISOString(), owner: await names.user(u.ownerId), parts: parts.length, bytes: parts.reduce((n, p) => n + p.size, 0) });
          }
          if (page.length < 1000 || items.length >= 5000) break;
          keyMarker = page.at(-1)!.key;
          uploadIdMarker = page.at(-1)!.uploadId;
        }
      }
      items.sort((a, b) => b.bytes - a.bytes || (a.initiatedAt < b.initiatedAt ? -1 : 1));
      return ok({ items } satisfies C.ListResponse<C.IncompleteUpload>);
    },
  },
  {
    method: 'POST', path: '/tenancies/{tenancy}/usage/repair', access: { kind: 'site-admin' }, summary: 'Recount usage from the metadata and report drift (?fix=true to correct it)',
    handle: async (ctx) => {
      const { tenancy } = tenancyOf(ctx);
      const fix = ctx.query.get('fix') === 'true' || ctx.query.get('fix') === '1';
      const r = await repairUsage(ctx.services.metadata, ctx.services.audit, actor(ctx), tenancy, fix);
      return ok({ tenancy: tenancy.name, ...r } satisfies C.UsageRepairResponse);
    },
  },
  {
    method: 'GET', path: '/tenancies/{tenancy}/audit', access: STAFF, summary: "The tenancy's audit trail, newest first",
    handle: async (ctx) => {
      const names = new NameResolver(ctx.services.metadata);
      const limit = Number(ctx.query.get('limit') ?? 100) || 100;
      const records = await ctx.services.audit.list(tenancyOf(ctx).tenancy.id, limit);
      return ok({ items: await Promise.all(records.map((a) => auditBody(a, names))) } satisfies C.ListResponse<C.AuditEntry>);
    },
  },
  {
    method: 'GET', path: '/audit', access: { kind: 'site-admin' }, summary: 'The whole audit trail, newest first',
    handle: async (ctx) => {
      const names = new NameResolver(ctx.services.metadata);
      const limit = Number(ctx.query.get('limit') ?? 100) || 100;
      const records = await ctx.services.audit.list(undefined, limit);
      return ok({ items: await Promise.all(records.map((a) => auditBody(a, names))) } satisfies C.ListResponse<C.AuditEntry>);
    },
  },
];

async function quotaBody(ctx: Parameters<AdminRoute['handle']>[0]): Promise<C.QuotaResponse> {
  const { tenancy } = tenancyOf(ctx);
  const usage = await ctx.services.metadata.getTenancyUsage(tenancy.id);
  const view = await ctx.services.tenancies.view(tenancy);
  return {
    tenancy: tenancy.name,
    quota: { bytes: tenancy.quotaBytes, objects: tenancy.quotaObjects, action: tenancy.quotaAction },
    usage,
    status: ctx.services.tenancies.status(tenancy, usage),
    thresholds: view.thresholds,
  };
}
