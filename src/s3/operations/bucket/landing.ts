/**
 * When ListObjects / ListObjectsV2 answer with an HTML page instead of XML (s3/landing-page.ts says when
 * and why that leaves S3 unchanged for S3 clients): a public bucket's landing page, or a prefix share page.
 * The request was authenticated and authorized as the listing it is (s3:ListBucket) by the pipeline.
 */
import { landingOf } from '../../../core/landing.js';
import type { HttpResponse } from '../../../lib/http-response.js';
import { presignUrl } from '../../../iam/sigv4/sign.js';
import { tenancyEndpoints } from '../../../tenancy/endpoints.js';
import { type S3Context } from '../../context.js';
import type { ShareLink } from '../../route-parameters.js';
import { landingHeaders, prefersHtml, renderLandingPage, type LandingEntry } from '../../landing-page.js';

const PAGE = 200;
const README_MAX = 256 * 1024;

const encKey = (key: string): string => key.split('/').map(encodeURIComponent).join('/');

export async function landingResponse(ctx: S3Context<'ListObjects' | 'ListObjectsV2'>): Promise<HttpResponse | undefined> {
  if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return undefined;
  const route = ctx.route;
  if (route.name === 'ListObjectsV2') return route.share && ctx.principal.kind === 'user' ? sharePage(ctx, route.share, route) : undefined;
  // Only for the query a landing page's own links make (prefix, marker): any other asks for S3's XML.
  if (ctx.principal.kind !== 'anonymous' || !prefersHtml(ctx.headers.accept) || !route.landingQuery) return undefined;
  const bucket = ctx.bucket;
  const settings = landingOf(bucket.landing);
  if (!settings.enabled) return undefined;
  const { prefix } = route;
  const base = ctx.rawPath.replace(/\/+$/, '');
  const r = await ctx.services.buckets.listObjects(bucket, { prefix, delimiter: '/', startAfter: route.marker, maxKeys: PAGE });
  const page = `${base || '/'}`;
  const q = (p: Record<string, string>) => `${page}?${new URLSearchParams(p).toString()}`;
  const entries: LandingEntry[] = r.entries.map((e) =>
    e.kind === 'prefix'
      ? { kind: 'prefix', name: e.prefix, href: q({ prefix: e.prefix }) }
      : { kind: 'object', name: e.object.key, size: e.object.size, lastModified: e.object.lastModified, href: `${base}/${encKey(e.object.key)}` },
  );
  let readme: string | undefined;
  if (prefix === '' && settings.readme && (await ctx.access.allowed('s3:GetObject', bucket, settings.readme))) {
    const o = await ctx.services.objects.find(bucket, settings.readme);
    if (o && o.size <= README_MAX) {
      const chunks: Buffer[] = [];
      for await (const c of ctx.services.objects.read(o)) chunks.push(c as Buffer);
      readme = Buffer.concat(chunks).toString('utf8');
    }
  }
  const cfg = ctx.services.config;
  const external = tenancyEndpoints(ctx.tenancy.name, { internalDomain: cfg.internalDomain, externalDomain: cfg.externalDomain, internalPort: () => cfg.publicPorts.internal, externalPort: () => cfg.publicPorts.external }).external;
  const html = renderLandingPage({
    settings,
    bucket: bucket.name,
    tenancy: ctx.tenancy.name,
    prefix,
    entries,
    crumbs: crumbs(bucket.name, prefix, (p) => (p === '' ? page : q({ prefix: p }))),
    ...(r.isTruncated && r.last !== undefined ? { nextHref: q({ prefix, marker: r.last }) } : {}),
    ...(readme !== undefined ? { readme } : {}),
    publicUrl: `${external}/${bucket.name}`,
  });
  return { status: 200, headers: landingHeaders(false), body: html };
}

function crumbs(bucket: string, prefix: string, href: (p: string) => string): Array<{ label: string; href: string }> {
  const out = [{ label: bucket, href: href('') }];
  let p = '';
  for (const part of prefix.split('/').slice(0, -1)) {
    p += part + '/';
    out.push({ label: part, href: href(p) });
  }
  return out;
}

/** A presigned share of a prefix: its listing as a page whose links are signed by the same key. */
async function sharePage(ctx: S3Context<'ListObjects' | 'ListObjectsV2'>, link: ShareLink, asked: { prefix: string; startAfter: string }): Promise<HttpResponse | undefined> {
  if (ctx.principal.kind !== 'user') return undefined;
  const bucket = ctx.bucket;
  const { date } = link;
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
  if (!m) return undefined;
  const expires = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) + Number(link.expires) * 1000;
  const left = Math.floor((expires - Date.now()) / 1000);
  if (left < 1) return undefined;
  const resolved = await ctx.services.accessKeys.resolve(ctx.principal.key.accessKeyId);
  if (!resolved) return undefined;
  const shared = asked.prefix;
  const host = ctx.headers.host ?? '';
  const origin = `${ctx.secure ? 'https' : 'http'}://${host}`;
  // presignUrl encodes the path itself: give it decoded.
  const base = decodeURIComponent(ctx.rawPath.replace(/\/+$/, ''));
  const sign = (path: string, query: Record<string, string>): string =>
    presignUrl({ origin, host, method: 'GET', path, query, accessKeyId: resolved.key.accessKeyId, secret: resolved.secret, region: ctx.services.config.region, expiresIn: left });
  const listing = (prefix: string, after?: string) => sign(base || '/', { 'list-type': '2', delimiter: '/', prefix, 'x-granary-share': '1', ...(after !== undefined ? { 'start-after': after } : {}) });
  const after = asked.startAfter;
  const r = await ctx.services.buckets.listObjects(bucket, { prefix: shared, delimiter: '/', startAfter: after, maxKeys: PAGE });
  const entries: LandingEntry[] = r.entries.map((e) =>
    e.kind === 'prefix'
      ? { kind: 'prefix', name: e.prefix, href: listing(e.prefix) }
      : {
          kind: 'object',
          name: e.object.key,
          size: e.object.size,
          lastModified: e.object.lastModified,
          href: sign(`${base}/${e.object.key}`, { 'response-content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(e.object.key.split('/').pop() || 'download')}` }),
        },
  );
  const html = renderLandingPage({
    settings: { ...landingOf(bucket.landing), title: '', description: '' },
    bucket: bucket.name,
    tenancy: ctx.tenancy.name,
    prefix: shared,
    entries,
    crumbs: [{ label: `${bucket.name}/${shared}`, href: listing(shared) }],
    ...(r.isTruncated && r.last !== undefined ? { nextHref: listing(shared, r.last) } : {}),
    expires,
  });
  return { status: 200, headers: landingHeaders(true), body: html };
}
