/**
 * The listeners and dispatch. S3 listeners (internal HTTP, optional external HTTPS: same data) serve the S3
 * pipeline and `/_admin/health`; the portal and the admin API (`/_admin/portal/`, `/_admin/api/v1`) live on
 * an origin S3 never serves (config/portal-origin.ts): the portal listener, and requests naming the
 * configured portal host (`portalUrl`) on any listener. So user content can never run as the portal.
 * Tracks open connections so shutdown can stop accepting, let in-flight requests finish for a grace
 * period, then cut what is left.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { TlsPair } from './tls-reloader.js';
import { newRequestId } from '../lib/ids.js';
import type { Logger } from '../lib/log.js';
import type { S3Handler } from '../s3/handler.js';
import { AdminHandler } from '../admin/handler.js';
import { PortalStatic } from './portal-static.js';
import { closeAfterResponse } from './lingering-close.js';
import { send } from './send.js';
import type { Answer, FinishedRequest, RequestFacts } from '../lib/http-response.js';
import type { PortalOrigins } from '../config/portal-origin.js';
import { OpsEndpoints } from '../ops/endpoints.js';

/** Which listener a request arrived on. */
type Side = 's3' | 'portal' | 'metrics';

export interface HttpServerDeps {
  s3: S3Handler;
  log: Logger;
  /** The JSON admin API under /_admin/api/v1 (absent: those paths answer 404). */
  admin?: AdminHandler;
  /** The portal SPA at /_admin/portal/ (absent: served from dist/web when built). */
  portal?: PortalStatic;
  /** Where the portal lives; absent (unit tests): every listener serves everything, as a portal listener would not. */
  origins?: PortalOrigins;
  /** Health, readiness and metrics (absent: liveness only). */
  ops?: OpsEndpoints;
  /** Metrics are served on their own listener only (`listenMetrics`), not on the S3 and portal ones. */
  metricsListenerOnly?: boolean;
}

/** Called once for every finished request, with its facts (the access log, metrics). Must not throw. */
export type RequestFinishedListener = (r: FinishedRequest) => void;

const SERVER_OPTIONS = { keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: 60_000 };

/** How long nothing must be in flight before shutdown cuts the remaining (idle) connections. */
const SETTLE_MS = 250;

export class GranaryHttpServer {
  readonly server: Server;
  /** The external HTTPS listener, once `listenHttps` ran. */
  httpsServer: HttpsServer | undefined;
  /** The portal and admin API listener, once `listenPortal` ran. */
  portalServer: Server | undefined;
  /** The metrics listener, once `listenMetrics` ran. */
  metricsServer: Server | undefined;
  readonly #sockets = new Set<Socket>();
  /** The response being written on each socket, if any. */
  readonly #responding = new WeakMap<Socket, ServerResponse>();
  #inFlight = 0;
  #closing = false;
  readonly #finished: RequestFinishedListener[] = [];
  /** Bytes read and written on each connection up to the end of its last request (for bytes in/out). */
  readonly #counted = new WeakMap<Socket, { read: number; written: number }>();

  constructor(private readonly deps: HttpServerDeps) {
    this.server = createServer(SERVER_OPTIONS, (req, res) => this.onRequest(req, res, 's3'));
    this.attach(this.server, 's3');
  }

  /**
   * Adds a listener told about every finished request, once, with its facts (operation from the endpoint
   * table, tenancy, principal, status, error code, bytes in and out, duration).
   */
  onRequestFinished(listener: RequestFinishedListener): void {
    this.#finished.push(listener);
  }

  /** The same connection handling on every listener. */
  private attach(server: Server | HttpsServer, side: Side): void {
    // `Expect: 100-continue`: answer "100 Continue" only when an operation starts reading the body, so a
    // refused upload (no such bucket, access denied, quota) is refused before the client sends a byte.
    server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
      (req as IncomingMessage & { awaitingContinue?: boolean }).awaitingContinue = true;
      this.onRequest(req, res, side);
    });
    // Any other expectation is ignored, as S3 ignores it (Node would answer 417 Expectation Failed itself).
    server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => this.onRequest(req, res, side));
    server.on('connection', (s: Socket) => {
      this.#sockets.add(s);
      s.setNoDelay(true);
      s.on('close', () => this.#sockets.delete(s));
    });
    server.on('clientError', (err, socket) => {
      // Bytes after a request whose body was shorter than they claimed parse as garbage: if that request's
      // response is still being written, let it finish (the client gets the real S3 error), then close.
      // Only when that request was received whole: an early EOF mid-body must still tear the socket down
      // so the unfinished upload fails and is discarded.
      const inProgress = this.#responding.get(socket as Socket);
      if (inProgress && inProgress.req.complete && socket.writable) {
        inProgress.once('close', () => socket.end());
        return;
      }
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      else socket.destroy();
    });
  }

  private onRequest(req: IncomingMessage, res: ServerResponse, side: Side): void {
    const requestId = newRequestId();
    this.#inFlight++;
    this.#responding.set(req.socket, res);
    const facts: RequestFacts & { protocol?: FinishedRequest['protocol'] } = {};
    const started = performance.now();
    const socket = req.socket;
    res.on('close', () => {
      this.#inFlight--;
      if (this.#responding.get(req.socket) === res) this.#responding.delete(req.socket);
      if (this.#finished.length === 0) return;
      // The connection's bytes since the previous request on it ended: the parser reads a request's head
      // (and a small body) before the request starts, so counting from its start would miss them.
      const before = this.#counted.get(socket) ?? { read: 0, written: 0 };
      const now = { read: socket.bytesRead, written: socket.bytesWritten };
      this.#counted.set(socket, now);
      this.finished(req, res, requestId, facts, started, now.read - before.read, now.written - before.written);
    });
    if (this.#closing) res.setHeader('connection', 'close');
    const path = req.url ?? '/';
    const origins = this.deps.origins;
    const portalSide = !origins || side === 'portal' || origins.isPortalHost(req.headers.host);
    // Health, readiness and (guarded) metrics answer everywhere (load balancers check the S3 port).
    const ops = OpsEndpoints.owns(path);
    if (ops && (side === 'metrics' || !(ops === '/_admin/metrics' && this.deps.metricsListenerOnly))) {
      facts.protocol = 'health';
      (this.deps.ops ??= new OpsEndpoints()).serve(req, res, ops, this.#closing).catch((err: unknown) => {
        this.deps.log.error('unhandled ops request failure', { path: ops, err });
        res.destroy();
      });
      return;
    }
    if (side === 'metrics') {
      req.resume();
      notFound(res, 'this listener serves /_admin/metrics, /_admin/health and /_admin/ready only');
      return;
    }
    if (portalSide && path.startsWith('/_admin/')) {
      this.admin(req, res, path, requestId, facts);
      return;
    }
    if (origins && portalSide) {
      // The portal's origin serves no S3: a bare visit is sent to the portal, anything else is not here.
      req.resume();
      if ((req.method === 'GET' || req.method === 'HEAD') && (path === '/' || path === '')) {
        res.writeHead(302, { location: '/_admin/portal/', 'content-length': '0', 'cache-control': 'no-store' });
        res.end();
        return;
      }
      notFound(res, `this is the portal and admin API origin; S3 is not served here (${path})`);
      return;
    }
    if (origins && path.startsWith('/_admin/')) {
      // An S3 listener or host: the portal and admin API are never served here (user content's origin).
      req.resume();
      notFound(res, `the portal and admin API are not served on S3 endpoints: use ${origins.urlFor(req.headers.host)}${path}`);
      return;
    }
    facts.protocol = 's3';
    this.deps.s3
      .handle(req, res, requestId, facts)
      .then((a) => this.answer(req, res, a))
      .catch((err: unknown) => {
        this.deps.log.error('unhandled request failure', { requestId, err });
        res.destroy();
      });
  }

  private finished(req: IncomingMessage, res: ServerResponse, requestId: string, facts: RequestFacts & { protocol?: FinishedRequest['protocol'] }, started: number, bytesIn: number, bytesOut: number): void {
    const r: FinishedRequest = {
      requestId,
      protocol: facts.protocol ?? 'other',
      method: req.method ?? 'GET',
      operation: facts.operation,
      tenancy: facts.tenancy,
      principal: facts.principal,
      accessKeyId: facts.accessKeyId,
      bucket: facts.bucket,
      key: facts.key,
      status: res.statusCode,
      errorCode: facts.errorCode,
      bytesIn,
      bytesOut,
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
      aborted: !res.writableFinished,
    };
    if (facts.serverAccessLog) r.serverAccessLog = { ...facts.serverAccessLog, ...bodySizes(req, res, bytesOut, facts.key !== undefined) };
    for (const listener of this.#finished) {
      try {
        listener(r);
      } catch (err) {
        this.deps.log.error('request-finished listener failed', { requestId, err });
      }
    }
  }

  /** Writes a protocol handler's answer (S3 and the admin API alike), ending the connection as it asks. */
  private async answer(req: IncomingMessage, res: ServerResponse, a: Answer): Promise<void> {
    if (a.abort) {
      res.destroy();
      return;
    }
    if (a.closeConnection) closeAfterResponse(req, res);
    await send(res, a.response, a.headersOnly);
  }

  private admin(req: IncomingMessage, res: ServerResponse, path: string, requestId: string, facts: RequestFacts & { protocol?: FinishedRequest['protocol'] }): void {
    if (PortalStatic.owns(path)) {
      facts.protocol = 'portal';
      const origins = this.deps.origins;
      (this.deps.portal ??= new PortalStatic()).serve(req, res, origins?.s3OriginFor(origins.originOf(req.headers.host)));
      return;
    }
    if (this.deps.admin && AdminHandler.owns(path)) {
      const admin = this.deps.admin;
      // The portal origin the request was made on: session routes find it on their context (AdminRequestFacts).
      const origin = this.deps.origins?.originOf(req.headers.host) ?? `${(req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}`;
      facts.protocol = 'admin';
      admin
        .handle(req, requestId, origin, facts)
        .then((a) => this.answer(req, res, a))
        .catch((err: unknown) => {
          this.deps.log.error('unhandled admin request failure', { requestId, err });
          res.destroy();
        });
      return;
    }
    req.resume();
    notFound(res, `no admin resource at ${path}`);
  }

  listen(host: string, port: number): Promise<{ host: string; port: number }> {
    return listenOn(this.server, host, port);
  }

  /** Starts the portal and admin API listener (plain HTTP; put TLS in front and set `portalUrl`). */
  listenPortal(host: string, port: number): Promise<{ host: string; port: number }> {
    if (this.portalServer) throw new Error('the portal listener is already started');
    const server = createServer(SERVER_OPTIONS, (req, res) => this.onRequest(req, res, 'portal'));
    this.portalServer = server;
    this.attach(server, 'portal');
    return listenOn(server, host, port);
  }

  /** Requests being served now, on every listener (metrics). */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Starts a listener for health, readiness and metrics only (`listenMetrics`); anything else is 404. */
  listenMetrics(host: string, port: number): Promise<{ host: string; port: number }> {
    if (this.metricsServer) throw new Error('the metrics listener is already started');
    const server = createServer(SERVER_OPTIONS, (req, res) => this.onRequest(req, res, 'metrics'));
    this.metricsServer = server;
    this.attach(server, 'metrics');
    return listenOn(server, host, port);
  }

  /** Starts the external HTTPS listener with a certificate (replace it later with `setSecureContext`). */
  listenHttps(host: string, port: number, tls: TlsPair): Promise<{ host: string; port: number }> {
    if (this.httpsServer) throw new Error('the HTTPS listener is already started');
    const server = createHttpsServer({ ...SERVER_OPTIONS, cert: tls.cert, key: tls.key }, (req, res) => this.onRequest(req, res, 's3'));
    this.httpsServer = server;
    this.attach(server, 's3');
    return listenOn(server, host, port);
  }

  /**
   * Stops accepting, lets in-flight requests finish for up to `graceMs`, then destroys what is left.
   * Connections are not closed as soon as they look idle: a request may already be in a socket's buffer
   * without having been parsed yet. Instead every response now says `connection: close`, and sockets are
   * cut once nothing has been in flight for a short settle period (or at the deadline).
   */
  async close(graceMs = 10_000): Promise<void> {
    this.#closing = true;
    const closed = Promise.all(
      [this.server, this.httpsServer, this.portalServer, this.metricsServer].map((s) => (s && s.listening ? new Promise<void>((r) => s.close(() => r())) : undefined)),
    );
    const deadline = Date.now() + graceMs;
    let quietSince = Date.now();
    while (Date.now() < deadline) {
      if (this.#inFlight > 0) quietSince = Date.now();
      else if (Date.now() - quietSince >= SETTLE_MS) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    for (const s of this.#sockets) s.destroy();
    await closed;
  }
}

/** A path no listener side serves, as a problem document (written as every answer is, by send.ts). */
function notFound(res: ServerResponse, detail: string): void {
  const body = JSON.stringify({ type: 'about:blank', title: 'Not Found', status: 404, detail });
  void send(res, { status: 404, headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' }, body }, false);
}

function listenOn(server: Server | HttpsServer, host: string, port: number): Promise<{ host: string; port: number }> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const a = server.address();
      if (a && typeof a === 'object') resolve({ host: a.address, port: a.port });
      else resolve({ host, port });
    });
  });
}

/**
 * Response body bytes (what the connection carried less the head, at most the declared length) and, for a
 * request naming an object, the object's whole size where the exchange tells it (a Content-Range total,
 * a 200's length, an upload's declared length), for server access log records.
 */
function bodySizes(req: IncomingMessage, res: ServerResponse, bytesOut: number, object: boolean): { bytesSent: number; objectSize?: number } {
  // The head as written (Node keeps it until the response is done); what came after it is the body.
  const head = (res as unknown as { _header?: string | null })._header?.length ?? 0;
  const length = Number(res.getHeader('content-length') ?? Number.NaN);
  let bytesSent = req.method === 'HEAD' ? 0 : Math.max(0, bytesOut - head);
  if (Number.isFinite(length)) bytesSent = Math.min(bytesSent, length);
  if (!object) return { bytesSent };
  const total = /\/(\d+)$/.exec(String(res.getHeader('content-range') ?? ''));
  if (total) return { bytesSent, objectSize: Number(total[1]) };
  const read = req.method === 'GET' || req.method === 'HEAD';
  if (read && res.statusCode === 200 && Number.isFinite(length)) return { bytesSent, objectSize: length };
  const declared = Number(req.headers['x-amz-decoded-content-length'] ?? req.headers['content-length'] ?? Number.NaN);
  if (req.method === 'PUT' && Number.isFinite(declared)) return { bytesSent, objectSize: declared };
  return { bytesSent };
}
