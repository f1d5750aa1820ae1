/**
 * The OpenAPI document of this API (docs/openapi.json), served as written. It is found by walking up from
 * this module, so it works both from src/ (tsx) and from dist/src/ (built).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AdminRoute } from '../context.js';
import { AdminProblem } from '../problems.js';

let cached: string | undefined;

export function openApiPath(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = join(dir, 'docs', 'openapi.json');
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  return undefined;
}

export function openApiDocument(): string {
  if (cached === undefined) {
    const p = openApiPath();
    if (!p) throw new AdminProblem(404, 'the OpenAPI document (docs/openapi.json) is not installed');
    cached = readFileSync(p, 'utf8');
  }
  return cached;
}

export const openApiRoutes: AdminRoute[] = [
  {
    method: 'GET', path: '/ca.pem', access: { kind: 'public' }, summary: "The private CA certificate of the site's external endpoint (for clients' configuration)",
    handle: async (ctx) => {
      if (!ctx.services.tlsCa) throw new AdminProblem(404, 'this site does not use a private CA (its certificate is from a public one)');
      return { status: 200, raw: { contentType: 'application/x-pem-file', data: readFileSync(ctx.services.tlsCa) }, headers: { 'content-disposition': 'attachment; filename="granary-ca.pem"' } };
    },
  },
  {
    method: 'GET', path: '/openapi.json', access: { kind: 'public' }, summary: 'This OpenAPI document',
    handle: async () => ({ status: 200, raw: { contentType: 'application/json', data: openApiDocument() } }),
  },
];
