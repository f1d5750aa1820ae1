/**
 * Integrity checksums with @aws-sdk/client-s3 against the real server (issue 3): every algorithm as the
 * SDK sends it (header for in-memory bodies, aws-chunked trailer for streams), returned with
 * x-amz-checksum-mode ENABLED; wrong values are BadDigest and store nothing; multipart COMPOSITE and
 * FULL_OBJECT checksums checked against an independent computation.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { Crc64Nvme } from '@aws-sdk/crc64-nvme';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
  type ChecksumAlgorithm,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { startServer, type TestServer } from '../helpers/server.js';
import { sdkClient } from '../helpers/clients.js';

const MiB = 1024 * 1024;
type Alg = 'CRC32' | 'CRC32C' | 'CRC64NVME' | 'SHA1' | 'SHA256';
const ALGS: Alg[] = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'];

// ---- independent reference implementations --------------------------------------------------------

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();
function crc32c(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC32C_TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

/** Raw digest of `data` with `alg`, computed without any Granary code. */
async function rawDigest(alg: Alg, data: Uint8Array): Promise<Buffer> {
  switch (alg) {
    case 'CRC32':
      return u32(zlibCrc32(data));
    case 'CRC32C':
      return u32(crc32c(data));
    case 'CRC64NVME': {
      const h = new Crc64Nvme();
      h.update(data);
      return Buffer.from(await h.digest());
    }
    case 'SHA1':
      return createHash('sha1').update(data).digest();
    case 'SHA256':
      return createHash('sha256').update(data).digest();
  }
}
const b64 = async (alg: Alg, data: Uint8Array): Promise<string> => (await rawDigest(alg, data)).toString('base64');

// sanity of the references themselves (published check values for "123456789")
test('reference checksum implementations', async () => {
  const v = Buffer.from('123456789');
  assert.equal((await rawDigest('CRC32', v)).toString('hex'), 'cbf43926');
  assert.equal((await rawDigest('CRC32C', v)).toString('hex'), 'e3069283');
  assert.equal((await rawDigest('CRC64NVME', v)).toString('hex'), 'ae8b14860a799888');
});

const field = (alg: Alg): `Checksum${Alg}` => `Checksum${alg}`;

let server: TestServer;
let s3: S3Client;
let seq = 0;
const newBucket = async (): Promise<string> => {
  const name = `cks-${process.pid}-${++seq}`;
  await s3.send(new CreateBucketCommand({ Bucket: name }));
  return name;
};

async function rejectsWith(fn: () => Promise<unknown>, code: string, status?: number): Promise<S3ServiceException> {
  try {
    await fn();
  } catch (e) {
    const err = e as S3ServiceException;
    if (code.startsWith('HEAD:')) {
      assert.equal(err.$metadata?.httpStatusCode, status);
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
});
after(async () => {
  s3?.destroy();
  await server?.stop();
  server?.cleanup();
});

describe('PutObject with each checksum algorithm', () => {
  for (const alg of ALGS) {
    for (const bodyKind of ['buffer', 'stream'] as const) {
      test(`${alg} (${bodyKind} body)`, async () => {
        const b = await newBucket();
        const data = randomBytes(bodyKind === 'stream' ? 3 * MiB + 17 : 200_001);
        const expected = await b64(alg, data);
        const Body = bodyKind === 'buffer' ? data : Readable.from([data.subarray(0, 1000), data.subarray(1000)]);
        const put = await s3.send(new PutObjectCommand({ Bucket: b, Key: 'k', Body, ContentLength: data.length, ChecksumAlgorithm: alg as ChecksumAlgorithm }));
        assert.equal(put[field(alg)], expected, 'PutObject answer');
        assert.equal(put.ETag, `"${createHash('md5').update(data).digest('hex')}"`);

        const head = await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'k', ChecksumMode: 'ENABLED' }));
        assert.equal(head[field(alg)], expected, 'HeadObject');
        assert.equal(head.ChecksumType, 'FULL_OBJECT');
        assert.equal(head.ContentLength, data.length);
        const get = await s3.send(new GetObjectCommand({ Bucket: b, Key: 'k', ChecksumMode: 'ENABLED' }));
        assert.equal(get[field(alg)], expected, 'GetObject');
        const body = Buffer.from(await get.Body!.transformToByteArray());
        assert.ok(body.equals(data), 'stored bytes are exactly the user bytes');
        // Without checksum mode, no checksum header.
        const plain = await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'k' }));
        assert.equal(plain[field(alg)], undefined);
        const attrs = await s3.send(new GetObjectAttributesCommand({ Bucket: b, Key: 'k', ObjectAttributes: ['Checksum'] }));
        assert.equal(attrs.Checksum?.[field(alg)], expected);
      });
    }
  }
});

describe('wrong checksum → BadDigest, nothing stored', () => {
  for (const alg of ALGS) {
    test(alg, async () => {
      const b = await newBucket();
      const data = randomBytes(50_000);
      const right = await rawDigest(alg, data);
      const wrong = Buffer.from(right);
      wrong[0] ^= 0xff;
      await rejectsWith(
        () => s3.send(new PutObjectCommand({ Bucket: b, Key: 'k', Body: data, [field(alg)]: wrong.toString('base64') })),
        'BadDigest',
        400,
      );
      await rejectsWith(() => s3.send(new HeadObjectCommand({ Bucket: b, Key: 'k' })), 'HEAD:', 404);
      // An existing object is left untouched by a failed overwrite.
      await s3.send(new PutObjectCommand({ Bucket: b, Key: 'k', Body: 'original' }));
      await rejectsWith(
        () => s3.send(new PutObjectCommand({ Bucket: b, Key: 'k', Body: data, [field(alg)]: wrong.toString('base64') })),
        'BadDigest',
        400,
      );
      const get = await s3.send(new GetObjectCommand({ Bucket: b, Key: 'k' }));
      assert.equal(await get.Body!.transformToString(), 'original');
      // The right value is accepted.
      await s3.send(new PutObjectCommand({ Bucket: b, Key: 'k', Body: data, [field(alg)]: right.toString('base64') }));
    });
  }
});

async function multipart(
  alg: Alg,
  type: 'COMPOSITE' | 'FULL_OBJECT' | undefined,
  parts: Buffer[],
): Promise<{ b: string; complete: Record<string, unknown>; partValues: string[] }> {
  const b = await newBucket();
  const c = await s3.send(new CreateMultipartUploadCommand({ Bucket: b, Key: 'mp', ChecksumAlgorithm: alg as ChecksumAlgorithm, ...(type ? { ChecksumType: type } : {}) }));
  assert.equal(c.ChecksumAlgorithm, alg);
  if (type) assert.equal(c.ChecksumType, type);
  const done: CompletedPart[] = [];
  const partValues: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    // Alternate in-memory (header) and stream (trailer) bodies.
    const Body = i % 2 === 0 ? parts[i] : Readable.from([parts[i]!]);
    const r = await s3.send(new UploadPartCommand({ Bucket: b, Key: 'mp', UploadId: c.UploadId!, PartNumber: i + 1, Body, ContentLength: parts[i]!.length, ChecksumAlgorithm: alg as ChecksumAlgorithm }));
    const expected = await b64(alg, parts[i]!);
    assert.equal(r[field(alg)], expected, `part ${i + 1} checksum`);
    partValues.push(expected);
    done.push({ PartNumber: i + 1, ETag: r.ETag, [field(alg)]: r[field(alg)] });
  }
  const complete = await s3.send(new CompleteMultipartUploadCommand({ Bucket: b, Key: 'mp', UploadId: c.UploadId!, MultipartUpload: { Parts: done } }));
  return { b, complete: complete as unknown as Record<string, unknown>, partValues };
}

async function checkStored(b: string, alg: Alg, expected: string, type: string, data: Buffer): Promise<void> {
  const head = await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'mp', ChecksumMode: 'ENABLED' }));
  assert.equal(head[field(alg)], expected, 'HeadObject checksum');
  assert.equal(head.ChecksumType, type);
  const get = await s3.send(new GetObjectCommand({ Bucket: b, Key: 'mp', ChecksumMode: 'ENABLED' }));
  assert.equal(get[field(alg)], expected, 'GetObject checksum');
  const body = Buffer.from(await get.Body!.transformToByteArray());
  assert.ok(body.equals(data));
  const attrs = await s3.send(new GetObjectAttributesCommand({ Bucket: b, Key: 'mp', ObjectAttributes: ['Checksum'] }));
  assert.equal(attrs.Checksum?.[field(alg)], expected);
  assert.equal(attrs.Checksum?.ChecksumType, type);
}

describe('multipart checksums', () => {
  const sizes = [5 * MiB, 5 * MiB + 1, 123_457];
  for (const alg of ['CRC32', 'CRC32C', 'SHA1', 'SHA256'] as const) {
    test(`COMPOSITE ${alg}`, async () => {
      const parts = sizes.map((n) => randomBytes(n));
      const { b, complete } = await multipart(alg, undefined, parts);
      // composite = checksum of the concatenated raw part digests, "-N"
      const raw = await Promise.all(parts.map((p) => rawDigest(alg, p)));
      const expected = `${await b64(alg, Buffer.concat(raw))}-${parts.length}`;
      assert.equal(complete[field(alg)], expected, 'CompleteMultipartUpload checksum');
      assert.equal(complete.ChecksumType, 'COMPOSITE');
      await checkStored(b, alg, expected, 'COMPOSITE', Buffer.concat(parts));
    });
  }
  for (const [alg, type] of [['CRC64NVME', undefined], ['CRC64NVME', 'FULL_OBJECT'], ['CRC32', 'FULL_OBJECT'], ['CRC32C', 'FULL_OBJECT']] as const) {
    test(`FULL_OBJECT ${alg}${type ? ' (x-amz-checksum-type FULL_OBJECT)' : ' (default)'}`, async () => {
      const parts = sizes.map((n) => randomBytes(n));
      const { b, complete } = await multipart(alg, type, parts);
      const data = Buffer.concat(parts);
      // full object = checksum of the whole data, no suffix
      const expected = await b64(alg, data);
      assert.equal(complete[field(alg)], expected, 'CompleteMultipartUpload checksum');
      assert.equal(complete.ChecksumType, 'FULL_OBJECT');
      await checkStored(b, alg, expected, 'FULL_OBJECT', data);
    });
  }

  test('a part with a wrong checksum is BadDigest; COMPOSITE crc64nvme and FULL_OBJECT sha256 are refused', async () => {
    const b = await newBucket();
    const c = await s3.send(new CreateMultipartUploadCommand({ Bucket: b, Key: 'mp', ChecksumAlgorithm: 'SHA256' }));
    const part = randomBytes(1000);
    const wrong = createHash('sha256').update('not the part').digest('base64');
    await rejectsWith(() => s3.send(new UploadPartCommand({ Bucket: b, Key: 'mp', UploadId: c.UploadId!, PartNumber: 1, Body: part, ChecksumSHA256: wrong })), 'BadDigest', 400);
    const { ListPartsCommand } = await import('@aws-sdk/client-s3');
    const lp = await s3.send(new ListPartsCommand({ Bucket: b, Key: 'mp', UploadId: c.UploadId! }));
    assert.equal(lp.Parts?.length ?? 0, 0, 'the bad part was not stored');
    await rejectsWith(() => s3.send(new CreateMultipartUploadCommand({ Bucket: b, Key: 'x', ChecksumAlgorithm: 'CRC64NVME', ChecksumType: 'COMPOSITE' })), 'InvalidRequest', 400);
    await rejectsWith(() => s3.send(new CreateMultipartUploadCommand({ Bucket: b, Key: 'x', ChecksumAlgorithm: 'SHA256', ChecksumType: 'FULL_OBJECT' })), 'InvalidRequest', 400);
  });
});
