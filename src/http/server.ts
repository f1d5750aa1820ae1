/**
 * The listeners (internal HTTP, optional external HTTPS: same dispatch, same data) and dispatch: `/_admin/…` for health (and later the admin API and portal), everything
 * else to the S3 pipeline. Tracks open connections so shutdown can stop accepting, let in-flight requests
 * finish for a grace period, then cut what is left.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { TlsPair } from './tls-reloader.js';
import { newRequestId } from '../lib/ids.js';
import type { Logger } from '../lib/log.js';
import type { S3Handler } from '../s3/handler.js';
import { AdminHandler } from '../admin/handler.js';
import { withRequest } from '../admin/session.js';
import { PortalStatic } from './portal-static.js';

export interface HttpServerDeps {
  s3: S3Handler;
  log: Logger;
  /** The JSON admin API under /_admin/api/v1 (absent: those paths answer 404). */
  admin?: AdminHandler;
  /** The portal SPA at /_admin/portal/ (absent: served from dist/web when built). */
  portal?: PortalStatic;
}

const SERVER_OPTIONS = { keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: 60_000 };

/** How long nothing must be in flight before shutdown cuts the remaining (idle) connections. */
const SETTLE_MS = 250;

export class GranaryHttpServer {
  readonly server: Server;
  /** The external HTTPS listener, once `listenHttps` ran. */
  httpsServer: HttpsServer | undefined;
  readonly #sockets = new Set<Socket>();
  /** The response being written on each socket, if any. */
  readonly #responding = new WeakMap<Socket, ServerResponse>();
  #inFlight = 0;
  #closing = false;

  constructor(private readonly deps: HttpServerDeps) {
    this.server = createServer(SERVER_OPTIONS, (req, res) => this.onRequest(req, res));
    this.attach(this.server);
  }

  /** The same connection handling on every listener. */
  private attach(server: Server | HttpsServer): void {
    // `Expect: 100-continue`: answer "100 Continue" only when an operation starts reading the body, so a
    // refused upload (no such bucket, access denied, quota) is refused before the client sends a byte.
    server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
      (req as IncomingMessage & { awaitingContinue?: boolean }).awaitingContinue = true;
      this.onRequest(req, res);
    });
    // Any other expectation is ignored, as S3 ignores it (Node would answer 417 Expectation Failed itself).
    server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => this.onRequest(req, res));
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

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const requestId = newRequestId();
    this.#inFlight++;
    this.#responding.set(req.socket, res);
    res.on('close', () => {
      this.#inFlight--;
      if (this.#responding.get(req.socket) === res) this.#responding.delete(req.socket);
    });
    if (this.#closing) res.setHeader('connection', 'close');
    const path = req.url ?? '/';
    if (path.startsWith('/_admin/')) {
      this.admin(req, res, path, requestId);
      return;
    }
    this.deps.s3.handle(req, res, requestId).catch((err: unknown) => {
      this.deps.log.error('unhandled request failure', { requestId, err });
      res.destroy();
    });
  }

  private admin(req: IncomingMessage, res: ServerResponse, path: string, requestId: string): void {
    if (path === '/_admin/health' || path.startsWith('/_admin/health?')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: this.#closing ? 'stopping' : 'ok' }));
      return;
    }
    if (PortalStatic.owns(path)) {
      (this.deps.portal ??= new PortalStatic()).serve(req, res);
      return;
    }
    if (this.deps.admin && AdminHandler.owns(path)) {
      const admin = this.deps.admin;
      // Session routes read the cookie, address and scheme of the request being served (admin/session.ts).
      withRequest(req, () => admin.handle(req, res, requestId)).catch((err: unknown) => {
        this.deps.log.error('unhandled admin request failure', { requestId, err });
        res.destroy();
      });
      return;
    }
    req.resume();
    res.writeHead(404, { 'content-type': 'application/problem+json' });
    res.end(JSON.stringify({ type: 'about:blank', title: 'Not Found', status: 404, detail: `no admin resource at ${path}` }));
  }

  listen(host: string, port: number): Promise<{ host: string; port: number }> {
    return listenOn(this.server, host, port);
  }

  /** Starts the external HTTPS listener with a certificate (replace it later with `setSecureContext`). */
  listenHttps(host: string, port: number, tls: TlsPair): Promise<{ host: string; port: number }> {
    if (this.httpsServer) throw new Error('the HTTPS listener is already started');
    const server = createHttpsServer({ ...SERVER_OPTIONS, cert: tls.cert, key: tls.key }, (req, res) => this.onRequest(req, res));
    this.httpsServer = server;
    this.attach(server);
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
      [this.server, this.httpsServer].map((s) => (s && s.listening ? new Promise<void>((r) => s.close(() => r())) : undefined)),
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
