/**
 * The load client: node:http (or node:https, chosen by the base URL's scheme) with a keep-alive Agent and the
 * minimal signer. The same client drives Granary and the baseline server (the baseline ignores the signature,
 * but the client pays for it in both runs).
 */
import http from 'node:http';
import https from 'node:https';
import { createHash } from 'node:crypto';
import { encodePath, HeaderSigner as Signer, uriEncode } from '../../src/iam/sigv4/sign.js';

export interface RequestOptions {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'HEAD';
  /** bucket/key, unencoded, without the leading slash */
  path: string;
  query?: Array<[string, string]>;
  headers?: Record<string, string>;
  /** one buffer (sent with end()) or a list of chunks written one by one with backpressure */
  body?: Buffer | Buffer[];
  /** what to do with the response body: discard (count only), collect, or sha256 */
  sink?: 'discard' | 'collect' | 'sha256';
}

export interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  bytes: number;
  body?: Buffer;
  sha256?: string;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly what: string,
    readonly responseBody: string,
  ) {
    super(`${what}: HTTP ${status} ${responseBody.slice(0, 300)}`);
  }
}

export interface TlsOptions {
  /** CA certificate(s) (PEM) to trust for an https:// base URL, e.g. the ca.pem of `granary cert` */
  ca?: string | Buffer;
}

export class Client {
  /** an https.Agent (a subclass of http.Agent) for an https:// base URL */
  readonly agent: http.Agent;
  private readonly send: typeof http.request;
  private readonly hostname: string;
  private readonly port: number;
  private readonly hostHeader: string;

  constructor(
    baseUrl: string,
    private readonly signer: Signer,
    maxSockets = 64,
    tls: TlsOptions = {},
  ) {
    const u = new URL(baseUrl);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`unsupported scheme in ${baseUrl}`);
    const secure = u.protocol === 'https:';
    // URL.hostname keeps the brackets of an IPv6 literal; node:http wants the bare address
    this.hostname = u.hostname.replace(/^\[(.*)\]$/, '$1');
    this.port = u.port ? Number(u.port) : secure ? 443 : 80;
    this.hostHeader = u.host;
    const agentOptions: http.AgentOptions = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' };
    if (secure) {
      this.agent = new https.Agent({ ...agentOptions, ca: tls.ca });
      this.send = https.request;
    } else {
      this.agent = new http.Agent(agentOptions);
      this.send = http.request;
    }
  }

  close(): void {
    this.agent.destroy();
  }

  request(o: RequestOptions): Promise<Response> {
    const encPath = '/' + encodePath(o.path);
    const query = o.query ?? [];
    const qs = query.length ? '?' + query.map(([k, v]) => (v === '' ? uriEncode(k) : `${uriEncode(k)}=${uriEncode(v)}`)).join('&') : '';
    const amz = Object.fromEntries(Object.entries(o.headers ?? {}).filter(([k]) => k.startsWith('x-amz-')));
    const headers: Record<string, string | number> = { ...o.headers, ...this.signer.sign(o.method, this.hostHeader, encPath, query, undefined, amz) };
    let len = 0;
    if (o.body !== undefined) {
      len = Buffer.isBuffer(o.body) ? o.body.length : o.body.reduce((n, b) => n + b.length, 0);
      headers['content-length'] = len;
    } else if (o.method === 'PUT' || o.method === 'POST') {
      headers['content-length'] = 0;
    }
    return new Promise<Response>((resolve, reject) => {
      const req = this.send(
        { agent: this.agent, hostname: this.hostname, port: this.port, method: o.method, path: encPath + qs, headers },
        (res) => {
          const sink = o.sink ?? 'discard';
          let bytes = 0;
          const chunks: Buffer[] = [];
          const hash = sink === 'sha256' ? createHash('sha256') : undefined;
          const status = res.statusCode ?? 0;
          const keep = sink === 'collect' || status >= 300;
          res.on('data', (c: Buffer) => {
            bytes += c.length;
            if (keep) chunks.push(c);
            if (hash) hash.update(c);
          });
          res.on('end', () =>
            resolve({
              status,
              headers: res.headers,
              bytes,
              body: keep ? Buffer.concat(chunks) : undefined,
              sha256: hash?.digest('hex'),
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      if (o.body === undefined) req.end();
      else if (Buffer.isBuffer(o.body)) req.end(o.body);
      else writeChunks(req, o.body).then(
        () => req.end(),
        (err: unknown) => req.destroy(err as Error),
      );
    });
  }

  /** request() that throws HttpError unless the status is one of `ok` */
  async expect(o: RequestOptions, ok: number[], what: string): Promise<Response> {
    const r = await this.request(o);
    if (!ok.includes(r.status)) throw new HttpError(r.status, `${what} ${o.method} /${o.path}`, r.body?.toString('utf8') ?? '');
    return r;
  }
}

async function writeChunks(req: http.ClientRequest, chunks: Buffer[]): Promise<void> {
  for (const c of chunks) {
    if (req.destroyed) return;
    if (!req.write(c)) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = (): void => {
          req.off('error', onError);
          resolve();
        };
        const onError = (e: Error): void => {
          req.off('drain', onDrain);
          reject(e);
        };
        req.once('drain', onDrain);
        req.once('error', onError);
      });
    }
  }
}
