import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { Crc64Nvme } from '@aws-sdk/crc64-nvme';
import { S3Error } from '../errors/s3-error.js';
import {
  CHECKSUM_ALGORITHMS,
  type ChecksumAlgorithm,
  algorithmFromHeaderName,
  checksumDigester,
  checksumHeaderName,
  combineFullObjectCrc,
  compositeChecksum,
  createChecksum,
  isValidChecksumValue,
  parseAlgorithm,
} from './checksums.js';

// ---- independent references: bit-at-a-time reflected CRCs, node:crypto for SHA ----

function bitwiseCrc(poly: bigint, width: number, data: Uint8Array): bigint {
  const mask = (1n << BigInt(width)) - 1n;
  let crc = mask;
  for (const byte of data) {
    crc ^= BigInt(byte);
    for (let k = 0; k < 8; k++) crc = crc & 1n ? (crc >> 1n) ^ poly : crc >> 1n;
  }
  return crc ^ mask;
}
function reference(alg: ChecksumAlgorithm, data: Buffer): string {
  const crc = (poly: bigint, width: number): string =>
    Buffer.from(bitwiseCrc(poly, width, data).toString(16).padStart(width / 4, '0'), 'hex').toString('base64');
  switch (alg) {
    case 'CRC32':
      return crc(0xedb88320n, 32);
    case 'CRC32C':
      return crc(0x82f63b78n, 32);
    case 'CRC64NVME':
      return crc(0x9a6c9329ac4bc9b5n, 64);
    case 'SHA1':
      return createHash('sha1').update(data).digest('base64');
    case 'SHA256':
      return createHash('sha256').update(data).digest('base64');
  }
}
function compute(alg: ChecksumAlgorithm, data: Buffer): string {
  const c = createChecksum(alg);
  c.update(data);
  return c.digest().toString('base64');
}
function isS3(code: string): (e: unknown) => boolean {
  return (e) => e instanceof S3Error && e.code === code;
}

// Published in the AWS SDKs' flexible-checksums tests (aws-sdk-js-v3, botocore).
const AWS_VECTORS: Array<[string, ChecksumAlgorithm, string]> = [
  ['', 'CRC32', 'AAAAAA=='],
  ['abc', 'CRC32', 'NSRBwg=='],
  ['Hello world', 'CRC32', 'i9aeUg=='],
  ['', 'CRC32C', 'AAAAAA=='],
  ['abc', 'CRC32C', 'Nks/tw=='],
  ['Hello world', 'CRC32C', 'crUfeA=='],
  ['', 'CRC64NVME', 'AAAAAAAAAAA='],
  ['abc', 'CRC64NVME', 'BeXKuz/B+us='],
  ['Hello world', 'CRC64NVME', 'OOJZ0D8xKts='],
  ['Hello world', 'SHA1', 'e1AsOh9IyGCa4hLN+2Od7jlnP14='],
  ['Hello world', 'SHA256', 'ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw='],
];

test('AWS published vectors', () => {
  for (const [input, alg, want] of AWS_VECTORS) assert.equal(compute(alg, Buffer.from(input)), want, `${alg}(${input})`);
});

test('CRC check values for "123456789" (CRC catalogue)', () => {
  const d = Buffer.from('123456789');
  const hex = (alg: ChecksumAlgorithm): string => {
    const c = createChecksum(alg);
    c.update(d);
    return c.digest().toString('hex');
  };
  assert.equal(hex('CRC32'), 'cbf43926');
  assert.equal(hex('CRC32C'), 'e3069283');
  assert.equal(hex('CRC64NVME'), 'ae8b14860a799888');
});

test('every algorithm matches the independent reference on random data of many lengths', () => {
  const lengths = [0, 1, 3, 7, 8, 15, 16, 17, 63, 64, 65, 100, 257, 1000, 4099];
  for (const alg of CHECKSUM_ALGORITHMS) {
    for (const n of lengths) {
      const data = randomBytes(n);
      assert.equal(compute(alg, data), reference(alg, data), `${alg} length ${n}`);
    }
  }
});

test('CRC64NVME matches @aws-sdk/crc64-nvme on random data, at every alignment', async () => {
  const big = randomBytes(300_000);
  for (let trial = 0; trial < 20; trial++) {
    const start = randomInt(0, 64);
    const data = big.subarray(start, start + randomInt(0, 200_000));
    const pkg = new Crc64Nvme();
    pkg.update(data);
    const want = Buffer.from(await pkg.digest()).toString('base64');
    assert.equal(compute('CRC64NVME', data), want);
  }
});

test('streaming in random chunk sizes equals one-shot', () => {
  const data = randomBytes(200_003);
  for (const alg of CHECKSUM_ALGORITHMS) {
    const c = createChecksum(alg);
    for (let off = 0; off < data.length; ) {
      const n = Math.min(data.length - off, randomInt(0, 5000));
      c.update(data.subarray(off, off + n));
      off += n;
    }
    assert.equal(c.digest().toString('base64'), compute(alg, data), alg);
  }
});

test('header names and algorithm parsing', () => {
  assert.equal(checksumHeaderName('CRC32'), 'x-amz-checksum-crc32');
  assert.equal(checksumHeaderName('CRC64NVME'), 'x-amz-checksum-crc64nvme');
  for (const alg of CHECKSUM_ALGORITHMS) {
    assert.equal(algorithmFromHeaderName(checksumHeaderName(alg)), alg);
    assert.equal(parseAlgorithm(alg.toLowerCase()), alg);
    assert.equal(parseAlgorithm(alg), alg);
  }
  assert.equal(algorithmFromHeaderName('x-amz-checksum-md5'), undefined);
  assert.equal(algorithmFromHeaderName('x-amz-checksum-type'), undefined);
  assert.equal(parseAlgorithm('Crc32c'), 'CRC32C');
  assert.throws(() => parseAlgorithm('MD5'), isS3('InvalidRequest'));
  assert.throws(() => parseAlgorithm(''), isS3('InvalidRequest'));
  assert.throws(() => parseAlgorithm('crc16', 'x-amz-checksum-algorithm'), isS3('InvalidArgument'));
});

test('isValidChecksumValue checks length and canonical base64', () => {
  assert.ok(isValidChecksumValue('CRC32', 'i9aeUg=='));
  assert.ok(!isValidChecksumValue('CRC32', 'i9aeUg='));
  assert.ok(!isValidChecksumValue('CRC32', 'i9aeUg'));
  assert.ok(!isValidChecksumValue('CRC32', 'i9ae Ug='));
  assert.ok(!isValidChecksumValue('CRC32', 'i9aeUh==')); // non-zero padding bits: not canonical
  assert.ok(!isValidChecksumValue('CRC32C', 'OOJZ0D8xKts='));
  assert.ok(isValidChecksumValue('CRC64NVME', 'OOJZ0D8xKts='));
  assert.ok(isValidChecksumValue('SHA1', 'e1AsOh9IyGCa4hLN+2Od7jlnP14='));
  assert.ok(isValidChecksumValue('SHA256', 'ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw='));
  assert.ok(!isValidChecksumValue('SHA256', 'e1AsOh9IyGCa4hLN+2Od7jlnP14='));
});

test('checksumDigester: match, BadDigest, malformed, nothing to compare, lazy expected', () => {
  const body = Buffer.from('Hello world');
  const run = (alg: ChecksumAlgorithm, expected: () => string | undefined) => {
    const d = checksumDigester(alg, expected);
    d.update(body.subarray(0, 4));
    d.update(body.subarray(4));
    d.finish();
    return d.value();
  };
  for (const [input, alg, want] of AWS_VECTORS) {
    if (input !== 'Hello world') continue;
    assert.equal(run(alg, () => want), want);
    assert.equal(run(alg, () => undefined), want);
    const wrong = compute(alg, Buffer.from('Hello world!'));
    assert.throws(
      () => run(alg, () => wrong),
      (e: unknown) =>
        e instanceof S3Error &&
        e.code === 'BadDigest' &&
        e.message === `The ${alg} you specified did not match the calculated checksum.`,
    );
    assert.throws(() => run(alg, () => 'not base64!'), isS3('InvalidRequest'));
  }
  // expected() is read at finish, not at creation: a trailer may set it mid-stream.
  let trailer: string | undefined;
  const d = checksumDigester('CRC32', () => trailer);
  d.update(body);
  trailer = 'i9aeUg==';
  d.finish();
  assert.equal(d.value(), 'i9aeUg==');
  assert.throws(() => checksumDigester('SHA1', () => undefined).value());
});

test('compositeChecksum: checksum of the raw part digests with -N suffix', () => {
  const parts = [randomBytes(1000), randomBytes(5), randomBytes(0)];
  for (const alg of ['CRC32', 'CRC32C', 'SHA1', 'SHA256'] as const) {
    const partSums = parts.map((p) => compute(alg, p));
    const raw = Buffer.concat(partSums.map((s) => Buffer.from(s, 'base64')));
    assert.equal(compositeChecksum(alg, partSums), `${reference(alg, raw)}-3`);
    assert.match(compositeChecksum(alg, partSums), /^[A-Za-z0-9+/]+=*-3$/);
    assert.throws(() => compositeChecksum(alg, ['bogus']), isS3('InvalidRequest'));
  }
  assert.throws(() => compositeChecksum('CRC64NVME', []), isS3('InvalidRequest'));
});

test('combineFullObjectCrc equals the CRC of the concatenation (random splits, empty parts)', () => {
  for (const alg of ['CRC32', 'CRC32C', 'CRC64NVME'] as const) {
    assert.equal(combineFullObjectCrc(alg, []), compute(alg, Buffer.alloc(0)));
    for (let trial = 0; trial < 15; trial++) {
      const whole = randomBytes(randomInt(0, 20_000));
      const cuts = Array.from({ length: randomInt(1, 6) }, () => randomInt(0, whole.length + 1)).sort((a, b) => a - b);
      if (trial % 3 === 0) cuts.push(cuts[0]!, whole.length); // zero-length parts, also at the end
      cuts.sort((a, b) => a - b);
      const bounds = [0, ...cuts, whole.length];
      const parts = [];
      for (let k = 0; k + 1 < bounds.length; k++) {
        const p = whole.subarray(bounds[k]!, bounds[k + 1]!);
        parts.push({ checksum: compute(alg, p), size: p.length });
      }
      assert.equal(combineFullObjectCrc(alg, parts), compute(alg, whole), `${alg} trial ${trial}`);
    }
    // A part of 3 MiB + 5 bytes exercises the higher bits of the length.
    const a = randomBytes(10);
    const b = randomBytes(3 * 1024 * 1024 + 5);
    const parts = [a, b].map((p) => ({ checksum: compute(alg, p), size: p.length }));
    assert.equal(combineFullObjectCrc(alg, parts), compute(alg, Buffer.concat([a, b])));
  }
});

test('combineFullObjectCrc with 10,000 parts is quick', () => {
  const part = randomBytes(64);
  for (const alg of ['CRC32', 'CRC64NVME'] as const) {
    const sum = compute(alg, part);
    const t0 = Date.now();
    const out = combineFullObjectCrc(alg, Array.from({ length: 10_000 }, () => ({ checksum: sum, size: 5 * 1024 ** 3 })));
    assert.ok(isValidChecksumValue(alg, out));
    assert.ok(Date.now() - t0 < 5000, `${alg} took ${Date.now() - t0} ms`);
  }
});
