/**
 * What every S3 response tells browsers, in one place:
 * - user content never runs: `X-Content-Type-Options: nosniff` (no script or HTML guessed out of another
 *   type) and `Content-Security-Policy: sandbox` (a document S3 serves gets an opaque origin: no script,
 *   no forms, no same-origin access to anything), whatever Content-Type its uploader gave it. compat: AWS
 *   sends neither; it serves buckets from origins of their own, which a path-style endpoint cannot be.
 *   Images, video, text and downloads are unaffected; a sandboxed HTML page shows but does nothing.
 * - the portal's own presigned requests cross origins (the portal lives on an origin S3 never serves,
 *   config/portal-origin.ts): for a presigned request carrying exactly the portal's Origin, CORS allows
 *   that origin (no credentials; ETag readable for multipart uploads), and its preflight is answered here.
 *   Any other origin gets only what the bucket's own CORS configuration grants.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpResponse } from '../lib/http-response.js';

/** The part of config/portal-origin.ts S3 needs: is this Origin the portal's, for a request to `host`? */
export interface PortalOriginCheck {
  allowsOrigin(origin: string | undefined, host: string | undefined): boolean;
}

export const USER_CONTENT_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': 'sandbox',
};

const PORTAL_METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'];
/** Request headers the portal's uploads send (a file's type on PUT). */
const PORTAL_HEADERS = new Set(['content-type']);
const VARY = 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method';

function one(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Presigned (query-string) SigV4 authentication: how the portal signs every S3 request it makes. */
function isPresigned(req: IncomingMessage): boolean {
  return /[?&]X-Amz-Credential=/.test(req.url ?? '');
}

function fromPortal(req: IncomingMessage, portal: PortalOriginCheck | undefined): string | undefined {
  const origin = one(req, 'origin');
  return portal && isPresigned(req) && portal.allowsOrigin(origin, req.headers.host) ? origin : undefined;
}

/** Sets the headers above on a response before anything else is decided (errors carry them too). */
export function setBrowserHeaders(req: IncomingMessage, res: ServerResponse, portal: PortalOriginCheck | undefined): void {
  for (const [name, value] of Object.entries(USER_CONTENT_HEADERS)) res.setHeader(name, value);
  const origin = fromPortal(req, portal);
  if (origin === undefined) return;
  res.setHeader('access-control-allow-origin', origin);
  res.setHeader('access-control-expose-headers', 'ETag');
  res.setHeader('vary', VARY);
}

/** The preflight of a portal request (undefined: not one; the bucket's CORS rules decide). */
export function portalPreflight(req: IncomingMessage, portal: PortalOriginCheck | undefined): HttpResponse | undefined {
  const origin = fromPortal(req, portal);
  const method = one(req, 'access-control-request-method');
  if (origin === undefined || method === undefined || !PORTAL_METHODS.includes(method)) return undefined;
  const requested = (one(req, 'access-control-request-headers') ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (!requested.every((h) => PORTAL_HEADERS.has(h))) return undefined;
  req.resume();
  const headers: Record<string, string> = {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': PORTAL_METHODS.join(', '),
    'access-control-max-age': '600',
    vary: VARY,
    'content-length': '0',
  };
  if (requested.length) headers['access-control-allow-headers'] = requested.join(', ');
  return { status: 200, headers };
}
