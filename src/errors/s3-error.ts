/**
 * The one error type of the S3 side. Thrown where the decision is made; the pipeline turns it into the
 * AWS XML error body. `details` become extra XML elements (e.g. BucketName, Key, ArgumentName) and are
 * never secrets.
 */
import { type S3ErrorCode, statusOf, defaultMessageOf } from './codes.js';

export interface S3ErrorOptions {
  message?: string;
  /** Extra elements for the XML body, in order (AWS adds e.g. <BucketName>, <Key>, <Condition>). */
  details?: Record<string, string | number | undefined>;
  /** Extra response headers (e.g. Content-Range on InvalidRange). */
  headers?: Record<string, string>;
  /**
   * Only where AWS answers one code with two statuses: AuthorizationQueryParametersError is 400 for a
   * malformed presigned URL but 403 for an X-Amz-Expires out of range. Everything else takes the table's.
   */
  status?: 403;
  cause?: unknown;
}

export class S3Error extends Error {
  readonly code: S3ErrorCode;
  readonly status: number;
  readonly details: Record<string, string | number | undefined>;
  readonly headers: Record<string, string>;

  constructor(code: S3ErrorCode, options: S3ErrorOptions = {}) {
    super(options.message ?? defaultMessageOf(code), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'S3Error';
    this.code = code;
    this.status = options.status ?? statusOf(code);
    this.details = options.details ?? {};
    this.headers = options.headers ?? {};
  }
}

export function isS3Error(e: unknown): e is S3Error {
  return e instanceof S3Error;
}
