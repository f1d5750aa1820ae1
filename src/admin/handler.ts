/**
 * The admin API pipeline, once for every request under /_admin/api/v1:
 *   route → refuse cross-site requests and non-JSON bodies (request-guard.ts) → authenticate (one
 *   AdminPrincipal) → resolve {tenancy} → authorize by the route's `access` → handler → JSON, with every
 *   failure answered as application/problem+json (RFC 9457) here. The answer is written by the HTTP
 *   server (http/server.ts, http/send.ts), as the S3 pipeline's is: this file never touches the socket.
 * Authorization is decided only here, from the route table, never inside a handler; services add the
 * finer rules of their domain (e.g. a DEPUTY cannot make a MANAGER).
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { isS3Error } from '../errors/s3-error.js';
import type { Logger } from '../lib/log.js';
import type { Answer, RequestFacts } from '../lib/http-response.js';
import type { Role, TenancyRecord } from '../metadata/store.js';
import { DomainError } from '../tenancy/domain-error.js';
import { isMetadataUnavailable } from '../metadata/unavailable.js';
import { PolicyError } from '../iam/policy/parse.js';
import { isStorageFull } from '../errors/storage-full.js';
import type { ActingRole } from '../tenancy/membership.js';
import type { AdminAuthenticator } from './auth.js';
import type { AdminContext, AdminPrincipal, AdminResult, AdminRoute, AdminServices } from './context.js';
import type { Problem } from './contract.js';
import { AdminProblem, problem } from './problems.js';
import { AdminRouter } from './router.js';
import { readCookie, SESSION_COOKIE } from './session.js';
import { challengeFor, checkJsonBody, checkOrigin } from './request-guard.js';
import { ADMIN_API_PREFIX, ADMIN_ROUTES } from './routes.js';

const MAX_BODY = 1024 * 1024;
const DOMAIN_STATUS: Record<DomainError['kind'], number> = { invalid: 400, forbidden: 403, 'not-found': 404, conflict: 409 };

export interface AdminHandlerDeps {
  services: AdminServices;
  authenticator: AdminAuthenticator;
  log: Logger;
}

export class AdminHandler {
  readonly router = new AdminRouter(ADMIN_ROUTES);

  constructor(private readonly deps: AdminHandlerDeps) {}

  /** Whether this request-target belongs to the admin API. */
  static owns(path: string): boolean {
    return path === ADMIN_API_PREFIX || path.startsWith(ADMIN_API_PREFIX + '/') || path.startsWith(ADMIN_API_PREFIX + '?');
  }

  /** `portalOrigin`: the portal origin the request was made on (config/portal-origin.ts). */
  async handle(req: IncomingMessage, requestId: string, portalOrigin: string, facts: RequestFacts = {}): Promise<Answer> {
    let result: AdminResult;
    try {
      result = await this.run(req, portalOrigin, facts);
    } catch (e) {
      result = this.failure(e, requestId);
      const p = result.body as Partial<Problem> | undefined;
      facts.errorCode = typeof p?.type === 'string' ? p.type.slice(p.type.lastIndexOf('/') + 1) : String(result.status);
    }
    if (!req.complete) req.resume();
    const headers: Record<string, string> = { 'cache-control': 'no-store', 'x-request-id': requestId, ...result.headers };
    if (result.status === 204 || (result.body === undefined && !result.raw)) return { response: { status: result.status, headers }, headersOnly: true };
    const isProblem = typeof result.body === 'object' && result.body !== null && 'type' in result.body && 'status' in result.body && result.status >= 400;
    const data = result.raw ? result.raw.data : JSON.stringify(result.body);
    headers['content-type'] = result.raw ? result.raw.contentType : isProblem ? 'application/problem+json' : 'application/json';
    headers['content-length'] = String(Buffer.byteLength(data));
    return { response: { status: result.status, headers, body: data }, headersOnly: req.method === 'HEAD' };
  }

  private async run(req: IncomingMessage, portalOrigin: string, facts: RequestFacts): Promise<AdminResult> {
    const url = new URL(req.url ?? '/', 'http://admin.invalid');
    const path = url.pathname.slice(ADMIN_API_PREFIX.length) || '/';
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    const m = this.router.match(method, path);
    if (m.kind === 'not-found') throw new AdminProblem(404, `no admin API resource at ${url.pathname}`);
    if (m.kind === 'method-not-allowed') throw new AdminProblem(405, `${method} is not allowed on ${url.pathname} (allowed: ${m.allowed.join(', ')})`, undefined, { allow: m.allowed.join(', ') });
    const route = m.route;
    facts.operation = `${route.method} ${route.path}`;
    if (m.params.tenancy !== undefined) facts.tenancy = m.params.tenancy;
    // Before any credential is looked at: a cross-site request is no password guess either.
    if (method !== 'GET') {
      checkOrigin(req, portalOrigin);
      checkJsonBody(req);
    }

    let principal: AdminPrincipal | undefined;
    if (route.access.kind !== 'public') {
      const auth = await this.deps.authenticator.authenticate(req);
      const challenge = challengeFor(req);
      if (auth.kind === 'none') throw new AdminProblem(401, 'sign in: send HTTP Basic credentials (username and password)', undefined, challenge);
      if (auth.kind === 'invalid') throw new AdminProblem(401, auth.detail, undefined, challenge);
      principal = auth.principal;
      facts.principal = principal.user.username;
    }
    const { tenancy, acting } = await this.authorize(route, principal, m.params);

    let raw: Promise<Buffer> | undefined;
    const readRaw = (): Promise<Buffer> => (raw ??= readBody(req));
    const ctx: AdminContext = {
      services: this.deps.services,
      request: {
        sessionId: readCookie(req, SESSION_COOKIE),
        address: this.deps.services.clientAddress(req),
        tls: (req.socket as TLSSocket).encrypted === true || portalOrigin.startsWith('https:'),
        origin: portalOrigin,
      },
      principal,
      params: m.params,
      query: url.searchParams,
      tenancy,
      acting,
      text: async () => (await readRaw()).toString('utf8'),
      body: async () => {
        const text = (await readRaw()).toString('utf8');
        if (text.trim() === '') return {};
        try {
          return JSON.parse(text) as unknown;
        } catch (e) {
          throw new AdminProblem(400, `the request body is not valid JSON: ${(e as Error).message}`);
        }
      },
    };
    return route.handle(ctx);
  }

  /** The one authorization decision of the admin API, from the route's `access`. */
  private async authorize(route: AdminRoute, principal: AdminPrincipal | undefined, params: Record<string, string>): Promise<{ tenancy?: TenancyRecord; acting?: ActingRole }> {
    const access = route.access;
    if (access.kind === 'public' || !principal) return {};
    const siteAdmin = principal.user.isSiteAdmin;
    if (access.kind === 'site-admin' && !siteAdmin) throw new AdminProblem(403, 'this needs a site administrator');
    if (access.kind === 'self' && !siteAdmin && params.user !== principal.user.username) throw new AdminProblem(403, 'you may change only your own account');

    if (params.tenancy === undefined) return {};
    const tenancy = await this.deps.services.metadata.getTenancyByName(params.tenancy);
    if (!tenancy) throw new AdminProblem(404, `no tenancy named "${params.tenancy}"`);
    if (siteAdmin) return { tenancy, acting: 'site-admin' };
    const membership = await this.deps.services.metadata.getMembership(tenancy.id, principal.user.id);
    if (!membership) throw new AdminProblem(403, `you are not a member of ${tenancy.name}`);
    if (access.kind === 'tenancy' && !(access.roles as readonly Role[]).includes(membership.role)) {
      throw new AdminProblem(403, `this needs the role ${access.roles.join(' or ')} in ${tenancy.name}; you are ${membership.role}`);
    }
    return { tenancy, acting: membership.role };
  }

  private failure(e: unknown, requestId: string): AdminResult {
    let p: Problem;
    let headers: Record<string, string> = {};
    if (e instanceof AdminProblem) {
      p = problem(e.status, e.message, e.slug);
      headers = e.headers;
    } else if (e instanceof DomainError) {
      p = problem(DOMAIN_STATUS[e.kind], e.message);
    } else if (isS3Error(e)) {
      // compat: S3-side validation (bucket policies) reused here; its code becomes the problem type.
      const status = e.code === 'MalformedPolicy' ? 400 : e.status;
      // A policy's precise reason (S3 answers AWS's shorter message for some).
      const detail = e.cause instanceof PolicyError ? e.cause.message : e.message;
      p = problem(status, detail, e.code.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase());
    } else if (isStorageFull(e)) {
      this.deps.log.warn('storage full', { requestId, err: (e as Error).message });
      p = problem(507, 'the store is out of space; delete data to free some', 'insufficient-storage');
    } else if (isMetadataUnavailable(e)) {
      this.deps.log.warn('metadata store unavailable', { requestId, err: (e as Error).message });
      p = problem(503, 'the metadata store is unreachable; please retry', 'service-unavailable');
      headers = { 'retry-after': '1' };
    } else {
      this.deps.log.error('admin request failed', { requestId, err: e });
      p = problem(500, `internal error (request id ${requestId})`);
    }
    return { status: p.status, body: p, headers };
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY) {
      reject(new AdminProblem(413, `the request body must be at most ${MAX_BODY} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        req.destroy();
        reject(new AdminProblem(413, `the request body must be at most ${MAX_BODY} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
