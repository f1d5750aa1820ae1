/**
 * A small typed client for the admin API (`/_admin/api/v1`, HTTP Basic, on the server's portal origin —
 * `TestServer.portalUrl`, never the S3 endpoint), built from src/admin/contract.ts,
 * plus fixtures the tenancy/permission/quota tests share: users with keys in tenancies, S3 clients that
 * address a tenancy by host name (`<tenancy>.s3.localhost`) without touching DNS or /etc/hosts, and raw
 * (anonymous or Host-rewritten) HTTP requests. Tests set up state only through this API.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { LookupFunction } from 'node:net';
import type * as C from '../../src/admin/contract.js';
import type { TestServer } from './server.js';

export const ADMIN_USER = 'admin';
export const ADMIN_PASSWORD = 'admin-password-for-tests';
export const API = '/_admin/api/v1';

export class AdminApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly problem: Partial<C.Problem> | string,
  ) {
    super(`${method} ${API}${path} → ${status}: ${typeof problem === 'string' ? problem : `${problem.title ?? ''}: ${problem.detail ?? ''}`}`);
  }
}

const enc = encodeURIComponent;

export class AdminClient {
  constructor(
    readonly baseUrl: string,
    readonly username: string,
    readonly password: string,
  ) {}

  /** The site administrator on the server's admin API (its portal origin). */
  static site(s: TestServer): AdminClient {
    return new AdminClient(s.portalUrl, ADMIN_USER, ADMIN_PASSWORD);
  }

  /** The same API as another user (their own password). */
  as(username: string, password: string): AdminClient {
    return new AdminClient(this.baseUrl, username, password);
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {
      authorization: 'Basic ' + Buffer.from(`${this.username}:${this.password}`).toString('base64'),
      accept: 'application/json',
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const r = await fetch(this.baseUrl + API + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    if (!r.ok) {
      let problem: Partial<C.Problem> | string = text;
      try {
        problem = JSON.parse(text) as C.Problem;
      } catch {
        /* not JSON */
      }
      throw new AdminApiError(method, path, r.status, problem);
    }
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  /** The raw text of a GET, for grepping secrets. */
  async raw(path: string): Promise<string> {
    const r = await fetch(this.baseUrl + API + path, {
      headers: { authorization: 'Basic ' + Buffer.from(`${this.username}:${this.password}`).toString('base64') },
    });
    return r.text();
  }

  // Identity
  me = () => this.request<C.Me>('GET', '/me');
  openapi = () => this.request<{ openapi: string; paths: Record<string, unknown> }>('GET', '/openapi.json');

  // Tenancies
  listTenancies = () => this.request<C.ListResponse<C.Tenancy>>('GET', '/tenancies');
  createTenancy = (req: C.CreateTenancyRequest) => this.request<C.TenancyDetail>('POST', '/tenancies', req);
  showTenancy = (t: string) => this.request<C.TenancyDetail>('GET', `/tenancies/${enc(t)}`);
  updateTenancy = (t: string, req: C.UpdateTenancyRequest) => this.request<C.TenancyDetail>('PATCH', `/tenancies/${enc(t)}`, req);
  deleteTenancy = (t: string) => this.request<void>('DELETE', `/tenancies/${enc(t)}`);
  getQuota = (t: string) => this.request<C.QuotaResponse>('GET', `/tenancies/${enc(t)}/quota`);
  setQuota = (t: string, req: C.SetQuotaRequest) => this.request<C.QuotaResponse>('PUT', `/tenancies/${enc(t)}/quota`, req);
  usage = (t: string) => this.request<C.UsageResponse>('GET', `/tenancies/${enc(t)}/usage`);
  repairUsage = (t: string, fix = false) => this.request<C.UsageRepairResponse>('POST', `/tenancies/${enc(t)}/usage/repair${fix ? '?fix=true' : ''}`);

  /** Bucket quota inside the tenancy's (bytes/objects; null = none). */
  setBucketQuota = (t: string, b: string, req: { bytes?: number | string | null; objects?: number | null }) =>
    this.request<C.BucketQuotaResponse>('PUT', `/tenancies/${enc(t)}/buckets/${enc(b)}/quota`, req);

  // Members
  listMembers = (t: string) => this.request<C.ListResponse<C.Member>>('GET', `/tenancies/${enc(t)}/members`);
  addMember = (t: string, req: C.AddMemberRequest) => this.request<C.Member>('POST', `/tenancies/${enc(t)}/members`, req);
  setRole = (t: string, user: string, req: C.SetRoleRequest) => this.request<C.Member>('PUT', `/tenancies/${enc(t)}/members/${enc(user)}`, req);
  removeMember = (t: string, user: string) => this.request<void>('DELETE', `/tenancies/${enc(t)}/members/${enc(user)}`);

  // Users and groups
  listUsers = () => this.request<C.ListResponse<C.User>>('GET', '/users');
  createUser = (req: C.CreateUserRequest) => this.request<C.User>('POST', '/users', req);
  listGroups = () => this.request<C.ListResponse<C.Group>>('GET', '/groups');
  createGroup = (req: C.CreateGroupRequest) => this.request<C.Group>('POST', '/groups', req);
  addGroupMember = (g: string, req: C.AddGroupMemberRequest) => this.request<unknown>('POST', `/groups/${enc(g)}/members`, req);

  // My keys (as the calling user)
  listKeys = () => this.request<C.ListResponse<C.AccessKey>>('GET', '/me/keys');
  createKey = (req: C.CreateAccessKeyRequest) => this.request<C.CreatedAccessKey>('POST', '/me/keys', req);
  deleteKey = (id: string) => this.request<void>('DELETE', `/me/keys/${enc(id)}`);

  // Bucket policies
  getPolicy = (t: string, b: string) => this.request<C.BucketPolicyResponse>('GET', `/tenancies/${enc(t)}/buckets/${enc(b)}/policy`);
  setPolicy = (t: string, b: string, policy: unknown) => this.request<unknown>('PUT', `/tenancies/${enc(t)}/buckets/${enc(b)}/policy`, policy);
  deletePolicy = (t: string, b: string) => this.request<void>('DELETE', `/tenancies/${enc(t)}/buckets/${enc(b)}/policy`);
}

/** A user with a password and one access key for one tenancy. */
export interface Actor {
  username: string;
  password: string;
  tenancy: string;
  key: C.CreatedAccessKey;
  api: AdminClient;
}

const inDays = (d: number): string => new Date(Date.now() + d * 86_400_000).toISOString();

/**
 * Creates (if needed) a user, makes them a member of `tenancy` with `role` (unless role is null) and
 * creates a key for them there, as that user.
 */
export async function makeActor(
  admin: AdminClient,
  username: string,
  tenancy: string,
  role: C.Role | null,
  keyOpts: Partial<C.CreateAccessKeyRequest> = {},
): Promise<Actor> {
  const password = `pw-${username}-0123456789`;
  const existing = (await admin.listUsers()).items.some((u) => u.username === username);
  if (!existing) await admin.createUser({ username, password, displayName: username, email: `${username}@example.org` });
  if (role !== null) await admin.addMember(tenancy, { username, role });
  const api = admin.as(username, password);
  const key = await api.createKey({ tenancy, name: `${username}-key`, expiresAt: inDays(7), ...keyOpts });
  return { username, password, tenancy, key, api };
}

/** Another key for an existing actor. */
export async function extraKey(a: Actor, opts: Partial<C.CreateAccessKeyRequest> & { name: string }): Promise<C.CreatedAccessKey> {
  return a.api.createKey({ tenancy: a.tenancy, expiresAt: inDays(7), ...opts });
}

/** An HTTP agent that sends every connection to 127.0.0.1, whatever host name the URL names. */
export function loopbackAgent(): Agent {
  const lookup = ((_host: string, opts: { all?: boolean }, cb: (...a: unknown[]) => void) => {
    if (opts?.all) cb(null, [{ address: '127.0.0.1', family: 4 }]);
    else cb(null, '127.0.0.1', 4);
  }) as unknown as LookupFunction;
  return new Agent({ keepAlive: true, lookup });
}

export interface ClientOpts {
  /** Address this host name (e.g. `t.s3.localhost`), still connecting to 127.0.0.1. */
  host?: string;
  /** Virtual-hosted style (bucket in the host name). Default: path style. */
  virtualHost?: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string } | 'anonymous';
}

/** An SDK client for the test server as `key` (or anonymous), optionally at a tenancy host name. */
export function s3For(s: TestServer, key: { accessKeyId: string; secretAccessKey: string } | 'anonymous', opts: Omit<ClientOpts, 'credentials'> = {}): S3Client {
  const endpoint = opts.host ? `http://${opts.host}:${s.port}` : s.url;
  // Dynamic import avoided: NodeHttpHandler is re-exported by the SDK's dependency tree.
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: !opts.virtualHost,
    requestHandler: { httpAgent: loopbackAgent() } as never,
    ...(key === 'anonymous'
      ? { signer: { sign: async (r: unknown) => r } as never, credentials: { accessKeyId: '', secretAccessKey: '' } }
      : { credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey } }),
  });
  return client;
}

export function creds(k: C.CreatedAccessKey): { accessKeyId: string; secretAccessKey: string } {
  return { accessKeyId: k.accessKeyId, secretAccessKey: k.secretAccessKey };
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A plain HTTP request to the server (unsigned unless you add headers), with any Host header: to the S3
 * listener, or with `portal: true` to the portal and admin API listener (`/_admin/api/v1/…` lives there).
 */
export function rawRequest(s: TestServer, method: string, path: string, opts: { host?: string; headers?: Record<string, string>; body?: string | Buffer; portal?: boolean } = {}): Promise<RawResponse> {
  const port = opts.portal ? s.portalPort : s.port;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: { host: opts.host ? `${opts.host}:${port}` : `127.0.0.1:${port}`, ...(opts.body !== undefined ? { 'content-length': String(Buffer.byteLength(opts.body)) } : {}), ...opts.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** The S3 error code of an SDK failure (or 'OK'). */
export async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (e) {
    const err = e as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
    return err.Code ?? err.name ?? String(e);
  }
}

/** A fresh name unlikely to clash across runs (S3 bucket name rules). */
export function uniq(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
}
