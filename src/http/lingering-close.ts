/**
 * Ending a connection whose request body was not read to its end (an upload refused part-way, or before
 * it began).
 *
 * The answer says `connection: close`, as S3's does. But simply closing the socket while the client is still
 * sending makes the kernel answer with a TCP reset, and a reset can destroy the error response sitting unread
 * in the client's buffer: the client then sees EPIPE/ECONNRESET instead of, say, SignatureDoesNotMatch. So the
 * close is a *lingering* one (as Apache and nginx do it): after the answer the server half-closes (FIN), keeps
 * reading and discarding what still arrives, and closes when the client does, or after `lingerMs` at most.
 * Clients stop sending once they read the answer, so the wait is usually a round trip.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export const LINGER_MS = 5_000;

/** Call before writing the error response to a request whose body was not read to its end. */
export function closeAfterResponse(req: IncomingMessage, res: ServerResponse, lingerMs = LINGER_MS): void {
  if (req.complete || req.destroyed) return;
  res.setHeader('connection', 'close');
  // Node's server ends a `connection: close` response with socket.destroySoon(): FIN, then close as soon as
  // its own writes are flushed, unread input or not. Replace that, for this socket only, with a lingering close.
  const socket = req.socket as Socket & { destroySoon?: () => void };
  socket.destroySoon = () => {
    socket.end();
    const timer = setTimeout(() => socket.destroy(), lingerMs);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  };
  // The body still arrives through the HTTP parser into `req`: let it flow and drop it. Whatever the
  // operation had piped it into has stopped reading.
  req.unpipe();
  req.resume();
}
