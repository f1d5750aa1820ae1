/**
 * Tenancies by host name (DESIGN §4): the same bucket name `data` in two tenancies holds different data,
 * addressed by `<tenancy>.s3.localhost` (path style), `<bucket>.<tenancy>.s3.localhost` (virtual-hosted),
 * `tenancy:bucket` paths (Ceph RGW style) and the access key's tenancy; anonymous reads of a public bucket
 * at its tenancy's host names with curl --resolve (no DNS, no /etc/hosts).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { startServer, type TestServer } from '../helpers/server.js';
import { run } from '../helpers/clients.js';
import { AdminClient, creds, makeActor, outcome, rawRequest, s3For, type Actor } from '../helpers/admin.js';

const T1 = 'hosts-one';
const T2 = 'hosts-two';
let server: TestServer;
let u1: Actor;
let u2: Actor;
const made: S3Client[] = [];
const mk = (c: S3Client): S3Client => (made.push(c), c);
const text = async (c: S3Client, Bucket: string, Key: string): Promise<string> =>
  (await c.send(new GetObjectCommand({ Bucket, Key }))).Body!.transformToString();

before(async () => {
  server = await startServer();
  const admin = AdminClient.site(server);
  await admin.createTenancy({ name: T1 });
  await admin.createTenancy({ name: T2 });
  u1 = await makeActor(admin, 'hosts-u1', T1, 'USER');
  u2 = await makeActor(admin, 'hosts-u2', T2, 'USER');
  for (const [u, t] of [[u1, T1], [u2, T2]] as const) {
    const c = mk(s3For(server, creds(u.key), { host: `${t}.s3.localhost` }));
    await c.send(new CreateBucketCommand({ Bucket: 'data' }));
    await c.send(new PutObjectCommand({ Bucket: 'data', Key: 'readme.txt', Body: `this is ${t}` }));
    await c.send(new PutObjectCommand({ Bucket: 'data', Key: `only-in-${t}`, Body: t }));
  }
  // T2's `data` is public (policy: anyone may read and list).
  await mk(s3For(server, creds(u2.key), { host: `${T2}.s3.localhost` })).send(
    new PutBucketPolicyCommand({
      Bucket: 'data',
      Policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: '*', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::data/*'] },
          { Effect: 'Allow', Principal: '*', Action: ['s3:ListBucket'], Resource: ['arn:aws:s3:::data'] },
        ],
      }),
    }),
  );
});

after(async () => {
  for (const c of made) c.destroy();
  await server?.stop();
  server?.cleanup();
});

test('path style at <tenancy>.s3.localhost: each tenancy sees its own `data`', async () => {
  assert.equal(await text(mk(s3For(server, creds(u1.key), { host: `${T1}.s3.localhost` })), 'data', 'readme.txt'), `this is ${T1}`);
  assert.equal(await text(mk(s3For(server, creds(u2.key), { host: `${T2}.s3.localhost` })), 'data', 'readme.txt'), `this is ${T2}`);
  // The site administrator (key in tenancy `default`) follows the host name.
  const adminKey = { accessKeyId: server.accessKey, secretAccessKey: server.secretKey };
  for (const t of [T1, T2]) {
    const c = mk(s3For(server, adminKey, { host: `${t}.s3.localhost` }));
    assert.equal(await text(c, 'data', 'readme.txt'), `this is ${t}`);
    const list = await c.send(new ListObjectsV2Command({ Bucket: 'data' }));
    assert.deepEqual(list.Contents?.map((o) => o.Key).sort(), [`only-in-${t}`, 'readme.txt']);
    const buckets = await c.send(new ListBucketsCommand({}));
    assert.deepEqual(buckets.Buckets?.map((b) => b.Name), ['data']);
  }
  // The external domain names the same tenancies.
  assert.equal(await text(mk(s3For(server, adminKey, { host: `${T2}.s3-ext.localhost` })), 'data', 'readme.txt'), `this is ${T2}`);
});

test('virtual-hosted style at data.<tenancy>.s3.localhost', async () => {
  assert.equal(await text(mk(s3For(server, creds(u1.key), { host: `${T1}.s3.localhost`, virtualHost: true })), 'data', 'readme.txt'), `this is ${T1}`);
  assert.equal(await text(mk(s3For(server, creds(u2.key), { host: `${T2}.s3.localhost`, virtualHost: true })), 'data', 'readme.txt'), `this is ${T2}`);
  const list = await mk(s3For(server, creds(u1.key), { host: `${T1}.s3.localhost`, virtualHost: true })).send(new ListObjectsV2Command({ Bucket: 'data' }));
  assert.deepEqual(list.Contents?.map((o) => o.Key).sort(), [`only-in-${T1}`, 'readme.txt']);
});

test('tenancy:bucket paths and the access key tenancy at 127.0.0.1', async () => {
  const adminKey = { accessKeyId: server.accessKey, secretAccessKey: server.secretKey };
  const plain = mk(s3For(server, adminKey));
  assert.equal(await text(plain, `${T1}:data`, 'readme.txt'), `this is ${T1}`);
  assert.equal(await text(plain, `${T2}:data`, 'readme.txt'), `this is ${T2}`);
  // Without tenancy in host or path: the key's tenancy.
  assert.equal(await text(mk(s3For(server, creds(u1.key))), 'data', 'readme.txt'), `this is ${T1}`);
  assert.equal(await text(mk(s3For(server, creds(u2.key))), 'data', 'readme.txt'), `this is ${T2}`);
  // The admin's key is in `default`, which has no bucket `data`.
  assert.equal(await outcome(plain.send(new GetObjectCommand({ Bucket: 'data', Key: 'readme.txt' }))), 'NoSuchBucket');
  // Naming another tenancy in the path gives no rights there: T2's copy is public for reads only, T1's is private.
  const c1 = mk(s3For(server, creds(u1.key)));
  assert.equal(await outcome(c1.send(new PutObjectCommand({ Bucket: `${T2}:data`, Key: 'intruder', Body: 'x' }))), 'AccessDenied');
  assert.equal(await outcome(mk(s3For(server, creds(u2.key))).send(new GetObjectCommand({ Bucket: `${T1}:data`, Key: 'readme.txt' }))), 'AccessDenied');
  // Unknown tenancy in a path.
  assert.equal(await outcome(plain.send(new GetObjectCommand({ Bucket: 'no-such-tenancy:data', Key: 'readme.txt' }))), 'NoSuchBucket');
  // Raw unsigned request with a literal ':' in the path (as Ceph clients send it), anonymous on the public copy.
  const r = await rawRequest(server, 'GET', `/${T2}:data/readme.txt`);
  assert.equal(r.status, 200, r.body);
  assert.equal(r.body, `this is ${T2}`);
});

test('writes through one host name land only in that tenancy', async () => {
  const c1 = mk(s3For(server, creds(u1.key), { host: `${T1}.s3.localhost` }));
  await c1.send(new PutObjectCommand({ Bucket: 'data', Key: 'fresh', Body: 'from one' }));
  const adminKey = { accessKeyId: server.accessKey, secretAccessKey: server.secretKey };
  assert.equal(await outcome(mk(s3For(server, adminKey)).send(new GetObjectCommand({ Bucket: `${T2}:data`, Key: 'fresh' }))), 'NoSuchKey');
  assert.equal(await text(mk(s3For(server, adminKey)), `${T1}:data`, 'fresh'), 'from one');
});

test('anonymous curl reads the public bucket at its tenancy host names, and only there', () => {
  const port = server.port;
  const resolve = (h: string): string[] => ['--resolve', `${h}:${port}:127.0.0.1`];
  const curl = (host: string, path: string): { code: string; body: string } => {
    const r = run('curl', ['-s', ...resolve(host), '-w', '\n%{http_code}', `http://${host}:${port}${path}`]);
    const i = r.stdout.lastIndexOf('\n');
    return { body: r.stdout.slice(0, i), code: r.stdout.slice(i + 1) };
  };
  assert.deepEqual(curl(`${T2}.s3.localhost`, '/data/readme.txt'), { code: '200', body: `this is ${T2}` });
  assert.deepEqual(curl(`data.${T2}.s3.localhost`, '/readme.txt'), { code: '200', body: `this is ${T2}` });
  assert.deepEqual(curl(`${T2}.s3-ext.localhost`, '/data/readme.txt'), { code: '200', body: `this is ${T2}` });
  const listing = curl(`${T2}.s3.localhost`, '/data?list-type=2');
  assert.equal(listing.code, '200');
  assert.match(listing.body, new RegExp(`<Key>only-in-${T2}</Key>`));
  assert.doesNotMatch(listing.body, new RegExp(`only-in-${T1}`));
  // T1's `data` is private: anonymous is refused there.
  const denied = curl(`${T1}.s3.localhost`, '/data/readme.txt');
  assert.equal(denied.code, '403');
  assert.match(denied.body, /<Code>AccessDenied<\/Code>/);
  assert.equal(curl(`data.${T1}.s3.localhost`, '/readme.txt').code, '403');
  // No tenancy in host or path: the default tenancy, which has no `data`.
  const none = curl('127.0.0.1', '/data/readme.txt');
  assert.equal(none.code, '404');
  assert.match(none.body, /<Code>NoSuchBucket<\/Code>/);
});

test('service-level requests follow the host tenancy: ListBuckets and CreateBucket need membership there', async () => {
  const u1AtT2 = mk(s3For(server, creds(u1.key), { host: `${T2}.s3.localhost` }));
  assert.equal(await outcome(u1AtT2.send(new ListBucketsCommand({}))), 'AccessDenied');
  assert.equal(await outcome(u1AtT2.send(new CreateBucketCommand({ Bucket: 'planted' }))), 'AccessDenied');
  assert.equal(await outcome(mk(s3For(server, 'anonymous', { host: `${T2}.s3.localhost` })).send(new ListBucketsCommand({}))), 'AccessDenied');
  // `tenancy:bucket` on CreateBucket: refused for a non-member, works for a member, lands in that tenancy.
  assert.equal(await outcome(mk(s3For(server, creds(u1.key))).send(new CreateBucketCommand({ Bucket: `${T2}:planted` }))), 'AccessDenied');
  assert.equal(await outcome(mk(s3For(server, creds(u2.key))).send(new CreateBucketCommand({ Bucket: `${T2}:second` }))), 'OK');
  const t2 = await mk(s3For(server, creds(u2.key), { host: `${T2}.s3.localhost` })).send(new ListBucketsCommand({}));
  assert.deepEqual(t2.Buckets?.map((b) => b.Name).sort(), ['data', 'second']);
  const t1 = await mk(s3For(server, creds(u1.key), { host: `${T1}.s3.localhost` })).send(new ListBucketsCommand({}));
  assert.deepEqual(t1.Buckets?.map((b) => b.Name), ['data']);
});
