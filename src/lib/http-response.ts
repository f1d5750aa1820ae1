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
  /** For requests to a bucket whose server access logging is on: what its log record needs. */
  serverAccessLog?: ServerAccessLogFacts;
}

/**
 * What an S3 server access log record (bucket logging, core/server-access-log.ts) needs beyond the facts
 * above. Gathered only for requests to a bucket whose logging is on, so other requests pay nothing.
 */
export interface ServerAccessLogFacts {
  bucketId: string;
  /** The bucket owner's user id. */
  bucketOwner: string;
  /** When the request was received (ms since the epoch). */
  receivedAt: number;
  /** The client's address (trusting the configured proxies' X-Forwarded-For). */
  clientAddress: string;
  /** `METHOD target HTTP/x.y`, with signatures and session tokens in the query blanked. */
  requestLine: string;
  /** The requester's ARN (`arn:aws:iam:::user/<name>`); undefined: anonymous. */
  requester: string | undefined;
  signatureVersion: 'SigV2' | 'SigV4' | undefined;
  authType: 'AuthHeader' | 'QueryString' | 'Post' | undefined;
  userAgent: string | undefined;
  referrer: string | undefined;
  host: string | undefined;
  tls: { version: string; cipher: string } | undefined;
  /** Response body bytes (headers not counted), filled in when the request finishes. */
  bytesSent?: number;
  /** The object's whole size, where the request tells it (filled in when the request finishes). */
  objectSize?: number;
}

/** The facts a protocol handler fills in as it learns them (the server adds the rest). */
export type RequestFacts = Partial<Pick<FinishedRequest, 'operation' | 'tenancy' | 'principal' | 'accessKeyId' | 'bucket' | 'key' | 'errorCode' | 'serverAccessLog'>>;
