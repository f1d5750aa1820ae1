/** The single-chunk signed payload verifier (x-amz-content-sha256: <hex>). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { S3Error } from '../../errors/s3-error.js';
import { createSha256Verifier } from './payload-hash.js';
import { runTransform, splitEvery } from './test-helpers.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

test('passes the bytes through unchanged when the digest matches', async () => {
  // "Welcome to Amazon S3." and its documented hash (sig-v4-header-based-auth.html, PUT Object).
  const welcome = Buffer.from('Welcome to Amazon S3.');
  const cases: Array<[Buffer, string]> = [
    [welcome, '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072'],
    [Buffer.alloc(0), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    [Buffer.alloc(300_000, 7), sha(Buffer.alloc(300_000, 7))],
  ];
  for (const [data, hex] of cases) {
    for (const pieces of [[data], splitEvery(data, 1000)]) {
      assert.ok((await runTransform(createSha256Verifier(hex), pieces)).equals(data));
    }
    assert.ok((await runTransform(createSha256Verifier(hex.toUpperCase()), [data])).equals(data));
  }
});

test('errors with XAmzContentSHA256Mismatch at the end when the digest differs', async () => {
  const expected = sha(Buffer.from('something else'));
  await assert.rejects(runTransform(createSha256Verifier(expected), [Buffer.from('Welcome to Amazon S3.')]), (e: unknown) => {
    assert.ok(e instanceof S3Error);
    assert.equal(e.code, 'XAmzContentSHA256Mismatch');
    assert.equal(e.status, 400);
    assert.equal(e.details.ClientComputedContentSHA256, expected);
    assert.equal(e.details.S3ComputedContentSHA256, '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072');
    return true;
  });
});
