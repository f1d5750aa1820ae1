/**
 * The signing-key cache. (signHex and deriveSigningKey are checked against AWS's documented examples in
 * authenticate.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cachedSigningKey, deriveSigningKey } from './signing-key.js';

test('cachedSigningKey returns the derived key, the same object on a hit, another for another secret', () => {
  const a = cachedSigningKey('secret-a', '20261129', 'us-east-1', 's3');
  assert.deepEqual(a, deriveSigningKey('secret-a', '20261129', 'us-east-1', 's3'));
  assert.equal(cachedSigningKey('secret-a', '20261129', 'us-east-1', 's3'), a);
  assert.notDeepEqual(cachedSigningKey('secret-b', '20261129', 'us-east-1', 's3'), a);
});
