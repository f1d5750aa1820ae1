/**
 * Continuation tokens of ListObjectsV2 and ListBuckets: opaque to clients, the position to start after,
 * encoded with a tag per listing. The router decodes (a token that is not ours is InvalidArgument, as AWS
 * answers), the operation encodes the next one.
 */
import { S3Error } from '../errors/s3-error.js';

export interface TokenCodec {
  encode(last: string): string;
  /** The position a token names; InvalidArgument for a token this codec did not make. */
  decode(token: string): string;
}

function codec(tag: string): TokenCodec {
  return {
    encode: (last) => Buffer.from(tag + last, 'utf8').toString('base64url'),
    decode(token) {
      const s = Buffer.from(token, 'base64url').toString('utf8');
      if (!s.startsWith(tag) || Buffer.from(s, 'utf8').toString('base64url') !== token.replace(/=+$/, '')) {
        throw new S3Error('InvalidArgument', { message: 'The continuation token provided is incorrect', details: { ArgumentName: 'continuation-token' } });
      }
      return s.slice(tag.length);
    },
  };
}

/** ListObjectsV2: the last key (or common prefix) of the page. */
export const OBJECTS_TOKEN = codec('1:');
/** ListBuckets: the name of the last bucket listed. */
export const BUCKETS_TOKEN = codec('b:');
