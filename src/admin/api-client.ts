/**
 * The typed client of the admin API, shared by the portal (browser) and the CLI (Node): one call per
 * route of the contract (contract.ts `AdminApi`), its path parameters, request body and response typed
 * from it, so neither can call a route the server does not have or send a body it does not take. How
 * requests travel (fetch with a session cookie and CSRF token, or with HTTP Basic) is the `Transport`
 * each side gives. Failures are `AdminApiError` with the server's problem document. No Node or DOM
 * specifics here: it uses `fetch`-shaped transports only.
 */
import type { AdminApi, AdminRouteKey, Problem } from './contract.js';

export const ADMIN_API_PREFIX = '/_admin/api/v1';

type PathOf<K extends string> = K extends `${string} ${infer P}` ? P : never;
type ParamNames<P extends string> = P extends `${string}{${infer N}}${infer Rest}` ? N | ParamNames<Rest> : never;
/** The path parameters of a route, e.g. { tenancy: string; bucket: string }. */
export type RouteParams<K extends AdminRouteKey> = { [N in ParamNames<PathOf<K>>]: string };
export type RouteBody<K extends AdminRouteKey> = AdminApi[K]['req'];
export type RouteResponse<K extends AdminRouteKey> = AdminApi[K]['res'];

export interface CallOptions<K extends AdminRouteKey> {
  params?: RouteParams<K>;
  body?: RouteBody<K>;
  query?: Record<string, string | undefined>;
}

/** What travels: method, path (after the prefix, with its query), body text, headers. */
export interface TransportRequest {
  method: string;
  path: string;
  body: string | undefined;
  headers: Record<string, string>;
}
export interface TransportResponse {
  status: number;
  text: string;
}
export type Transport = (r: TransportRequest) => Promise<TransportResponse>;

/** The server refused: its status and problem document (RFC 9457). */
export class AdminApiError extends Error {
  override name = 'AdminApiError';
  constructor(
    readonly status: number,
    readonly problem: Partial<Problem>,
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
  }

  /** The problem's type slug (e.g. 'unauthenticated', 'wrong-password', 'malformed-policy'). */
  get slug(): string {
    return (this.problem.type ?? '').split('/').pop() ?? '';
  }
}

/** `/tenancies/{tenancy}` with { tenancy: 'a b' } → `/tenancies/a%20b`. */
export function fillPath(template: string, params: Record<string, string> = {}): string {
  return template.replace(/\{([^}]+)\}/g, (_, n: string) => {
    const v = params[n];
    if (v === undefined) throw new Error(`missing path parameter "${n}" for ${template}`);
    return encodeURIComponent(v);
  });
}

export class AdminApiClient {
  constructor(private readonly transport: Transport) {}

  async call<K extends AdminRouteKey>(route: K, opts: CallOptions<K> = {}): Promise<RouteResponse<K>> {
    const space = route.indexOf(' ');
    const method = route.slice(0, space);
    let path = fillPath(route.slice(space + 1), opts.params as Record<string, string> | undefined);
    const q = Object.entries(opts.query ?? {}).filter((e): e is [string, string] => e[1] !== undefined);
    if (q.length) path += '?' + new URLSearchParams(q).toString();
    const headers: Record<string, string> = { accept: 'application/json' };
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    const r = await this.transport({ method, path, body, headers });
    let json: unknown;
    try {
      json = r.text ? JSON.parse(r.text) : undefined;
    } catch {
      json = r.status >= 400 ? { detail: r.text.trim() } : r.text;
    }
    if (r.status >= 400) throw new AdminApiError(r.status, (json ?? {}) as Partial<Problem>);
    return json as RouteResponse<K>;
  }
}
