/**
 * Signing-key derivation (kSecret → kDate → kRegion → kService → kSigning) and a small cache of
 * derived keys: four HMACs per request add up on the hot path, while a client reuses one key
 * for a whole day.
 *
 * The cache is keyed by a hash of the secret itself (plus date, region, service), never by the
 * access key id: a key deleted and re-created, or a secret rotated, can never be answered with a
 * key derived from another secret. The secret is never stored in clear here.
 */
import { createHmac, hash, timingSafeEqual } from 'node:crypto';

export function hmac(key: Buffer | string, data: string | Buffer): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request"). */
export function deriveSigningKey(secret: string, date: string, region: string, service: string): Buffer {
  const kDate = hmac('AWS4' + secret, date);
  const kRegion = hmac(kDate, region);
  const kService = hmac(kRegion, service);
  return hmac(kService, 'aws4_request');
}

const MAX_CACHED_KEYS = 1024;
const cache = new Map<string, Buffer>();

/** deriveSigningKey through a bounded LRU (Map insertion order = recency). */
export function cachedSigningKey(secret: string, date: string, region: string, service: string): Buffer {
  const secretHash = hash('sha256', secret, 'base64');
  const id = `${secretHash}\n${date}\n${region}\n${service}`;
  const hit = cache.get(id);
  if (hit !== undefined) {
    cache.delete(id);
    cache.set(id, hit);
    return hit;
  }
  const key = deriveSigningKey(secret, date, region, service);
  cache.set(id, key);
  if (cache.size > MAX_CACHED_KEYS) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  return key;
}

/** Hex signature of `data` with a derived signing key. */
export function signHex(signingKey: Buffer, data: string): string {
  return hmac(signingKey, data).toString('hex');
}

/** Constant-time comparison of two hex signatures (false when lengths differ). */
export function signaturesEqual(expectedHex: string, providedHex: string): boolean {
  const a = Buffer.from(expectedHex, 'latin1');
  const b = Buffer.from(providedHex, 'latin1');
  return a.length === b.length && timingSafeEqual(a, b);
}
