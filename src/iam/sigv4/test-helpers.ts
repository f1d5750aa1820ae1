/**
 * Test-only helpers for the SigV4 tests (not imported by production code): feeding a Transform
 * in given pieces, splitting buffers, and capturing what @aws-sdk/client-s3 really sends.
 */
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { S3Client } from '@aws-sdk/client-s3';
import type { SignedRequestInput } from './types.js';
import { uriEncode } from './encoding.js';

/** Pipes `pieces` through `t` one write each; resolves the concatenated output. */
export async function runTransform(t: Transform, pieces: Buffer[]): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(Readable.from(pieces), t, async (source: AsyncIterable<Buffer>) => {
    for await (const c of source) out.push(c);
  });
  return Buffer.concat(out);
}

/** `buf` cut every `size` bytes. */
export function splitEvery(buf: Buffer, size: number): Buffer[] {
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) parts.push(buf.subarray(i, i + size));
  return parts;
}

/** `buf` cut at pseudo-random places (deterministic for a seed). */
export function splitRandomly(buf: Buffer, seed: number, maxPiece = 5000): Buffer[] {
  let x = seed >>> 0 || 1;
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; ) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    const n = 1 + (x % maxPiece);
    parts.push(buf.subarray(i, i + n));
    i += n;
  }
  return parts;
}

export interface RecordedRequest {
  input: SignedRequestInput;
  body: Buffer | undefined;
}

/** Query object of a smithy HttpRequest → the query string as it goes on the wire. */
function rawQueryOf(query: Record<string, string | string[] | null | undefined>): string {
  const parts: string[] = [];
  for (const name of Object.keys(query)) {
    const value = query[name];
    if (value === undefined) continue;
    if (value === null) parts.push(uriEncode(name));
    else for (const v of Array.isArray(value) ? value : [value]) parts.push(`${uriEncode(name)}=${uriEncode(v)}`);
  }
  return parts.join('&');
}

/**
 * An S3Client whose request handler records each signed request (as the server would see it)
 * and answers a minimal 200, so tests can feed real SDK requests to authenticateSigV4.
 */
export function recordingClient(accessKeyId: string, secretAccessKey: string): { client: S3Client; recorded: RecordedRequest[] } {
  const recorded: RecordedRequest[] = [];
  const requestHandler = {
    async handle(request: {
      method: string;
      path: string;
      query: Record<string, string | string[] | null>;
      headers: Record<string, string>;
      body?: unknown;
    }) {
      let body: Buffer | undefined;
      const b = request.body as unknown;
      if (b !== undefined && b !== null && typeof (b as { pipe?: unknown }).pipe === 'function') {
        const chunks: Buffer[] = [];
        for await (const c of b as AsyncIterable<Uint8Array | string>) chunks.push(Buffer.from(c));
        body = Buffer.concat(chunks);
      } else if (typeof b === 'string' || b instanceof Uint8Array) {
        body = Buffer.from(b);
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(request.headers)) headers[k.toLowerCase()] = v;
      recorded.push({ input: { method: request.method, rawPath: request.path, rawQuery: rawQueryOf(request.query), headers }, body });
      return {
        response: {
          statusCode: 200,
          headers: {},
          body: Readable.from([Buffer.from('<?xml version="1.0" encoding="UTF-8"?><ListBucketResult></ListBucketResult>')]),
        },
      };
    },
    updateHttpClientConfig(): void {},
    httpHandlerConfigs(): Record<string, never> {
      return {};
    },
  };
  const client = new S3Client({
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:9000',
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
    // biome-ignore lint/suspicious/noExplicitAny: the SDK's handler type differs between its own packages
    requestHandler: requestHandler as any,
  });
  return { client, recorded };
}
