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

/**
 * What is known about one request once it has finished, told once per request to the server's
 * request-finished listeners (the access log, metrics). Never a secret, signature, password or session id.
 */
export interface FinishedRequest {
  requestId: string;
  /** Which side answered: the S3 pipeline, the admin API, the portal's files, the health check. */
  protocol: 's3' | 'admin' | 'portal' | 'health' | 'other';
  method: string;
  /** The operation: its AWS name for S3 (the endpoint table's), `METHOD /route` for the admin API. */
  operation: string | undefined;
  tenancy: string | undefined;
  /** The user who made it (username); undefined: anonymous or not authenticated. */
  principal: string | undefined;
  /** The access key it was signed with (its id, never its secret). */
  accessKeyId: string | undefined;
  bucket: string | undefined;
  key: string | undefined;
  status: number;
  /** The S3 error code (or the admin problem's kind) of a failed request. */
  errorCode: string | undefined;
  /** Bytes read from and written to the connection while the request was served (headers included). */
  bytesIn: number;
  bytesOut: number;
  durationMs: number;
  /** The connection closed before the response was written to its end. */
  aborted: boolean;
}

/** The facts a protocol handler fills in as it learns them (the server adds the rest). */
export type RequestFacts = Partial<Pick<FinishedRequest, 'operation' | 'tenancy' | 'principal' | 'accessKeyId' | 'bucket' | 'key' | 'errorCode'>>;
