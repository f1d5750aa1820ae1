/**
 * Issue 15 #6: stalled uploads held their quota for hours. Two PUTs declaring 490 KiB each and then sending
 * 100 bytes made a 1 MiB tenancy refuse every write, and their reservations outlived a restart. Now a body
 * that stops arriving is cut off (RequestTimeout after the idle timeout), its reservation goes with it,
 * and an embedded (SQLite) server clears reservations left by a previous process when it starts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { startServer, type TestServer } from '../helpers/server.js';
import { AdminClient, creds, makeActor, outcome, s3For, type Actor } from '../helpers/admin.js';
import { signHeaders } from '../helpers/sign.js';

const T = 'stall-t';
const KiB = 1024;
let server: TestServer;
let user: Actor;
let s3: S3Client;

/** A signed PUT that declares `declared` bytes, sends `sent` of them and then stops (the attack). */
function stalledPut(srv: TestServer, a: Actor, bucket: string, key: string, declared: number, sent: number): { req: ClientRequest; answer: Promise<{ status: number; body: string }> } {
  const host = `${T}.s3.localhost:${srv.port}`;
  const s = signHeaders({ method: 'PUT', path: `/${bucket}/${key}`, host, accessKey: a.key.accessKeyId, secretKey: a.key.secretAccessKey, headers: { 'content-length': String(declared) } });
  let req!: ClientRequest;
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req = httpRequest({ host: '127.0.0.1', port: srv.port, method: 'PUT', path: s.target, headers: s.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
  });
  req.write(Buffer.alloc(sent, 1));
  return { req, answer };
}

async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

before(async () => {
  server = await startServer({ env: { GRANARY_BODY_IDLE_TIMEOUT_MS: '1000' } });
  const admin = AdminClient.site(server);
  await admin.createTenancy({ name: T });
  await admin.setQuota(T, { bytes: 1024 * KiB });
  user = await makeActor(admin, 'stall-user', T, 'USER');
  s3 = s3For(server, creds(user.key), { host: `${T}.s3.localhost` });
  await s3.send(new CreateBucketCommand({ Bucket: 'stall' }));
});
after(async () => {
  s3?.destroy();
  await server?.stop();
  server?.cleanup();
});

test('a stalled upload is cut off with RequestTimeout and gives its quota back', async () => {
  const a = stalledPut(server, user, 'stall', 'one', 490 * KiB, 100);
  const b = stalledPut(server, user, 'stall', 'two', 490 * KiB, 100);
  // While they hold 980 KiB of the 1 MiB, a 100 KiB write does not fit.
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(await outcome(s3.send(new PutObjectCommand({ Bucket: 'stall', Key: 'meanwhile', Body: Buffer.alloc(100 * KiB) }))), 'QuotaExceeded');
  for (const stalled of [a, b]) {
    const r = await within(stalled.answer, 20_000, 'the stalled upload');
    assert.equal(r.status, 400, r.body);
    assert.match(r.body, /<Code>RequestTimeout<\/Code>/);
    stalled.req.destroy();
  }
  // Their room is back: 600 KiB fits again, and nothing of theirs was stored.
  assert.equal(await outcome(s3.send(new PutObjectCommand({ Bucket: 'stall', Key: 'after', Body: Buffer.alloc(600 * KiB) }))), 'OK');
  assert.equal(await outcome(s3.send(new PutObjectCommand({ Bucket: 'stall', Key: 'after', Body: Buffer.alloc(1) }))), 'OK');
});

test('a slow upload that keeps sending is not cut off', async () => {
  const host = `${T}.s3.localhost:${server.port}`;
  const size = 8 * KiB;
  const s = signHeaders({ method: 'PUT', path: '/stall/slow', host, accessKey: user.key.accessKeyId, secretKey: user.key.secretAccessKey, headers: { 'content-length': String(size) } });
  const answer = new Promise<number>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: server.port, method: 'PUT', path: s.target, headers: s.headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    // 8 chunks, 400 ms apart: 2.8 s in all, never 1 s without a byte.
    let n = 0;
    const tick = setInterval(() => {
      req.write(Buffer.alloc(KiB, n));
      if (++n === 8) {
        clearInterval(tick);
        req.end();
      }
    }, 400);
  });
  assert.equal(await within(answer, 20_000, 'the slow upload'), 200);
});

test('reservations left by a killed server are cleared when it starts again (embedded mode)', async () => {
  // A long idle timeout: the stalled uploads hold their reservations until the process dies.
  const srv = await startServer({ env: { GRANARY_BODY_IDLE_TIMEOUT_MS: '600000' } });
  try {
    const admin = AdminClient.site(srv);
    await admin.createTenancy({ name: T });
    await admin.setQuota(T, { bytes: 1024 * KiB });
    const u = await makeActor(admin, 'stall-user', T, 'USER');
    const c = s3For(srv, creds(u.key), { host: `${T}.s3.localhost` });
    await c.send(new CreateBucketCommand({ Bucket: 'stall' }));
    const stalled = [stalledPut(srv, u, 'stall', 'one', 490 * KiB, 100), stalledPut(srv, u, 'stall', 'two', 490 * KiB, 100)];
    for (const s of stalled) s.answer.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await outcome(c.send(new PutObjectCommand({ Bucket: 'stall', Key: 'k', Body: Buffer.alloc(100 * KiB) }))), 'QuotaExceeded');
    c.destroy();
    await srv.kill();
    for (const s of stalled) s.req.destroy();

    const again = await startServer({ dataDir: srv.dataDir, env: { GRANARY_ACCESS_KEY: srv.accessKey, GRANARY_SECRET_KEY: srv.secretKey } });
    try {
      const c2 = s3For(again, creds(u.key), { host: `${T}.s3.localhost` });
      assert.equal(await outcome(c2.send(new PutObjectCommand({ Bucket: 'stall', Key: 'k', Body: Buffer.alloc(600 * KiB) }))), 'OK');
      c2.destroy();
    } finally {
      await again.stop();
    }
  } finally {
    await srv.stop();
    srv.cleanup();
  }
});
