/**
 * Server-side encryption (issue 20) through @aws-sdk/client-s3: SSE-S3 and SSE-C round trips, the headers
 * every response carries, AWS's refusals, nothing readable in the data directory, a flipped byte is an error,
 * checksums and ETags with AWS's semantics, and ranged GETs that read only the segments they need (counted as
 * bytes the server process read, /proc/<pid>/io).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { startServer, type TestServer } from '../helpers/server.js';
import { sdkClient } from '../helpers/clients.js';
import { outcome } from '../helpers/admin.js';
import { filesUnder } from '../helpers/tree.js';

let server: TestServer;
let s3: S3Client;

before(async () => {
  // The SSE-C tests run over plain HTTP on loopback: the operator's switch allows it (refusal tested below).
  server = await startServer({ env: { GRANARY_SSE_C_OVER_HTTP: 'true' } });
  s3 = sdkClient(server);
});
after(async () => {
  s3?.destroy();
  await server?.stop();
  server?.cleanup();
});

const customerKey = randomBytes(32);
const sseC = (key = customerKey) => ({
  SSECustomerAlgorithm: 'AES256',
  SSECustomerKey: key.toString('base64'),
  SSECustomerKeyMD5: createHash('md5').update(key).digest('base64'),
});

/** A body that is easy to find: a marker repeated, plus random bytes so every segment differs. */
function marked(size: number): Buffer {
  const b = Buffer.alloc(size, 'GRANARY-PLAINTEXT-MARKER/');
  randomBytes(Math.min(size, 4096)).copy(b, size - Math.min(size, 4096));
  return b;
}


function filesContaining(needle: string): string[] {
  return filesUnder(server.dataDir).filter((f) => readFileSync(f).includes(needle));
}

async function statusOf(p: Promise<unknown>): Promise<number> {
  return p.then(
    () => 200,
    (e: { $metadata?: { httpStatusCode?: number } }) => e.$metadata?.httpStatusCode ?? 0,
  );
}

async function bytesOf(r: { Body?: { transformToByteArray(): Promise<Uint8Array> } }): Promise<Buffer> {
  return Buffer.from(await r.Body!.transformToByteArray());
}

/** Bytes the server process has read with read(2) and friends so far (files, sockets, pipes). */
function serverReadBytes(): number {
  const m = /^rchar:\s*(\d+)$/m.exec(readFileSync(`/proc/${server.proc.pid}/io`, 'utf8'));
  return Number(m![1]);
}

test('SSE-S3: round trip with the header on every response; ETag is the plaintext MD5; checksums kept; nothing readable on disk', async () => {
  await s3.send(new CreateBucketCommand({ Bucket: 'sse-s3' }));
  for (const [key, size] of [['small', 100], ['large', 3 * 1024 * 1024 + 17]] as const) {
    const body = marked(size);
    const put = await s3.send(new PutObjectCommand({ Bucket: 'sse-s3', Key: key, Body: body, ServerSideEncryption: 'AES256', ChecksumAlgorithm: 'CRC32C' }));
    assert.equal(put.ServerSideEncryption, 'AES256');
    assert.equal(put.ETag, `"${createHash('md5').update(body).digest('hex')}"`);
    assert.ok(put.ChecksumCRC32C);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'sse-s3', Key: key, ChecksumMode: 'ENABLED' }));
    assert.equal(head.ServerSideEncryption, 'AES256');
    assert.equal(head.ContentLength, size);
    assert.equal(head.ChecksumCRC32C, put.ChecksumCRC32C);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'sse-s3', Key: key }));
    assert.equal(got.ServerSideEncryption, 'AES256');
    assert.ok((await bytesOf(got)).equals(body), key);
    const part = await s3.send(new GetObjectCommand({ Bucket: 'sse-s3', Key: key, Range: 'bytes=50-70099' }));
    assert.ok((await bytesOf(part)).equals(body.subarray(50, 70100)));
  }
  // Small objects are not kept inline in the database either (they would be in clear there).
  assert.deepEqual(filesContaining('GRANARY-PLAINTEXT-MARKER'), []);
  // The same bytes unencrypted are found: the grep can fail.
  await s3.send(new PutObjectCommand({ Bucket: 'sse-s3', Key: 'clear', Body: Buffer.from('CLEAR-MARKER '.repeat(100_000)) }));
  assert.equal(filesContaining('CLEAR-MARKER').length, 1);
  const clear = await s3.send(new HeadObjectCommand({ Bucket: 'sse-s3', Key: 'clear' }));
  assert.equal(clear.ServerSideEncryption, undefined);
});

test('SSE-C: the key is needed for every read, a wrong one is AccessDenied; ETag is not the MD5; the key is nowhere on disk', async () => {
  await s3.send(new CreateBucketCommand({ Bucket: 'sse-c' }));
  const body = marked(200_000);
  const put = await s3.send(new PutObjectCommand({ Bucket: 'sse-c', Key: 'k', Body: body, ...sseC() }));
  assert.equal(put.SSECustomerAlgorithm, 'AES256');
  assert.equal(put.SSECustomerKeyMD5, sseC().SSECustomerKeyMD5);
  assert.notEqual(put.ETag, `"${createHash('md5').update(body).digest('hex')}"`);
  assert.match(put.ETag!, /^"[0-9a-f]{32}"$/);
  const got = await s3.send(new GetObjectCommand({ Bucket: 'sse-c', Key: 'k', ...sseC() }));
  assert.equal(got.SSECustomerKeyMD5, sseC().SSECustomerKeyMD5);
  assert.equal(got.ETag, put.ETag);
  assert.ok((await bytesOf(got)).equals(body));
  const ranged = await s3.send(new GetObjectCommand({ Bucket: 'sse-c', Key: 'k', Range: 'bytes=65530-65545', ...sseC() }));
  assert.ok((await bytesOf(ranged)).equals(body.subarray(65530, 65546)));
  assert.equal((await s3.send(new HeadObjectCommand({ Bucket: 'sse-c', Key: 'k', ...sseC() }))).ContentLength, body.length);
  assert.equal(await outcome(s3.send(new GetObjectCommand({ Bucket: 'sse-c', Key: 'k' }))), 'InvalidRequest');
  assert.equal(await outcome(s3.send(new GetObjectCommand({ Bucket: 'sse-c', Key: 'k', ...sseC(randomBytes(32)) }))), 'AccessDenied');
  assert.equal(await statusOf(s3.send(new HeadObjectCommand({ Bucket: 'sse-c', Key: 'k', ...sseC(randomBytes(32)) }))), 403);
  assert.equal(await statusOf(s3.send(new HeadObjectCommand({ Bucket: 'sse-c', Key: 'k' }))), 400);
  const attrs = (extra = {}) => s3.send(new GetObjectAttributesCommand({ Bucket: 'sse-c', Key: 'k', ObjectAttributes: ['ObjectSize'], ...extra }));
  assert.equal(await outcome(attrs()), 'InvalidRequest');
  assert.equal((await attrs(sseC())).ObjectSize, body.length);
  assert.deepEqual(filesContaining('GRANARY-PLAINTEXT-MARKER'), []);
  assert.deepEqual(filesContaining(customerKey.toString('base64')), []);
  assert.deepEqual(filesUnder(server.dataDir).filter((f) => readFileSync(f).includes(customerKey)), []);
});

test('wrong combinations and bad keys are refused as AWS refuses them; SSE-KMS answers NotImplemented; nothing is written', async () => {
  await s3.send(new CreateBucketCommand({ Bucket: 'sse-bad' }));
  let n = 0;
  const put = (extra: Record<string, unknown>) => outcome(s3.send(new PutObjectCommand({ Bucket: 'sse-bad', Key: 'x', Body: 'x', ...extra }))).then((r) => `${n++}: ${r}`);
  assert.equal(await put({ ServerSideEncryption: 'AES256', ...sseC() }), '0: InvalidArgument');
  assert.equal(await put({ ServerSideEncryption: 'AES256', SSEKMSKeyId: 'k' }), '1: InvalidArgument');
  assert.equal(await put({ ServerSideEncryption: 'DES' as never }), '2: InvalidArgument');
  // The SDK computes the key's MD5 itself (a mismatch is tested in s3/operations/object/sse.test.ts).
  assert.equal(await put(sseC(randomBytes(16))), '3: InvalidArgument');
  assert.equal(await put({ ...sseC(), SSECustomerAlgorithm: 'AES128' }), '4: InvalidArgument');
  assert.equal(await put({ ServerSideEncryption: 'aws:kms' }), '5: NotImplemented');
  // A key for an object stored without one.
  await s3.send(new PutObjectCommand({ Bucket: 'sse-bad', Key: 'plain', Body: 'x' }));
  assert.equal(await outcome(s3.send(new GetObjectCommand({ Bucket: 'sse-bad', Key: 'plain', ...sseC() }))), 'InvalidRequest');
  assert.equal(await outcome(s3.send(new HeadObjectCommand({ Bucket: 'sse-bad', Key: 'x' }))), 'NotFound');
});

test('CopyObject changes encryption: SSE-S3 → SSE-C → clear, and onto itself; the source SSE-C key is required', async () => {
  await s3.send(new CreateBucketCommand({ Bucket: 'sse-copy' }));
  const body = marked(150_000);
  await s3.send(new PutObjectCommand({ Bucket: 'sse-copy', Key: 'a', Body: body, ServerSideEncryption: 'AES256' }));
  const toC = await s3.send(new CopyObjectCommand({ Bucket: 'sse-copy', Key: 'b', CopySource: 'sse-copy/a', ...sseC() }));
  assert.equal(toC.SSECustomerKeyMD5, sseC().SSECustomerKeyMD5);
  const src = { CopySourceSSECustomerAlgorithm: 'AES256', CopySourceSSECustomerKey: sseC().SSECustomerKey, CopySourceSSECustomerKeyMD5: sseC().SSECustomerKeyMD5 };
  assert.equal(await outcome(s3.send(new CopyObjectCommand({ Bucket: 'sse-copy', Key: 'c', CopySource: 'sse-copy/b' }))), 'InvalidRequest');
  const toClear = await s3.send(new CopyObjectCommand({ Bucket: 'sse-copy', Key: 'c', CopySource: 'sse-copy/b', ...src }));
  assert.equal(toClear.ServerSideEncryption, undefined);
  assert.equal(toClear.CopyObjectResult?.ETag, `"${createHash('md5').update(body).digest('hex')}"`);
  assert.ok((await bytesOf(await s3.send(new GetObjectCommand({ Bucket: 'sse-copy', Key: 'c' })))).equals(body));
  // Onto itself: naming an encryption is a change AWS accepts.
  const self = await s3.send(new CopyObjectCommand({ Bucket: 'sse-copy', Key: 'c', CopySource: 'sse-copy/c', ServerSideEncryption: 'AES256' }));
  assert.equal(self.ServerSideEncryption, 'AES256');
  assert.ok((await bytesOf(await s3.send(new GetObjectCommand({ Bucket: 'sse-copy', Key: 'c' })))).equals(body));
});

test('a flipped byte in an encrypted blob is a read error, never wrong data', async () => {
  await s3.send(new CreateBucketCommand({ Bucket: 'sse-flip' }));
  const body = marked(300_000);
  await s3.send(new PutObjectCommand({ Bucket: 'sse-flip', Key: 'k', Body: body, ServerSideEncryption: 'AES256' }));
  const blobs = filesUnder(server.dataDir).filter((f) => /\/[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{32}$/.test(f) && statSync(f).size === 300_000 + 5 * 16);
  assert.equal(blobs.length, 1);
  const bytes = readFileSync(blobs[0]!);
  bytes[200_000]! ^= 0x40;
  writeFileSync(blobs[0]!, bytes);
  const whole = await s3.send(new GetObjectCommand({ Bucket: 'sse-flip', Key: 'k' })).then(bytesOf).then(
    (b) => (b.equals(body) ? 'same' : 'different'),
    () => 'error',
  );
  assert.equal(whole, 'error');
  // Segments before the flipped one still read; the one holding it does not.
  assert.ok((await bytesOf(await s3.send(new GetObjectCommand({ Bucket: 'sse-flip', Key: 'k', Range: 'bytes=0-99' })))).equals(body.subarray(0, 100)));
  const ranged = await s3.send(new GetObjectCommand({ Bucket: 'sse-flip', Key: 'k', Range: 'bytes=199990-200010' })).then(bytesOf).then(
    () => 'data',
    () => 'error',
  );
  assert.equal(ranged, 'error');
});

test('a ranged GET of an encrypted object reads only the segments it needs', async () => {
  await s3.send(new CreateBucketCommand({ Bucket: 'sse-range' }));
  const size = 16 * 1024 * 1024;
  const body = randomBytes(size);
  await s3.send(new PutObjectCommand({ Bucket: 'sse-range', Key: 'k', Body: body, ServerSideEncryption: 'AES256' }));
  const read = async (range?: string): Promise<number> => {
    const before = serverReadBytes();
    const got = await bytesOf(await s3.send(new GetObjectCommand({ Bucket: 'sse-range', Key: 'k', ...(range ? { Range: range } : {}) })));
    const n = serverReadBytes() - before;
    if (range) {
      const [s, e] = range.slice(6).split('-').map(Number) as [number, number];
      assert.ok(got.equals(body.subarray(s, e + 1)));
    } else assert.ok(got.equals(body));
    return n;
  };
  const whole = await read();
  assert.ok(whole >= size, `a whole GET read ${whole} bytes`);
  // 100 bytes across a segment boundary: two 64 KiB segments (+ the request and metadata reads).
  const small = await read(`bytes=${5 * 65536 - 50}-${5 * 65536 + 49}`);
  assert.ok(small < 512 * 1024, `a 100-byte ranged GET read ${small} bytes`);
  const mib = await read(`bytes=${8 * 1024 * 1024}-${9 * 1024 * 1024 - 1}`);
  assert.ok(mib < 1.5 * 1024 * 1024, `a 1 MiB ranged GET read ${mib} bytes`);
});

test('PostObject: the x-amz-server-side-encryption form field encrypts as the header does', async () => {
  await s3.send(new CreateBucketCommand({ Bucket: 'sse-post' }));
  const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:PutObject', Resource: 'arn:aws:s3:::sse-post/*' }] };
  await s3.send(new PutBucketPolicyCommand({ Bucket: 'sse-post', Policy: JSON.stringify(policy) }));
  const f = new FormData();
  f.append('key', 'form');
  f.append('x-amz-server-side-encryption', 'AES256');
  f.append('file', new Blob(['POST-FORM-MARKER/'.repeat(1000)]), 'f');
  const r = await fetch(`${server.url}/sse-post`, { method: 'POST', body: f });
  assert.equal(r.status, 204, await r.text());
  assert.equal(r.headers.get('x-amz-server-side-encryption'), 'AES256');
  assert.equal((await s3.send(new HeadObjectCommand({ Bucket: 'sse-post', Key: 'form' }))).ServerSideEncryption, 'AES256');
  assert.deepEqual(filesContaining('POST-FORM-MARKER'), []);
});

test('bucket policies can require SSE-S3 (s3:x-amz-server-side-encryption) and deny SSE-C (…-customer-algorithm)', async () => {
  await s3.send(new CreateBucketCommand({ Bucket: 'sse-policy' }));
  const policy = {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'RequireSseS3', Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource: 'arn:aws:s3:::sse-policy/sse-only/*', Condition: { StringNotEquals: { 's3:x-amz-server-side-encryption': 'AES256' } } },
      { Sid: 'NoSseC', Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource: 'arn:aws:s3:::sse-policy/*', Condition: { Null: { 's3:x-amz-server-side-encryption-customer-algorithm': 'false' } } },
    ],
  };
  await s3.send(new PutBucketPolicyCommand({ Bucket: 'sse-policy', Policy: JSON.stringify(policy) }));
  const put = (key: string, extra = {}) => outcome(s3.send(new PutObjectCommand({ Bucket: 'sse-policy', Key: key, Body: 'x', ...extra })));
  assert.equal(await put('sse-only/a'), 'AccessDenied');
  assert.equal(await put('sse-only/a', { ServerSideEncryption: 'AES256' }), 'OK');
  assert.equal(await put('sse-only/b', sseC()), 'AccessDenied');
  assert.equal(await put('other/c', sseC()), 'AccessDenied');
  assert.equal(await put('other/d'), 'OK');
});
