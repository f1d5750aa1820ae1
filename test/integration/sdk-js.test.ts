/**
 * A JavaScript user's flow with @aws-sdk/client-s3 against the real server: buckets, objects, conditional
 * and ranged reads, listing with awkward keys, presigned URLs and authentication failures.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  type GetObjectCommandOutput,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable } from 'node:stream';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { startServer, type TestServer } from '../helpers/server.js';
import { sdkClient } from '../helpers/clients.js';
import { presign } from '../helpers/sign.js';

const sha = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');
const md5b64 = (b: Uint8Array | string): string => createHash('md5').update(b).digest('base64');

function* chunksOf(b: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

let server: TestServer;
let s3: S3Client;
let s3WhenRequired: S3Client;
let seq = 0;
const newBucket = async (): Promise<string> => {
  const name = `sdk-${process.pid}-${++seq}`;
  await s3.send(new CreateBucketCommand({ Bucket: name }));
  return name;
};

async function getBytes(client: S3Client, Bucket: string, Key: string, extra: Record<string, unknown> = {}): Promise<{ body: Buffer; out: GetObjectCommandOutput }> {
  const out = await client.send(new GetObjectCommand({ Bucket, Key, ...extra }));
  const body = Buffer.from(await out.Body!.transformToByteArray());
  return { body, out };
}

/** Runs `fn`, which must fail with the S3 error `code` (and HTTP status when given). */
async function rejectsWith(fn: () => Promise<unknown>, code: string, status?: number): Promise<S3ServiceException> {
  try {
    await fn();
  } catch (e) {
    const err = e as S3ServiceException;
    if (code === 'NotModified' || code.startsWith('HEAD:')) {
      // A body-less answer (304, or any HEAD error) gives the SDK no error code: check the status.
      assert.equal(err.$metadata?.httpStatusCode, status ?? 304, `expected ${status ?? 304}, got ${err.name}: ${err.message}`);
      return err;
    }
    assert.equal(err.name, code, `expected ${code}, got ${err.name}: ${err.message}`);
    if (status !== undefined) assert.equal(err.$metadata.httpStatusCode, status);
    return err;
  }
  assert.fail(`expected ${code}, but the request succeeded`);
}

before(async () => {
  server = await startServer();
  s3 = sdkClient(server);
  s3WhenRequired = sdkClient(server, { requestChecksumCalculation: 'WHEN_REQUIRED' });
});
after(async () => {
  s3?.destroy();
  s3WhenRequired?.destroy();
  await server?.stop();
  server?.cleanup();
});

describe('buckets', () => {
  test('create, repeat, bad name, head, location, versioning, list, delete', async () => {
    const b = await newBucket();
    // Your own bucket again: 200 in us-east-1, as AWS answers there.
    assert.equal((await s3.send(new CreateBucketCommand({ Bucket: b }))).$metadata.httpStatusCode, 200);
    await rejectsWith(() => s3.send(new CreateBucketCommand({ Bucket: 'Bad_Name' })), 'InvalidBucketName', 400);
    const head = await s3.send(new HeadBucketCommand({ Bucket: b }));
    assert.equal(head.$metadata.httpStatusCode, 200);
    await rejectsWith(() => s3.send(new HeadBucketCommand({ Bucket: `${b}-missing` })), 'NotFound', 404);
    const loc = await s3.send(new GetBucketLocationCommand({ Bucket: b }));
    const where: string | undefined = loc.LocationConstraint;
    assert.ok(where === undefined || where === '' || where === 'us-east-1', String(where));
    const ver = await s3.send(new GetBucketVersioningCommand({ Bucket: b }));
    assert.equal(ver.Status, undefined);
    const list = await s3.send(new ListBucketsCommand({}));
    assert.ok(list.Buckets?.some((x) => x.Name === b && x.CreationDate instanceof Date));
    assert.ok(list.Owner?.ID);

    await s3.send(new PutObjectCommand({ Bucket: b, Key: 'x', Body: 'x' }));
    await rejectsWith(() => s3.send(new DeleteBucketCommand({ Bucket: b })), 'BucketNotEmpty', 409);
    await s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'x' }));
    const del = await s3.send(new DeleteBucketCommand({ Bucket: b }));
    assert.equal(del.$metadata.httpStatusCode, 204);
    await rejectsWith(() => s3.send(new HeadBucketCommand({ Bucket: b })), 'NotFound', 404);
    await rejectsWith(() => s3.send(new DeleteBucketCommand({ Bucket: b })), 'NoSuchBucket', 404);
  });

  test('LocationConstraint in CreateBucket is accepted', async () => {
    const name = `sdk-${process.pid}-loc`;
    await s3.send(new CreateBucketCommand({ Bucket: name, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
    await s3.send(new HeadBucketCommand({ Bucket: name }));
  });
});

describe('objects', () => {
  for (const [label, client] of [
    ['default checksums', () => s3],
    ['WHEN_REQUIRED', () => s3WhenRequired],
  ] as const) {
    test(`put/get/head with metadata and headers (${label})`, async () => {
      const c = client();
      const b = await newBucket();
      const data = randomBytes(100_000);
      const put = await c.send(
        new PutObjectCommand({
          Bucket: b,
          Key: 'dir/data.bin',
          Body: data,
          ContentType: 'application/x-test',
          ContentDisposition: 'attachment; filename="data.bin"',
          CacheControl: 'max-age=60',
          Metadata: { 'Project-Name': 'MixedCase Value', lower: 'UPPER value ok' },
        }),
      );
      const etag = `"${createHash('md5').update(data).digest('hex')}"`;
      assert.equal(put.ETag, etag);
      const { body, out } = await getBytes(c, b, 'dir/data.bin');
      assert.equal(sha(body), sha(data));
      assert.equal(out.ContentType, 'application/x-test');
      assert.equal(out.ContentDisposition, 'attachment; filename="data.bin"');
      assert.equal(out.CacheControl, 'max-age=60');
      assert.equal(out.ContentLength, data.length);
      assert.equal(out.ETag, etag);
      assert.deepEqual(out.Metadata, { 'project-name': 'MixedCase Value', lower: 'UPPER value ok' });
      const head = await c.send(new HeadObjectCommand({ Bucket: b, Key: 'dir/data.bin' }));
      assert.equal(head.ContentLength, data.length);
      assert.equal(head.ETag, etag);
      assert.equal(head.ContentType, 'application/x-test');
      assert.deepEqual(head.Metadata, { 'project-name': 'MixedCase Value', lower: 'UPPER value ok' });
      assert.ok(head.LastModified instanceof Date);

      // Content-MD5 good and bad.
      await c.send(new PutObjectCommand({ Bucket: b, Key: 'md5', Body: 'hello', ContentMD5: md5b64('hello') }));
      assert.equal((await getBytes(c, b, 'md5')).body.toString(), 'hello');
      await rejectsWith(() => c.send(new PutObjectCommand({ Bucket: b, Key: 'md5bad', Body: 'hello', ContentMD5: md5b64('other') })), 'BadDigest', 400);
      await rejectsWith(() => c.send(new HeadObjectCommand({ Bucket: b, Key: 'md5bad' })), 'NotFound', 404);
      await rejectsWith(() => c.send(new GetObjectCommand({ Bucket: b, Key: 'md5bad' })), 'NoSuchKey', 404);

      // Empty object.
      await c.send(new PutObjectCommand({ Bucket: b, Key: 'empty', Body: '' }));
      const e = await getBytes(c, b, 'empty');
      assert.equal(e.body.length, 0);
      assert.equal(e.out.ETag, '"d41d8cd98f00b204e9800998ecf8427e"');
    });
  }

  for (const [label, client] of [
    ['default checksums', () => s3],
    ['WHEN_REQUIRED', () => s3WhenRequired],
  ] as const) {
    test(`streamed bodies and lib-storage Upload below the part size (${label})`, async () => {
      const c = client();
      const b = await newBucket();
      const data = randomBytes(3 * 1024 * 1024 + 17);
      // A Readable of known length: the SDK streams it (aws-chunked with a trailer checksum by default).
      await c.send(new PutObjectCommand({ Bucket: b, Key: 'streamed', Body: Readable.from(chunksOf(data, 100_000)), ContentLength: data.length }));
      assert.equal(sha((await getBytes(c, b, 'streamed')).body), sha(data));
      const up = new Upload({ client: c, params: { Bucket: b, Key: 'lib storage/ü.bin', Body: Readable.from(chunksOf(data, 65_536)), ContentType: 'application/x-up' } });
      await up.done();
      const got = await getBytes(c, b, 'lib storage/ü.bin');
      assert.equal(sha(got.body), sha(data));
      assert.equal(got.out.ContentType, 'application/x-up');
    });
  }

  test('ranges, partNumber, response overrides', async () => {
    const b = await newBucket();
    const data = Buffer.from('0123456789abcdefghij');
    await s3.send(new PutObjectCommand({ Bucket: b, Key: 'r', Body: data, ContentType: 'text/plain' }));
    let r = await getBytes(s3, b, 'r', { Range: 'bytes=2-5' });
    assert.equal(r.body.toString(), '2345');
    assert.equal(r.out.$metadata.httpStatusCode, 206);
    assert.equal(r.out.ContentRange, 'bytes 2-5/20');
    assert.equal(r.out.ContentLength, 4);
    r = await getBytes(s3, b, 'r', { Range: 'bytes=-5' });
    assert.equal(r.body.toString(), 'fghij');
    assert.equal(r.out.ContentRange, 'bytes 15-19/20');
    r = await getBytes(s3, b, 'r', { Range: 'bytes=18-' });
    assert.equal(r.body.toString(), 'ij');
    r = await getBytes(s3, b, 'r', { Range: 'bytes=10-100' });
    assert.equal(r.body.toString(), 'abcdefghij');
    assert.equal(r.out.ContentRange, 'bytes 10-19/20');
    const err = await rejectsWith(() => s3.send(new GetObjectCommand({ Bucket: b, Key: 'r', Range: 'bytes=20-30' })), 'InvalidRange', 416);
    assert.ok(err.$response?.headers['content-range'] === 'bytes */20', JSON.stringify(err.$response?.headers));
    r = await getBytes(s3, b, 'r', { PartNumber: 1 });
    assert.equal(r.body.toString(), data.toString());
    assert.ok(r.out.$metadata.httpStatusCode === 200 || r.out.$metadata.httpStatusCode === 206);
    r = await getBytes(s3, b, 'r', { ResponseContentType: 'application/override', ResponseContentDisposition: 'inline', ResponseCacheControl: 'no-cache' });
    assert.equal(r.out.ContentType, 'application/override');
    assert.equal(r.out.ContentDisposition, 'inline');
    assert.equal(r.out.CacheControl, 'no-cache');
  });

  test('conditional requests', async () => {
    const b = await newBucket();
    const put = await s3.send(new PutObjectCommand({ Bucket: b, Key: 'c', Body: 'conditional' }));
    const etag = put.ETag!;
    const head = await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'c' }));
    const lm = head.LastModified!;
    const past = new Date(lm.getTime() - 3600_000);
    const future = new Date(lm.getTime() + 3600_000);

    assert.equal((await getBytes(s3, b, 'c', { IfMatch: etag })).body.toString(), 'conditional');
    await rejectsWith(() => s3.send(new GetObjectCommand({ Bucket: b, Key: 'c', IfMatch: '"nope"' })), 'PreconditionFailed', 412);
    await rejectsWith(() => s3.send(new GetObjectCommand({ Bucket: b, Key: 'c', IfNoneMatch: etag })), 'NotModified', 304);
    assert.equal((await getBytes(s3, b, 'c', { IfNoneMatch: '"other"' })).body.toString(), 'conditional');
    await rejectsWith(() => s3.send(new GetObjectCommand({ Bucket: b, Key: 'c', IfModifiedSince: future })), 'NotModified', 304);
    assert.equal((await getBytes(s3, b, 'c', { IfModifiedSince: past })).body.toString(), 'conditional');
    await rejectsWith(() => s3.send(new GetObjectCommand({ Bucket: b, Key: 'c', IfUnmodifiedSince: past })), 'PreconditionFailed', 412);
    assert.equal((await getBytes(s3, b, 'c', { IfUnmodifiedSince: future })).body.toString(), 'conditional');
    // If-Match true + If-Unmodified-Since false → 200 (RFC 7232 precedence, as S3 does).
    assert.equal((await getBytes(s3, b, 'c', { IfMatch: etag, IfUnmodifiedSince: past })).body.toString(), 'conditional');
    // If-None-Match false + If-Modified-Since true → 304.
    await rejectsWith(() => s3.send(new GetObjectCommand({ Bucket: b, Key: 'c', IfNoneMatch: etag, IfModifiedSince: past })), 'NotModified', 304);
    await rejectsWith(() => s3.send(new HeadObjectCommand({ Bucket: b, Key: 'c', IfMatch: '"nope"' })), 'HEAD:PreconditionFailed', 412);
    await rejectsWith(() => s3.send(new HeadObjectCommand({ Bucket: b, Key: 'c', IfNoneMatch: etag })), 'NotModified', 304);
  });

  test('delete object and delete objects', async () => {
    const b = await newBucket();
    for (const k of ['a', 'b', 'c', 'd']) await s3.send(new PutObjectCommand({ Bucket: b, Key: k, Body: k }));
    let d = await s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'a' }));
    assert.equal(d.$metadata.httpStatusCode, 204);
    d = await s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'a' }));
    assert.equal(d.$metadata.httpStatusCode, 204);
    d = await s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'never-existed' }));
    assert.equal(d.$metadata.httpStatusCode, 204);

    const loud = await s3.send(new DeleteObjectsCommand({ Bucket: b, Delete: { Objects: [{ Key: 'b' }, { Key: 'missing' }] } }));
    assert.deepEqual(loud.Deleted?.map((x) => x.Key).sort(), ['b', 'missing']);
    assert.equal(loud.Errors?.length ?? 0, 0);
    const quiet = await s3.send(new DeleteObjectsCommand({ Bucket: b, Delete: { Quiet: true, Objects: [{ Key: 'c' }, { Key: 'd' }] } }));
    assert.equal(quiet.Deleted?.length ?? 0, 0);
    assert.equal(quiet.Errors?.length ?? 0, 0);
    const left = await s3.send(new ListObjectsV2Command({ Bucket: b }));
    assert.equal(left.KeyCount, 0);
    await s3WhenRequired.send(new PutObjectCommand({ Bucket: b, Key: 'e', Body: 'e' }));
    const wr = await s3WhenRequired.send(new DeleteObjectsCommand({ Bucket: b, Delete: { Objects: [{ Key: 'e' }] } }));
    assert.deepEqual(wr.Deleted?.map((x) => x.Key), ['e']);
  });
});

const AWKWARD_KEYS = [
  'with space.txt',
  'a+b+c',
  '100%',
  'literal%2Fslash',
  'double//slash',
  '../x',
  '/leading',
  'ü/日本/😀',
  'amp&ersand',
  'question?mark',
  'hash#tag',
  'tab\tand~tilde',
  '*star(paren)!\'quote',
  'x'.repeat(1024),
  'é'.repeat(512), // 1024 bytes in UTF-8
];

describe('keys and listing', () => {
  test('awkward keys round-trip exactly', async () => {
    const b = await newBucket();
    for (const key of AWKWARD_KEYS) {
      const body = `body of ${key}`;
      await s3.send(new PutObjectCommand({ Bucket: b, Key: key, Body: body }));
      const { body: got } = await getBytes(s3, b, key);
      assert.equal(sha(got), sha(body), `content of ${JSON.stringify(key)}`);
      await s3.send(new HeadObjectCommand({ Bucket: b, Key: key }));
    }
    const listed: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: b, ContinuationToken: token }));
      listed.push(...(page.Contents ?? []).map((o) => o.Key!));
      token = page.NextContinuationToken;
    } while (token);
    const byBytes = [...AWKWARD_KEYS].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    assert.deepEqual(listed, byBytes);

    // encoding-type=url: the SDK decodes keys back for us; raw response must be percent-encoded.
    const enc = await s3.send(new ListObjectsV2Command({ Bucket: b, EncodingType: 'url' }));
    assert.equal(enc.EncodingType, 'url');
    const decoded = (enc.Contents ?? []).map((o) => decodeURIComponent(o.Key!.replace(/\+/g, ' ')));
    assert.deepEqual(decoded, byBytes);
    const raw = (enc.Contents ?? []).map((o) => o.Key!);
    assert.ok(!raw.some((k) => /[ ?#&\u0080-\uffff]/.test(k)), `keys not url-encoded: ${JSON.stringify(raw.slice(0, 5))}`);

    await rejectsWith(() => s3.send(new PutObjectCommand({ Bucket: b, Key: 'y'.repeat(1025), Body: 'x' })), 'KeyTooLongError', 400);
    await rejectsWith(() => s3.send(new PutObjectCommand({ Bucket: b, Key: 'é'.repeat(512) + 'z', Body: 'x' })), 'KeyTooLongError', 400);
    for (const key of AWKWARD_KEYS) await s3.send(new DeleteObjectCommand({ Bucket: b, Key: key }));
    assert.equal((await s3.send(new ListObjectsV2Command({ Bucket: b }))).KeyCount, 0);
  });

  test('ListObjectsV2: prefix, delimiters, paging, start-after, fetch-owner', async () => {
    const b = await newBucket();
    const keys: string[] = [];
    for (let i = 0; i < 50; i++) keys.push(`k/${String(i).padStart(3, '0')}`);
    await Promise.all(keys.map((Key) => s3.send(new PutObjectCommand({ Bucket: b, Key, Body: Key }))));
    const extra = ['top.txt', 'dir1/a', 'dir1/b', 'dir2/sub/c', 'x--y--1', 'x--y--2', 'x--z', 'xa'];
    for (const Key of extra) await s3.send(new PutObjectCommand({ Bucket: b, Key, Body: Key }));

    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: b, Prefix: 'k/', MaxKeys: 7, ContinuationToken: token }));
      pages++;
      assert.ok((page.Contents?.length ?? 0) <= 7);
      assert.equal(page.KeyCount, page.Contents?.length ?? 0);
      assert.equal(page.MaxKeys, 7);
      seen.push(...(page.Contents ?? []).map((o) => o.Key!));
      assert.equal(page.IsTruncated, page.NextContinuationToken !== undefined);
      token = page.NextContinuationToken;
    } while (token);
    assert.deepEqual(seen, keys);
    assert.equal(pages, 8);

    const d = await s3.send(new ListObjectsV2Command({ Bucket: b, Delimiter: '/' }));
    assert.deepEqual(d.CommonPrefixes?.map((p) => p.Prefix), ['dir1/', 'dir2/', 'k/']);
    assert.deepEqual(d.Contents?.map((o) => o.Key), ['top.txt', 'x--y--1', 'x--y--2', 'x--z', 'xa']);
    assert.equal(d.KeyCount, 8);
    const d2 = await s3.send(new ListObjectsV2Command({ Bucket: b, Delimiter: '/', Prefix: 'dir2/' }));
    assert.deepEqual(d2.CommonPrefixes?.map((p) => p.Prefix), ['dir2/sub/']);
    assert.equal(d2.Contents?.length ?? 0, 0);
    const multi = await s3.send(new ListObjectsV2Command({ Bucket: b, Delimiter: '--', Prefix: 'x' }));
    assert.deepEqual(multi.CommonPrefixes?.map((p) => p.Prefix), ['x--']);
    assert.deepEqual(multi.Contents?.map((o) => o.Key), ['xa']);
    const multi2 = await s3.send(new ListObjectsV2Command({ Bucket: b, Delimiter: '--', Prefix: 'x--' }));
    assert.deepEqual(multi2.CommonPrefixes?.map((p) => p.Prefix), ['x--y--']);
    assert.deepEqual(multi2.Contents?.map((o) => o.Key), ['x--z']);

    // Paging with a delimiter: common prefixes are counted once and never repeated.
    const all: string[] = [];
    token = undefined;
    do {
      const page: ListObjectsV2CommandOutput = await s3.send(new ListObjectsV2Command({ Bucket: b, Delimiter: '/', MaxKeys: 2, ContinuationToken: token }));
      all.push(...(page.CommonPrefixes ?? []).map((p) => p.Prefix!), ...(page.Contents ?? []).map((o) => o.Key!));
      token = page.NextContinuationToken;
    } while (token);
    assert.deepEqual(all.sort(), ['dir1/', 'dir2/', 'k/', 'top.txt', 'x--y--1', 'x--y--2', 'x--z', 'xa'].sort());

    const sa = await s3.send(new ListObjectsV2Command({ Bucket: b, Prefix: 'k/', StartAfter: 'k/045' }));
    assert.deepEqual(sa.Contents?.map((o) => o.Key), ['k/046', 'k/047', 'k/048', 'k/049']);
    assert.equal(sa.StartAfter, 'k/045');

    const noOwner = await s3.send(new ListObjectsV2Command({ Bucket: b, Prefix: 'top' }));
    assert.equal(noOwner.Contents?.[0]?.Owner, undefined);
    const owner = await s3.send(new ListObjectsV2Command({ Bucket: b, Prefix: 'top', FetchOwner: true }));
    assert.ok(owner.Contents?.[0]?.Owner?.ID, 'fetch-owner gives Owner.ID');
    const c0 = owner.Contents![0]!;
    assert.equal(c0.Size, 'top.txt'.length);
    assert.equal(c0.ETag, `"${createHash('md5').update('top.txt').digest('hex')}"`);
    assert.equal(c0.StorageClass, 'STANDARD');

    const none = await s3.send(new ListObjectsV2Command({ Bucket: b, Prefix: 'nothing/' }));
    assert.equal(none.KeyCount, 0);
    assert.equal(none.IsTruncated, false);
  });

  test('ListObjects v1 with marker paging', async () => {
    const b = await newBucket();
    const keys = Array.from({ length: 23 }, (_, i) => `m${String(i).padStart(2, '0')}`);
    await Promise.all(keys.map((Key) => s3.send(new PutObjectCommand({ Bucket: b, Key, Body: Key }))));
    const seen: string[] = [];
    let marker: string | undefined;
    for (;;) {
      const page = await s3.send(new ListObjectsCommand({ Bucket: b, MaxKeys: 5, Marker: marker }));
      const got = (page.Contents ?? []).map((o) => o.Key!);
      seen.push(...got);
      if (!page.IsTruncated) break;
      marker = page.NextMarker ?? got[got.length - 1];
      assert.ok(marker);
    }
    assert.deepEqual(seen, keys);
    const d = await s3.send(new ListObjectsCommand({ Bucket: b, Delimiter: '1' }));
    assert.ok(d.CommonPrefixes?.some((p) => p.Prefix === 'm01'));
    const v1 = await s3.send(new ListObjectsCommand({ Bucket: b, Marker: 'm20' }));
    assert.deepEqual(v1.Contents?.map((o) => o.Key), ['m21', 'm22']);
    assert.ok(v1.Contents?.[0]?.Owner?.ID, 'v1 lists the owner');
  });
});

describe('presigned URLs and authentication', () => {
  test('presigned GET and PUT', async () => {
    const b = await newBucket();
    const data = randomBytes(4096);
    await s3.send(new PutObjectCommand({ Bucket: b, Key: 'p q/ü+x', Body: data }));
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: b, Key: 'p q/ü+x' }), { expiresIn: 300 });
    const r = await fetch(url);
    assert.equal(r.status, 200);
    assert.equal(sha(Buffer.from(await r.arrayBuffer())), sha(data));
    assert.ok(r.headers.get('x-amz-request-id'));

    const putUrl = await getSignedUrl(s3WhenRequired, new PutObjectCommand({ Bucket: b, Key: 'uploaded' }), { expiresIn: 300 });
    const pr = await fetch(putUrl, { method: 'PUT', body: data });
    assert.equal(pr.status, 200, await pr.text());
    assert.equal(sha((await getBytes(s3, b, 'uploaded')).body), sha(data));
  });

  test('expired presigned URL is AccessDenied', async () => {
    const b = await newBucket();
    await s3.send(new PutObjectCommand({ Bucket: b, Key: 'e', Body: 'e' }));
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: b, Key: 'e' }), { expiresIn: 1 });
    await new Promise((r) => setTimeout(r, 2100));
    const r = await fetch(url);
    assert.equal(r.status, 403);
    const text = await r.text();
    assert.match(text, /<Code>AccessDenied<\/Code>/);
  });

  test('presign with X-Amz-Expires over 7 days is rejected', async () => {
    const b = await newBucket();
    await s3.send(new PutObjectCommand({ Bucket: b, Key: 'e', Body: 'e' }));
    // The presigner itself refuses > 604800, so sign 604800 and check the limit is inclusive...
    const ok = await getSignedUrl(s3, new GetObjectCommand({ Bucket: b, Key: 'e' }), { expiresIn: 604800 });
    assert.equal((await fetch(ok)).status, 200);
    // ...then sign a URL with X-Amz-Expires=604801 ourselves (the SDK presigner refuses to).
    const target = presign({ method: 'GET', path: `/${b}/e`, host: server.endpoint, accessKey: server.accessKey, secretKey: server.secretKey, expires: 604801 });
    const r = await fetch(server.url + target);
    assert.equal(r.status, 403); // as AWS: 403 AuthorizationQueryParametersError (a lifetime out of range)
    assert.match(await r.text(), /<Code>AuthorizationQueryParametersError<\/Code>/);
    // A correctly hand-signed URL within the limit works (checks the signer used above).
    const good = presign({ method: 'GET', path: `/${b}/e`, host: server.endpoint, accessKey: server.accessKey, secretKey: server.secretKey, expires: 60 });
    const g = await fetch(server.url + good);
    assert.equal(g.status, 200);
    assert.equal(await g.text(), 'e');
  });

  test('wrong secret, unknown key, anonymous', async () => {
    const b = await newBucket();
    await s3.send(new PutObjectCommand({ Bucket: b, Key: 'k', Body: 'k' }));
    const wrong = sdkClient(server, { credentials: { accessKeyId: server.accessKey, secretAccessKey: 'not-the-secret' } });
    const err = await rejectsWith(() => wrong.send(new GetObjectCommand({ Bucket: b, Key: 'k' })), 'SignatureDoesNotMatch', 403);
    assert.ok(err.$metadata.requestId);
    await rejectsWith(() => wrong.send(new ListBucketsCommand({})), 'SignatureDoesNotMatch', 403);
    const unknown = sdkClient(server, { credentials: { accessKeyId: 'AKIDONTEXIST0000000', secretAccessKey: 'x' } });
    await rejectsWith(() => unknown.send(new ListObjectsV2Command({ Bucket: b })), 'InvalidAccessKeyId', 403);
    wrong.destroy();
    unknown.destroy();

    const anon = await fetch(`${server.url}/${b}/k`);
    assert.equal(anon.status, 403);
    const rid = anon.headers.get('x-amz-request-id');
    assert.ok(rid);
    assert.match(anon.headers.get('content-type') ?? '', /xml/);
    const text = await anon.text();
    assert.match(text, /<Error>/);
    assert.match(text, /<Code>AccessDenied<\/Code>/);
    assert.match(text, /<Message>[^<]+<\/Message>/);
    assert.match(text, new RegExp(`<RequestId>${rid}</RequestId>`));
    const anonList = await fetch(`${server.url}/`);
    assert.equal(anonList.status, 403);
    await anonList.arrayBuffer();

    // HEAD error: status and request id, no body.
    const head = await fetch(`${server.url}/${b}/k`, { method: 'HEAD' });
    assert.equal(head.status, 403);
    assert.ok(head.headers.get('x-amz-request-id'));
    assert.equal((await head.arrayBuffer()).byteLength, 0);
    const missing = await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'nope' })).catch((e: S3ServiceException) => e);
    assert.ok(missing instanceof S3ServiceException);
    assert.equal(missing.$metadata.httpStatusCode, 404);
    assert.ok(missing.$metadata.requestId);
  });

  test('x-amz-request-id on every response', async () => {
    const b = await newBucket();
    const ids = new Set<string>();
    const c = sdkClient(server);
    c.middlewareStack.add(
      (next) => async (args) => {
        const out = await next(args);
        const id = (out.response as { headers?: Record<string, string> } | undefined)?.headers?.['x-amz-request-id'];
        assert.ok(id, 'x-amz-request-id missing');
        ids.add(id);
        return out;
      },
      { step: 'deserialize', name: 'captureRequestId' },
    );
    await c.send(new PutObjectCommand({ Bucket: b, Key: 'a', Body: 'a' }));
    await c.send(new GetObjectCommand({ Bucket: b, Key: 'a' }));
    await c.send(new HeadObjectCommand({ Bucket: b, Key: 'a' }));
    await c.send(new ListObjectsV2Command({ Bucket: b }));
    await c.send(new DeleteObjectCommand({ Bucket: b, Key: 'a' }));
    await c.send(new HeadBucketCommand({ Bucket: b }));
    assert.equal(ids.size, 6, 'request ids are unique');
    c.destroy();
  });
});
