/**
 * Writes an HttpResponse to the socket: status, headers, then the body with backpressure. A stream that
 * fails midway cannot change the status any more, so the connection is destroyed: the client sees a
 * truncated response (and its length check fails) rather than silently short data.
 */
import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
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
    await pipeline(body, res);
  } catch {
    res.destroy();
  }
}
