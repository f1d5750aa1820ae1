/**
 * The S3 edge cases clients rely on (issue 16 §2 and §6), against the real server with
 * @aws-sdk/client-s3, boto3 and hand-signed requests where no SDK sends the request:
 *  - retries: a second CompleteMultipartUpload of a completed upload, a part re-sent while an earlier copy
 *    is still arriving;
 *  - GetObject/HeadObject ?partNumber on multipart and single objects, UploadPartCopy ranges;
 *  - tags with empty values, an empty continuation token, control characters in keys and prefixes;
 *  - checksums (BadDigest, ChecksumType everywhere, the SHA-256 composite-only rule);
 *  - Content-Encoding kept exactly as sent without aws-chunked; ListBuckets pagination.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { startServer, type TestServer } from '../helpers/server.js';
import { awsEnv, run, sdkClient } from '../helpers/clients.js';
import { signHeaders } from '../helpers/sign.js';

const MiB = 1024 * 1024;
let server: TestServer;
let s3: S3Client;
let seq = 0;
const newBucket = async (): Promise<string> => {
  const name = `edge-${process.pid}-${++seq}`;
  await s3.send(new CreateBucketCommand({ Bucket: name }));
  return name;
};

async function errorOf(p: Promise<unknown>): Promise<{ code: string; status: number | undefined; message: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as S3ServiceException;
    return { code: err.name, status: err.$metadata?.httpStatusCode, message: err.message };
  }
  return { code: 'OK', status: 200, message: '' };
}

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request signed with SigV4 by the test's own signer (for requests no SDK sends as we need them). */
function raw(method: string, path: string, opts: { query?: Record<string, string>; headers?: Record<string, string>; body?: Buffer | string; payloadHash?: string; write?: (req: ReturnType<typeof httpRequest>) => void } = {}): Promise<Raw> {
  const body = opts.body === undefined ? undefined : Buffer.from(opts.body);
  const { target, headers } = signHeaders({
    method,
    path,
    query: opts.query,
    host: server.endpoint,
    accessKey: server.accessKey,
    secretKey: server.secretKey,
    ...(opts.payloadHash ? { payloadHash: opts.payloadHash } : {}),
    headers: { ...(body ? { 'content-length': String(body.length) } : {}), ...(opts.headers ?? {}) },
  });
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: server.port, method, path: target, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (opts.write) opts.write(req);
    else req.end(body);
  });
}
const codeOf = (r: Raw): string | undefined => /<Code>([^<]*)<\/Code>/.exec(r.body)?.[1];

before(async () => {
  server = await startServer();
  s3 = sdkClient(server);
});
after(async () => {
  s3?.destroy();
  await server?.stop();
  server?.cleanup();
});

describe('retries and idempotence', () => {
  test('a second CompleteMultipartUpload of a completed upload succeeds with the same ETag while the object is unchanged', async () => {
    const Bucket = await newBucket();
    const Key = 'retried';
    const up = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key }));
    const p1 = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId: up.UploadId, PartNumber: 1, Body: Buffer.alloc(5 * MiB, 1) }));
    const p2 = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId: up.UploadId, PartNumber: 2, Body: Buffer.from('tail') }));
    const parts = { Parts: [{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 2, ETag: p2.ETag }] };
    const first = await s3.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId: up.UploadId, MultipartUpload: parts }));
    // The SDK retrying after a lost response.
    const again = await s3.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId: up.UploadId, MultipartUpload: parts }));
    assert.equal(again.ETag, first.ETag);
    assert.equal(again.Key, Key);
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket, Key }))).ContentLength, 5 * MiB + 4);
    // A different part list is not a retry of that completion.
    const other = await errorOf(s3.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId: up.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag }] } })));
    assert.equal(other.code, 'NoSuchUpload');
    // Once the object was replaced, the upload is gone for good.
    await s3.send(new PutObjectCommand({ Bucket, Key, Body: 'replaced' }));
    const late = await errorOf(s3.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId: up.UploadId, MultipartUpload: parts })));
    assert.equal(`${late.status} ${late.code}`, '404 NoSuchUpload');
  });

  test('a part re-sent while an earlier copy is still arriving: the last to finish wins and completes', async () => {
    const Bucket = await newBucket();
    const Key = 'resent';
    const up = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key }));
    const slowBody = Buffer.alloc(256 * 1024, 0x61);
    const fastBody = Buffer.alloc(128 * 1024, 0x62);
    // The first copy starts, sends half its bytes and stalls; the second copy is sent whole meanwhile.
    let release!: () => void;
    const stalled = new Promise<void>((r) => (release = r));
    const slow = raw('PUT', `/${Bucket}/${Key}`, {
      query: { partNumber: '1', uploadId: up.UploadId! },
      headers: { 'content-length': String(slowBody.length) },
      write: (req) => {
        req.write(slowBody.subarray(0, 100_000));
        void stalled.then(() => req.end(slowBody.subarray(100_000)));
      },
    });
    await new Promise((r) => setTimeout(r, 200));
    const fast = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId: up.UploadId, PartNumber: 1, Body: fastBody }));
    release();
    const slowDone = await slow;
    assert.equal(slowDone.status, 200, slowDone.body);
    const slowEtag = slowDone.headers.etag as string;
    assert.notEqual(slowEtag, fast.ETag);
    // The copy that finished last is the part.
    const listed = await s3.send(new ListPartsCommand({ Bucket, Key, UploadId: up.UploadId }));
    assert.deepEqual(listed.Parts?.map((p) => [p.PartNumber, p.ETag, p.Size]), [[1, slowEtag, slowBody.length]]);
    // The client lists every response it got, in the order they came: the last mention of a part counts.
    const wrongOrder = await errorOf(s3.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId: up.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: slowEtag }, { PartNumber: 1, ETag: fast.ETag }] } })));
    assert.equal(wrongOrder.code, 'InvalidPart', 'the last mention names the copy that lost');
    await s3.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId: up.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: fast.ETag }, { PartNumber: 1, ETag: slowEtag }] } }));
    const got = await s3.send(new GetObjectCommand({ Bucket, Key }));
    assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(slowBody));
  });
});

describe('parts of objects', () => {
  let Bucket: string;
  const partBodies = [Buffer.alloc(5 * MiB, 0x31), Buffer.alloc(5 * MiB, 0x32), Buffer.from('the third part')];
  let mpEtag: string;
  before(async () => {
    Bucket = await newBucket();
    const up = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'mp' }));
    const Parts = [];
    for (const [i, Body] of partBodies.entries()) {
      const r = await s3.send(new UploadPartCommand({ Bucket, Key: 'mp', UploadId: up.UploadId, PartNumber: i + 1, Body }));
      Parts.push({ PartNumber: i + 1, ETag: r.ETag });
    }
    mpEtag = (await s3.send(new CompleteMultipartUploadCommand({ Bucket, Key: 'mp', UploadId: up.UploadId, MultipartUpload: { Parts } }))).ETag!;
    await s3.send(new PutObjectCommand({ Bucket, Key: 'single', Body: 'non-mpu-object' }));
  });

  test('GetObject/HeadObject ?partNumber on a multipart object: that part, its range and x-amz-mp-parts-count', async () => {
    const g = await s3.send(new GetObjectCommand({ Bucket, Key: 'mp', PartNumber: 2 }));
    assert.equal(g.$metadata.httpStatusCode, 206);
    assert.ok(Buffer.from(await g.Body!.transformToByteArray()).equals(partBodies[1]!));
    assert.equal(g.ContentRange, `bytes ${5 * MiB}-${10 * MiB - 1}/${10 * MiB + 14}`);
    assert.equal(g.PartsCount, 3);
    assert.equal(g.ETag, mpEtag);
    const h = await s3.send(new HeadObjectCommand({ Bucket, Key: 'mp', PartNumber: 3 }));
    assert.equal(h.$metadata.httpStatusCode, 206);
    assert.equal(h.ContentLength, 14);
    assert.equal(h.PartsCount, 3);
    // Without partNumber, no parts count (AWS returns it only for a part request).
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket, Key: 'mp' }))).PartsCount, undefined);
    const beyond = await errorOf(s3.send(new GetObjectCommand({ Bucket, Key: 'mp', PartNumber: 4 })));
    assert.equal(`${beyond.status} ${beyond.code}`, '416 InvalidPartNumber');
  });

  test('?partNumber on a single-PUT object: 1 is the whole object (206), beyond is InvalidPartNumber, 0 and 10001 InvalidArgument', async () => {
    const g = await s3.send(new GetObjectCommand({ Bucket, Key: 'single', PartNumber: 1 }));
    assert.equal(g.$metadata.httpStatusCode, 206);
    assert.equal(await g.Body!.transformToString(), 'non-mpu-object');
    assert.equal(g.ContentRange, 'bytes 0-13/14');
    assert.equal(g.ContentLength, 14);
    assert.equal(g.PartsCount, undefined, 'a single-PUT object has no parts count');
    const h = await s3.send(new HeadObjectCommand({ Bucket, Key: 'single', PartNumber: 1 }));
    assert.equal(h.$metadata.httpStatusCode, 206);
    assert.equal(h.ContentLength, 14);
    const beyond = await raw('GET', `/${Bucket}/single`, { query: { partNumber: '2' } });
    assert.equal(`${beyond.status} ${codeOf(beyond)}`, '416 InvalidPartNumber');
    assert.equal((await raw('HEAD', `/${Bucket}/single`, { query: { partNumber: '4' } })).status, 416);
    for (const n of ['0', '10001', 'x']) {
      const r = await raw('GET', `/${Bucket}/single`, { query: { partNumber: n } });
      assert.equal(`${r.status} ${codeOf(r)}`, '400 InvalidArgument', n);
    }
    const both = await raw('GET', `/${Bucket}/single`, { query: { partNumber: '1' }, headers: { range: 'bytes=1-2' } });
    assert.equal(`${both.status} ${codeOf(both)}`, '400 InvalidRequest');
  });

  test('UploadPartCopy with a range outside the source is InvalidRange; a malformed range InvalidArgument', async () => {
    const up = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'copy-dest' }));
    const copy = (CopySourceRange: string) =>
      errorOf(s3.send(new UploadPartCopyCommand({ Bucket, Key: 'copy-dest', UploadId: up.UploadId, PartNumber: 1, CopySource: `${Bucket}/single`, CopySourceRange })));
    assert.equal((await copy('bytes=0-21')).code, 'InvalidRange');
    assert.equal((await copy('bytes=14-20')).code, 'InvalidRange');
    assert.equal((await copy('bytes=5-2')).code, 'InvalidRange');
    assert.equal((await copy('bytes=hello-world')).code, 'InvalidArgument');
    assert.equal((await copy('0-2')).code, 'InvalidArgument');
    assert.equal((await copy('bytes=0-13')).code, 'OK');
  });
});

describe('tags, tokens and keys', () => {
  test('PutObject x-amz-tagging with empty values and several tags', async () => {
    const Bucket = await newBucket();
    await s3.send(new PutObjectCommand({ Bucket, Key: 't', Body: 'x', Tagging: 'empty=&project=granary&other=' }));
    const t = await s3.send(new GetObjectTaggingCommand({ Bucket, Key: 't' }));
    assert.deepEqual(t.TagSet?.map((x) => [x.Key, x.Value]), [['empty', ''], ['project', 'granary'], ['other', '']]);
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket, Key: 't' }))).TagCount, 3);
    // As a URL query: a key without '=' has an empty value, empty pairs are nothing, '+' is a space.
    const tagsOf = async (Tagging: string) => {
      await s3.send(new PutObjectCommand({ Bucket, Key: 'u', Body: 'x', Tagging }));
      return (await s3.send(new GetObjectTaggingCommand({ Bucket, Key: 'u' }))).TagSet?.map((x) => [x.Key, x.Value]);
    };
    assert.deepEqual(await tagsOf('lonely&b=1'), [['lonely', ''], ['b', '1']]);
    assert.deepEqual(await tagsOf('&&&'), []);
    assert.deepEqual(await tagsOf('key=&'), [['key', '']]);
    assert.deepEqual(await tagsOf('key++key=value%20value&at@=x:y/z'), [['key  key', 'value value'], ['at@', 'x:y/z']]);
    // What AWS refuses: a malformed encoding, an empty or repeated key, characters tags cannot hold.
    for (const [Tagging, code] of [['=', 'InvalidArgument'], ['key%', 'InvalidArgument'], ['k=1&k=2', 'InvalidArgument'], ['key?=v', 'InvalidTag'], ['key=val!', 'InvalidTag']]) {
      const r = await raw('PUT', `/${Bucket}/bad`, { headers: { 'x-amz-tagging': Tagging! }, body: 'x' });
      assert.equal(`${r.status} ${codeOf(r)}`, `400 ${code}`, Tagging);
    }
  });

  test('ListObjectsV2 with an empty continuation token lists from the start', async () => {
    const Bucket = await newBucket();
    for (const k of ['a', 'b', 'c']) await s3.send(new PutObjectCommand({ Bucket, Key: k, Body: k }));
    const r = await raw('GET', `/${Bucket}`, { query: { 'list-type': '2', 'continuation-token': '' } });
    assert.equal(r.status, 200, r.body);
    assert.deepEqual([...r.body.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]), ['a', 'b', 'c']);
    const sdk = await s3.send(new ListObjectsV2Command({ Bucket, ContinuationToken: '' }));
    assert.equal(sdk.KeyCount, 3);
  });

  test('keys and prefixes with control characters round-trip in listings, with and without encoding-type=url', async () => {
    const Bucket = await newBucket();
    const keys = ['ctl/line\nbreak', 'ctl/cr\rreturn', 'ctl/tab\there', 'ctl/\x0a-first', 'ctl/dir\n/inside'];
    for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket, Key, Body: Key }));
    for (const Key of keys) assert.equal(await (await s3.send(new GetObjectCommand({ Bucket, Key }))).Body!.transformToString(), Key);
    // @aws-sdk/client-s3 (no encoding-type unless asked).
    const plain = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'ctl/' }));
    assert.deepEqual(plain.Contents?.map((o) => o.Key), [...keys].sort());
    const delim = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'ctl/dir\n', Delimiter: '/' }));
    assert.deepEqual(delim.CommonPrefixes?.map((p) => p.Prefix), ['ctl/dir\n/']);
    assert.equal(delim.Prefix, 'ctl/dir\n');
    const url = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'ctl/', EncodingType: 'url' }));
    assert.deepEqual(url.Contents?.map((o) => decodeURIComponent(o.Key!)), [...keys].sort());
    // boto3 (asks for encoding-type=url and decodes) and the v1 listing.
    const py = run(
      'python3',
      ['-c', [
        'import boto3, json, os, sys',
        "s3 = boto3.client('s3', endpoint_url=os.environ['EP'])",
        "v2 = [o['Key'] for o in s3.list_objects_v2(Bucket=sys.argv[1], Prefix='ctl/')['Contents']]",
        "v1 = [o['Key'] for o in s3.list_objects(Bucket=sys.argv[1], Prefix='ctl/')['Contents']]",
        "cp = [p['Prefix'] for p in s3.list_objects_v2(Bucket=sys.argv[1], Prefix='ctl/dir\\n', Delimiter='/')['CommonPrefixes']]",
        'print(json.dumps({"v2": v2, "v1": v1, "cp": cp}))',
      ].join('\n'), Bucket],
      { env: { ...awsEnv(server), EP: server.url } },
    );
    const got = JSON.parse(py.stdout) as { v2: string[]; v1: string[]; cp: string[] };
    assert.deepEqual(got, { v2: [...keys].sort(), v1: [...keys].sort(), cp: ['ctl/dir\n/'] });
  });

  test('DeleteObjects naming a key XML 1.0 cannot carry is MalformedXML, as AWS answers; a newline key is deleted', async () => {
    const Bucket = await newBucket();
    await s3.send(new PutObjectCommand({ Bucket, Key: 'nl\nkey', Body: 'x' }));
    const del = (keyXml: string) => {
      const body = `<Delete><Object><Key>${keyXml}</Key></Object></Delete>`;
      return raw('POST', `/${Bucket}`, { query: { delete: '' }, headers: { 'content-md5': createHash('md5').update(body).digest('base64') }, body });
    };
    for (const bad of ['bell&#7;key', 'nul&#x0;key', 'esc\x1bkey']) {
      const r = await del(bad);
      assert.equal(`${r.status} ${codeOf(r)}`, '400 MalformedXML', JSON.stringify(bad));
    }
    const ok = await del('nl&#10;key');
    assert.equal(ok.status, 200, ok.body);
    assert.match(ok.body, /<Deleted>/);
    assert.equal((await errorOf(s3.send(new HeadObjectCommand({ Bucket, Key: 'nl\nkey' })))).code, 'NotFound');
  });
});

describe('checksums', () => {
  const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('base64');

  test('a wrong x-amz-checksum-sha256 or -crc64nvme is BadDigest (header, trailer and parts)', async () => {
    const Bucket = await newBucket();
    const wrongSha = sha256('something else');
    const wrongCrc64 = 'AAAAAAAAAAE='; // (all zeros would be right: it is the CRC-64/NVME of no bytes)
    const large = Buffer.alloc(2 * MiB, 5);
    for (const [name, value] of [['x-amz-checksum-sha256', wrongSha], ['x-amz-checksum-crc64nvme', wrongCrc64]] as const) {
      for (const body of [Buffer.from('hello'), large, Buffer.alloc(0)]) {
        for (const payloadHash of [undefined, createHash('sha256').update(body).digest('hex')]) {
          const r = await raw('PUT', `/${Bucket}/k`, { headers: { [name]: value }, body, ...(payloadHash ? { payloadHash } : {}) });
          assert.equal(`${r.status} ${codeOf(r)}`, '400 BadDigest', `${name} (${body.length} bytes, ${payloadHash ? 'signed' : 'unsigned'} payload): ${r.body}`);
        }
      }
    }
    // In an aws-chunked trailer (as current SDKs send checksums of streamed bodies).
    for (const [name, value] of [['x-amz-checksum-sha256', wrongSha], ['x-amz-checksum-crc64nvme', wrongCrc64]] as const) {
      const body = `5\r\nhello\r\n0\r\n${name}:${value}\r\n\r\n`;
      const r = await raw('PUT', `/${Bucket}/k`, {
        payloadHash: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
        headers: { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': '5', 'x-amz-trailer': name },
        body,
      });
      assert.equal(`${r.status} ${codeOf(r)}`, '400 BadDigest', `${name} trailer: ${r.body}`);
    }
    const sdk = await errorOf(s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'hello', ChecksumSHA256: wrongSha })));
    assert.equal(sdk.code, 'BadDigest');
    const up = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'mp', ChecksumAlgorithm: 'SHA256' }));
    const part = await errorOf(s3.send(new UploadPartCommand({ Bucket, Key: 'mp', UploadId: up.UploadId, PartNumber: 1, Body: 'hello', ChecksumSHA256: wrongSha })));
    assert.equal(part.code, 'BadDigest');
    assert.equal((await errorOf(s3.send(new HeadObjectCommand({ Bucket, Key: 'k' })))).code, 'NotFound');
    // A wrong whole-object checksum on CompleteMultipartUpload (COMPOSITE SHA-256 "…-N", FULL_OBJECT CRC-64/NVME).
    for (const [alg, value, good] of [['SHA256', `${wrongSha}-1`, (p: string) => `${sha256(Buffer.from(p, 'base64'))}-1`], ['CRC64NVME', wrongCrc64, (p: string) => p]] as const) {
      const Key = `final-${alg}`;
      const u = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key, ChecksumAlgorithm: alg }));
      const p = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId: u.UploadId, PartNumber: 1, Body: 'part', ChecksumAlgorithm: alg }));
      const partSum = (p as unknown as Record<string, string>)[`Checksum${alg}`]!;
      const body = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${p.ETag}</ETag><Checksum${alg}>${partSum}</Checksum${alg}></Part></CompleteMultipartUpload>`;
      const complete = (v: string) => raw('POST', `/${Bucket}/${Key}`, { query: { uploadId: u.UploadId! }, headers: { [`x-amz-checksum-${alg.toLowerCase()}`]: v }, body });
      const wrong = await complete(value);
      assert.equal(`${wrong.status} ${codeOf(wrong)}`, '400 BadDigest', `${alg}: ${wrong.body}`);
      const right = await complete(good(partSum));
      assert.equal(right.status, 200, `${alg}: ${right.body}`);
    }
  });

  test('multipart uploads report ChecksumType in CreateMultipartUpload, ListParts, Complete, HeadObject and GetObjectAttributes', async () => {
    const Bucket = await newBucket();
    for (const [alg, type] of [['CRC32', 'FULL_OBJECT'], ['CRC32', 'COMPOSITE'], ['CRC64NVME', 'FULL_OBJECT'], ['SHA256', 'COMPOSITE']] as const) {
      const Key = `${alg}-${type}`;
      const up = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key, ChecksumAlgorithm: alg, ChecksumType: type }));
      assert.equal(up.ChecksumAlgorithm, alg, Key);
      assert.equal(up.ChecksumType, type, Key);
      const p = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId: up.UploadId, PartNumber: 1, Body: 'part one', ChecksumAlgorithm: alg }));
      const listed = await s3.send(new ListPartsCommand({ Bucket, Key, UploadId: up.UploadId }));
      assert.equal(listed.ChecksumType, type, Key);
      assert.equal(listed.ChecksumAlgorithm, alg, Key);
      const part: Record<string, unknown> = { PartNumber: 1, ETag: p.ETag, [`Checksum${alg}`]: (p as unknown as Record<string, unknown>)[`Checksum${alg}`] };
      const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId: up.UploadId, MultipartUpload: { Parts: [part] } }));
      assert.equal(done.ChecksumType, type, Key);
      const head = await s3.send(new HeadObjectCommand({ Bucket, Key, ChecksumMode: 'ENABLED' }));
      assert.equal(head.ChecksumType, type, Key);
      const attrs = await s3.send(new GetObjectAttributesCommand({ Bucket, Key, ObjectAttributes: ['Checksum', 'ObjectParts'] }));
      assert.equal(attrs.Checksum?.ChecksumType, type, Key);
    }
    // A single PUT is FULL_OBJECT.
    await s3.send(new PutObjectCommand({ Bucket, Key: 'single', Body: 'x', ChecksumAlgorithm: 'SHA256' }));
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket, Key: 'single', ChecksumMode: 'ENABLED' }))).ChecksumType, 'FULL_OBJECT');
  });

  test('SHA-256 (and SHA-1) multipart checksums are COMPOSITE only, as AWS rules', async () => {
    const Bucket = await newBucket();
    for (const alg of ['SHA256', 'SHA1'] as const) {
      const full = await errorOf(s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'x', ChecksumAlgorithm: alg, ChecksumType: 'FULL_OBJECT' })));
      assert.equal(`${full.status} ${full.code}`, '400 InvalidRequest', alg);
      // Without a type, SHA-256 is COMPOSITE.
      const up = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: `${alg}-default`, ChecksumAlgorithm: alg }));
      assert.equal(up.ChecksumType, 'COMPOSITE');
      // Completing with a full-object checksum type or a whole-object checksum header is refused.
      const p = await s3.send(new UploadPartCommand({ Bucket, Key: `${alg}-default`, UploadId: up.UploadId, PartNumber: 1, Body: 'abc', ChecksumAlgorithm: alg }));
      const badType = await raw('POST', `/${Bucket}/${alg}-default`, {
        query: { uploadId: up.UploadId! },
        headers: { 'x-amz-checksum-type': 'FULL_OBJECT' },
        body: `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${p.ETag}</ETag></Part></CompleteMultipartUpload>`,
      });
      assert.equal(codeOf(badType), 'InvalidRequest', badType.body);
    }
    // Part numbers of an upload with part checksums must start at 1 and be consecutive.
    const up = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'gap', ChecksumAlgorithm: 'SHA256' }));
    const parts = [];
    for (const PartNumber of [1, 3]) {
      const p = await s3.send(new UploadPartCommand({ Bucket, Key: 'gap', UploadId: up.UploadId, PartNumber, Body: Buffer.alloc(PartNumber === 1 ? 5 * MiB : 10, 1), ChecksumAlgorithm: 'SHA256' }));
      parts.push({ PartNumber, ETag: p.ETag, ChecksumSHA256: p.ChecksumSHA256 });
    }
    const gap = await errorOf(s3.send(new CompleteMultipartUploadCommand({ Bucket, Key: 'gap', UploadId: up.UploadId, MultipartUpload: { Parts: parts } })));
    assert.equal(`${gap.status} ${gap.code}`, '400 InvalidPartOrder');
  });
});

describe('headers and service listings', () => {
  test('Content-Encoding "aws-chunked, gzip" stores "gzip" exactly as sent', async () => {
    const Bucket = await newBucket();
    for (const [sent, kept] of [['aws-chunked, gzip', 'gzip'], ['gzip, aws-chunked', 'gzip'], ['aws-chunked,gzip, br', 'gzip, br'], ['aws-chunked', undefined], ['gzip,  br', 'gzip,  br']] as const) {
      const r = await raw('PUT', `/${Bucket}/enc`, { headers: { 'content-encoding': sent }, body: 'x' });
      assert.equal(r.status, 200, r.body);
      const h = await s3.send(new HeadObjectCommand({ Bucket, Key: 'enc' }));
      assert.equal(h.ContentEncoding, kept, sent);
    }
  });

  test('ListBuckets with max-buckets, continuation-token and prefix (AWS 2024 pagination)', async () => {
    const names = ['lb-a', 'lb-b', 'lb-c', 'lb-d', 'lb-e'].map((n) => `${n}-${process.pid}`);
    for (const Bucket of names) await s3.send(new CreateBucketCommand({ Bucket }));
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await s3.send(new ListBucketsCommand({ MaxBuckets: 2, Prefix: 'lb-', ContinuationToken: token }));
      assert.ok((page.Buckets?.length ?? 0) <= 2);
      assert.equal(page.Prefix, 'lb-');
      seen.push(...(page.Buckets ?? []).map((b) => b.Name!));
      token = page.ContinuationToken;
      pages++;
    } while (token);
    assert.deepEqual(seen, names);
    assert.equal(pages, 3);
    // Without pagination parameters, every bucket and no token.
    const all = await s3.send(new ListBucketsCommand({}));
    assert.ok(names.every((n) => all.Buckets?.some((b) => b.Name === n)));
    assert.equal(all.ContinuationToken, undefined);
    for (const bad of ['0', '10001', 'x']) {
      const r = await raw('GET', '/', { query: { 'max-buckets': bad } });
      assert.equal(`${r.status} ${codeOf(r)}`, '400 InvalidArgument', bad);
    }
    const badToken = await raw('GET', '/', { query: { 'continuation-token': 'not-a-token' } });
    assert.equal(`${badToken.status} ${codeOf(badToken)}`, '400 InvalidArgument');
    // The region filter.
    assert.equal((await s3.send(new ListBucketsCommand({ BucketRegion: 'eu-west-1', MaxBuckets: 10 }))).Buckets?.length ?? 0, 0);
  });
});
