/**
 * Graceful shutdown on SIGTERM: the server stops accepting at once, lets in-flight requests finish within
 * its 10 s grace period, cuts off what is still running after it, and exits 0. Nothing acknowledged is lost
 * and nothing partial becomes visible.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { startServer, type TestServer } from '../helpers/server.js';
import { sdkClient } from '../helpers/clients.js';
import { inventory, minus, restartServer, sha256, signedRequest, sleep, throttled } from '../helpers/crash-tools.js';

const MiB = 1024 * 1024;
const GRACE_MS = 10_000;

const servers: TestServer[] = [];
after(async () => {
  for (const s of servers) {
    await s.kill();
    s.cleanup();
  }
});

async function getBody(s3: S3Client, Bucket: string, Key: string): Promise<Buffer> {
  const out = await s3.send(new GetObjectCommand({ Bucket, Key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

/** Sends SIGTERM and resolves with the exit code and how long the exit took. */
function sigterm(s: TestServer): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
  const t0 = Date.now();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>((r) =>
    s.proc.once('exit', (code, signal) => r({ code, signal, ms: Date.now() - t0 })),
  );
  s.proc.kill('SIGTERM');
  return exited;
}

/** A fresh connection after SIGTERM: refused, reset, or answered with `connection: close`. */
function probeNewConnection(port: number): Promise<string> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/_admin/health', agent: false }, (res) => {
      res.resume();
      resolve(`HTTP ${res.statusCode} connection: ${res.headers.connection ?? '(none)'}`);
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    req.setTimeout(3_000, () => req.destroy(Object.assign(new Error('probe timed out'), { code: 'PROBE_TIMEOUT' })));
    req.end();
  });
}

test('SIGTERM: in-flight upload and download finish, new connections are refused, exit 0', { timeout: 60_000 }, async (t) => {
  let server = await startServer();
  servers.push(server);
  let s3 = sdkClient(server);
  await s3.send(new CreateBucketCommand({ Bucket: 'shut' }));
  const download = randomBytes(64 * MiB);
  assert.equal((await signedRequest(server, { method: 'PUT', path: '/shut/download', headers: { 'content-length': String(download.length) }, body: download })).status, 200);

  const upload = randomBytes(64 * MiB);
  const upStarted = Date.now();
  const up = signedRequest(server, {
    method: 'PUT', path: '/shut/upload', headers: { 'content-length': String(upload.length) },
    body: throttled(upload, 32 * MiB), // ~2 s
  });
  let downBytes = 0;
  const down = signedRequest(server, { method: 'GET', path: '/shut/download', readBytesPerSec: 32 * MiB, onData: (c) => { downBytes += c.length; downHash.update(c); } });
  const downHash = createHash('sha256');
  up.catch(() => {});
  down.catch(() => {}); // observed below; avoid an unhandled rejection while awaiting the upload

  await sleep(600);
  const exit = sigterm(server);
  await sleep(150);
  const probe = await probeNewConnection(server.port);
  t.diagnostic(`new connection after SIGTERM: ${probe}`);
  assert.ok(/ECONNREFUSED|ECONNRESET|connection: close/.test(probe), `new connection after SIGTERM was served normally: ${probe}`);

  const upRes = await up;
  const upMs = Date.now() - upStarted;
  assert.equal(upRes.status, 200, `in-flight upload: HTTP ${upRes.status} ${upRes.body.toString()}\n${server.output()}`);
  const downRes = await down;
  assert.equal(downRes.status, 200);
  assert.equal(downBytes, download.length, 'download truncated by the shutdown');
  assert.equal(downHash.digest('hex'), sha256(download), 'download damaged by the shutdown');
  assert.ok(downBytes > 0);

  const { code, signal, ms } = await exit;
  t.diagnostic(`upload took ${upMs} ms; exit ${code}/${signal} ${ms} ms after SIGTERM`);
  assert.equal(signal, null, `server died of ${signal}`);
  assert.equal(code, 0, `exit code after SIGTERM\n${server.output()}`);
  assert.ok(ms < GRACE_MS + 2_000, `exit took ${ms} ms`);
  s3.destroy();

  server = await restartServer(server);
  servers.push(server);
  s3 = sdkClient(server);
  assert.equal(sha256(await getBody(s3, 'shut', 'upload')), sha256(upload), 'upload acknowledged during shutdown lost or damaged');
  assert.equal(sha256(await getBody(s3, 'shut', 'download')), sha256(download));
  s3.destroy();
  await server.stop();
});

test('SIGTERM: a client stalled mid-upload is cut off after the grace period and nothing partial remains', { timeout: 60_000 }, async (t) => {
  let server = await startServer();
  servers.push(server);
  let s3 = sdkClient(server);
  await s3.send(new CreateBucketCommand({ Bucket: 'stall' }));
  const old = randomBytes(3 * MiB);
  assert.equal((await signedRequest(server, { method: 'PUT', path: '/stall/existing', headers: { 'content-length': String(old.length) }, body: old })).status, 200);

  // Three stalled uploads: an overwrite of a blob-backed object, a new blob-backed key, a new inline key.
  const stalls = [
    { key: 'existing', body: randomBytes(16 * MiB), sendFirst: 5 * MiB },
    { key: 'fresh', body: randomBytes(16 * MiB), sendFirst: 2 * MiB },
    { key: 'small', body: randomBytes(60 * 1024), sendFirst: 10 * 1024 },
  ];
  const outcomes = stalls.map((st) =>
    signedRequest(server, {
      method: 'PUT', path: `/stall/${st.key}`, headers: { 'content-length': String(st.body.length) },
      body: throttled(st.body, 64 * MiB, { stallAfter: st.sendFirst }),
    }).then(
      (r) => `HTTP ${r.status}`,
      (e: NodeJS.ErrnoException) => e.code ?? e.message,
    ),
  );
  await sleep(800);
  const exit = sigterm(server);
  const results = await Promise.all(outcomes);
  const { code, signal, ms } = await exit;
  t.diagnostic(`stalled uploads ended with ${results.join(', ')}; exit ${code}/${signal} after ${ms} ms`);
  for (const r of results) assert.ok(!/HTTP 20\d/.test(r), `a stalled upload was acknowledged: ${r}`);
  assert.equal(signal, null, `server died of ${signal}`);
  assert.equal(code, 0, `exit code after SIGTERM\n${server.output()}`);
  assert.ok(ms >= GRACE_MS - 500, `server gave up on in-flight requests after ${ms} ms, before the ${GRACE_MS} ms grace`);
  assert.ok(ms < GRACE_MS + 3_000, `exit took ${ms} ms`);

  // What the aborted writes left on disk before any start-up cleanup (informational: start-up clears tmp).
  const leftover = inventory(server.dataDir);
  t.diagnostic(`after exit: ${leftover.tmp.length} tmp files, ${minus(leftover.onDisk, new Set([...leftover.referenced, ...leftover.queued])).length} unreferenced blobs`);
  assert.deepEqual(minus(leftover.onDisk, new Set([...leftover.referenced, ...leftover.queued])), [], 'a cut-off upload left a blob file no row references');

  server = await restartServer(server);
  servers.push(server);
  s3 = sdkClient(server);
  assert.equal(sha256(await getBody(s3, 'stall', 'existing')), sha256(old), 'the object a stalled upload would have replaced changed');
  for (const key of ['fresh', 'small']) {
    await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: 'stall', Key: key })), (e: { $metadata?: { httpStatusCode?: number } }) => e.$metadata?.httpStatusCode === 404, `${key} visible after restart`);
  }
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'stall' }));
  assert.deepEqual((listed.Contents ?? []).map((c) => [c.Key, c.Size]), [['existing', old.length]]);
  s3.destroy();
  assert.equal(await server.stop(), 0);
  const inv = inventory(server.dataDir);
  assert.deepEqual(inv.tmp, [], 'tmp files after restart');
  for (const u of inv.usage) assert.equal(u.usedBytes, u.objectBytes + u.partBytes, `bucket ${u.bucket}: used_bytes counter after cut-off uploads`);
});
