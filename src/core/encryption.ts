/**
 * Server-side encryption keys: which data key encrypts a blob, and how that key is kept.
 *
 * - SSE-S3 (`AES256`): a random 32-byte data key per blob, sealed by the site master key (iam/secrets.ts,
 *   the box that also seals S3 secrets) and kept in the blob's entry of the object row. Rotating the master
 *   key re-seals these entries; the blobs are never rewritten.
 * - SSE-C: the customer's key is never stored. Per blob a random salt; the data key is HKDF(customer key,
 *   salt), and a salted HMAC of the customer key (`keyCheck`) tells a wrong key (AccessDenied) from a corrupt
 *   blob (a read error).
 * The cipher and its on-disk format are blob/encryption/segments.ts.
 *
 * Seam for SSE-KMS: a key service would return (plaintext data key, wrapped data key, key id) where
 * `newDataKey` seals with the master key, and unwrap in `dataKeyOf`; the blob format does not change.
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { S3Error } from '../errors/s3-error.js';
import type { SecretBox } from '../iam/secrets.js';
import type { BlobEncryption } from '../metadata/store.js';
import { DATA_KEY_BYTES } from '../blob/encryption/segments.js';

/** What a write asks for (decoded and validated from the request's headers by s3/). */
export type EncryptionRequest = { mode: 'AES256' } | { mode: 'SSE-C'; customerKey: Buffer; keyMd5: string };

/** The customer's key presented on a read of an SSE-C object (undefined: none was sent). */
export interface CustomerKey {
  key: Buffer;
  keyMd5: string;
}

const HKDF_INFO = Buffer.from('granary sse-c data key');
const CHECK_INFO = 'granary sse-c key check';

function customerDataKey(customerKey: Buffer, salt: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', customerKey, salt, HKDF_INFO, DATA_KEY_BYTES));
}

function keyCheckOf(customerKey: Buffer, salt: Buffer): Buffer {
  return createHmac('sha256', salt).update(CHECK_INFO).update(customerKey).digest();
}

export class Encryption {
  constructor(private readonly box: SecretBox) {}

  /** A fresh data key for one blob, and the entry to keep with the blob's reference. */
  newDataKey(request: EncryptionRequest): { key: Buffer; sse: BlobEncryption } {
    if (request.mode === 'AES256') {
      const key = randomBytes(DATA_KEY_BYTES);
      return { key, sse: { mode: 'AES256', wrappedKey: this.box.seal(key.toString('base64')) } };
    }
    const salt = randomBytes(16);
    return {
      key: customerDataKey(request.customerKey, salt),
      sse: { mode: 'SSE-C', salt: salt.toString('base64'), keyCheck: keyCheckOf(request.customerKey, salt).toString('base64'), keyMd5: request.keyMd5 },
    };
  }

  /**
   * The data key of a blob, given what the reader presented. SSE-C without a key, or with the wrong one, is
   * refused as AWS refuses it (InvalidRequest without, AccessDenied with a wrong key).
   */
  dataKeyOf(sse: BlobEncryption, customer: CustomerKey | undefined): Buffer {
    if (sse.mode === 'AES256') return Buffer.from(this.box.open(sse.wrappedKey!), 'base64');
    if (!customer) {
      throw new S3Error('InvalidRequest', {
        message: 'The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.',
      });
    }
    const salt = Buffer.from(sse.salt!, 'base64');
    const expected = Buffer.from(sse.keyCheck!, 'base64');
    const actual = keyCheckOf(customer.key, salt);
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
      throw new S3Error('AccessDenied', { message: 'The SSE-C key provided does not match the key the object was encrypted with.' });
    }
    return customerDataKey(customer.key, salt);
  }

  /**
   * AWS's ETag of an SSE-C object is not the MD5 of its bytes (which would let anyone holding the ETag test a
   * guess of the plaintext). Ours is a keyed digest of the MD5 under the blob's data key: stable, still 32 hex.
   */
  static opaqueEtag(md5Hex: string, dataKey: Buffer): string {
    return createHmac('sha256', dataKey).update(md5Hex).digest('hex').slice(0, 32);
  }
}
