/**
 * The admin API's routing: (method, path) → one route and its path parameters. Templates are written as
 * in OpenAPI (`/tenancies/{tenancy}/members/{user}`). Which route wins never depends on the order routes
 * are listed in: a literal segment beats a parameter at the first position where they differ, and two
 * routes that would match the same paths equally are refused when the router is built.
 */
import type { Role } from '../metadata/store.js';

/**
 * Who may call a route; checked once in handler.ts before the route runs. A site administrator passes
 * every check. `tenancy` needs a `{tenancy}` parameter and one of `roles` there; `self` needs a `{user}`
 * parameter naming the caller.
 */
export type Access =
  | { kind: 'public' }
  | { kind: 'authenticated' }
  | { kind: 'site-admin' }
  | { kind: 'tenancy'; roles: readonly Role[] }
  | { kind: 'self' };

export interface RouteDef<H> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** OpenAPI-style template relative to /_admin/api/v1. */
  path: string;
  access: Access;
  /** One line for `--help`-like listings and the OpenAPI summary check. */
  summary: string;
  handle: H;
}

type Segment = { literal: string } | { param: string };

interface Compiled<H> {
  def: RouteDef<H>;
  segments: Segment[];
}

export type RouteMatch<H> =
  | { kind: 'found'; route: RouteDef<H>; params: Record<string, string> }
  | { kind: 'method-not-allowed'; allowed: string[] }
  | { kind: 'not-found' };

function compile(path: string): Segment[] {
  return path
    .split('/')
    .filter((s) => s !== '')
    .map((s) => (s.startsWith('{') && s.endsWith('}') ? { param: s.slice(1, -1) } : { literal: s }));
}

const shapeOf = (segs: Segment[]): string => segs.map((s) => ('literal' in s ? s.literal : '{}')).join('/');

export class AdminRouter<H> {
  readonly #routes: Compiled<H>[];

  constructor(routes: ReadonlyArray<RouteDef<H>>) {
    const seen = new Set<string>();
    this.#routes = routes.map((def) => {
      const segments = compile(def.path);
      const shape = `${def.method} /${shapeOf(segments)}`;
      if (seen.has(shape)) throw new Error(`admin routes: ${def.method} ${def.path} is ambiguous with another route`);
      seen.add(shape);
      return { def, segments };
    });
  }

  /** Every route (method and template), for documentation checks. */
  routes(): ReadonlyArray<RouteDef<H>> {
    return this.#routes.map((r) => r.def);
  }

  match(method: string, path: string): RouteMatch<H> {
    let parts: string[];
    try {
      parts = path.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
    } catch {
      return { kind: 'not-found' };
    }
    const candidates = this.#routes.filter((r) => r.segments.length === parts.length && r.segments.every((s, i) => !('literal' in s) || s.literal === parts[i]));
    if (candidates.length === 0) return { kind: 'not-found' };
    const forMethod = candidates.filter((r) => r.def.method === method);
    if (forMethod.length === 0) return { kind: 'method-not-allowed', allowed: [...new Set(candidates.map((r) => r.def.method))].sort() };
    // Most specific: a literal beats a parameter at the first position where two routes differ.
    forMethod.sort((a, b) => {
      for (let i = 0; i < a.segments.length; i++) {
        const la = 'literal' in a.segments[i]! ? 1 : 0;
        const lb = 'literal' in b.segments[i]! ? 1 : 0;
        if (la !== lb) return lb - la;
      }
      return 0;
    });
    const best = forMethod[0]!;
    const params: Record<string, string> = {};
    best.segments.forEach((s, i) => {
      if ('param' in s) params[s.param] = parts[i]!;
    });
    return { kind: 'found', route: best.def, params };
  }
}
