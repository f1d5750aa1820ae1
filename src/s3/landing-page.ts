/**
 * HTML pages S3 serves instead of a listing's XML, without changing S3 for any S3 client:
 * - a public bucket's landing page: only for an anonymous GET of the bucket (ListObjects) from a browser
 *   (its Accept prefers text/html, which no S3 SDK or tool sends), only when the bucket's managers turned
 *   the page on, and only with `prefix`/`marker` in the query. Everything else, and every signed request,
 *   gets S3's XML as before (`Vary: Accept` keeps caches apart);
 * - a share link for a whole prefix: a presigned ListObjectsV2 of that prefix carrying the signed
 *   parameter `x-granary-share=1` (an `x-` parameter, which S3 leaves to its caller). Its object links are
 *   presigned GETs by the same key, expiring when the link does; each is authorized by S3 when used, so the
 *   link gives no more than its signer may read, and deleting the key revokes it.
 * The page holds no script at all, escapes every name, renders the README (Markdown) with raw HTML
 * disabled, and carries a CSP that allows nothing but its own inline style (by hash) and same-origin images.
 */
import { createHash } from 'node:crypto';
import MarkdownIt from 'markdown-it';
import type { LandingSettings } from '../core/landing.js';
import { formatSize } from '../lib/format-size.js';

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem;color:#1b1f24}
h1{font-size:1.6rem;margin:.2rem 0}table{border-collapse:collapse;width:100%}caption{text-align:left;font-weight:600;padding:.3rem 0}
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #e3e6ea;vertical-align:top}td.n{text-align:right;white-space:nowrap}
pre{background:#f0f2f5;padding:.6rem;overflow-x:auto;white-space:pre-wrap;overflow-wrap:anywhere}code{font-family:ui-monospace,monospace}
.readme{border:1px solid #d5d9de;border-radius:6px;padding:0 1rem;margin:1rem 0}.muted{color:#5b6570}nav a{margin-right:.3rem}
a{color:#0b5cad;overflow-wrap:anywhere}`;
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

/** No script can run: the page has none, and its policy allows none. */
export const LANDING_CSP = `sandbox; default-src 'none'; style-src 'sha256-${STYLE_HASH}'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

const md = new MarkdownIt({ html: false, linkify: true, typographer: false });
// Links in a README leave the page without telling where they came from.
const defaultLink = md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  tokens[idx]!.attrSet('rel', 'nofollow noopener noreferrer');
  return defaultLink(tokens, idx, options, env, self);
};

/** Whether a request prefers HTML (a browser navigating), by its Accept header. */
export function prefersHtml(accept: string | string[] | undefined): boolean {
  const a = (Array.isArray(accept) ? accept.join(',') : accept ?? '').toLowerCase();
  if (!/\btext\/html\b/.test(a)) return false;
  // An explicit XML preference (weight above HTML's) keeps the XML.
  const q = (type: string): number => {
    const m = new RegExp(`${type.replace('/', '\\/').replace('+', '\\+')}\\s*(;\\s*q=([0-9.]+))?`).exec(a);
    return m ? (m[2] === undefined ? 1 : Number(m[2])) : 0;
  };
  return q('text/html') >= q('application/xml');
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const iso = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';

export interface LandingEntry {
  kind: 'prefix' | 'object';
  /** The full key or prefix. */
  name: string;
  size?: number;
  lastModified?: number;
  /** Where the entry leads (a page of the prefix, or the object). */
  href: string;
}

export interface LandingPage {
  settings: LandingSettings;
  bucket: string;
  tenancy: string;
  prefix: string;
  entries: LandingEntry[];
  /** The next page, if the listing goes on. */
  nextHref?: string;
  /** Breadcrumb links: each parent prefix and where it leads. */
  crumbs: Array<{ label: string; href: string }>;
  /** README Markdown (already read, within the size limit). */
  readme?: string;
  /** The bucket's public HTTPS URL (path style), for the snippets; undefined on a share page. */
  publicUrl?: string;
  /** A share page: when its link (and every link on it) stops working. */
  expires?: number;
}

export function renderLandingPage(p: LandingPage): string {
  const title = p.settings.title || (p.expires ? `${p.bucket}/${p.prefix}` : p.bucket);
  const parts: string[] = [];
  parts.push(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="no-referrer"><title>${esc(title)}</title><style>${STYLE}</style></head><body><main>`);
  parts.push(`<h1>${esc(title)}</h1>`);
  if (p.expires !== undefined) parts.push(`<p class="muted">Shared files of <strong>${esc(p.bucket)}/${esc(p.prefix)}</strong>. This link and every download on it work until ${esc(iso(p.expires))}.</p>`);
  if (p.settings.description) parts.push(`<p>${esc(p.settings.description)}</p>`);
  parts.push(`<nav aria-label="Location">${p.crumbs.map((c) => `<a href="${esc(c.href)}">${esc(c.label)}</a>`).join(' / ')}</nav>`);
  if (p.readme !== undefined) parts.push(`<section class="readme" aria-label="README">${md.render(p.readme)}</section>`);
  parts.push(`<table><caption>${esc(p.prefix ? `Contents of ${p.prefix}` : `Contents of ${p.bucket}`)}</caption><thead><tr><th scope="col">Name</th><th scope="col">Size</th><th scope="col">Last modified</th></tr></thead><tbody>`);
  for (const e of p.entries) {
    const label = e.name.slice(p.prefix.length) || e.name;
    parts.push(
      e.kind === 'prefix'
        ? `<tr><td><a href="${esc(e.href)}">${esc(label)}</a></td><td class="n">folder</td><td></td></tr>`
        : `<tr><td><a href="${esc(e.href)}">${esc(label)}</a></td><td class="n">${esc(formatSize(e.size ?? 0))}</td><td>${esc(iso(e.lastModified ?? 0))}</td></tr>`,
    );
  }
  if (p.entries.length === 0) parts.push('<tr><td colspan="3">Nothing here.</td></tr>');
  parts.push('</tbody></table>');
  if (p.nextHref) parts.push(`<p><a href="${esc(p.nextHref)}" rel="next">Next page</a></p>`);
  if (p.settings.citation) parts.push(`<section aria-labelledby="cite"><h2 id="cite">How to cite</h2><pre>${esc(p.settings.citation)}</pre></section>`);
  if (p.publicUrl) {
    const path = `${p.publicUrl}/${p.prefix}`;
    const s3Url = `s3://${p.bucket}/${p.prefix}`;
    const endpoint = new URL(p.publicUrl).origin;
    const zarr = p.prefix.endsWith('.zarr/') ? p.prefix.slice(0, -1) : `${p.prefix}DATASET.zarr`;
    parts.push('<section aria-labelledby="use"><h2 id="use">Use the data</h2>');
    parts.push(`<h3>Python (xarray, Zarr)</h3><pre><code>import fsspec, xarray\nds = xarray.open_zarr(fsspec.get_mapper(${esc(JSON.stringify(`${p.publicUrl}/${zarr}`))}), consolidated=True)</code></pre>`);
    parts.push(`<h3>curl</h3><pre><code>curl -O ${esc(path)}FILE</code></pre>`);
    parts.push(`<h3>rclone</h3><pre><code>rclone copy --s3-provider Other --s3-endpoint ${esc(endpoint)} :s3:${esc(`${p.bucket}/${p.prefix}`)} ./${esc(p.bucket)}</code></pre>`);
    parts.push(`<p class="muted">Anyone may read this bucket without a key; tools that speak S3 can use ${esc(s3Url)} with the endpoint ${esc(endpoint)} and anonymous access.</p></section>`);
  }
  parts.push('</main></body></html>');
  return parts.join('\n');
}

/** The headers of a landing or share page: HTML that runs nothing, never cached across Accept values. */
export function landingHeaders(shared: boolean): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': LANDING_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    vary: 'Accept',
    'cache-control': shared ? 'private, no-store' : 'public, max-age=60',
  };
}
