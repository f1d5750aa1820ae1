/**
 * Object tags as the x-amz-tagging header carries them (URL query encoding: k1=v1&k2=v2), with AWS's rules:
 * empty pairs are skipped ("&", "a&"), a key without "=" has an empty value, "+" is a space; a malformed
 * encoding, an empty key or a repeated key is InvalidArgument; at most 10 tags, keys ≤ 128 and values ≤ 256
 * Unicode characters, of letters, digits, spaces and + - = . _ : / @ (InvalidTag otherwise).
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

/** The characters AWS allows in tag keys and values. */
const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

const badEncoding = (): S3Error =>
  new S3Error('InvalidArgument', {
    message: "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.",
    details: { ArgumentName: 'x-amz-tagging' },
  });

/** One URL-query component: '+' is a space, %XX must be valid UTF-8. */
function decodeComponent(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    throw badEncoding();
  }
}

/** Normalised tagging string, or null when the header is absent or names no tag. */
export function parseTagging(header: string | undefined): string | null {
  if (header === undefined || header === '') return null;
  const tags: Array<[string, string]> = [];
  const seen = new Set<string>();
  for (const pair of header.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const k = decodeComponent(eq < 0 ? pair : pair.slice(0, eq));
    const v = eq < 0 ? '' : decodeComponent(pair.slice(eq + 1));
    if (k === '' || seen.has(k)) throw badEncoding();
    seen.add(k);
    if (!TAG_CHARS.test(k)) throw new S3Error('InvalidTag', { message: 'The TagKey you have provided is invalid' });
    if (!TAG_CHARS.test(v)) throw new S3Error('InvalidTag', { message: 'The TagValue you have provided is invalid' });
    tags.push([k, v]);
  }
  validateTags(tags);
  return tags.length ? new URLSearchParams(tags).toString() : null;
}
