/**
 * A lean GET-only load client for the timed GET workloads (4 KiB GETs, ranged 1 MiB GETs).
 *
 * Why not node:http: on this 2-core machine the node:http client costs ~90 µs of CPU per request and reads a
 * body in 64 KiB pieces with a fresh buffer each; against bench/ceiling-server.ts (a server that does nothing)
 * it tops out at ~10,000 4 KiB GETs/s and ~900 MiB/s of ranged GETs with its one core full, so it, not the
 * server, set those figures. This client keeps one keep-alive socket per in-flight request, reads into one
 * reused buffer per socket (`onread`), finds the end of the head and the Content-Length, and counts body
 * bytes; that is all a GET load needs. It costs a third as much, which leaves the machine's second core to the
 * server under test. The same client drives Granary, the baseline and the ceiling, so ratios stay fair.
 *
 * Limits, on purpose: GET only, responses must carry Content-Length (no chunked bodies), HTTP/1.1 over plain
 * TCP. Bodies are counted, not kept, except an error response's (for the message). Content is verified by
 * the workloads with the full client (sha256 of chosen GETs).
 */
import net from 'node:net';
import { encodePath, HeaderSigner as Signer, } from '../../src/iam/sigv4/sign.js';

export interface LeanResponse {
  status: number;
  /** body bytes received */
  bytes: number;
  /** the body of a response with status >= 300 (utf8), for the error message */
  errorBody?: string;
}

const HEAD_END = Buffer.from('\r\n\r\n');

class Connection {
  readonly socket: net.Socket;
  private head: Buffer[] = [];
  private headLength = 0;
  private inBody = false;
  private remaining = 0;
  private status = 0;
  private bytes = 0;
  private errorBody: Buffer[] | undefined;
  private pending: { resolve: (r: LeanResponse) => void; reject: (e: Error) => void } | undefined;
  closed = false;

  constructor(host: string, port: number, readBufferSize: number) {
    const buffer = Buffer.allocUnsafe(readBufferSize);
    this.socket = net.connect({
      host,
      port,
      noDelay: true,
      onread: {
        buffer,
        callback: (n) => {
          this.onData(buffer.subarray(0, n));
          return true; // keep reading
        },
      },
    });
    this.socket.on('error', (e) => this.fail(e));
    this.socket.on('close', () => this.fail(new Error('connection closed by the server')));
  }

  send(request: string): Promise<LeanResponse> {
    if (this.pending) throw new Error('lean-get: one request at a time per connection');
    this.head = [];
    this.headLength = 0;
    this.inBody = false;
    this.bytes = 0;
    this.errorBody = undefined;
    return new Promise<LeanResponse>((resolve, reject) => {
      this.pending = { resolve, reject };
      this.socket.write(request, 'latin1');
    });
  }

  private fail(e: Error): void {
    this.closed = true;
    const p = this.pending;
    this.pending = undefined;
    p?.reject(e);
  }

  /** `data` is a view of the reused read buffer: valid only during this call. */
  private onData(data: Buffer): void {
    if (!this.pending) {
      this.socket.destroy(new Error('lean-get: bytes from the server with no request in flight'));
      return;
    }
    let body = data;
    if (!this.inBody) {
      // The head is small and usually arrives in one read; copy only what belongs to it.
      this.head.push(Buffer.from(data));
      this.headLength += data.length;
      const all = this.head.length === 1 ? this.head[0]! : Buffer.concat(this.head, this.headLength);
      const end = all.indexOf(HEAD_END);
      if (end < 0) {
        if (this.headLength > 64 * 1024) this.socket.destroy(new Error('lean-get: response head over 64 KiB'));
        return;
      }
      this.parseHead(all.toString('latin1', 0, end));
      if (this.closed) return;
      body = data.subarray(data.length - (all.length - (end + 4)));
      this.inBody = true;
    }
    const take = Math.min(this.remaining, body.length);
    this.remaining -= take;
    this.bytes += take;
    if (this.errorBody) this.errorBody.push(Buffer.from(body.subarray(0, take)));
    if (take < body.length) {
      this.socket.destroy(new Error('lean-get: more bytes than Content-Length (pipelining is not used)'));
      return;
    }
    if (this.remaining === 0) {
      const p = this.pending;
      this.pending = undefined;
      p.resolve({ status: this.status, bytes: this.bytes, errorBody: this.errorBody && Buffer.concat(this.errorBody).toString('utf8') });
    }
  }

  private parseHead(head: string): void {
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
    const len = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (!m || !len) {
      this.socket.destroy(new Error(`lean-get: response without status or Content-Length: ${head.slice(0, 200)}`));
      return;
    }
    this.status = Number(m[1]);
    this.remaining = Number(len[1]);
    if (this.status >= 300) this.errorBody = [];
    // A server that announces it will close: finish this response, then drop the socket from the pool.
    if (/\r\nconnection: *close/i.test(head)) this.closed = true;
  }
}

export class LeanGetClient {
  private readonly idle: Connection[] = [];
  private readonly all = new Set<Connection>();
  private readonly hostname: string;
  private readonly port: number;
  private readonly hostHeader: string;

  /** `readBufferSize`: one buffer per connection, reused for every read (a 1 MiB body in one or few reads). */
  constructor(
    baseUrl: string,
    private readonly signer: Signer,
    private readonly readBufferSize = 256 * 1024,
  ) {
    const u = new URL(baseUrl);
    if (u.protocol !== 'http:') throw new Error(`lean-get: plain http only, not ${baseUrl}`);
    this.hostname = u.hostname.replace(/^\[(.*)\]$/, '$1');
    this.port = Number(u.port || 80);
    this.hostHeader = u.host;
  }

  /** GET of `path` (bucket/key, unencoded) with SigV4 (UNSIGNED-PAYLOAD); `extra` headers are not signed. */
  async get(path: string, extra: Record<string, string> = {}): Promise<LeanResponse> {
    const encPath = '/' + encodePath(path);
    const h = this.signer.sign('GET', this.hostHeader, encPath, []);
    let request = `GET ${encPath} HTTP/1.1\r\nhost: ${this.hostHeader}\r\n`;
    for (const [k, v] of Object.entries(extra)) request += `${k}: ${v}\r\n`;
    for (const [k, v] of Object.entries(h)) request += `${k}: ${v}\r\n`;
    request += '\r\n';
    const c = this.idle.pop() ?? this.open();
    try {
      const r = await c.send(request);
      if (c.closed) this.drop(c);
      else this.idle.push(c);
      return r;
    } catch (e) {
      this.drop(c);
      throw e;
    }
  }

  close(): void {
    for (const c of this.all) c.socket.destroy();
    this.all.clear();
    this.idle.length = 0;
  }

  private open(): Connection {
    const c = new Connection(this.hostname, this.port, this.readBufferSize);
    this.all.add(c);
    return c;
  }

  private drop(c: Connection): void {
    c.socket.destroy();
    this.all.delete(c);
  }
}
