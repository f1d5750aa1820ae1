/**
 * Conditional writes with @aws-sdk/client-s3 against the real server (issue 3): If-None-Match: * and
 * If-Match on PutObject and CompleteMultipartUpload, If-Match on DeleteObject, and the compare-and-swap
 * race Zarr/Icechunk rely on: of 20 concurrent creators exactly one wins.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { startServer, type TestServer } from '../helpers/server.js';
import { sdkClient } from '../helpers/clients.js';

let server: TestServer;
let s3: S3Client;
let seq = 0;
const newBucket = async (): Promise<string> => {
  const name = `cond-${process.pid}-${++seq}`;
  await s3.send(new CreateBucketCommand({ Bucket: name }));
  return name;
};
const md5 = (b: Uint8Array | string): string => `"${createHash('md5').update(b).digest('hex')}"`;

async function rejectsWith(fn: () => Promise<unknown>, code: string, status: number): Promise<void> {
  try {
    await fn();
  } catch (e) {
    const err = e as S3ServiceException;
    assert.equal(err.name, code, `expected ${code}, got ${err.name}: ${err.message}`);
    assert.equal(err.$metadata.httpStatusCode, status);
    return;
  }
  assert.fail(`expected ${code}, but the request succeeded`);
}

async function body(Bucket: string, Key: string): Promise<string> {
  const g = await s3.send(new GetObjectCommand({ Bucket, Key }));
  return g.Body!.transformToString();
}

before(async () => {
  server = await startServer();
  s3 = sdkClient(server, { maxAttempts: 1 });
});
after(async () => {
  s3?.destroy();
  await server?.stop();
  server?.cleanup();
});

test('PutObject If-None-Match: * creates once, then 412', async () => {
  const b = await newBucket();
  const r = await s3.send(new PutObjectCommand({ Bucket: b, Key: 'k', Body: 'first', IfNoneMatch: '*' }));
  assert.equal(r.ETag, md5('first'));
  await rejectsWith(() => s3.send(new PutObjectCommand({ Bucket: b, Key: 'k', Body: 'second', IfNoneMatch: '*' })), 'PreconditionFailed', 412);
  assert.equal(await body(b, 'k'), 'first');
  // After a delete the key can be created again.
  await s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'k' }));
  await s3.send(new PutObjectCommand({ Bucket: b, Key: 'k', Body: 'third', IfNoneMatch: '*' }));
  assert.equal(await body(b, 'k'), 'third');
});

test('PutObject If-Match: mismatch → 412, match → 200 (compare-and-swap)', async () => {
  const b = await newBucket();
  const v1 = await s3.send(new PutObjectCommand({ Bucket: b, Key: 'k', Body: 'v1' }));
  await rejectsWith(() => s3.send(new PutObjectCommand({ Bucket: b, Key: 'k', Body: 'v2', IfMatch: md5('something else') })), 'PreconditionFailed', 412);
  assert.equal(await body(b, 'k'), 'v1');
  const v2 = await s3.send(new PutObjectCommand({ Bucket: b, Key: 'k', Body: 'v2', IfMatch: v1.ETag }));
  assert.equal(v2.$metadata.httpStatusCode, 200);
  assert.equal(await body(b, 'k'), 'v2');
  // The old ETag no longer matches.
  await rejectsWith(() => s3.send(new PutObjectCommand({ Bucket: b, Key: 'k', Body: 'v3', IfMatch: v1.ETag })), 'PreconditionFailed', 412);
  assert.equal(await body(b, 'k'), 'v2');
  // If-Match on a missing key: AWS answers 404 NoSuchKey.
  try {
    await s3.send(new PutObjectCommand({ Bucket: b, Key: 'missing', Body: 'x', IfMatch: v2.ETag }));
    assert.fail('If-Match on a missing key succeeded');
  } catch (e) {
    const status = (e as S3ServiceException).$metadata?.httpStatusCode;
    assert.ok(status === 404 || status === 412, `If-Match on a missing key: ${status}`);
  }
  await rejectsWith(() => s3.send(new HeadObjectCommand({ Bucket: b, Key: 'missing' })), 'NotFound', 404);
});

test('CompleteMultipartUpload with If-None-Match: * when the key exists → 412', async () => {
  const b = await newBucket();
  await s3.send(new PutObjectCommand({ Bucket: b, Key: 'k', Body: 'existing' }));
  const part = randomBytes(1000);
  const c = await s3.send(new CreateMultipartUploadCommand({ Bucket: b, Key: 'k' }));
  const p = await s3.send(new UploadPartCommand({ Bucket: b, Key: 'k', UploadId: c.UploadId!, PartNumber: 1, Body: part }));
  await rejectsWith(
    () => s3.send(new CompleteMultipartUploadCommand({ Bucket: b, Key: 'k', UploadId: c.UploadId!, IfNoneMatch: '*', MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p.ETag }] } })),
    'PreconditionFailed',
    412,
  );
  assert.equal(await body(b, 'k'), 'existing');
  // With If-Match on the current ETag it completes.
  const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: b, Key: 'k', UploadId: c.UploadId!, IfMatch: md5('existing'), MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p.ETag }] } }));
  assert.match(done.ETag!, /-1"$/);
  const g = await s3.send(new GetObjectCommand({ Bucket: b, Key: 'k' }));
  assert.ok(Buffer.from(await g.Body!.transformToByteArray()).equals(part));
  // On a new key, If-None-Match: * completes.
  const c2 = await s3.send(new CreateMultipartUploadCommand({ Bucket: b, Key: 'new' }));
  const p2 = await s3.send(new UploadPartCommand({ Bucket: b, Key: 'new', UploadId: c2.UploadId!, PartNumber: 1, Body: part }));
  await s3.send(new CompleteMultipartUploadCommand({ Bucket: b, Key: 'new', UploadId: c2.UploadId!, IfNoneMatch: '*', MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p2.ETag }] } }));
});

test('DeleteObject with If-Match: mismatch → 412, match deletes', async () => {
  const b = await newBucket();
  const v = await s3.send(new PutObjectCommand({ Bucket: b, Key: 'k', Body: 'delete me' }));
  await rejectsWith(() => s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'k', IfMatch: md5('other') })), 'PreconditionFailed', 412);
  assert.equal(await body(b, 'k'), 'delete me');
  const d = await s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'k', IfMatch: v.ETag }));
  assert.equal(d.$metadata.httpStatusCode, 204);
  await rejectsWith(() => s3.send(new HeadObjectCommand({ Bucket: b, Key: 'k' })), 'NotFound', 404);
});

test('race: 20 concurrent If-None-Match: * writers to one new key — exactly one wins', async () => {
  const b = await newBucket();
  const bodies = Array.from({ length: 20 }, (_, i) => Buffer.concat([Buffer.from(`writer ${i}\n`), randomBytes(256 * 1024)]));
  const results = await Promise.allSettled(bodies.map((Body) => s3.send(new PutObjectCommand({ Bucket: b, Key: 'zarr.json', Body, IfNoneMatch: '*' }))));
  const winners = results.map((r, i) => [r, i] as const).filter(([r]) => r.status === 'fulfilled');
  assert.equal(winners.length, 1, `exactly one writer succeeds, got ${winners.length}`);
  for (const r of results) {
    if (r.status === 'rejected') {
      const err = r.reason as S3ServiceException;
      const status = err.$metadata?.httpStatusCode;
      assert.ok(
        (status === 412 && err.name === 'PreconditionFailed') || (status === 409 && err.name === 'ConditionalRequestConflict'),
        `loser got ${status} ${err.name}: ${err.message}`,
      );
    }
  }
  const [winner, wi] = winners[0]!;
  assert.equal((winner as PromiseFulfilledResult<{ ETag?: string }>).value.ETag, md5(bodies[wi]!));
  const g = await s3.send(new GetObjectCommand({ Bucket: b, Key: 'zarr.json' }));
  const stored = Buffer.from(await g.Body!.transformToByteArray());
  assert.ok(stored.equals(bodies[wi]!), "the stored body is the winner's");
});

test('race: 20 concurrent If-Match writers on one ETag — exactly one wins', async () => {
  const b = await newBucket();
  const base = await s3.send(new PutObjectCommand({ Bucket: b, Key: 'ref', Body: 'base' }));
  const bodies = Array.from({ length: 20 }, (_, i) => Buffer.concat([Buffer.from(`swap ${i}\n`), randomBytes(128 * 1024)]));
  const results = await Promise.allSettled(bodies.map((Body) => s3.send(new PutObjectCommand({ Bucket: b, Key: 'ref', Body, IfMatch: base.ETag }))));
  const winners = results.map((r, i) => [r, i] as const).filter(([r]) => r.status === 'fulfilled');
  assert.equal(winners.length, 1, `exactly one swap succeeds, got ${winners.length}`);
  for (const r of results) {
    if (r.status === 'rejected') {
      const status = (r.reason as S3ServiceException).$metadata?.httpStatusCode;
      assert.ok(status === 412 || status === 409, `loser got ${status}`);
    }
  }
  const g = await s3.send(new GetObjectCommand({ Bucket: b, Key: 'ref' }));
  assert.ok(Buffer.from(await g.Body!.transformToByteArray()).equals(bodies[winners[0]![1]]!));
});
