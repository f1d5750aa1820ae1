/**
 * Serves the portal SPA (built by Vite into dist/web/) at /_admin/portal/. Hashed assets under assets/
 * are cached for a year (immutable); every other path that is not a file falls back to index.html (the
 * SPA routes itself), which is never cached. Every response carries a strict Content-Security-Policy
 * (no inline script, nothing from elsewhere but the S3 endpoint its presigned requests go to, no framing)
 * and the usual hardening headers.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PORTAL_PREFIX = '/_admin/portal/';

/** The portal's CSP; `s3Origin`: where its presigned S3 requests go (config/portal-origin.ts). */
export function portalCsp(s3Origin?: string): string {
  const connect = s3Origin ? `'self' ${s3Origin}` : "'self'";
  return `default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src ${connect}; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`;
}

export const PORTAL_SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': portalCsp(),
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
};

/** dist/web next to dist/src (built), or <repo>/dist/web when running from source with tsx. */
export function defaultPortalRoot(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  // From source (tsx) src/http → <repo>/dist/web; built dist/src/http → dist/web. <repo>/web holds the
  // sources, whose index.html has no built assets/: the `assets` check keeps it from being served.
  const candidates = [resolve(here, '../../dist/web'), resolve(here, '../../web')];
  return candidates.find((c) => existsSync(join(c, 'index.html')) && existsSync(join(c, 'assets'))) ?? candidates[0]!;
}

export class PortalStatic {
  constructor(private readonly root: string = defaultPortalRoot()) {}

  static owns(path: string): boolean {
    return path === '/_admin/portal' || path.startsWith(PORTAL_PREFIX);
  }

  /** `s3Origin`: the S3 endpoint the portal may connect to (its presigned requests), for the CSP. */
  serve(req: IncomingMessage, res: ServerResponse, s3Origin?: string): void {
    req.resume();
    const headers: Record<string, string> = { ...PORTAL_SECURITY_HEADERS, 'content-security-policy': portalCsp(s3Origin) };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...headers, allow: 'GET, HEAD', 'content-length': '0' });
      res.end();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://portal.invalid');
    if (url.pathname === '/_admin/portal') {
      res.writeHead(308, { ...headers, location: PORTAL_PREFIX, 'content-length': '0' });
      res.end();
      return;
    }
    let rel: string;
    try {
      rel = decodeURIComponent(url.pathname.slice(PORTAL_PREFIX.length));
    } catch {
      rel = '';
    }
    const file = this.resolveFile(rel);
    if (file === 'missing') {
      res.writeHead(404, { ...headers, 'content-type': 'text/plain; charset=utf-8' });
      res.end('Not found\n');
      return;
    }
    if (!file) {
      res.writeHead(503, { ...headers, 'content-type': 'text/plain; charset=utf-8' });
      res.end('The portal is not built: run `npm run build`.\n');
      return;
    }
    const isAsset = rel.startsWith('assets/') && file !== join(this.root, 'index.html');
    headers['content-type'] = TYPES[extname(file)] ?? 'application/octet-stream';
    headers['cache-control'] = isAsset ? 'public, max-age=31536000, immutable' : 'no-cache';
    headers['content-length'] = String(statSync(file).size);
    res.writeHead(200, headers);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(file).on('error', () => res.destroy()).pipe(res);
  }

  /** The file for a relative path inside the root, else index.html (SPA fallback), else undefined. */
  private resolveFile(rel: string): string | 'missing' | undefined {
    const root = resolve(this.root);
    if (rel !== '' && !rel.includes('\0')) {
      const p = resolve(root, normalize(rel));
      if (p.startsWith(root + sep) && existsSync(p) && statSync(p).isFile()) return p;
      // A missing hashed asset is a 404, not the index page (a stale tab must not parse HTML as JS).
      if (rel.startsWith('assets/')) return 'missing';
    }
    const index = join(root, 'index.html');
    return existsSync(index) ? index : undefined;
  }
}
