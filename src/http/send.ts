/**
 * Writes an HttpResponse to the socket: status, headers, then the body with backpressure. A stream that
 * fails midway cannot change the status any more, so the connection is destroyed: the client sees a
 * truncated response (and its length check fails) rather than silently short data.
 */
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { isRecyclable } from '../lib/buffer-pool.js';
import type { HttpResponse } from '../lib/http-response.js';

export async function send(res: ServerResponse, r: HttpResponse, isHead: boolean): Promise<void> {
  res.statusCode = r.status;
  for (const [name, value] of Object.entries(r.headers)) res.setHeader(name, value);
  const body = r.body;
  if (body === undefined || isHead) {
    if (body !== undefined && typeof body === 'object' && 'destroy' in body) body.destroy();
    res.end();
    return;
  }
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    if (!res.hasHeader('content-length')) res.setHeader('content-length', Buffer.byteLength(body));
    res.end(body);
    return;
  }
  try {
    await pipeTo(body, res);
  } catch {
    body.destroy();
    res.destroy();
    return;
  }
  // The response has finished: every chunk was handed to the kernel, none is referenced any more.
  if (isRecyclable(body)) body.recycle();
}

/**
 * body.pipe(res) as a promise: resolves when the response has finished (every byte handed to the kernel),
 * rejects if the body fails or the response closes first. Not stream.pipeline: that creates an
 * AbortController per call and aborts it at the end, and the DOMException that builds (with a stack trace)
 * was 4 % of the main thread under ranged GETs.
 */
function pipeTo(body: Readable, res: ServerResponse): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (err?: Error): void => {
      if (settled) return;
      settled = true;
      // The 'error' listeners stay: a late error of a stream being torn down must not go unhandled.
      res.off('finish', onFinish);
      res.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onBodyError = (err: Error): void => settle(err);
    const onResError = (err: Error): void => settle(err);
    const onFinish = (): void => settle();
    const onClose = (): void => {
      if (!res.writableFinished) settle(new Error('the connection closed before the response was sent'));
    };
    body.on('error', onBodyError);
    res.on('error', onResError);
    res.on('finish', onFinish);
    res.on('close', onClose);
    body.pipe(res);
  });
}
