/**
 * Verifies a single-chunk signed payload: `x-amz-content-sha256: <hex>` promises the body's
 * SHA-256, which only the bytes themselves can confirm. Bytes pass through unchanged while being
 * hashed; the stream errors at its end if the digest differs, before the caller commits anything.
 */
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { S3Error } from '../../errors/s3-error.js';

export function createSha256Verifier(expectedHex: string): Transform {
  const expected = expectedHex.toLowerCase();
  const hash = createHash('sha256');
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
      hash.update(chunk);
      callback(null, chunk);
    },
    flush(callback: TransformCallback): void {
      const actual = hash.digest('hex');
      if (actual !== expected) {
        callback(
          new S3Error('XAmzContentSHA256Mismatch', {
            details: { ClientComputedContentSHA256: expectedHex, S3ComputedContentSHA256: actual },
          }),
        );
        return;
      }
      callback();
    },
  });
}
