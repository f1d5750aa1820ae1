/**
 * What integrity checksum a write request carries: `x-amz-checksum-<alg>` as a header, or announced in
 * `x-amz-trailer` and sent after an aws-chunked body; `x-amz-sdk-checksum-algorithm` names the algorithm.
 * Returns the digester that verifies it as the bytes stream, and the value to keep with the object.
 */
import { S3Error } from '../../../errors/s3-error.js';
import {
  CHECKSUM_ALGORITHMS,
  checksumDigester,
  checksumHeaderName,
  parseAlgorithm,
  type ChecksumAlgorithm,
} from '../../../core/checksums.js';
import type { Digester } from '../../../core/objects.js';
import { headerOf, type S3Context } from '../../context.js';

export interface RequestChecksum {
  algorithm: ChecksumAlgorithm;
  digester: Digester & { value(): string };
}

export function requestChecksum(ctx: S3Context): RequestChecksum | undefined {
  const trailer = (headerOf(ctx, 'x-amz-trailer') ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const found: Array<{ alg: ChecksumAlgorithm; source: 'header' | 'trailer' }> = [];
  for (const alg of CHECKSUM_ALGORITHMS) {
    const name = checksumHeaderName(alg);
    if (headerOf(ctx, name) !== undefined) found.push({ alg, source: 'header' });
    if (trailer.includes(name)) found.push({ alg, source: 'trailer' });
  }
  if (found.length > 1) throw new S3Error('InvalidRequest', { message: 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.' });
  const sdkAlg = headerOf(ctx, 'x-amz-sdk-checksum-algorithm');
  let algorithm: ChecksumAlgorithm | undefined = found[0]?.alg;
  if (sdkAlg !== undefined) {
    const named = parseAlgorithm(sdkAlg);
    if (algorithm !== undefined && named !== algorithm) {
      throw new S3Error('InvalidRequest', { message: `Value for x-amz-sdk-checksum-algorithm header is invalid.` });
    }
    algorithm ??= named;
  }
  if (algorithm === undefined) return undefined;
  const alg = algorithm;
  const name = checksumHeaderName(alg);
  const source = found[0]?.source;
  const expected = (): string | undefined => {
    if (source === 'header') return headerOf(ctx, name);
    if (source === 'trailer') {
      const v = ctx.body.trailers()[name];
      if (v === undefined) throw new S3Error('InvalidRequest', { message: `The trailer ${name} was announced but not sent.` });
      return v;
    }
    return undefined;
  };
  return { algorithm: alg, digester: checksumDigester(alg, expected) };
}
