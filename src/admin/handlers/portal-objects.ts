/**
 * What the portal needs for buckets and objects without ever holding a secret in the browser:
 * - GET  /tenancies/{t}/buckets: the buckets the caller may manage (their own; all for MANAGER/DEPUTY and
 *   site administrators) with usage and whether they are public;
 * - GET  /directory/tenancies?q=: tenancy names containing q (at least 2 characters, 20 at most), so a
 *   user can find the tenancy to ask to join (names are public anyway: they are host names);
 * - POST /tenancies/{t}/presign: a presigned S3 URL (SigV4 query authentication) for one S3 request —
 *   list, upload (multipart: create, parts, complete), download, delete, share link. The URL is signed
 *   with the caller's own "portal" access key for the tenancy, so S3 authorizes it exactly as the user
 *   (bucket policies, ACLs, quota): the portal gains no power the user lacks. The URL points at an S3
 *   origin, never the portal's own (config/portal-origin.ts), so the browser reads S3's answers through
 *   CORS that S3 grants the portal's origin alone.
 *
 * The portal key is created on first use (a normal key, visible in the user's key list and audit trail as
 * "portal (browser uploads and share links)", 7 days or the site's longest lifetime if shorter) and its
 * secret is kept in this process's memory only; after a restart, or once it would expire before the
 * asked-for link, another is made. Deleting it revokes every link signed with it.
 */
import { presignUrl } from '../../iam/sigv4/sign.js';
import { parseStoredAcl } from '../../iam/acl.js';
import { bucketIsPublic } from '../../iam/public-access.js';
import type { UserRecord, TenancyRecord } from '../../metadata/store.js';
import type { AdminContext, AdminRoute } from '../context.js';
import { me, ok, tenancyOf } from '../context.js';
import { object, optStr } from '../input.js';
import { AdminProblem, badRequest } from '../problems.js';
import type { PortalBucket, PresignResponse } from '../session-contract.js';
import { PORTAL_KEY_NAME } from '../../tenancy/user-keys.js';
import type * as C from '../contract.js';

const MEMBER = { kind: 'tenancy', roles: ['USER', 'DEPUTY', 'MANAGER'] } as const;
const MAX_EXPIRY_S = 7 * 24 * 3600;
const DAY_MS = 86_400_000;

interface PortalKey {
  accessKeyId: string;
  secret: string;
  expiresAt: number;
}
/** (userId, tenancyId) → the portal key; in memory only (see above). */
const portalKeys = new Map<string, PortalKey>();

async function portalKey(ctx: AdminContext, user: UserRecord, tenancy: TenancyRecord, needUntil: number): Promise<PortalKey> {
  const k = `${user.id}\n${tenancy.id}`;
  const have = portalKeys.get(k);
  if (have && have.expiresAt > needUntil + 60_000) {
    const rec = await ctx.services.metadata.getAccessKey(have.accessKeyId);
    if (rec && rec.userId === user.id) return have;
  }
  const expiresAt = Date.now() + 7 * DAY_MS - 60_000;
  const { view, secret } = await ctx.services.userKeys.create(user, { tenancy: tenancy.name, name: PORTAL_KEY_NAME, expiresAt }, Date.now(), true);
  const made = { accessKeyId: view.key.accessKeyId, secret, expiresAt: view.key.expiresAt ?? expiresAt };
  portalKeys.set(k, made);
  return made;
}

export const portalObjectRoutes: AdminRoute[] = [
  {
    method: 'GET', path: '/directory/tenancies', access: { kind: 'authenticated' }, summary: 'Tenancies to ask to join: those listed by their managers, or (?q=, at least 2 characters) found by name',
    handle: async (ctx) => {
      const raw = ctx.query.get('q');
      const q = (raw ?? '').trim().toLowerCase();
      if (raw !== null && q.length < 2) throw badRequest('"q" must have at least 2 characters');
      const user = me(ctx).user;
      const m = ctx.services.metadata;
      const mine = new Set((await m.listMembershipsOfUser(user.id)).map((x) => x.tenancyId));
      const pending = new Set((await m.listJoinRequestsOfUser(user.id)).filter((r) => r.status === 'pending').map((r) => r.tenancyId));
      const found = (await ctx.services.tenancies.list()).filter((t) => (raw === null ? t.listed : t.name.toLowerCase().includes(q))).sort((a, b) => (a.name < b.name ? -1 : 1)).slice(0, raw === null ? 500 : 20);
      return ok({ items: found.map((t) => ({ name: t.name, listed: t.listed, member: mine.has(t.id), pending: pending.has(t.id) })) } satisfies C.ListResponse<C.DirectoryTenancy>);
    },
  },
  {
    method: 'GET', path: '/tenancies/{tenancy}/buckets', access: MEMBER, summary: 'Buckets I manage here (all of them for MANAGER, DEPUTY) with usage',
    handle: async (ctx) => {
      const { tenancy, acting } = tenancyOf(ctx);
      const user = me(ctx).user;
      const m = ctx.services.metadata;
      const all = acting === 'MANAGER' || acting === 'DEPUTY' || acting === 'site-admin';
      const items: PortalBucket[] = [];
      for (const b of await m.listBuckets(tenancy.id)) {
        if (!all && b.ownerId !== user.id) continue;
        const owner = (await m.getUserById(b.ownerId))?.username ?? b.ownerId;
        items.push({ name: b.name, owner, createdAt: new Date(b.createdAt).toISOString(), usage: await m.getBucketUsage(b.id), hasPolicy: b.policy !== null, public: bucketIsPublic(ctx.services.bucketPolicies.parsedOf(b), parseStoredAcl(b.acl)), mayShare: await ctx.services.sharing.mayChange(user, tenancy, b) });
      }
      return ok({ items });
    },
  },
  {
    method: 'POST', path: '/tenancies/{tenancy}/presign', access: MEMBER, summary: 'A presigned S3 URL for one request of mine (uploads, downloads, share links)',
    handle: async (ctx) => {
      const { tenancy } = tenancyOf(ctx);
      const user = me(ctx).user;
      const b = object(await ctx.body());
      const method = optStr(b, 'method') ?? 'GET';
      if (!['GET', 'PUT', 'POST', 'DELETE', 'HEAD'].includes(method)) throw badRequest('"method" must be GET, PUT, POST, DELETE or HEAD');
      const bucket = optStr(b, 'bucket');
      const key = optStr(b, 'key');
      const bucketTenancy = optStr(b, 'bucketTenancy');
      if (bucket !== undefined && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw badRequest('"bucket" is not a bucket name');
      if (bucketTenancy !== undefined && (bucket === undefined || !/^[a-z0-9-]{3,40}$/.test(bucketTenancy))) throw badRequest('"bucketTenancy" must be a tenancy name, with "bucket"');
      if (key !== undefined && bucket === undefined) throw badRequest('"key" needs "bucket"');
      const query: Record<string, string> = {};
      if (b.query !== undefined) {
        if (typeof b.query !== 'object' || b.query === null || Array.isArray(b.query)) throw badRequest('"query" must be an object of strings');
        for (const [k, v] of Object.entries(b.query as Record<string, unknown>)) {
          if (typeof v !== 'string') throw badRequest(`query "${k}" must be a string`);
          if (/^x-amz-(algorithm|credential|date|expires|signedheaders|signature|security-token)$/i.test(k)) throw badRequest(`query "${k}" is set by the server`);
          query[k] = v;
        }
      }
      const expiresIn = b.expiresIn === undefined ? 900 : b.expiresIn;
      if (typeof expiresIn !== 'number' || !Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_EXPIRY_S) throw badRequest(`"expiresIn" must be 1 … ${MAX_EXPIRY_S} seconds`);
      const needUntil = Date.now() + expiresIn * 1000;
      const pk = await portalKey(ctx, user, tenancy, needUntil).catch((e: unknown) => {
        if (e instanceof Error && /not a member/.test(e.message)) throw new AdminProblem(403, `objects are browsed with your own access: join ${tenancy.name} first`);
        throw e;
      });
      const s3 = new URL(ctx.services.origins.s3OriginFor(ctx.request.origin));
      // A bucket of another tenancy (shared with the caller) is named `tenancy:bucket`, as Ceph RGW writes it.
      const name = bucketTenancy !== undefined && bucketTenancy !== tenancy.name ? `${bucketTenancy}:${bucket}` : bucket;
      const path = name === undefined ? '/' : key === undefined ? `/${name}` : `/${name}/${key}`;
      const url = presignUrl({ origin: s3.origin, host: s3.host, method, path, query, accessKeyId: pk.accessKeyId, secret: pk.secret, region: ctx.services.region, expiresIn });
      return { status: 200, body: { url, expiresAt: new Date(needUntil).toISOString() } satisfies PresignResponse, headers: { 'cache-control': 'no-store' } };
    },
  },
];
