/**
 * Refusals of cross-site requests, for every admin API request whatever authenticates it (session cookie,
 * HTTP Basic — a browser may hold cached Basic credentials and send them to any page's form):
 * - a state-changing request from a browser page must come from the portal's own origin: its `Origin`
 *   (or, failing that, `Referer`) must be the portal origin, and `Sec-Fetch-Site`, where the browser sends
 *   it, must not say cross-site or same-site (a bucket's host under the same site is another origin);
 * - a request body must be JSON (`application/json` or `…+json`), which no HTML form can send and which a
 *   cross-origin fetch cannot send without a CORS preflight (that the admin API never grants);
 * - a browser is never invited to cache Basic credentials: 401 answers carry `WWW-Authenticate: Basic`
 *   only for clients that are not browsers (the CLI, curl and scripts send credentials up front anyway).
 * Requests without Origin and Referer did not come from a page (curl, the CLI) and pass the origin check.
 */
import type { IncomingMessage } from 'node:http';
import { AdminProblem } from './problems.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function one(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function originOfUrl(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'null';
  }
}

/** Throws 403 unless a state-changing request comes from `portalOrigin` (or from no page at all). */
export function checkOrigin(req: IncomingMessage, portalOrigin: string): void {
  if (SAFE_METHODS.has(req.method ?? 'GET')) return;
  const site = one(req, 'sec-fetch-site');
  if (site === 'cross-site' || site === 'same-site') {
    throw new AdminProblem(403, `cross-origin request refused (Sec-Fetch-Site: ${site})`, 'cross-origin');
  }
  const referer = one(req, 'referer');
  const origin = one(req, 'origin') ?? (referer ? originOfUrl(referer) : undefined);
  if (origin === undefined) return;
  if (origin !== portalOrigin) throw new AdminProblem(403, `cross-origin request refused (Origin ${origin}; the portal is ${portalOrigin})`, 'cross-origin');
}

/** Whether the request carries a body (or says it does). */
function hasBody(req: IncomingMessage): boolean {
  const length = one(req, 'content-length');
  return (length !== undefined && length.trim() !== '0') || one(req, 'transfer-encoding') !== undefined;
}

/** Throws 415 unless a request that has a body (or a Content-Type) says it is JSON. */
export function checkJsonBody(req: IncomingMessage): void {
  const type = one(req, 'content-type');
  if (type === undefined && !hasBody(req)) return;
  const media = (type ?? '').split(';')[0]!.trim().toLowerCase();
  if (media === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(media)) return;
  throw new AdminProblem(415, `request bodies must be JSON: send Content-Type: application/json${type === undefined ? '' : ` (not ${type})`}`, 'unsupported-media-type');
}

/**
 * Whether the client is a web browser: every current browser's User-Agent starts with `Mozilla/`, and
 * they send `Sec-Fetch-Dest`. A browser cannot be made to send anything else, so a victim's browser
 * never receives a Basic challenge.
 */
export function isBrowser(req: IncomingMessage): boolean {
  return (one(req, 'user-agent') ?? '').startsWith('Mozilla/') || one(req, 'sec-fetch-dest') !== undefined;
}

/** The headers of a 401 answer: a Basic challenge only for non-browser clients. */
export function challengeFor(req: IncomingMessage): Record<string, string> {
  return isBrowser(req) ? {} : { 'www-authenticate': 'Basic realm="granary", charset="UTF-8"' };
}
