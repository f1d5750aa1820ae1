/**
 * Multipart uploads, copies, tagging and GetObjectAttributes with @aws-sdk/client-s3 against the real
 * server (issue 3): AWS's part rules and errors, the multipart ETag computed independently, ListParts /
 * ListMultipartUploads pagination, partNumber reads, UploadPartCopy ranges, CopyObject directives and
 * awkward copy sources.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { crc32 as zlibCrc32 } from 'node:zlib';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectTaggingCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
  UploadPartCopyCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { startServer, type TestServer } from '../helpers/server.js';
import { sdkClient } from '../helpers/clients.js';
import { sha256hex, signHeaders } from '../helpers/sign.js';

const MiB = 1024 * 1024;
const md5hex = (b: Uint8Array): string => createHash('md5').update(b).digest('hex');
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** The multipart ETag as AWS defines it: md5 of the concatenated binary part MD5s, "-N". */
function multipartEtag(parts: Buffer[]): string {
  const h = createHash('md5');
  for (const p of parts) h.update(createHash('md5').update(p).digest());
  return `"${h.digest('hex')}-${parts.length}"`;
}

let server: TestServer;
let s3: S3Client;
let seq = 0;
const newBucket = async (): Promise<string> => {
  const name = `mpu-${process.pid}-${++seq}`;
  await s3.send(new CreateBucketCommand({ Bucket: name }));
  return name;
};

async function getBytes(Bucket: string, Key: string, extra: Record<string, unknown> = {}): Promise<{ body: Buffer; out: GetObjectCommandOutput }> {
  const out = await s3.send(new GetObjectCommand({ Bucket, Key, ...extra }));
  return { body: Buffer.from(await out.Body!.transformToByteArray()), out };
}

async function rejectsWith(fn: () => Promise<unknown>, code: string, status?: number): Promise<S3ServiceException> {
  try {
    await fn();
  } catch (e) {
    const err = e as S3ServiceException;
    assert.equal(err.name, code, `expected ${code}, got ${err.name}: ${err.message}`);
    if (status !== undefined) assert.equal(err.$metadata.httpStatusCode, status);
    return err;
  }
  assert.fail(`expected ${code}, but the request succeeded`);
}

/** Creates an upload and uploads `parts` as parts 1..N; returns the uploadId and completed-part list. */
async function uploadParts(Bucket: string, Key: string, parts: Buffer[], create: Record<string, unknown> = {}): Promise<{ UploadId: string; done: CompletedPart[] }> {
  const c = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key, ...create }));
  const UploadId = c.UploadId!;
  const done: CompletedPart[] = [];
  for (let i = 0; i < parts.length; i++) {
    const r = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: i + 1, Body: parts[i] }));
    assert.equal(r.ETag, `"${md5hex(parts[i]!)}"`);
    done.push({ PartNumber: i + 1, ETag: r.ETag });
  }
  return { UploadId, done };
}

before(async () => {
  server = await startServer();
  s3 = sdkClient(server);
});
after(async () => {
  s3?.destroy();
  await server?.stop();
  server?.cleanup();
});

describe('multipart upload', () => {
  test('create, upload parts, complete: multipart ETag, bytes, size', async () => {
    const b = await newBucket();
    const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB + 7), randomBytes(1234)];
    const { UploadId, done } = await uploadParts(b, 'big/object.bin', parts, { ContentType: 'application/x-netcdf', Metadata: { project: 'granary' } });
    const c = await s3.send(new CompleteMultipartUploadCommand({ Bucket: b, Key: 'big/object.bin', UploadId, MultipartUpload: { Parts: done } }));
    const expectedEtag = multipartEtag(parts);
    assert.match(expectedEtag, /^"[0-9a-f]{32}-3"$/);
    assert.equal(c.ETag, expectedEtag);
    assert.equal(c.Bucket, b);
    assert.equal(c.Key, 'big/object.bin');
    const whole = Buffer.concat(parts);
    const { body, out } = await getBytes(b, 'big/object.bin');
    assert.equal(sha(body), sha(whole));
    assert.equal(out.ETag, expectedEtag);
    assert.equal(out.ContentType, 'application/x-netcdf');
    assert.equal(out.Metadata?.project, 'granary');
    const head = await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'big/object.bin' }));
    assert.equal(head.ContentLength, whole.length);
    assert.equal(head.ETag, expectedEtag);
    // The upload is gone once completed.
    const list = await s3.send(new ListMultipartUploadsCommand({ Bucket: b }));
    assert.equal(list.Uploads?.length ?? 0, 0);
    // A ranged read across a part boundary.
    const { body: ranged } = await getBytes(b, 'big/object.bin', { Range: `bytes=${5 * MiB - 10}-${5 * MiB + 9}` });
    assert.deepEqual(ranged, whole.subarray(5 * MiB - 10, 5 * MiB + 10));
  });

  test('ListParts pagination: max-parts 2 over 5 parts', async () => {
    const b = await newBucket();
    const parts = Array.from({ length: 5 }, (_, i) => randomBytes(1000 + i));
    const { UploadId, done } = await uploadParts(b, 'k', parts);
    const seen: number[] = [];
    let marker: string | undefined;
    const pages: boolean[] = [];
    for (let guard = 0; guard < 10; guard++) {
      const r = await s3.send(new ListPartsCommand({ Bucket: b, Key: 'k', UploadId, MaxParts: 2, ...(marker ? { PartNumberMarker: marker } : {}) }));
      assert.equal(r.UploadId, UploadId);
      assert.equal(r.MaxParts, 2);
      assert.ok((r.Parts?.length ?? 0) <= 2);
      for (const p of r.Parts ?? []) {
        seen.push(p.PartNumber!);
        assert.equal(p.ETag, done[p.PartNumber! - 1]!.ETag);
        assert.equal(p.Size, parts[p.PartNumber! - 1]!.length);
        assert.ok(p.LastModified instanceof Date);
      }
      pages.push(r.IsTruncated === true);
      if (!r.IsTruncated) break;
      assert.equal(r.NextPartNumberMarker, String(r.Parts![r.Parts!.length - 1]!.PartNumber));
      marker = r.NextPartNumberMarker;
    }
    assert.deepEqual(seen, [1, 2, 3, 4, 5]);
    assert.deepEqual(pages, [true, true, false]);
    await s3.send(new AbortMultipartUploadCommand({ Bucket: b, Key: 'k', UploadId }));
  });

  test('ListMultipartUploads: prefix, delimiter, key-marker / upload-id-marker', async () => {
    const b = await newBucket();
    const keys = ['a/1', 'a/2', 'a/2', 'b/1', 'c'];
    const ids: Array<{ key: string; id: string }> = [];
    for (const Key of keys) {
      const r = await s3.send(new CreateMultipartUploadCommand({ Bucket: b, Key }));
      ids.push({ key: Key, id: r.UploadId! });
    }
    const all = await s3.send(new ListMultipartUploadsCommand({ Bucket: b }));
    assert.equal(all.Uploads?.length, 5);
    assert.deepEqual(all.Uploads!.map((u) => u.Key), ['a/1', 'a/2', 'a/2', 'b/1', 'c']);
    assert.deepEqual(new Set(all.Uploads!.map((u) => u.UploadId)), new Set(ids.map((x) => x.id)));
    assert.equal(all.IsTruncated, false);

    const pre = await s3.send(new ListMultipartUploadsCommand({ Bucket: b, Prefix: 'a/' }));
    assert.deepEqual(pre.Uploads!.map((u) => u.Key), ['a/1', 'a/2', 'a/2']);
    assert.equal(pre.Prefix, 'a/');

    const del = await s3.send(new ListMultipartUploadsCommand({ Bucket: b, Delimiter: '/' }));
    assert.deepEqual((del.CommonPrefixes ?? []).map((p) => p.Prefix), ['a/', 'b/']);
    assert.deepEqual((del.Uploads ?? []).map((u) => u.Key), ['c']);
    assert.equal(del.Delimiter, '/');

    const preDel = await s3.send(new ListMultipartUploadsCommand({ Bucket: b, Prefix: 'a/', Delimiter: '/' }));
    assert.equal(preDel.CommonPrefixes?.length ?? 0, 0);
    assert.equal(preDel.Uploads?.length, 3);

    // key-marker alone: only keys after it.
    const km = await s3.send(new ListMultipartUploadsCommand({ Bucket: b, KeyMarker: 'a/2' }));
    assert.deepEqual(km.Uploads!.map((u) => u.Key), ['b/1', 'c']);

    // key-marker + upload-id-marker: the later uploads of that key, then later keys.
    const a2 = all.Uploads!.filter((u) => u.Key === 'a/2');
    const kum = await s3.send(new ListMultipartUploadsCommand({ Bucket: b, KeyMarker: 'a/2', UploadIdMarker: a2[0]!.UploadId }));
    assert.deepEqual(kum.Uploads!.map((u) => u.UploadId), [a2[1]!.UploadId, ...all.Uploads!.slice(3).map((u) => u.UploadId)]);

    // Paging with max-uploads 2 visits every upload once, in order.
    const paged: string[] = [];
    let keyMarker: string | undefined;
    let idMarker: string | undefined;
    for (let guard = 0; guard < 10; guard++) {
      const r = await s3.send(new ListMultipartUploadsCommand({ Bucket: b, MaxUploads: 2, KeyMarker: keyMarker, UploadIdMarker: idMarker }));
      paged.push(...(r.Uploads ?? []).map((u) => u.UploadId!));
      if (!r.IsTruncated) break;
      keyMarker = r.NextKeyMarker;
      idMarker = r.NextUploadIdMarker;
      assert.ok(keyMarker);
    }
    assert.deepEqual(paged, all.Uploads!.map((u) => u.UploadId));
  });

  test('re-uploading a part number replaces it', async () => {
    const b = await newBucket();
    const first = randomBytes(5 * MiB);
    const second = randomBytes(5 * MiB);
    const tail = randomBytes(100);
    const { UploadId } = await uploadParts(b, 'k', [first, tail]);
    const r = await s3.send(new UploadPartCommand({ Bucket: b, Key: 'k', UploadId, PartNumber: 1, Body: second }));
    assert.equal(r.ETag, `"${md5hex(second)}"`);
    const lp = await s3.send(new ListPartsCommand({ Bucket: b, Key: 'k', UploadId }));
    assert.equal(lp.Parts?.length, 2);
    assert.equal(lp.Parts![0]!.ETag, `"${md5hex(second)}"`);
    // The replaced part's ETag is no longer a valid part.
    await rejectsWith(
      () => s3.send(new CompleteMultipartUploadCommand({ Bucket: b, Key: 'k', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: `"${md5hex(first)}"` }, { PartNumber: 2, ETag: `"${md5hex(tail)}"` }] } })),
      'InvalidPart',
      400,
    );
    const c = await s3.send(new CompleteMultipartUploadCommand({ Bucket: b, Key: 'k', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: r.ETag }, { PartNumber: 2, ETag: `"${md5hex(tail)}"` }] } }));
    assert.equal(c.ETag, multipartEtag([second, tail]));
    const { body } = await getBytes(b, 'k');
    assert.equal(sha(body), sha(Buffer.concat([second, tail])));
  });

  test('CompleteMultipartUpload with ETag quotes as XML character references (&#34;, as Go clients send)', async () => {
    const b = await newBucket();
    const parts = [randomBytes(5 * MiB), randomBytes(10)];
    const { UploadId } = await uploadParts(b, 'go', parts);
    const xml =
      '<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
      parts.map((p, i) => `<Part><ETag>&#34;${md5hex(p)}&#x22;</ETag><PartNumber>${i + 1}</PartNumber></Part>`).join('') +
      '</CompleteMultipartUpload>';
    const { target, headers } = signHeaders({
      method: 'POST', path: `/${b}/go`, query: { uploadId: UploadId }, headers: { 'content-type': 'application/xml' },
      host: server.endpoint, accessKey: server.accessKey, secretKey: server.secretKey, payloadHash: sha256hex(xml),
    });
    delete headers['host'];
    const res = await fetch(server.url + target, { method: 'POST', headers, body: xml });
    const text = await res.text();
    assert.equal(res.status, 200, text);
    assert.ok(text.includes(multipartEtag(parts).replace(/"/g, '&quot;')) || text.includes(multipartEtag(parts)), text);
    assert.equal(sha((await getBytes(b, 'go')).body), sha(Buffer.concat(parts)));
  });

  test('EntityTooSmall: a 1 MiB part that is not the last', async () => {
    const b = await newBucket();
    const { UploadId, done } = await uploadParts(b, 'k', [randomBytes(MiB), randomBytes(MiB)]);
    await rejectsWith(() => s3.send(new CompleteMultipartUploadCommand({ Bucket: b, Key: 'k', UploadId, MultipartUpload: { Parts: done } })), 'EntityTooSmall', 400);
    // A single small part is fine (it is the last).
    const c = await s3.send(new CompleteMultipartUploadCommand({ Bucket: b, Key: 'k', UploadId, MultipartUpload: { Parts: [done[0]!] } }));
    assert.match(c.ETag!, /-1"$/);
  });

  test('InvalidPart (wrong ETag, missing part) and InvalidPartOrder', async () => {
    const b = await newBucket();
    const parts = [randomBytes(5 * MiB), randomBytes(10)];
    const { UploadId, done } = await uploadParts(b, 'k', parts);
    await rejectsWith(
      () => s3.send(new CompleteMultipartUploadCommand({ Bucket: b, Key: 'k', UploadId, MultipartUpload: { Parts: [done[0]!, { PartNumber: 2, ETag: '"0123456789abcdef0123456789abcdef"' }] } })),
      'InvalidPart',
      400,
    );
    await rejectsWith(
      () => s3.send(new CompleteMultipartUploadCommand({ Bucket: b, Key: 'k', UploadId, MultipartUpload: { Parts: [...done, { PartNumber: 3, ETag: done[0]!.ETag }] } })),
      'InvalidPart',
      400,
    );
    await rejectsWith(
      () => s3.send(new CompleteMultipartUploadCommand({ Bucket: b, Key: 'k', UploadId, MultipartUpload: { Parts: [done[1]!, done[0]!] } })),
      'InvalidPartOrder',
      400,
    );
    // Nothing was created by the failures.
    await rejectsWith(() => s3.send(new HeadObjectCommand({ Bucket: b, Key: 'k' })), 'NotFound', 404);
    // And the upload still completes correctly.
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: b, Key: 'k', UploadId, MultipartUpload: { Parts: done } }));
    assert.equal(sha((await getBytes(b, 'k')).body), sha(Buffer.concat(parts)));
  });

  test('NoSuchUpload after abort', async () => {
    const b = await newBucket();
    const { UploadId, done } = await uploadParts(b, 'k', [randomBytes(100)]);
    const ab = await s3.send(new AbortMultipartUploadCommand({ Bucket: b, Key: 'k', UploadId }));
    assert.equal(ab.$metadata.httpStatusCode, 204);
    await rejectsWith(() => s3.send(new UploadPartCommand({ Bucket: b, Key: 'k', UploadId, PartNumber: 2, Body: 'x' })), 'NoSuchUpload', 404);
    await rejectsWith(() => s3.send(new ListPartsCommand({ Bucket: b, Key: 'k', UploadId })), 'NoSuchUpload', 404);
    await rejectsWith(() => s3.send(new CompleteMultipartUploadCommand({ Bucket: b, Key: 'k', UploadId, MultipartUpload: { Parts: done } })), 'NoSuchUpload', 404);
    await rejectsWith(() => s3.send(new AbortMultipartUploadCommand({ Bucket: b, Key: 'k', UploadId })), 'NoSuchUpload', 404);
    // An upload id for another key is NoSuchUpload too.
    const other = await s3.send(new CreateMultipartUploadCommand({ Bucket: b, Key: 'other' }));
    await rejectsWith(() => s3.send(new UploadPartCommand({ Bucket: b, Key: 'k', UploadId: other.UploadId!, PartNumber: 1, Body: 'x' })), 'NoSuchUpload', 404);
    assert.equal((await s3.send(new ListMultipartUploadsCommand({ Bucket: b }))).Uploads?.length, 1);
  });

  test('part number 0 and 10001 are InvalidArgument; 10000 is fine', async () => {
    const b = await newBucket();
    const c = await s3.send(new CreateMultipartUploadCommand({ Bucket: b, Key: 'k' }));
    for (const PartNumber of [0, 10001]) {
      await rejectsWith(() => s3.send(new UploadPartCommand({ Bucket: b, Key: 'k', UploadId: c.UploadId!, PartNumber, Body: 'x' })), 'InvalidArgument', 400);
    }
    const ok = await s3.send(new UploadPartCommand({ Bucket: b, Key: 'k', UploadId: c.UploadId!, PartNumber: 10000, Body: 'x' }));
    assert.equal(ok.ETag, `"${md5hex(Buffer.from('x'))}"`);
  });

  test('GetObject / HeadObject with partNumber return that part', async () => {
    const b = await newBucket();
    const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB + 3), randomBytes(999)];
    const { UploadId, done } = await uploadParts(b, 'k', parts);
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: b, Key: 'k', UploadId, MultipartUpload: { Parts: done } }));
    const total = parts.reduce((n, p) => n + p.length, 0);
    const { body, out } = await getBytes(b, 'k', { PartNumber: 2 });
    assert.equal(out.$metadata.httpStatusCode, 206);
    assert.equal(sha(body), sha(parts[1]!));
    assert.equal(out.ContentRange, `bytes ${5 * MiB}-${10 * MiB + 2}/${total}`);
    assert.equal(out.PartsCount, 3);
    assert.equal(out.ContentLength, parts[1]!.length);
    const head = await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'k', PartNumber: 3 }));
    assert.equal(head.$metadata.httpStatusCode, 206);
    assert.equal(head.ContentLength, 999);
    assert.equal(head.PartsCount, 3);
    assert.equal(head.ContentRange, `bytes ${total - 999}-${total - 1}/${total}`);
    const p1 = await getBytes(b, 'k', { PartNumber: 1 });
    assert.deepEqual(p1.body, parts[0]);
    await rejectsWith(() => s3.send(new GetObjectCommand({ Bucket: b, Key: 'k', PartNumber: 4 })), 'InvalidPartNumber', 416);
  });
});

describe('copies', () => {
  test('UploadPartCopy with x-amz-copy-source-range, across buckets', async () => {
    const src = await newBucket();
    const dst = await newBucket();
    const data = randomBytes(15 * MiB + 5);
    await s3.send(new PutObjectCommand({ Bucket: src, Key: 'source.bin', Body: data }));
    const c = await s3.send(new CreateMultipartUploadCommand({ Bucket: dst, Key: 'assembled' }));
    const ranges: Array<[number, number]> = [
      [0, 5 * MiB - 1],
      [5 * MiB, 10 * MiB - 1],
      [10 * MiB, data.length - 1],
    ];
    const done: CompletedPart[] = [];
    for (let i = 0; i < ranges.length; i++) {
      const [s, e] = ranges[i]!;
      const r = await s3.send(new UploadPartCopyCommand({ Bucket: dst, Key: 'assembled', UploadId: c.UploadId!, PartNumber: i + 1, CopySource: `${src}/source.bin`, CopySourceRange: `bytes=${s}-${e}` }));
      assert.equal(r.CopyPartResult?.ETag, `"${md5hex(data.subarray(s, e + 1))}"`);
      done.push({ PartNumber: i + 1, ETag: r.CopyPartResult!.ETag });
    }
    // A part copied whole (no range) from a small object works too, as the last part.
    await s3.send(new PutObjectCommand({ Bucket: src, Key: 'small', Body: 'tail!' }));
    const whole = await s3.send(new UploadPartCopyCommand({ Bucket: dst, Key: 'assembled', UploadId: c.UploadId!, PartNumber: 4, CopySource: `${src}/small` }));
    done.push({ PartNumber: 4, ETag: whole.CopyPartResult!.ETag });
    // A range beyond the source is refused (InvalidRange, issue 16).
    await rejectsWith(
      () => s3.send(new UploadPartCopyCommand({ Bucket: dst, Key: 'assembled', UploadId: c.UploadId!, PartNumber: 5, CopySource: `${src}/source.bin`, CopySourceRange: `bytes=0-${data.length}` })),
      'InvalidRange',
      416,
    );
    const done2 = await s3.send(new CompleteMultipartUploadCommand({ Bucket: dst, Key: 'assembled', UploadId: c.UploadId!, MultipartUpload: { Parts: done } }));
    const expected = Buffer.concat([data, Buffer.from('tail!')]);
    assert.equal(done2.ETag, multipartEtag([...ranges.map(([s, e]) => data.subarray(s, e + 1)), Buffer.from('tail!')]));
    assert.equal(sha((await getBytes(dst, 'assembled')).body), sha(expected));
  });

  test('CopyObject within and across buckets; metadata directive COPY / REPLACE', async () => {
    const b1 = await newBucket();
    const b2 = await newBucket();
    const data = randomBytes(300_000);
    await s3.send(new PutObjectCommand({ Bucket: b1, Key: 'orig', Body: data, ContentType: 'text/x-orig', Metadata: { color: 'blue' }, CacheControl: 'max-age=5' }));
    const within = await s3.send(new CopyObjectCommand({ Bucket: b1, Key: 'copy', CopySource: `${b1}/orig` }));
    assert.equal(within.CopyObjectResult?.ETag, `"${md5hex(data)}"`);
    const across = await s3.send(new CopyObjectCommand({ Bucket: b2, Key: 'deep/copy', CopySource: `/${b1}/orig` }));
    assert.equal(across.CopyObjectResult?.ETag, `"${md5hex(data)}"`);
    for (const [B, K] of [[b1, 'copy'], [b2, 'deep/copy']] as const) {
      const { body, out } = await getBytes(B, K);
      assert.equal(sha(body), sha(data));
      assert.equal(out.ContentType, 'text/x-orig');
      assert.equal(out.Metadata?.color, 'blue');
      assert.equal(out.CacheControl, 'max-age=5');
    }
    await s3.send(new CopyObjectCommand({ Bucket: b2, Key: 'replaced', CopySource: `${b1}/orig`, MetadataDirective: 'REPLACE', ContentType: 'application/x-new', Metadata: { shape: 'round' } }));
    const h = await s3.send(new HeadObjectCommand({ Bucket: b2, Key: 'replaced' }));
    assert.equal(h.ContentType, 'application/x-new');
    assert.deepEqual(h.Metadata, { shape: 'round' });
    assert.equal(h.CacheControl, undefined);
    assert.equal(h.ContentLength, data.length);
    // The source is untouched.
    const src = await s3.send(new HeadObjectCommand({ Bucket: b1, Key: 'orig' }));
    assert.deepEqual(src.Metadata, { color: 'blue' });
    // A multipart source copies to a single-part object with the same bytes.
    const parts = [randomBytes(5 * MiB), randomBytes(10)];
    const { UploadId, done } = await uploadParts(b1, 'mp', parts);
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: b1, Key: 'mp', UploadId, MultipartUpload: { Parts: done } }));
    const mpCopy = await s3.send(new CopyObjectCommand({ Bucket: b2, Key: 'mp-copy', CopySource: `${b1}/mp` }));
    assert.equal(mpCopy.CopyObjectResult?.ETag, `"${md5hex(Buffer.concat(parts))}"`);
    assert.equal(sha((await getBytes(b2, 'mp-copy')).body), sha(Buffer.concat(parts)));
    // Missing sources.
    await rejectsWith(() => s3.send(new CopyObjectCommand({ Bucket: b2, Key: 'x', CopySource: `${b1}/missing` })), 'NoSuchKey', 404);
    await rejectsWith(() => s3.send(new CopyObjectCommand({ Bucket: b2, Key: 'x', CopySource: `${b1}-nope/orig` })), 'NoSuchBucket', 404);
  });

  test('copy onto itself: InvalidRequest without REPLACE, metadata changed with REPLACE', async () => {
    const b = await newBucket();
    const data = randomBytes(1000);
    await s3.send(new PutObjectCommand({ Bucket: b, Key: 'self', Body: data, ContentType: 'text/plain', Metadata: { v: '1' } }));
    await rejectsWith(() => s3.send(new CopyObjectCommand({ Bucket: b, Key: 'self', CopySource: `${b}/self` })), 'InvalidRequest', 400);
    await s3.send(new CopyObjectCommand({ Bucket: b, Key: 'self', CopySource: `${b}/self`, MetadataDirective: 'REPLACE', ContentType: 'application/json', Metadata: { v: '2' } }));
    const { body, out } = await getBytes(b, 'self');
    assert.deepEqual(body, data);
    assert.equal(out.ContentType, 'application/json');
    assert.deepEqual(out.Metadata, { v: '2' });
    assert.equal(out.ETag, `"${md5hex(data)}"`);
  });

  test('x-amz-copy-source-if-match / if-none-match', async () => {
    const b = await newBucket();
    const put = await s3.send(new PutObjectCommand({ Bucket: b, Key: 'src', Body: 'hello' }));
    await rejectsWith(() => s3.send(new CopyObjectCommand({ Bucket: b, Key: 'dst', CopySource: `${b}/src`, CopySourceIfMatch: '"0123456789abcdef0123456789abcdef"' })), 'PreconditionFailed', 412);
    await rejectsWith(() => s3.send(new CopyObjectCommand({ Bucket: b, Key: 'dst', CopySource: `${b}/src`, CopySourceIfNoneMatch: put.ETag })), 'PreconditionFailed', 412);
    await rejectsWith(() => s3.send(new HeadObjectCommand({ Bucket: b, Key: 'dst' })), 'NotFound', 404);
    await s3.send(new CopyObjectCommand({ Bucket: b, Key: 'dst', CopySource: `${b}/src`, CopySourceIfMatch: put.ETag }));
    assert.equal((await getBytes(b, 'dst')).body.toString(), 'hello');
  });

  test('copy sources with awkward keys, URL-encoded', async () => {
    const b = await newBucket();
    const keys = ['dir/with space.txt', 'a+b=c&d.bin', 'ünïcödé/日本語 ✓.dat', '100% sure%20not-decoded', 'trailing/slash/', "quote'and\"double"];
    for (const [i, key] of keys.entries()) {
      const data = Buffer.from(`content of ${key} #${i}`);
      await s3.send(new PutObjectCommand({ Bucket: b, Key: key, Body: data }));
      // Fully encoded (encodeURIComponent), and with the slashes left as they are.
      const full = `${b}/${encodeURIComponent(key)}`;
      const slashes = `${b}/${key.split('/').map(encodeURIComponent).join('/')}`;
      for (const [j, CopySource] of [full, slashes].entries()) {
        const dstKey = `copies/${j}/${key}`;
        await s3.send(new CopyObjectCommand({ Bucket: b, Key: dstKey, CopySource }));
        assert.deepEqual((await getBytes(b, dstKey)).body, data, `copy of ${JSON.stringify(key)} via ${CopySource}`);
      }
    }
  });

  test('copy source ?versionId=null is accepted, another versionId is InvalidArgument', async () => {
    const b = await newBucket();
    await s3.send(new PutObjectCommand({ Bucket: b, Key: 'v key', Body: 'versioned?' }));
    await s3.send(new CopyObjectCommand({ Bucket: b, Key: 'ok', CopySource: `${b}/v%20key?versionId=null` }));
    assert.equal((await getBytes(b, 'ok')).body.toString(), 'versioned?');
    await rejectsWith(() => s3.send(new CopyObjectCommand({ Bucket: b, Key: 'bad', CopySource: `${b}/v%20key?versionId=abc` })), 'InvalidArgument', 400);
    const c = await s3.send(new CreateMultipartUploadCommand({ Bucket: b, Key: 'mp' }));
    await rejectsWith(() => s3.send(new UploadPartCopyCommand({ Bucket: b, Key: 'mp', UploadId: c.UploadId!, PartNumber: 1, CopySource: `${b}/v%20key?versionId=abc` })), 'InvalidArgument', 400);
    const pc = await s3.send(new UploadPartCopyCommand({ Bucket: b, Key: 'mp', UploadId: c.UploadId!, PartNumber: 1, CopySource: `${b}/v%20key?versionId=null` }));
    assert.equal(pc.CopyPartResult?.ETag, `"${md5hex(Buffer.from('versioned?'))}"`);
  });
});

describe('tagging and attributes', () => {
  const tagsOf = async (Bucket: string, Key: string): Promise<Record<string, string>> => {
    const r = await s3.send(new GetObjectTaggingCommand({ Bucket, Key }));
    return Object.fromEntries((r.TagSet ?? []).map((t) => [t.Key!, t.Value!]));
  };

  test('object tagging put/get/delete, and x-amz-tagging on PUT, copy, multipart', async () => {
    const b = await newBucket();
    await s3.send(new PutObjectCommand({ Bucket: b, Key: 'k', Body: 'x', Tagging: 'project=ocean&level=2 b' }));
    assert.deepEqual(await tagsOf(b, 'k'), { project: 'ocean', level: '2 b' });
    const head = await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'k' }));
    assert.equal(head.$metadata.httpStatusCode, 200);
    const g = await getBytes(b, 'k');
    assert.equal(g.out.TagCount, 2);

    await s3.send(new PutObjectTaggingCommand({ Bucket: b, Key: 'k', Tagging: { TagSet: [{ Key: 'a', Value: '1' }, { Key: 'ü', Value: 'x=y&z' }] } }));
    assert.deepEqual(await tagsOf(b, 'k'), { a: '1', ü: 'x=y&z' });
    const del = await s3.send(new DeleteObjectTaggingCommand({ Bucket: b, Key: 'k' }));
    assert.equal(del.$metadata.httpStatusCode, 204);
    assert.deepEqual(await tagsOf(b, 'k'), {});
    await rejectsWith(() => s3.send(new GetObjectTaggingCommand({ Bucket: b, Key: 'missing' })), 'NoSuchKey', 404);
    await rejectsWith(() => s3.send(new PutObjectTaggingCommand({ Bucket: b, Key: 'missing', Tagging: { TagSet: [{ Key: 'a', Value: '1' }] } })), 'NoSuchKey', 404);

    // Copy: tags are copied by default, replaced with the REPLACE tagging directive.
    await s3.send(new PutObjectTaggingCommand({ Bucket: b, Key: 'k', Tagging: { TagSet: [{ Key: 'src', Value: 'yes' }] } }));
    await s3.send(new CopyObjectCommand({ Bucket: b, Key: 'c1', CopySource: `${b}/k` }));
    assert.deepEqual(await tagsOf(b, 'c1'), { src: 'yes' });
    await s3.send(new CopyObjectCommand({ Bucket: b, Key: 'c2', CopySource: `${b}/k`, TaggingDirective: 'REPLACE', Tagging: 'dst=new' }));
    assert.deepEqual(await tagsOf(b, 'c2'), { dst: 'new' });

    // Multipart: tags given at creation end up on the object.
    const parts = [randomBytes(100)];
    const { UploadId, done } = await uploadParts(b, 'mp', parts, { Tagging: 'kind=multipart' });
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: b, Key: 'mp', UploadId, MultipartUpload: { Parts: done } }));
    assert.deepEqual(await tagsOf(b, 'mp'), { kind: 'multipart' });
  });

  test('GetObjectAttributes: ETag, ObjectSize, ObjectParts, Checksum', async () => {
    const b = await newBucket();
    const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(4321)];
    const c = await s3.send(new CreateMultipartUploadCommand({ Bucket: b, Key: 'mp', ChecksumAlgorithm: 'CRC32' }));
    const done: CompletedPart[] = [];
    const crcs: Buffer[] = [];
    for (let i = 0; i < parts.length; i++) {
      const r = await s3.send(new UploadPartCommand({ Bucket: b, Key: 'mp', UploadId: c.UploadId!, PartNumber: i + 1, Body: parts[i], ChecksumAlgorithm: 'CRC32' }));
      const crc = Buffer.alloc(4);
      crc.writeUInt32BE(zlibCrc32(parts[i]!) >>> 0);
      crcs.push(crc);
      assert.equal(r.ChecksumCRC32, crc.toString('base64'));
      done.push({ PartNumber: i + 1, ETag: r.ETag, ChecksumCRC32: r.ChecksumCRC32 });
    }
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: b, Key: 'mp', UploadId: c.UploadId!, MultipartUpload: { Parts: done } }));
    const composite = Buffer.alloc(4);
    composite.writeUInt32BE(zlibCrc32(Buffer.concat(crcs)) >>> 0);
    const etag = multipartEtag(parts);
    const a = await s3.send(new GetObjectAttributesCommand({ Bucket: b, Key: 'mp', ObjectAttributes: ['ETag', 'ObjectSize', 'ObjectParts', 'Checksum', 'StorageClass'] }));
    assert.equal(a.ETag, etag.replace(/"/g, ''));
    assert.equal(a.ObjectSize, parts.reduce((n, p) => n + p.length, 0));
    assert.equal(a.StorageClass, 'STANDARD');
    assert.equal(a.ObjectParts?.TotalPartsCount, 3);
    assert.equal(a.Checksum?.ChecksumCRC32, `${composite.toString('base64')}-3`);
    assert.equal(a.Checksum?.ChecksumType, 'COMPOSITE');
    assert.deepEqual(a.ObjectParts?.Parts?.map((p) => [p.PartNumber, p.Size, p.ChecksumCRC32]), parts.map((p, i) => [i + 1, p.length, crcs[i]!.toString('base64')]));
    assert.ok(a.LastModified instanceof Date);

    // A single-PUT object: ETag and size, no parts.
    const data = randomBytes(777);
    await s3.send(new PutObjectCommand({ Bucket: b, Key: 'single', Body: data, ChecksumAlgorithm: 'SHA256' }));
    const s = await s3.send(new GetObjectAttributesCommand({ Bucket: b, Key: 'single', ObjectAttributes: ['ETag', 'ObjectSize', 'ObjectParts', 'Checksum'] }));
    assert.equal(s.ETag, md5hex(data));
    assert.equal(s.ObjectSize, 777);
    assert.equal(s.ObjectParts, undefined);
    assert.equal(s.Checksum?.ChecksumSHA256, createHash('sha256').update(data).digest('base64'));
    assert.equal(s.Checksum?.ChecksumType, 'FULL_OBJECT');
    await rejectsWith(() => s3.send(new GetObjectAttributesCommand({ Bucket: b, Key: 'missing', ObjectAttributes: ['ETag'] })), 'NoSuchKey', 404);
  });
});
