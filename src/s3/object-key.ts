/**
 * The one rule for object key names, wherever a key enters a request: the path (every object operation),
 * a PostObject form's `key` field, a DeleteObjects document, an `x-amz-copy-source` header.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html: a key is a sequence of Unicode
 * characters whose UTF-8 encoding is at most 1,024 bytes long; an empty key names no object.
 * A key accepted here can be named again by every other operation, so an object can always be deleted.
 */
import { S3Error } from '../errors/s3-error.js';

export const MAX_KEY_BYTES = 1024;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Throws the S3 error AWS answers for a key it would not store. `forDelete`: the key names an object to
 * delete, where the length limit is not applied. compat: AWS refuses those too, but earlier Granary
 * versions stored PostObject keys over 1,024 bytes, and such objects (and so their buckets) must stay
 * deletable; deleting a key that does not exist succeeds anyway.
 */
export function checkObjectKey(key: string, opts: { forDelete?: boolean } = {}): void {
  if (key === '') throw new S3Error('InvalidArgument', { message: 'User key must have a length greater than 0.', details: { ArgumentName: 'key' } });
  const size = Buffer.byteLength(key, 'utf8');
  if (size > MAX_KEY_BYTES && !opts.forDelete) throw new S3Error('KeyTooLongError', { details: { Size: size, MaxSizeAllowed: MAX_KEY_BYTES } });
  // A lone surrogate (only a form field can carry one: paths and XML are decoded strictly) has no UTF-8
  // encoding: stored, it would come back as U+FFFD and name a different key.
  if (LONE_SURROGATE.test(key)) throw new S3Error('InvalidArgument', { message: 'Object keys must be valid UTF-8.', details: { ArgumentName: 'key' } });
}
