/**
 * Access key lifecycle (issue 4), keys created and deleted only through the admin API (`/me/keys`):
 * a key deleted while a client is using it fails on the very next request (InvalidAccessKeyId); an expired
 * key fails with the AWS error (ExpiredToken); removing a member kills their keys for that tenancy;
 * secrets never appear in the server's log (debug level), in any admin API response but the creating one,
 * nor in plain text under the data directory.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3ServiceException, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { startServer, type TestServer } from '../helpers/server.js';
import { awsEnv, run } from '../helpers/clients.js';
import { AdminApiError, AdminClient, creds, extraKey, makeActor, outcome, rawRequest, s3For, type Actor } from '../helpers/admin.js';

const T = 'keys-t';
let server: TestServer;
let admin: AdminClient;
let owner: Actor;
const secrets: string[] = [];
const made: S3Client[] = [];
const client = (k: { accessKeyId: string; secretAccessKey: string }): S3Client => {
  const c = s3For(server, k, { host: `${T}.s3.localhost` });
  made.push(c);
  return c;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  server = await startServer({ env: { GRANARY_LOG_LEVEL: 'debug' } });
  admin = AdminClient.site(server);
  await admin.createTenancy({ name: T });
  owner = await makeActor(admin, 'keys-owner', T, 'USER');
  secrets.push(owner.key.secretAccessKey);
  await client(creds(owner.key)).send(new CreateBucketCommand({ Bucket: 'keys-bucket' }));
  await client(creds(owner.key)).send(new PutObjectCommand({ Bucket: 'keys-bucket', Key: 'obj', Body: 'payload' }));
});
after(async () => {
  for (const c of made) c.destroy();
  await server?.stop();
  server?.cleanup();
});

test('a key deleted while a client uses it fails on the very next request', async () => {
  const k = await extraKey(owner, { name: 'doomed' });
  secrets.push(k.secretAccessKey);
  const c = client(creds(k));
  // A client busy with the key: requests in a loop, each recording when it started.
  let stop = false;
  const log: Array<{ started: number; result: string }> = [];
  const busy = (async () => {
    while (!stop) {
      const started = performance.now();
      log.push({ started, result: await outcome(c.send(new GetObjectCommand({ Bucket: 'keys-bucket', Key: 'obj' })).then((r) => r.Body?.transformToString())) });
    }
  })();
  await sleep(300);
  await owner.api.deleteKey(k.accessKeyId);
  const deletedAt = performance.now();
  // The very next request on the same (keep-alive) client.
  const next = await outcome(c.send(new ListObjectsV2Command({ Bucket: 'keys-bucket' })));
  await sleep(200);
  stop = true;
  await busy;
  assert.equal(next, 'InvalidAccessKeyId');
  const before = log.filter((e) => e.started < deletedAt);
  const afterDelete = log.filter((e) => e.started >= deletedAt);
  assert.ok(before.length > 0 && before.every((e) => e.result === 'OK' || e.result === 'InvalidAccessKeyId'), JSON.stringify(before.slice(-3)));
  assert.ok(before.some((e) => e.result === 'OK'), 'the key worked before it was deleted');
  assert.ok(afterDelete.length > 0, 'the busy client kept going after the delete');
  assert.deepEqual([...new Set(afterDelete.map((e) => e.result))], ['InvalidAccessKeyId']);
  assert.ok(!(await owner.api.listKeys()).items.some((x) => x.accessKeyId === k.accessKeyId));
  // The AWS CLI with the deleted key gets the same answer.
  const cli = run('aws', ['--endpoint-url', server.url, 's3', 'ls', 's3://keys-bucket'], {
    env: awsEnv(server, { AWS_ACCESS_KEY_ID: k.accessKeyId, AWS_SECRET_ACCESS_KEY: k.secretAccessKey }),
    allowFailure: true,
    timeoutMs: 60_000,
  });
  assert.notEqual(cli.status, 0);
  assert.match(cli.stderr, /InvalidAccessKeyId/);
});

test('a presigned URL stops working when its key is deleted', async () => {
  const k = await extraKey(owner, { name: 'presigner' });
  secrets.push(k.secretAccessKey);
  const url = new URL(await getSignedUrl(client(creds(k)), new GetObjectCommand({ Bucket: 'keys-bucket', Key: 'obj' }), { expiresIn: 600 }));
  const path = url.pathname + url.search;
  const ok = await rawRequest(server, 'GET', path, { host: `${T}.s3.localhost` });
  assert.equal(ok.status, 200, ok.body);
  assert.equal(ok.body, 'payload');
  await owner.api.deleteKey(k.accessKeyId);
  const gone = await rawRequest(server, 'GET', path, { host: `${T}.s3.localhost` });
  assert.equal(gone.status, 403);
  assert.match(gone.body, /<Code>InvalidAccessKeyId<\/Code>/);
});

test('an expired key fails with ExpiredToken (HTTP 400) on every request', async () => {
  const k = await extraKey(owner, { name: 'short-lived', expiresAt: new Date(Date.now() + 2500).toISOString() });
  secrets.push(k.secretAccessKey);
  const c = client(creds(k));
  assert.equal(await outcome(c.send(new ListObjectsV2Command({ Bucket: 'keys-bucket' }))), 'OK');
  await sleep(Math.max(0, Date.parse(k.expiresAt!) - Date.now()) + 300);
  for (const cmd of [new ListObjectsV2Command({ Bucket: 'keys-bucket' }), new PutObjectCommand({ Bucket: 'keys-bucket', Key: 'late', Body: 'x' })]) {
    try {
      await c.send(cmd as never);
      assert.fail('an expired key worked');
    } catch (e) {
      const err = e as S3ServiceException;
      assert.equal(err.name, 'ExpiredToken', `${err.name}: ${err.message}`);
      assert.equal(err.$metadata.httpStatusCode, 400);
    }
  }
  // Creating keys: an expiry is required, in the future, within the site's longest lifetime.
  for (const expiresAt of [new Date(Date.now() - 1000).toISOString(), new Date(Date.now() + 400 * 86_400_000).toISOString(), 'next week']) {
    await assert.rejects(extraKey(owner, { name: 'bad-expiry', expiresAt }), (e: unknown) => e instanceof AdminApiError && e.status === 400);
  }
  await assert.rejects(owner.api.createKey({ tenancy: T, name: 'no-expiry' } as never), (e: unknown) => e instanceof AdminApiError && e.status === 400);
});

test("removing a member deletes their keys for that tenancy; they stop working at once", async () => {
  const leaver = await makeActor(admin, 'keys-leaver', T, 'DEPUTY');
  secrets.push(leaver.key.secretAccessKey);
  const c = client(creds(leaver.key));
  assert.equal(await outcome(c.send(new GetObjectCommand({ Bucket: 'keys-bucket', Key: 'obj' })).then((r) => r.Body?.transformToString())), 'OK');
  await admin.removeMember(T, leaver.username);
  const r = await outcome(c.send(new GetObjectCommand({ Bucket: 'keys-bucket', Key: 'obj' })));
  assert.ok(r === 'InvalidAccessKeyId' || r === 'AccessDenied', r);
  assert.deepEqual((await leaver.api.listKeys()).items.filter((k) => k.tenancy === T), []);
});

test('keys are listed without secrets; lastUsedAt is recorded', async () => {
  const k = await extraKey(owner, { name: 'listed', readOnly: true });
  secrets.push(k.secretAccessKey);
  assert.equal(await outcome(client(creds(k)).send(new ListObjectsV2Command({ Bucket: 'keys-bucket' }))), 'OK');
  // Wrong secrets for a real key: the log may say so, but must not print what was expected.
  assert.equal(await outcome(client({ accessKeyId: k.accessKeyId, secretAccessKey: 'wrong' + k.secretAccessKey.slice(5) }).send(new ListObjectsV2Command({ Bucket: 'keys-bucket' }))), 'SignatureDoesNotMatch');
  await sleep(200);
  const items = (await owner.api.listKeys()).items;
  const listed = items.find((x) => x.accessKeyId === k.accessKeyId);
  assert.ok(listed, 'the key is listed');
  assert.equal(listed.name, 'listed');
  assert.ok(listed.lastUsedAt !== null, 'lastUsedAt set after use');
  assert.ok(!('secretAccessKey' in listed));
});

test('no secret appears in the server log, in any admin API response, or in plain text under the data directory', async () => {
  assert.ok(secrets.length >= 4);
  const responses = [
    await owner.api.raw('/me/keys'),
    await owner.api.raw('/me'),
    await admin.raw('/me/keys'),
    await admin.raw(`/tenancies/${T}`),
    await admin.raw(`/tenancies/${T}/members`),
    await admin.raw(`/tenancies/${T}/audit`),
    await admin.raw('/audit?limit=1000'),
    await admin.raw('/users'),
  ];
  const log = server.output();
  assert.ok(log.length > 0, 'the debug log has content');
  const leaks: string[] = [];
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.size < 64 * 1024 * 1024) files.push(p);
    }
  };
  walk(server.dataDir);
  const contents = files.map((f) => [f, readFileSync(f).toString('latin1')] as const);
  for (const s of secrets) {
    if (log.includes(s)) leaks.push(`server log contains secret ${s.slice(0, 4)}…`);
    responses.forEach((r, i) => r.includes(s) && leaks.push(`admin response #${i} contains secret ${s.slice(0, 4)}…`));
    for (const [f, c] of contents) if (c.includes(s)) leaks.push(`${f} contains secret ${s.slice(0, 4)}… in plain text`);
  }
  assert.deepEqual(leaks, []);
});
