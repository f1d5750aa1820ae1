/**
 * The request body as the operation sees it: the user's bytes, whatever the wire framing was.
 *
 * - `aws-chunked` bodies (STREAMING-* payload modes) go through the chunk decoder, which verifies chunk
 *   and trailer signatures and exposes the trailers (integrity checksums) once the body ended;
 * - a signed payload hash is verified as the bytes pass;
 * - the declared size is x-amz-decoded-content-length for aws-chunked, else Content-Length;
 * - a body that stops arriving is cut off: no byte for `idleTimeoutMs` while the operation waits for one is
 *   RequestTimeout (as S3 answers a stalled upload), so a stalled client cannot hold a connection, an
 *   upload slot and its quota reservation for hours.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Transform } from 'node:stream';
import { S3Error } from '../errors/s3-error.js';
import type { AuthResult } from '../iam/sigv4/types.js';
import { createAwsChunkedDecoder } from '../iam/sigv4/aws-chunked.js';
import { createSha256Verifier } from '../iam/sigv4/payload-hash.js';
import { MAX_XML_BODY_BYTES } from './xml/read.js';

export interface RequestBody {
  /** Size of the decoded body if the request declared it. */
  readonly size: number | undefined;
  /** True when the request carries a body at all. */
  readonly present: boolean;
  /** The decoded bytes, once. */
  stream(): AsyncIterable<Buffer>;
  /** The whole (small) body, bounded: for XML documents. */
  readAll(limit?: number): Promise<Buffer>;
  /** Trailing headers of an aws-chunked body (lowercase names); complete only after the stream ended. */
  trailers(): Record<string, string>;
  /** Whether every byte of the request was read (otherwise the connection must not be reused). */
  readonly consumed: boolean;
  /** Calls `listener` each time bytes of the body arrive (e.g. to keep a quota reservation alive). */
  onProgress(listener: () => void): void;
}

export interface RequestBodyOptions {
  /** RequestTimeout after this long without a byte while the body is being read; 0 = never. */
  idleTimeoutMs?: number;
}

/**
 * The body as it arrives, failing with RequestTimeout when no chunk comes for `ms` while the consumer is
 * waiting for one. Time the consumer spends on a chunk (writing it to disk, hashing) does not count: only a
 * client that stops sending is cut off. The timer is one per body, re-armed per chunk.
 */
async function* idleLimited(source: AsyncIterable<Buffer>, ms: number, onChunk: () => void): AsyncGenerator<Buffer> {
  const it = source[Symbol.asyncIterator]();
  let fail: ((e: unknown) => void) | undefined;
  const timer = ms > 0 ? setTimeout(() => fail?.(new S3Error('RequestTimeout')), ms) : undefined;
  timer?.unref();
  let done = false;
  try {
    for (;;) {
      let r: IteratorResult<Buffer>;
      if (timer) {
        timer.refresh();
        r = await new Promise<IteratorResult<Buffer>>((resolve, reject) => {
          fail = reject;
          it.next().then(resolve, reject);
        });
        fail = undefined;
      } else {
        r = await it.next();
      }
      if (r.done) {
        done = true;
        return;
      }
      onChunk();
      yield r.value;
    }
  } finally {
    if (timer) clearTimeout(timer);
    if (!done) it.return?.(undefined)?.catch(() => undefined);
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function parseLength(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d{1,16}$/.test(v.trim())) throw new S3Error('InvalidArgument', { message: `${name} is not a valid length`, details: { ArgumentName: name, ArgumentValue: v } });
  return Number(v.trim());
}

/**
 * The operation reading a decoded body learns of its errors by iterating it; but `req.pipe()` also listens
 * for them and re-emits one that nobody else listens to any more, which ends the process. That happens when
 * the reader has already seen the error (a stream's errored state rejects the next read at once, before the
 * 'error' event's turn) and stopped listening. Hence one listener that stays for the stream's life.
 */
function observeErrors(stream: Transform): void {
  stream.on('error', () => {});
}

/**
 * `res` is the response of the same request: when the client asked `Expect: 100-continue`, the interim
 * "100 Continue" is sent the first time the body is read, never before.
 */
export function requestBody(req: IncomingMessage, auth: AuthResult, res?: ServerResponse, options: RequestBodyOptions = {}): RequestBody {
  const contentLength = parseLength(header(req, 'content-length'), 'Content-Length');
  const chunked = header(req, 'transfer-encoding') !== undefined;
  const payload = auth.kind === 'signed' ? auth.payload : undefined;
  const streaming = payload?.kind === 'streaming-signed' || payload?.kind === 'streaming-unsigned-trailer';
  const decodedLength = parseLength(header(req, 'x-amz-decoded-content-length'), 'x-amz-decoded-content-length');
  const size = streaming ? decodedLength : contentLength;
  const present = (contentLength !== undefined && contentLength > 0) || chunked;

  let used = false;
  let decoder: (Transform & { trailers(): Record<string, string> }) | undefined;
  const listeners: Array<() => void> = [];
  const progress = (): void => {
    for (const l of listeners) l();
  };

  const stream = (): AsyncIterable<Buffer> => idleLimited(rawStream(), options.idleTimeoutMs ?? 0, progress);

  const rawStream = (): AsyncIterable<Buffer> => {
    if (used) throw new Error('request body read twice');
    used = true;
    const pending = req as IncomingMessage & { awaitingContinue?: boolean };
    if (pending.awaitingContinue && res && !res.headersSent) {
      pending.awaitingContinue = false;
      res.writeContinue();
    }
    if (streaming && auth.kind === 'signed') {
      const trailerNames = (header(req, 'x-amz-trailer') ?? '')
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean);
      decoder = createAwsChunkedDecoder({
        signing: payload?.kind === 'streaming-signed' ? auth.signing : undefined,
        expectTrailer: payload?.kind === 'streaming-unsigned-trailer' || (payload?.kind === 'streaming-signed' && payload.trailer),
        trailerNames,
        decodedLength,
      });
      req.on('error', (e) => decoder?.destroy(e));
      req.on('aborted', () => decoder?.destroy(new S3Error('IncompleteBody')));
      observeErrors(decoder);
      return req.pipe(decoder);
    }
    if (payload?.kind === 'sha256') {
      const v = createSha256Verifier(payload.hex);
      req.on('error', (e) => v.destroy(e));
      req.on('aborted', () => v.destroy(new S3Error('IncompleteBody')));
      observeErrors(v);
      return req.pipe(v);
    }
    // Not `req` itself: a reader that stops early (too large, a failed check) would destroy it on the way
    // out of its loop, resetting the connection before the S3 error is sent. A client that goes away still
    // ends the iteration with an error (Node destroys the request with ECONNRESET).
    return req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>;
  };

  return {
    size,
    present,
    stream,
    get consumed() {
      return req.complete;
    },
    trailers: () => decoder?.trailers() ?? {},
    onProgress: (listener) => void listeners.push(listener),
    async readAll(limit = MAX_XML_BODY_BYTES): Promise<Buffer> {
      if (size !== undefined && size > limit) throw new S3Error('MaxMessageLengthExceeded');
      const chunks: Buffer[] = [];
      let n = 0;
      for await (const c of stream()) {
        n += c.length;
        if (n > limit) throw new S3Error('MaxMessageLengthExceeded');
        chunks.push(c);
      }
      return Buffer.concat(chunks, n);
    },
  };
}
