/**
 * Scale-out mode end to end: three gateways (`granary serve --metadata postgres://…`) on one PostgreSQL
 * and one data directory, with HAProxy (docs/haproxy.cfg) in front, round robin:
 *  - read-after-write and list-after-write consistency through the load balancer and across gateways;
 *  - 50 parallel uploads through different gateways never overshoot a tenancy quota;
 *  - a key deleted, a policy removed, a member removed through one gateway hold on the others within 1 s;
 *  - a gateway SIGKILLed mid-upload loses nothing acknowledged, and the others carry on;
 *  - PostgreSQL stopped: clean 503 ServiceUnavailable (S3 XML and admin problem+json), fast; restarted:
 *    service resumes by itself, and nothing refused during the outage was stored.
 * Skipped (with a message) when the PostgreSQL binaries or HAProxy are not installed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startServer, type TestServer } from '../helpers/server.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { haproxyBinary, startHaproxy, type TestHaproxy } from '../helpers/haproxy.js';
import { ADMIN_PASSWORD, ADMIN_USER, AdminClient, creds, makeActor, outcome } from '../helpers/admin.js';
import { signHeaders } from '../helpers/sign.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function pgAvailable(): boolean {
  if (process.env.GRANARY_TEST_PG_URL) return false; // stop/start needs our own cluster
  return existsSync('/usr/lib/postgresql') || (process.env.PATH ?? '').split(':').some((d) => d !== '' && existsSync(join(d, 'initdb')));
}
const skip = !haproxyBinary() ? 'haproxy is not installed (scripts/install-test-deps.sh)' : !pgAvailable() ? 'PostgreSQL binaries not found' : false;

function s3(url: string, key: { accessKeyId: string; secretAccessKey: string }, maxAttempts = 1): S3Client {
  return new S3Client({ endpoint: url, region: 'us-east-1', forcePathStyle: true, credentials: key, maxAttempts });
}

async function body(c: S3Client, bucket: string, key: string): Promise<Buffer> {
  const r = await c.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await r.Body!.transformToByteArray());
}

describe('cluster: three gateways on PostgreSQL behind HAProxy', { skip, timeout: 240_000 }, () => {
  let pg: TestPostgres;
  let dataDir: string;
  const gw: TestServer[] = [];
  let lb: TestHaproxy;
  let key: { accessKeyId: string; secretAccessKey: string };
  let admin: AdminClient;
  const startGateway = (port?: number, portalPort?: number) => startServer({ dataDir, args: ['--metadata', pg.url], ...(port ? { port } : {}), ...(portalPort ? { portalPort } : {}) });

  before(async () => {
    const t0 = Date.now();
    pg = await startPostgres();
    dataDir = mkdtempSync(join(tmpdir(), 'granary-cluster-'));
    // All three at once on a fresh database: bootstrap and migrations must cope with the race.
    gw.push(...(await Promise.all([startGateway(), startGateway(), startGateway()])));
    lb = await startHaproxy(gw.map((g) => g.port), gw.map((g) => g.portalPort));
    admin = new AdminClient(lb.portalUrl, ADMIN_USER, ADMIN_PASSWORD);
    const a = await makeActor(admin, 'clusteruser', 'default', 'MANAGER');
    key = creds(a.key);
    console.log(`# cluster up in ${Date.now() - t0} ms: gateways ${gw.map((g) => g.port).join(', ')}, haproxy ${lb.port}`);
  });

  after(async () => {
    await lb?.stop();
    await Promise.all(gw.map((g) => g.stop()));
    await pg?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('read-after-write and list-after-write, through HAProxy and across gateways', async () => {
    const viaLb = s3(lb.url, key);
    const direct = gw.map((g) => s3(g.url, key));
    await viaLb.send(new CreateBucketCommand({ Bucket: 'consistency' }));
    const written = new Map<string, string>();
    for (let i = 0; i < 30; i++) {
      const k = `k/${String(i).padStart(3, '0')}`;
      const b = randomBytes(i % 2 ? 200_000 : 3_000); // blob files and inline rows
      // Write through one gateway, read and list through the next one and through the balancer.
      await direct[i % 3]!.send(new PutObjectCommand({ Bucket: 'consistency', Key: k, Body: b }));
      written.set(k, sha(b));
      assert.equal(sha(await body(direct[(i + 1) % 3]!, 'consistency', k)), sha(b), `${k} via gateway ${(i + 1) % 3}`);
      assert.equal(sha(await body(viaLb, 'consistency', k)), sha(b), `${k} via haproxy`);
      const listed = await direct[(i + 2) % 3]!.send(new ListObjectsV2Command({ Bucket: 'consistency', Prefix: 'k/' }));
      assert.deepEqual(listed.Contents?.map((o) => o.Key), [...written.keys()]);
    }
    // Overwrite through the balancer, read back through every gateway.
    const nb = randomBytes(5_000);
    await viaLb.send(new PutObjectCommand({ Bucket: 'consistency', Key: 'k/000', Body: nb }));
    for (const c of direct) assert.equal(sha(await body(c, 'consistency', 'k/000')), sha(nb));
  });

  test('50 parallel uploads through different gateways never overshoot a tenancy quota', async () => {
    const size = 100 * 1024;
    const fits = 10;
    await admin.createTenancy({ name: 'quotatest' });
    await admin.setQuota('quotatest', { bytes: fits * size });
    const a = await makeActor(admin, 'quotauser', 'quotatest', 'MANAGER');
    const clients = gw.map((g) => s3(g.url, creds(a.key)));
    await clients[0]!.send(new CreateBucketCommand({ Bucket: 'full' }));
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => outcome(clients[i % 3]!.send(new PutObjectCommand({ Bucket: 'full', Key: `o${i}`, Body: randomBytes(size) })))),
    );
    const ok = results.filter((r) => r === 'OK').length;
    const refused = results.filter((r) => r === 'QuotaExceeded').length;
    assert.equal(ok + refused, 50, `unexpected outcomes: ${[...new Set(results)].join(', ')}`);
    assert.equal(ok, fits, `exactly the quota's worth succeeds (got ${ok})`);
    const used = (await admin.usage('quotatest')).usage.bytes;
    assert.ok(used <= fits * size, `usage ${used} exceeds quota ${fits * size}`);
    assert.equal(used, ok * size);
    const listed = await clients[1]!.send(new ListObjectsV2Command({ Bucket: 'full' }));
    assert.equal(listed.KeyCount, ok);
  });

  test('a key deleted, a policy removed, a member removed on one gateway hold on the others within 1 s', async () => {
    const a = await makeActor(admin, 'revoked', 'default', 'MANAGER');
    const k = creds(a.key);
    await s3(gw[0]!.url, k).send(new CreateBucketCommand({ Bucket: 'revocation' }));
    await s3(gw[0]!.url, k).send(new PutObjectCommand({ Bucket: 'revocation', Key: 'x', Body: 'hello' }));
    // Warm every gateway with this key first (any cache would now hold it).
    for (const g of gw) assert.equal((await body(s3(g.url, k), 'revocation', 'x')).toString(), 'hello');

    const honouredEverywhere = async (check: (g: TestServer) => Promise<boolean>, what: string): Promise<void> => {
      const t0 = Date.now();
      for (const g of gw) {
        while (!(await check(g))) {
          assert.ok(Date.now() - t0 < 1000, `${what} not yet honoured by gateway ${g.port} after 1 s`);
          await sleep(20);
        }
      }
    };
    const refusedEverywhere = async (check: (g: TestServer) => Promise<boolean>, what: string): Promise<number> => {
      const t0 = Date.now();
      for (const g of gw.slice(1)) {
        while (!(await check(g))) {
          assert.ok(Date.now() - t0 < 1000, `${what} still honoured by gateway ${g.port} after 1 s`);
          await sleep(20);
        }
      }
      return Date.now() - t0;
    };

    // Anonymous read through a bucket policy; then the policy is removed through gateway 0.
    await admin.setPolicy('default', 'revocation', {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::revocation/*' }],
    });
    const anon = (g: TestServer) => fetch(`${g.url}/default:revocation/x`).then((r) => r.status);
    // A change reaches every gateway within one second (each may serve a lookup cached ≤ 500 ms).
    await honouredEverywhere(async (g) => (await anon(g)) === 200, 'new policy');
    await new AdminClient(gw[0]!.portalUrl, ADMIN_USER, ADMIN_PASSWORD).deletePolicy('default', 'revocation');
    const policyMs = await refusedEverywhere(async (g) => (await anon(g)) === 403, 'removed policy');

    // Key deleted through gateway 0.
    await new AdminClient(gw[0]!.portalUrl, a.username, a.password).deleteKey(a.key.accessKeyId);
    const keyMs = await refusedEverywhere(async (g) => (await outcome(body(s3(g.url, k), 'revocation', 'x'))) === 'InvalidAccessKeyId', 'deleted key');

    // Member removed through gateway 0 (their keys for the tenancy go with the membership).
    const m = await makeActor(admin, 'leaver', 'default', 'USER');
    await admin.setPolicy('default', 'revocation', {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam:::group/default-members' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::revocation/*' }],
    });
    await honouredEverywhere(async (g) => (await outcome(body(s3(g.url, creds(m.key)), 'revocation', 'x'))) === 'OK', 'group grant');
    await new AdminClient(gw[0]!.portalUrl, ADMIN_USER, ADMIN_PASSWORD).removeMember('default', 'leaver');
    const memberMs = await refusedEverywhere(async (g) => (await outcome(body(s3(g.url, creds(m.key)), 'revocation', 'x'))) !== 'OK', 'removed member');
    console.log(`# refused on the other gateways after: policy ${policyMs} ms, key ${keyMs} ms, member ${memberMs} ms`);
  });

  test('password guessing is throttled across gateways: the counts live in PostgreSQL', async () => {
    await admin.createUser({ username: 'guess-target', password: 'guess-target-password' });
    const me = (g: TestServer, password: string) =>
      fetch(`${g.portalUrl}/_admin/api/v1/me`, { headers: { authorization: 'Basic ' + Buffer.from(`guess-target:${password}`).toString('base64') } });
    // Five guesses spread over the gateways (and one through HAProxy's portal frontend) …
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await me(gw[i % 3]!, `guess-${i}`)).status);
    statuses.push((await fetch(`${lb.portalUrl}/_admin/api/v1/me`, { headers: { authorization: 'Basic ' + Buffer.from('guess-target:guess-4').toString('base64') } })).status);
    assert.deepEqual(statuses, [401, 401, 401, 401, 401]);
    // … and every gateway makes the next one wait, whichever it is.
    for (const g of gw) {
      const r = await me(g, 'guess-target-password');
      assert.equal(r.status, 429, `gateway ${g.port}`);
      assert.ok(Number(r.headers.get('retry-after')) >= 1);
    }
  });

  test('a gateway SIGKILLed mid-upload loses nothing acknowledged; the others carry on', async () => {
    const viaLb = s3(lb.url, key);
    await viaLb.send(new CreateBucketCommand({ Bucket: 'killed' }));
    const acked = new Map<string, string>();
    let stop = false;
    let afterKill = 0;
    let killed = false;
    let failures = 0;
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const k = `w${w}/${i}`;
        const b = randomBytes(i % 3 === 0 ? 300_000 : 20_000);
        const r = await outcome(viaLb.send(new PutObjectCommand({ Bucket: 'killed', Key: k, Body: b })));
        if (r === 'OK') {
          acked.set(k, sha(b));
          if (killed) afterKill++;
        } else failures++;
      }
    };
    // A slow streamed upload straight to the victim: certainly in flight at the kill.
    const victim = gw[2]!;
    const slow = new Promise<number | string>((resolve) => {
      const req = httpRequest({ host: '127.0.0.1', port: victim.port, method: 'PUT', path: '/killed/slow', headers: { 'content-length': String(8 * 1024 * 1024) } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', (e) => resolve(e.message));
      let sent = 0;
      const tick = setInterval(() => {
        if (sent >= 8 * 1024 * 1024 || req.destroyed) return clearInterval(tick);
        req.write(randomBytes(64 * 1024));
        sent += 64 * 1024;
      }, 20);
    });
    const writers = [0, 1, 2, 3].map(writer);
    await sleep(1500);
    await victim.kill();
    killed = true;
    await sleep(3000);
    stop = true;
    await Promise.all(writers);
    const slowResult = await slow;
    assert.notEqual(slowResult, 200, 'the upload cut by the kill must not be acknowledged');
    assert.ok(afterKill >= 10, `the surviving gateways carried on (${afterKill} uploads acknowledged after the kill, ${failures} failed)`);
    // Every acknowledged upload reads back, through the survivors.
    for (const [k, h] of acked) assert.equal(sha(await body(s3(gw[0]!.url, key), 'killed', k)), h, k);
    assert.equal(await outcome(body(s3(gw[1]!.url, key), 'killed', 'slow')), 'NoSuchKey');
    console.log(`# kill: ${acked.size} acknowledged uploads all intact (${afterKill} after the kill, ${failures} failed in flight)`);
    // Bring the gateway back on its port (HAProxy's health check re-admits it).
    gw[2] = await startGateway(victim.port, victim.portalPort);
  });

  test('PostgreSQL stopped: fast, clean 503s; restarted: service resumes by itself', async () => {
    const viaLb = s3(lb.url, key);
    await viaLb.send(new CreateBucketCommand({ Bucket: 'outage' }));
    await viaLb.send(new PutObjectCommand({ Bucket: 'outage', Key: 'before', Body: 'x' }));
    await pg.stopServer();
    const t0 = Date.now();
    try {
      for (let i = 0; i < 6; i++) {
        const t = Date.now();
        const put = await fetchS3Error(gw[i % 3]!, 'PUT', `/outage/during-${i}`, key, Buffer.from('lost?'));
        assert.equal(put.status, 503, `PUT during outage: ${put.status} ${put.body}`);
        assert.match(put.body, /<Code>ServiceUnavailable<\/Code>/);
        assert.ok(Date.now() - t < 4000, `503 took ${Date.now() - t} ms`);
        const get = await outcome(body(viaLb, 'outage', 'before'));
        assert.equal(get, 'ServiceUnavailable');
      }
      const adm = await fetch(`${lb.portalUrl}/_admin/api/v1/tenancies`, { headers: { authorization: 'Basic ' + Buffer.from(`${ADMIN_USER}:${ADMIN_PASSWORD}`).toString('base64') } });
      assert.equal(adm.status, 503);
      assert.match(adm.headers.get('content-type') ?? '', /problem\+json/);
    } finally {
      await pg.startServer();
    }
    const outageMs = Date.now() - t0;
    const t1 = Date.now();
    for (;;) {
      if ((await outcome(body(viaLb, 'outage', 'before'))) === 'OK') break;
      assert.ok(Date.now() - t1 < 20_000, 'service did not resume within 20 s of PostgreSQL returning');
      await sleep(100);
    }
    const recoverMs = Date.now() - t1;
    // Every gateway serves again, and nothing refused during the outage was stored.
    for (const g of gw) {
      const c = s3(g.url, key, 3);
      await c.send(new PutObjectCommand({ Bucket: 'outage', Key: `after-${g.port}`, Body: 'y' }));
      assert.equal((await body(c, 'outage', `after-${g.port}`)).toString(), 'y');
    }
    const listed = await viaLb.send(new ListObjectsV2Command({ Bucket: 'outage', Prefix: 'during-' }));
    assert.equal(listed.KeyCount ?? 0, 0);
    console.log(`# outage: 503s for ${outageMs} ms, first success ${recoverMs} ms after PostgreSQL restarted`);
  });
});

/** A SigV4-signed raw request (UNSIGNED-PAYLOAD) with its status and XML body. */
async function fetchS3Error(g: TestServer, method: string, path: string, k: { accessKeyId: string; secretAccessKey: string }, payload: Buffer): Promise<{ status: number; body: string }> {
  const { target, headers } = signHeaders({ method, path, host: `127.0.0.1:${g.port}`, accessKey: k.accessKeyId, secretKey: k.secretAccessKey });
  const r = await fetch(`${g.url}${target}`, { method, headers, body: new Uint8Array(payload) });
  return { status: r.status, body: await r.text() };
}
