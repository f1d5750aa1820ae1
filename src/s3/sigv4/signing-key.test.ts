/** signHex computes HMAC-SHA256 by hand (two one-shot hashes): it must equal createHmac for every input. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { cachedSigningKey, deriveSigningKey, signHex } from './signing-key.js';

const reference = (key: Buffer, data: string): string => createHmac('sha256', key).update(data, 'utf8').digest('hex');

test('signHex equals HMAC-SHA256 for string-to-signs of every shape and length', () => {
  const key = deriveSigningKey('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', '20130524', 'us-east-1', 's3');
  // The AWS documentation's GetObject example (Authorization header, range request).
  const sts =
    'AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972';
  assert.equal(signHex(key, sts), 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
  for (const data of ['', 'a', 'ü€😀 unicode', 'x'.repeat(63), 'y'.repeat(64), 'z'.repeat(4032), 'w'.repeat(4033), 'v'.repeat(100_000)]) {
    assert.equal(signHex(key, data), reference(key, data), `length ${data.length}`);
  }
  // Interleaved keys: the per-key blocks must not leak into each other.
  const other = randomBytes(32);
  assert.equal(signHex(other, sts), reference(other, sts));
  assert.equal(signHex(key, sts), reference(key, sts));
  // Keys of other lengths (not SigV4's, but the function must stay an HMAC).
  for (const k of [randomBytes(1), randomBytes(64), randomBytes(65), randomBytes(200)]) assert.equal(signHex(k, sts), reference(k, sts));
});

test('cachedSigningKey returns the derived key, the same object on a hit, another for another secret', () => {
  const a = cachedSigningKey('secret-a', '20261129', 'us-east-1', 's3');
  assert.deepEqual(a, deriveSigningKey('secret-a', '20261129', 'us-east-1', 's3'));
  assert.equal(cachedSigningKey('secret-a', '20261129', 'us-east-1', 's3'), a);
  assert.notDeepEqual(cachedSigningKey('secret-b', '20261129', 'us-east-1', 's3'), a);
});
