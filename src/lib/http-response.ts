/** The value an endpoint returns; `http/send.ts` writes it. Headers are final names and values. */
import type { Readable } from 'node:stream';

export interface HttpResponse {
  status: number;
  headers: Record<string, string | number | string[]>;
  body?: string | Buffer | Readable;
}

/**
 * What a protocol handler (s3/handler.ts) hands back to the HTTP server for one request: the response to
 * write and how to end the connection. The server (http/server.ts) writes it, so protocol code never
 * touches the socket's end.
 */
export interface Answer {
  response: HttpResponse;
  /** A HEAD (or a 304): headers only. */
  headersOnly: boolean;
  /**
   * The request body was not read to its end (an upload refused part-way or before it began): answer with
   * `connection: close` and a lingering close (http/lingering-close.ts), so the answer is not lost.
   */
  closeConnection?: boolean;
  /** Too late for an answer (a response was already under way): cut the connection so the client notices. */
  abort?: boolean;
}
