/**
 * The operator's endpoints, on every listener (they hold no user content and no secret):
 * - `/_admin/health`: liveness — the process answers (200, `stopping` while it shuts down);
 * - `/_admin/ready`: readiness — metadata store reachable, migrations done, data directory writable, not
 *   shutting down; 503 otherwise, so a load balancer sends no requests to a gateway that would fail them;
 * - `/_admin/metrics`: Prometheus metrics (ops/metrics.ts), only when configured and only to a client that
 *   shows the bearer token and/or comes from an allowed address; anyone else gets 404 (as if not there).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
import { unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { clientAddress, parseTrustedProxies } from '../iam/client-address.js';
import { cidrContains } from '../iam/policy/cidr.js';
import type { Cidr } from '../iam/policy/types.js';
import type { StoreLifecycle } from '../metadata/store.js';
import type { Metrics } from './metrics.js';

const PATHS = new Set(['/_admin/health', '/_admin/ready', '/_admin/metrics']);
/** A readiness check that has not answered by then has failed (a hung database must not hang the probe). */
const CHECK_TIMEOUT_MS = 2_000;

export interface OpsEndpointsDeps {
  /** Readiness asks it for pending migrations (and so whether it is reachable). */
  metadata?: Pick<StoreLifecycle, 'pendingMigrations'>;
  /** The data directory, probed for writes by readiness. */
  dataDir?: string;
  metrics?: Metrics;
  /** Who may read the metrics (config `metrics`): a bearer token, an address list, or both. */
  access?: { token: string | undefined; allow: readonly string[]; trustedProxies: readonly string[] };
}

export class OpsEndpoints {
  readonly #allow: Cidr[];
  readonly #trusted: Cidr[];
  readonly #tokenHash: Buffer | undefined;

  constructor(private readonly deps: OpsEndpointsDeps = {}) {
    this.#allow = parseTrustedProxies(deps.access?.allow ?? []);
    this.#trusted = parseTrustedProxies(deps.access?.trustedProxies ?? []);
    this.#tokenHash = deps.access?.token === undefined ? undefined : sha256(deps.access.token);
  }

  /** The path without its query, when it is one of ours. */
  static owns(url: string): string | undefined {
    if (!url.startsWith('/_admin/')) return undefined; // every S3 request asks: answer those at once
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    return PATHS.has(path) ? path : undefined;
  }

  async serve(req: IncomingMessage, res: ServerResponse, path: string, stopping: boolean): Promise<void> {
    req.resume();
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      answer(res, req, 405, 'application/json', JSON.stringify({ status: 'method not allowed' }), { allow: 'GET, HEAD' });
      return;
    }
    if (path === '/_admin/health') {
      answer(res, req, 200, 'application/json', JSON.stringify({ status: stopping ? 'stopping' : 'ok' }));
      return;
    }
    if (path === '/_admin/ready') {
      const checks = await this.readiness(stopping);
      const ready = Object.values(checks).every((v) => v === 'ok');
      answer(res, req, ready ? 200 : 503, 'application/json', JSON.stringify({ status: ready ? 'ready' : 'not ready', checks }));
      return;
    }
    const metrics = this.deps.metrics;
    if (!metrics || !this.admits(req)) {
      answer(res, req, 404, 'application/problem+json', JSON.stringify({ type: 'about:blank', title: 'Not Found', status: 404, detail: 'no admin resource at /_admin/metrics' }));
      return;
    }
    const { contentType, body } = await metrics.exposition();
    answer(res, req, 200, contentType, body);
  }

  /** Token (constant-time) and address list, whichever are configured; both when both are. */
  private admits(req: IncomingMessage): boolean {
    if (this.#tokenHash) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
      if (!m || !timingSafeEqual(sha256(m[1]!), this.#tokenHash)) return false;
    }
    if (this.#allow.length > 0 || !this.#tokenHash) {
      const addr = clientAddress(req, this.#trusted);
      if (!this.#allow.some((c) => cidrContains(c, addr))) return false;
    }
    return true;
  }

  private async readiness(stopping: boolean): Promise<Record<string, string>> {
    const checks: Record<string, string> = { shutdown: stopping ? 'stopping' : 'ok' };
    const { metadata, dataDir } = this.deps;
    // The migrations query is the reachability probe too: one round trip answers both.
    const [pending, data] = await Promise.all([
      metadata ? timed(metadata.pendingMigrations()) : 0,
      dataDir ? timed(probeWrite(dataDir)) : 'ok',
    ]);
    checks.metadata = typeof pending === 'number' ? 'ok' : pending;
    checks.migrations = typeof pending !== 'number' ? 'unknown' : pending === 0 ? 'ok' : `${pending} pending`;
    checks.dataDir = data;
    return checks;
  }
}

/** Writes and removes a small file: a read-only or full filesystem fails here (its error code says which). */
async function probeWrite(dir: string): Promise<'ok'> {
  const file = join(dir, `.ready-probe-${process.pid}`);
  await writeFile(file, 'ready\n');
  await unlink(file);
  return 'ok';
}

/** The check's answer, or what went wrong (an error code, never a path or a message with details). */
function timed<T>(p: Promise<T>): Promise<T | string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), CHECK_TIMEOUT_MS);
    timer.unref();
  });
  return Promise.race([p.catch((e: unknown) => `failed (${(e as { code?: unknown }).code ?? 'error'})`), timeout]).finally(() => clearTimeout(timer));
}

const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest();

function answer(res: ServerResponse, req: IncomingMessage, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'content-length': String(Buffer.byteLength(body)), 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...extra });
  res.end(req.method === 'HEAD' ? undefined : body);
}
