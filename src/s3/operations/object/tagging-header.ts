/**
 * Object tags as the x-amz-tagging header carries them (URL query encoding: k1=v1&k2=v2).
 * AWS limits: at most 10 tags, keys ≤ 128 and values ≤ 256 Unicode characters, unique keys.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-tagging.html
 */
import { S3Error } from '../../../errors/s3-error.js';

export function validateTags(tags: Array<[string, string]>): void {
  if (tags.length > 10) throw new S3Error('InvalidTag', { message: 'Object tags cannot be greater than 10' });
  const seen = new Set<string>();
  for (const [k, v] of tags) {
    if (k.length === 0 || [...k].length > 128) throw new S3Error('InvalidTag', { message: 'The TagKey you have provided is invalid' });
    if ([...v].length > 256) throw new S3Error('InvalidTag', { message: 'The TagValue you have provided is invalid' });
    if (seen.has(k)) throw new S3Error('InvalidTag', { message: 'Cannot provide multiple Tags with the same key' });
    seen.add(k);
  }
}

/** Normalised tagging string, or null when the header is absent/empty. */
export function parseTagging(header: string | undefined): string | null {
  if (header === undefined || header === '') return null;
  const params = new URLSearchParams(header);
  const tags = [...params.entries()];
  validateTags(tags);
  return new URLSearchParams(tags).toString();
}
