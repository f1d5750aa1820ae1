/**
 * aws-chunked decoding, held to the AWS documented chunk signatures and to what the AWS SDK for
 * JavaScript and botocore put on the wire.
 * - https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html (seed 4f232c43…, 65536 + 1024 'a')
 * - https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html (seed 106e2a8a…, crc32c trailer)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { S3Error } from '../../errors/s3-error.js';
import { createAwsChunkedDecoder, type AwsChunkedDecoderOptions } from './aws-chunked.js';
import { authenticateSigV4, deriveSigningKey } from './authenticate.js';
import type { SigningContext } from './types.js';
import { recordingClient, runTransform, splitEvery, splitRandomly } from './test-helpers.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const DATA = Buffer.alloc(66560, 'a');
const signing = (seed: string): SigningContext => ({
  signingKey: deriveSigningKey(SECRET, '20130524', 'us-east-1', 's3'),
  scope: '20130524/us-east-1/s3/aws4_request',
  datetime: '20130524T000000Z',
  seedSignature: seed,
});

const SEED = '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9';
const SIGS = [
  'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648',
  '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497',
  'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9',
];
function docBody(sigs = SIGS, tail = '\r\n'): Buffer {
  return Buffer.concat([
    Buffer.from(`10000;chunk-signature=${sigs[0]}\r\n`), DATA.subarray(0, 65536),
    Buffer.from(`\r\n400;chunk-signature=${sigs[1]}\r\n`), DATA.subarray(65536),
    Buffer.from(`\r\n0;chunk-signature=${sigs[2]}\r\n${tail}`),
  ]);
}

const TRAILER_SEED = '106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e';
function trailerDocBody(crc = 'sOO8/Q==', tail = '\r\n'): Buffer {
  return Buffer.concat([
    Buffer.from('10000;chunk-signature=b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2\r\n'), DATA.subarray(0, 65536),
    Buffer.from('\r\n400;chunk-signature=1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7\r\n'), DATA.subarray(65536),
    Buffer.from('\r\n0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992\r\n' +
      `x-amz-checksum-crc32c:${crc}\r\n` +
      `x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n${tail}`),
  ]);
}

const signedOpts = (): AwsChunkedDecoderOptions => ({ signing: signing(SEED), expectTrailer: false, trailerNames: [], decodedLength: 66560 });
const trailerOpts = (): AwsChunkedDecoderOptions => ({ signing: signing(TRAILER_SEED), expectTrailer: true, trailerNames: ['x-amz-checksum-crc32c'], decodedLength: 66560 });

async function decode(opts: AwsChunkedDecoderOptions, pieces: Buffer[]): Promise<{ data: Buffer; trailers: Record<string, string> }> {
  const d = createAwsChunkedDecoder(opts);
  const data = await runTransform(d, pieces);
  return { data, trailers: d.trailers() };
}

async function refused(opts: AwsChunkedDecoderOptions, pieces: Buffer[], code: string): Promise<void> {
  await assert.rejects(decode(opts, pieces), (e: unknown) => {
    assert.ok(e instanceof S3Error, String(e));
    assert.equal(e.code, code, e.message);
    return true;
  });
}

test('documented chunk-signed upload decodes: whole, 1 byte at a time, random splits', async () => {
  const body = docBody();
  assert.equal(body.length, 66824); // the documented Content-Length
  const splits: Array<[string, Buffer[]]> = [
    ['whole', [body]],
    ['one byte at a time', splitEvery(body, 1)],
    ['7 bytes', splitEvery(body, 7)],
    ...[1, 2, 3, 4, 5].map((seed): [string, Buffer[]] => [`random ${seed}`, splitRandomly(body, seed)]),
  ];
  for (const [name, pieces] of splits) {
    const { data } = await decode(signedOpts(), pieces);
    assert.ok(data.equals(DATA), name);
  }
});

test('documented request authenticates and its body decodes with the returned signing context', async () => {
  const auth = await authenticateSigV4({
    method: 'PUT', rawPath: '/examplebucket/chunkObject.txt', rawQuery: '',
    headers: {
      host: 's3.amazonaws.com', 'x-amz-date': '20130524T000000Z', 'x-amz-storage-class': 'REDUCED_REDUNDANCY',
      'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': '66560', 'content-length': '66824',
      authorization: 'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9',
    },
  }, async () => SECRET, Date.UTC(2013, 4, 24));
  assert.equal(auth.kind, 'signed');
  if (auth.kind !== 'signed') return;
  assert.deepEqual(auth.payload, { kind: 'streaming-signed', trailer: false });
  const { data } = await decode({ signing: auth.signing, expectTrailer: false, trailerNames: [], decodedLength: 66560 }, splitRandomly(docBody(), 9));
  assert.ok(data.equals(DATA));
});

test('documented chunk signatures: any change is SignatureDoesNotMatch', async () => {
  for (let i = 0; i < 3; i++) {
    const sigs = [...SIGS];
    sigs[i] = sigs[i]!.slice(0, 63) + (sigs[i]!.endsWith('0') ? '1' : '0');
    await refused(signedOpts(), [docBody(sigs)], 'SignatureDoesNotMatch');
  }
  const tampered = docBody();
  tampered[1000] = 0x62;
  await refused(signedOpts(), splitEvery(tampered, 4096), 'SignatureDoesNotMatch');
  // Missing chunk-signature on a signed body.
  await refused(signedOpts(), [Buffer.from(docBody().toString('latin1').replace(`;chunk-signature=${SIGS[0]}`, ''), 'latin1')], 'InvalidRequest');
});

test('documented signed trailer decodes, trailers() returns it, and a changed value is refused', async () => {
  for (const pieces of [[trailerDocBody()], splitEvery(trailerDocBody(), 1), splitRandomly(trailerDocBody(), 42)]) {
    const { data, trailers } = await decode(trailerOpts(), pieces);
    assert.ok(data.equals(DATA));
    assert.deepEqual(trailers, { 'x-amz-checksum-crc32c': 'sOO8/Q==' });
  }
  // Without the final CRLF (tolerated at end of stream).
  assert.ok((await decode(trailerOpts(), [trailerDocBody('sOO8/Q==', '')])).data.equals(DATA));
  await refused(trailerOpts(), [trailerDocBody('sOO8/A==')], 'SignatureDoesNotMatch');
  const noSig = Buffer.from(trailerDocBody().toString('latin1').replace(/x-amz-trailer-signature:[0-9a-f]+\r\n/, ''), 'latin1');
  await refused(trailerOpts(), [noSig], 'InvalidRequest');
  await refused({ ...trailerOpts(), trailerNames: ['x-amz-checksum-crc32'] }, [trailerDocBody()], 'InvalidRequest');
});

test('AWS SDK for JavaScript: STREAMING-UNSIGNED-PAYLOAD-TRAILER body with crc32 authenticates and decodes', async () => {
  const { client, recorded } = recordingClient('SDKKEY', 'sdk-secret');
  const payload = Buffer.alloc(200_000, 'x');
  await client.send(new PutObjectCommand({ Bucket: 'b', Key: 'stream key', Body: Readable.from([payload.subarray(0, 70_000), payload.subarray(70_000)]), ContentLength: payload.length }));
  const r = recorded[0]!;
  assert.equal(r.input.headers['x-amz-content-sha256'], 'STREAMING-UNSIGNED-PAYLOAD-TRAILER');
  assert.equal(r.input.headers['x-amz-trailer'], 'x-amz-checksum-crc32');
  const auth = await authenticateSigV4(r.input, async () => 'sdk-secret');
  assert.equal(auth.kind, 'signed');
  if (auth.kind !== 'signed') return;
  assert.deepEqual(auth.payload, { kind: 'streaming-unsigned-trailer' });
  const body = r.body!;
  for (const pieces of [[body], splitRandomly(body, 3, 300), splitEvery(body, 1)]) {
    const { data, trailers } = await decode({ expectTrailer: true, trailerNames: ['x-amz-checksum-crc32'], decodedLength: payload.length }, pieces);
    assert.ok(data.equals(payload));
    assert.match(trailers['x-amz-checksum-crc32'] ?? '', /^[A-Za-z0-9+/]{6}==$/);
  }
});

const unsignedTrailer = (names = ['x-amz-checksum-crc32']): AwsChunkedDecoderOptions => ({ expectTrailer: true, trailerNames: names, decodedLength: 11 });

test('client variations: botocore, missing final CRLF, no trailer, LF line ends', async () => {
  const ok: Array<[string, AwsChunkedDecoderOptions, string, Record<string, string>]> = [
    ['botocore with checksum', unsignedTrailer(), 'b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n', { 'x-amz-checksum-crc32': 'DUoRhQ==' }],
    ['trailer without final CRLF', unsignedTrailer(), 'b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n', { 'x-amz-checksum-crc32': 'DUoRhQ==' }],
    ['trailer line without CRLF', unsignedTrailer(), 'b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==', { 'x-amz-checksum-crc32': 'DUoRhQ==' }],
    ['blank line before trailer, spaces', unsignedTrailer(), 'b\r\nhello world\r\n0\r\n\r\nx-amz-checksum-crc32 : DUoRhQ==\r\n\r\n', { 'x-amz-checksum-crc32': 'DUoRhQ==' }],
    ['botocore without checksum', unsignedTrailer([]), '5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n', {}],
    ['JS SDK without checksum (ends at 0\\r\\n)', unsignedTrailer([]), 'b\r\nhello world\r\n0\r\n', {}],
    ['LF line ends', unsignedTrailer([]), 'b\nhello world\n0\n\n', {}],
  ];
  for (const [name, opts, wire, trailers] of ok) {
    for (const pieces of [[Buffer.from(wire)], splitEvery(Buffer.from(wire), 1)]) {
      const got = await decode(opts, pieces);
      assert.equal(got.data.toString(), 'hello world', name);
      assert.deepEqual(got.trailers, trailers, name);
    }
  }
});

test('refusals: truncation, length mismatch, bad framing, unannounced or missing trailers', async () => {
  const cases: Array<[string, AwsChunkedDecoderOptions, string, string]> = [
    ['cut in data', unsignedTrailer([]), 'b\r\nhello', 'IncompleteBody'],
    ['cut before final chunk', unsignedTrailer([]), 'b\r\nhello world\r\n', 'IncompleteBody'],
    ['empty body', unsignedTrailer([]), '', 'IncompleteBody'],
    ['decoded shorter than declared', { ...unsignedTrailer([]), decodedLength: 12 }, 'b\r\nhello world\r\n0\r\n\r\n', 'IncompleteBody'],
    ['decoded longer than declared', { ...unsignedTrailer([]), decodedLength: 5 }, 'b\r\nhello world\r\n0\r\n\r\n', 'IncompleteBody'],
    ['bad size', unsignedTrailer([]), 'zz\r\nhello world\r\n0\r\n\r\n', 'InvalidRequest'],
    ['data longer than size', unsignedTrailer([]), '5\r\nhello world\r\n0\r\n\r\n', 'InvalidRequest'],
    ['garbage after end', unsignedTrailer([]), 'b\r\nhello world\r\n0\r\n\r\nextra', 'InvalidRequest'],
    ['unannounced trailer', unsignedTrailer(), 'b\r\nhello world\r\n0\r\nx-amz-checksum-sha256:abc\r\n\r\n', 'InvalidRequest'],
    ['trailer when none announced', unsignedTrailer([]), 'b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n', 'InvalidRequest'],
    ['announced trailer missing at end', unsignedTrailer(), 'b\r\nhello world\r\n0\r\n', 'IncompleteBody'],
    ['announced trailer missing before blank', unsignedTrailer(['x-amz-checksum-crc32', 'x-amz-checksum-sha1']), 'b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n', 'InvalidRequest'],
    ['overlong header line', unsignedTrailer([]), 'b;' + 'x'.repeat(5000) + '\r\n', 'InvalidRequest'],
  ];
  for (const [name, opts, wire, code] of cases) {
    await refused(opts, [Buffer.from(wire)], code).catch((e: unknown) => { throw new Error(`${name}: ${String(e)}`); });
  }
});
