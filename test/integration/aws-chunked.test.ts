/**
 * Raw aws-chunked requests over node:http against the real server (issue 3): each STREAMING-* payload
 * mode built by hand (chunk and trailer signatures computed here, independently of Granary's code),
 * stored objects compared byte for byte with the user's bytes, and each failure mode (wrong trailer
 * checksum, missing trailer, bad chunk signature mid-stream, wrong decoded length) storing nothing.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { crc32 as zlibCrc32, gzipSync, gunzipSync } from 'node:zlib';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { startServer, type TestServer } from '../helpers/server.js';
import { sdkClient } from '../helpers/clients.js';
import { signHeaders } from '../helpers/sign.js';

const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');
const sha256hex = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
const hmac = (key: Buffer | string, s: string): Buffer => createHmac('sha256', key).update(s).digest();
const crc32b64 = (b: Buffer): string => {
  const o = Buffer.alloc(4);
  o.writeUInt32BE(zlibCrc32(b) >>> 0);
  return o.toString('base64');
};

let server: TestServer;
let s3: S3Client;
let seq = 0;
const newBucket = async (): Promise<string> => {
  const name = `chunked-${process.pid}-${++seq}`;
  await s3.send(new CreateBucketCommand({ Bucket: name }));
  return name;
};

before(async () => {
  server = await startServer();
  s3 = sdkClient(server);
});
after(async () => {
  s3?.destroy();
  await server?.stop();
  server?.cleanup();
});

type Mode = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER' | 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' | 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';

interface BuildOptions {
  mode: Mode;
  data: Buffer;
  chunkSize: number;
  /** Trailers to send (name → value), in order. */
  trailers?: Array<[string, string]>;
  /** What x-amz-trailer announces (default: the trailer names). */
  announce?: string[];
  /** 0-based index of a chunk whose signature is corrupted. */
  badChunk?: number;
  /** Corrupt the trailer signature. */
  badTrailerSignature?: boolean;
  decodedLength?: number;
  contentEncoding?: string;
  extraHeaders?: Record<string, string>;
  query?: Record<string, string>;
  /** Send over this agent (default: a fresh connection). */
  agent?: Agent;
}

interface RawResponse {
  status: number;
  /** Whether the request went over a connection an earlier request had used. */
  reused: boolean;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** Builds and sends one aws-chunked PUT to /bucket/key. */
async function chunkedPut(bucket: string, key: string, o: BuildOptions): Promise<RawResponse> {
  const date = new Date();
  const amzDate = date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const region = 'us-east-1';
  const scope = `${amzDate.slice(0, 8)}/${region}/s3/aws4_request`;
  const signed = o.mode !== 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';
  const withTrailer = o.mode.endsWith('-TRAILER');
  const trailers = o.trailers ?? [];
  const announce = o.announce ?? trailers.map(([n]) => n);

  // Chunks: the data cut every chunkSize bytes, then the final empty chunk.
  const chunks: Buffer[] = [];
  for (let i = 0; i < o.data.length; i += o.chunkSize) chunks.push(o.data.subarray(i, i + o.chunkSize));

  // The body length must be known up front for Content-Length (signed) — build the body with placeholder
  // signatures of the right length, then sign with the real seed.
  const headersIn: Record<string, string> = {
    'content-encoding': o.contentEncoding ?? 'aws-chunked',
    'x-amz-decoded-content-length': String(o.decodedLength ?? o.data.length),
    ...(withTrailer && announce.length ? { 'x-amz-trailer': announce.join(',') } : {}),
    ...(o.extraHeaders ?? {}),
  };

  const build = (seed: string, signingKey: Buffer | undefined): Buffer => {
    const out: Buffer[] = [];
    let prev = seed;
    const sign = (dataHash: string, i: number): string => {
      const sts = `AWS4-HMAC-SHA256-PAYLOAD\n${amzDate}\n${scope}\n${prev}\n${EMPTY_SHA256}\n${dataHash}`;
      let sig = signingKey ? createHmac('sha256', signingKey).update(sts).digest('hex') : '0'.repeat(64);
      if (i === o.badChunk) sig = (sig[0] === 'a' ? 'b' : 'a') + sig.slice(1);
      // The chain continues from the signature actually sent (as a real client would).
      prev = sig;
      return sig;
    };
    chunks.forEach((c, i) => {
      const ext = signed ? `;chunk-signature=${sign(sha256hex(c), i)}` : '';
      out.push(Buffer.from(`${c.length.toString(16)}${ext}\r\n`), c, Buffer.from('\r\n'));
    });
    out.push(Buffer.from(`0${signed ? `;chunk-signature=${sign(EMPTY_SHA256, chunks.length)}` : ''}\r\n`));
    if (withTrailer) {
      let canonical = '';
      for (const [n, v] of trailers) {
        out.push(Buffer.from(`${n}:${v}\r\n`));
        canonical += `${n}:${v}\n`;
      }
      if (signed) {
        const sts = `AWS4-HMAC-SHA256-TRAILER\n${amzDate}\n${scope}\n${prev}\n${sha256hex(canonical)}`;
        let sig = signingKey ? createHmac('sha256', signingKey).update(sts).digest('hex') : '0'.repeat(64);
        if (o.badTrailerSignature) sig = (sig[0] === 'a' ? 'b' : 'a') + sig.slice(1);
        out.push(Buffer.from(`x-amz-trailer-signature:${sig}\r\n`));
      }
    }
    out.push(Buffer.from('\r\n'));
    return Buffer.concat(out);
  };

  const contentLength = build('0'.repeat(64), undefined).length;
  const path = `/${bucket}/${key}`;
  const { target, headers } = signHeaders({
    method: 'PUT',
    path,
    query: o.query ?? {},
    headers: { ...headersIn, 'content-length': String(contentLength) },
    host: server.endpoint,
    accessKey: server.accessKey,
    secretKey: server.secretKey,
    date,
    payloadHash: o.mode,
    region,
  });
  const seed = /Signature=([0-9a-f]{64})/.exec(headers['authorization']!)![1]!;
  const kDate = hmac('AWS4' + server.secretKey, amzDate.slice(0, 8));
  const signingKey = hmac(hmac(hmac(kDate, region), 's3'), 'aws4_request');
  const body = build(seed, signingKey);
  assert.equal(body.length, contentLength);
  return send('PUT', target, headers, body, o.agent);
}

/** Sends a request, writing the body in small pieces; resolves with the answer even if the server cut the upload short. */
function send(method: string, target: string, headers: Record<string, string>, body: Buffer, agent?: Agent): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request({ host: '127.0.0.1', port: server.port, method, path: target, headers, agent: agent ?? false }, (res) => {
      answered = true;
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode!, reused: req.reusedSocket, body: Buffer.concat(parts).toString(), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', (e) => {
      if (!answered) reject(e);
    });
    // Several writes, so the server sees the body arrive in pieces that do not line up with chunks.
    const piece = 7919;
    let i = 0;
    const pump = (): void => {
      while (i < body.length) {
        const ok = req.write(body.subarray(i, Math.min(i + piece, body.length)));
        i += piece;
        if (!ok) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
}

async function stored(bucket: string, key: string): Promise<Buffer | undefined> {
  try {
    const g = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await g.Body!.transformToByteArray());
  } catch (e) {
    if ((e as { name?: string }).name === 'NoSuchKey') return undefined;
    throw e;
  }
}

const errorCode = (body: string): string | undefined => /<Code>([^<]+)<\/Code>/.exec(body)?.[1];

describe('aws-chunked bodies are decoded to exactly the user bytes', () => {
  test('STREAMING-UNSIGNED-PAYLOAD-TRAILER with x-amz-checksum-crc32 trailer', async () => {
    const b = await newBucket();
    const data = randomBytes(200_000);
    const r = await chunkedPut(b, 'unsigned', { mode: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', data, chunkSize: 65536, trailers: [['x-amz-checksum-crc32', crc32b64(data)]] });
    assert.equal(r.status, 200, r.body);
    assert.equal(r.headers['x-amz-checksum-crc32'], crc32b64(data));
    const got = await stored(b, 'unsigned');
    assert.ok(got?.equals(data), 'stored bytes == user bytes');
    const head = await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'unsigned', ChecksumMode: 'ENABLED' }));
    assert.equal(head.ContentLength, data.length);
    assert.equal(head.ChecksumCRC32, crc32b64(data));
    assert.equal(head.ContentEncoding, undefined, 'aws-chunked is not kept as a content-encoding');
    assert.equal(head.ETag, `"${createHash('md5').update(data).digest('hex')}"`);
  });

  test('STREAMING-UNSIGNED-PAYLOAD-TRAILER with a sha256 trailer, one-byte chunks and an empty body', async () => {
    const b = await newBucket();
    const data = randomBytes(300);
    const sha = createHash('sha256').update(data).digest('base64');
    const r = await chunkedPut(b, 'tiny', { mode: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', data, chunkSize: 1, trailers: [['x-amz-checksum-sha256', sha]] });
    assert.equal(r.status, 200, r.body);
    assert.ok((await stored(b, 'tiny'))?.equals(data));
    const empty = Buffer.alloc(0);
    const r2 = await chunkedPut(b, 'empty', { mode: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', data: empty, chunkSize: 1, trailers: [['x-amz-checksum-crc32', crc32b64(empty)]] });
    assert.equal(r2.status, 200, r2.body);
    assert.equal((await stored(b, 'empty'))?.length, 0);
  });

  test('STREAMING-AWS4-HMAC-SHA256-PAYLOAD: every chunk signed', async () => {
    const b = await newBucket();
    const data = randomBytes(5 * 65536 + 123);
    const r = await chunkedPut(b, 'signed', { mode: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', data, chunkSize: 65536 });
    assert.equal(r.status, 200, r.body);
    assert.ok((await stored(b, 'signed'))?.equals(data), 'stored bytes == user bytes');
  });

  test('STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER: signed trailer', async () => {
    const b = await newBucket();
    const data = randomBytes(3 * 65536 + 5);
    const r = await chunkedPut(b, 'signed-trailer', {
      mode: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
      data,
      chunkSize: 65536,
      trailers: [['x-amz-checksum-crc32', crc32b64(data)]],
    });
    assert.equal(r.status, 200, r.body);
    assert.ok((await stored(b, 'signed-trailer'))?.equals(data), 'stored bytes == user bytes');
    const head = await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'signed-trailer', ChecksumMode: 'ENABLED' }));
    assert.equal(head.ChecksumCRC32, crc32b64(data));
    // A wrong trailer signature is refused and stores nothing.
    const bad = await chunkedPut(b, 'bad-trailer-sig', {
      mode: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
      data,
      chunkSize: 65536,
      trailers: [['x-amz-checksum-crc32', crc32b64(data)]],
      badTrailerSignature: true,
    });
    assert.equal(bad.status, 403, bad.body);
    assert.equal(errorCode(bad.body), 'SignatureDoesNotMatch');
    assert.equal(await stored(b, 'bad-trailer-sig'), undefined);
  });

  test('Content-Encoding aws-chunked,gzip keeps only gzip on the stored object', async () => {
    const b = await newBucket();
    const plain = Buffer.from('granary '.repeat(10_000));
    const gz = gzipSync(plain);
    const r = await chunkedPut(b, 'data.txt', {
      mode: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      data: gz,
      chunkSize: 1000,
      contentEncoding: 'aws-chunked,gzip',
      trailers: [['x-amz-checksum-crc32', crc32b64(gz)]],
      extraHeaders: { 'content-type': 'text/plain' },
    });
    assert.equal(r.status, 200, r.body);
    const head = await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'data.txt' }));
    assert.equal(head.ContentEncoding, 'gzip');
    assert.equal(head.ContentType, 'text/plain');
    assert.equal(head.ContentLength, gz.length);
    const got = await stored(b, 'data.txt');
    assert.ok(got?.equals(gz), 'stored bytes are the gzip stream the user sent');
    assert.ok(gunzipSync(got!).equals(plain));
    // Signed mode, with gzip first.
    const r2 = await chunkedPut(b, 'data2.txt', { mode: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', data: gz, chunkSize: 4096, contentEncoding: 'gzip, aws-chunked' });
    assert.equal(r2.status, 200, r2.body);
    const head2 = await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'data2.txt' }));
    assert.equal(head2.ContentEncoding, 'gzip');
    assert.ok((await stored(b, 'data2.txt'))?.equals(gz));
  });

  test('UploadPart with an aws-chunked body (unsigned trailer and signed chunks)', async () => {
    const b = await newBucket();
    const p1 = randomBytes(5 * 1024 * 1024);
    const p2 = randomBytes(4321);
    const c = await s3.send(new CreateMultipartUploadCommand({ Bucket: b, Key: 'mp' }));
    const q = (n: number): Record<string, string> => ({ partNumber: String(n), uploadId: c.UploadId! });
    const r1 = await chunkedPut(b, 'mp', { mode: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', data: p1, chunkSize: 65536, trailers: [['x-amz-checksum-crc32', crc32b64(p1)]], query: q(1) });
    assert.equal(r1.status, 200, r1.body);
    const r2 = await chunkedPut(b, 'mp', { mode: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', data: p2, chunkSize: 1000, query: q(2) });
    assert.equal(r2.status, 200, r2.body);
    const md5 = (x: Buffer): string => `"${createHash('md5').update(x).digest('hex')}"`;
    assert.equal(r1.headers['etag'], md5(p1));
    assert.equal(r2.headers['etag'], md5(p2));
    const lp = await s3.send(new ListPartsCommand({ Bucket: b, Key: 'mp', UploadId: c.UploadId! }));
    assert.deepEqual(lp.Parts?.map((p) => p.Size), [p1.length, p2.length]);
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: b, Key: 'mp', UploadId: c.UploadId!, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: md5(p1) }, { PartNumber: 2, ETag: md5(p2) }] } }));
    assert.ok((await stored(b, 'mp'))?.equals(Buffer.concat([p1, p2])));
  });
});

describe('aws-chunked failures store nothing', () => {
  test('wrong trailer checksum → BadDigest', async () => {
    const b = await newBucket();
    const data = randomBytes(100_000);
    const wrong = crc32b64(Buffer.from('something else'));
    for (const mode of ['STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER'] as const) {
      const r = await chunkedPut(b, 'k', { mode, data, chunkSize: 8192, trailers: [['x-amz-checksum-crc32', wrong]] });
      assert.equal(r.status, 400, r.body);
      assert.equal(errorCode(r.body), 'BadDigest', r.body);
      assert.equal(await stored(b, 'k'), undefined);
    }
    // Overwriting an existing object with a bad body leaves the old one.
    await s3.send(new PutObjectCommand({ Bucket: b, Key: 'k', Body: 'keep me' }));
    const r = await chunkedPut(b, 'k', { mode: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', data, chunkSize: 8192, trailers: [['x-amz-checksum-crc32', wrong]] });
    assert.equal(r.status, 400);
    assert.equal((await stored(b, 'k'))?.toString(), 'keep me');
  });

  test('announced trailer never sent → error', async () => {
    const b = await newBucket();
    const data = randomBytes(50_000);
    for (const mode of ['STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER'] as const) {
      const r = await chunkedPut(b, 'k', { mode, data, chunkSize: 8192, trailers: [], announce: ['x-amz-checksum-crc32'] });
      assert.ok(r.status >= 400 && r.status < 500, `status ${r.status}: ${r.body}`);
      assert.ok(['IncompleteBody', 'InvalidRequest', 'MalformedTrailerError', 'BadDigest'].includes(errorCode(r.body) ?? ''), r.body);
      assert.equal(await stored(b, 'k'), undefined, mode);
    }
  });

  test('a wrong chunk signature in the 3rd of 5 chunks → SignatureDoesNotMatch', async () => {
    const b = await newBucket();
    const data = randomBytes(5 * 65536);
    for (const mode of ['STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER'] as const) {
      const r = await chunkedPut(b, 'k', { mode, data, chunkSize: 65536, badChunk: 2, ...(mode.endsWith('TRAILER') ? { trailers: [['x-amz-checksum-crc32', crc32b64(data)]] } : {}) });
      assert.equal(r.status, 403, r.body);
      assert.equal(errorCode(r.body), 'SignatureDoesNotMatch', r.body);
      assert.equal(await stored(b, 'k'), undefined, mode);
    }
    // A bad signature on the final (empty) chunk is caught too.
    const r = await chunkedPut(b, 'k', { mode: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', data, chunkSize: 65536, badChunk: 5 });
    assert.equal(r.status, 403, r.body);
    assert.equal(await stored(b, 'k'), undefined);
  });

  test('refused early with most of a large body still to come: the client reads the answer, not a reset', async () => {
    // Closing while the client still sends makes the kernel reset the connection, which can destroy the
    // error answer before the client reads it (EPIPE instead of SignatureDoesNotMatch). The server closes
    // lingeringly instead: the answer always arrives, and the next request (same agent) gets a new connection.
    const b = await newBucket();
    const data = randomBytes(16 * 1024 * 1024);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < 6; i++) {
        const started = Date.now();
        const r = await chunkedPut(b, 'big', { mode: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', data, chunkSize: 65536, badChunk: i % 3, agent });
        assert.equal(r.status, 403, r.body);
        assert.equal(errorCode(r.body), 'SignatureDoesNotMatch', r.body);
        assert.equal(r.headers['connection'], 'close');
        assert.equal(r.reused, false);
        // Not held up by the server's lingering (which waits for the client to stop, up to 5 s).
        assert.ok(Date.now() - started < 4000, `answered after ${Date.now() - started} ms`);
      }
      const ok = await chunkedPut(b, 'small', { mode: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', data: data.subarray(0, 1000), chunkSize: 512, agent });
      assert.equal(ok.status, 200, ok.body);
    } finally {
      agent.destroy();
    }
    assert.equal(await stored(b, 'big'), undefined);
  });

  test('x-amz-decoded-content-length mismatch → error', async () => {
    const b = await newBucket();
    const data = randomBytes(30_000);
    for (const decodedLength of [data.length + 1, data.length - 1]) {
      for (const mode of ['STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD'] as const) {
        const r = await chunkedPut(b, 'k', { mode, data, chunkSize: 4096, decodedLength, ...(mode.endsWith('TRAILER') ? { trailers: [['x-amz-checksum-crc32', crc32b64(data)]] } : {}) });
        assert.ok(r.status >= 400 && r.status < 500, `${mode} decoded ${decodedLength}: status ${r.status}: ${r.body}`);
        assert.equal(await stored(b, 'k'), undefined, `${mode} decoded ${decodedLength}`);
      }
    }
  });

  test('the server is still up and serving after all of the above', async () => {
    assert.equal(server.proc.exitCode, null, server.output().slice(-4000));
    assert.equal(server.proc.signalCode, null, server.output().slice(-4000));
    const list = await s3.send(new ListBucketsCommand({}));
    assert.ok((list.Buckets?.length ?? 0) > 0);
    const b = await newBucket();
    await s3.send(new PutObjectCommand({ Bucket: b, Key: 'after', Body: 'alive' }));
    assert.equal((await stored(b, 'after'))?.toString(), 'alive');
  });
});
