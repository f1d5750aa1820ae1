/**
 * Types shared by the SigV4 authentication modules and their callers (s3/handler.ts).
 * AuthResult is what authentication hands to the rest of the pipeline: who signed, and how the body
 * must be read (PayloadMode) — the body itself is verified later, while it streams.
 */

/** The parts of an HTTP request that a SigV4 signature covers, exactly as received. */
export interface SignedRequestInput {
  /** 'GET', 'PUT', ... */
  method: string;
  /** Path exactly as in the request line, still percent-encoded, without the query. */
  rawPath: string;
  /** Query string exactly as received, without '?'; '' if none. */
  rawQuery: string;
  /** Node's IncomingHttpHeaders (lowercase names). */
  headers: Record<string, string | string[] | undefined>;
}

/** What a streaming (aws-chunked) body needs to verify chunk and trailer signatures. */
export interface SigningContext {
  /** HMAC key derived from the secret for this date/region/service. */
  signingKey: Buffer;
  /** Credential scope: `date/region/s3/aws4_request`. */
  scope: string;
  /** Request timestamp, `yyyymmddThhmmssZ`, as signed. */
  datetime: string;
  /** The request's own signature; the first chunk signature chains from it. */
  seedSignature: string;
}

/** How the request body is protected, from `x-amz-content-sha256` (or presigning). */
export type PayloadMode =
  | { kind: 'unsigned' } // UNSIGNED-PAYLOAD (also: presigned URLs)
  | { kind: 'sha256'; hex: string } // a lowercase hex digest to verify while the body streams
  | { kind: 'streaming-signed'; trailer: boolean } // STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]
  | { kind: 'streaming-unsigned-trailer' }; // STREAMING-UNSIGNED-PAYLOAD-TRAILER

export type AuthResult =
  | { kind: 'anonymous' }
  | {
      kind: 'signed';
      accessKeyId: string;
      payload: PayloadMode;
      /** Present for Signature Version 4 (chunk signatures chain from it); undefined for Version 2. */
      signing: SigningContext | undefined;
      /** The signed request time, epoch milliseconds. */
      requestTime: number;
      /** True when authenticated by query parameters (a presigned URL). */
      presigned: boolean;
    };
