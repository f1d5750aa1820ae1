/**
 * Bucket policies through the S3 API (issue 4): Put/Get/DeleteBucketPolicy and GetBucketPolicyStatus with
 * the SDK and `aws s3api` (CLI v1), MalformedPolicy messages, explicit Deny beating every Allow,
 * aws:SecureTransport, `${aws:username}` home folders with s3:prefix conditions, and access keys restricted
 * (read-only, bucket/prefix scopes; created through the admin API) narrowing but never widening.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  DeleteBucketPolicyCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketPolicyCommand,
  GetBucketPolicyStatusCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
  PutObjectCommand,
  S3ServiceException,
  type S3Client,
} from '@aws-sdk/client-s3';
import { startServer, type TestServer } from '../helpers/server.js';
import { awsEnv, run } from '../helpers/clients.js';
import { AdminClient, creds, extraKey, makeActor, outcome, rawRequest, s3For, type Actor } from '../helpers/admin.js';

const T = 'policy-t';
let server: TestServer;
let admin: AdminClient;
let owner: Actor;
let alice: Actor;
let bob: Actor;
let work: string;
const made: S3Client[] = [];
const client = (a: Actor | { accessKeyId: string; secretAccessKey: string }): S3Client => {
  const c = s3For(server, 'key' in a ? creds(a.key) : a, { host: `${T}.s3.localhost` });
  made.push(c);
  return c;
};
const put = (c: S3Client, Bucket: string, Key: string, Body = 'x') => outcome(c.send(new PutObjectCommand({ Bucket, Key, Body })));
const get = (c: S3Client, Bucket: string, Key: string) => outcome(c.send(new GetObjectCommand({ Bucket, Key })).then((r) => r.Body?.transformToString()));
const list = (c: S3Client, Bucket: string, Prefix?: string) => outcome(c.send(new ListObjectsV2Command({ Bucket, Prefix })));
const del = (c: S3Client, Bucket: string, Key: string) => outcome(c.send(new DeleteObjectCommand({ Bucket, Key })));
/** DeleteObjects (POST ?delete): per key 'OK' or its error code; a whole-request failure counts as that code for every key. */
const multiDelete = async (c: S3Client, Bucket: string, keys: string[]): Promise<Record<string, string>> => {
  const out: Record<string, string> = {};
  try {
    const r = await c.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: keys.map((Key) => ({ Key })) } }));
    for (const d of r.Deleted ?? []) out[d.Key!] = 'OK';
    for (const e of r.Errors ?? []) out[e.Key!] = e.Code ?? 'Error';
  } catch (e) {
    for (const k of keys) out[k] = (e as Error).name;
  }
  return out;
};
const exists = async (c: S3Client, Bucket: string, Key: string) => (await outcome(c.send(new HeadObjectCommand({ Bucket, Key })))) === 'OK';
const setPolicy = (c: S3Client, Bucket: string, doc: unknown) => c.send(new PutBucketPolicyCommand({ Bucket, Policy: typeof doc === 'string' ? doc : JSON.stringify(doc) }));

before(async () => {
  server = await startServer();
  admin = AdminClient.site(server);
  await admin.createTenancy({ name: T });
  owner = await makeActor(admin, 'pol-owner', T, 'USER');
  alice = await makeActor(admin, 'alice', T, 'USER');
  bob = await makeActor(admin, 'bob', T, 'USER');
  work = mkdtempSync(join(tmpdir(), 'granary-policy-'));
});
after(async () => {
  for (const c of made) c.destroy();
  await server?.stop();
  server?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

test('Put/Get/DeleteBucketPolicy and GetBucketPolicyStatus through the SDK', async () => {
  const c = client(owner);
  await c.send(new CreateBucketCommand({ Bucket: 'pol-sdk' }));
  assert.equal(await outcome(c.send(new GetBucketPolicyCommand({ Bucket: 'pol-sdk' }))), 'NoSuchBucketPolicy');
  assert.equal(await outcome(c.send(new GetBucketPolicyStatusCommand({ Bucket: 'pol-sdk' }))), 'NoSuchBucketPolicy');

  const groupDoc = {
    Version: '2012-10-17',
    Statement: [{ Sid: 'Members', Effect: 'Allow', Principal: { AWS: [`arn:aws:iam:::group/${T}-members`] }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::pol-sdk/*' }],
  };
  await setPolicy(c, 'pol-sdk', groupDoc);
  const got = await c.send(new GetBucketPolicyCommand({ Bucket: 'pol-sdk' }));
  assert.deepEqual(JSON.parse(got.Policy!), groupDoc);
  assert.equal((await c.send(new GetBucketPolicyStatusCommand({ Bucket: 'pol-sdk' }))).PolicyStatus?.IsPublic, false);
  // The derived <tenancy>-members group works as a principal.
  await put(c, 'pol-sdk', 'doc.txt', 'for members');
  assert.equal(await get(client(alice), 'pol-sdk', 'doc.txt'), 'OK');
  assert.equal(await put(client(alice), 'pol-sdk', 'nope', 'x'), 'AccessDenied');

  const publicDoc = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::pol-sdk/*' }] };
  await setPolicy(c, 'pol-sdk', publicDoc);
  assert.equal((await c.send(new GetBucketPolicyStatusCommand({ Bucket: 'pol-sdk' }))).PolicyStatus?.IsPublic, true);
  assert.equal((await rawRequest(server, 'GET', '/pol-sdk/doc.txt', { host: `${T}.s3.localhost` })).status, 200);

  await c.send(new DeleteBucketPolicyCommand({ Bucket: 'pol-sdk' }));
  assert.equal(await outcome(c.send(new GetBucketPolicyCommand({ Bucket: 'pol-sdk' }))), 'NoSuchBucketPolicy');
  assert.equal((await rawRequest(server, 'GET', '/pol-sdk/doc.txt', { host: `${T}.s3.localhost` })).status, 403);
  assert.equal(await get(client(alice), 'pol-sdk', 'doc.txt'), 'AccessDenied');
  // A plain USER who does not own the bucket may not change or read its policy.
  assert.equal(await outcome(setPolicy(client(alice), 'pol-sdk', publicDoc)), 'AccessDenied');
  assert.equal(await outcome(client(alice).send(new GetBucketPolicyCommand({ Bucket: 'pol-sdk' }))), 'AccessDenied');
  assert.equal(await outcome(client(alice).send(new DeleteBucketPolicyCommand({ Bucket: 'pol-sdk' }))), 'AccessDenied');
});

test('aws s3api put-bucket-policy / get-bucket-policy / get-bucket-policy-status / delete-bucket-policy (CLI v1)', async () => {
  await client(owner).send(new CreateBucketCommand({ Bucket: 'pol-cli' }));
  const env = awsEnv(server, { AWS_ACCESS_KEY_ID: owner.key.accessKeyId, AWS_SECRET_ACCESS_KEY: owner.key.secretAccessKey });
  const file = join(work, 'policy.json');
  const doc = { Version: '2012-10-17', Statement: [{ Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::pol-cli/*'] }] };
  writeFileSync(file, JSON.stringify(doc, null, 2));
  const aws = (args: string[], allowFailure = false) => run('aws', ['--endpoint-url', server.url, 's3api', ...args], { env, allowFailure, timeoutMs: 60_000 });
  aws(['put-bucket-policy', '--bucket', 'pol-cli', '--policy', `file://${file}`]);
  const got = JSON.parse(aws(['get-bucket-policy', '--bucket', 'pol-cli']).stdout) as { Policy: string };
  assert.deepEqual(JSON.parse(got.Policy), doc);
  const status = JSON.parse(aws(['get-bucket-policy-status', '--bucket', 'pol-cli']).stdout) as { PolicyStatus: { IsPublic: boolean } };
  assert.equal(status.PolicyStatus.IsPublic, true);
  const bad = aws(['put-bucket-policy', '--bucket', 'pol-cli', '--policy', '{"Version":"2012-10-17","Statement":[{"Effect":"Permit","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pol-cli/*"}]}'], true);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /MalformedPolicy/);
  assert.match(bad.stderr, /Effect/);
  aws(['delete-bucket-policy', '--bucket', 'pol-cli']);
  const gone = aws(['get-bucket-policy', '--bucket', 'pol-cli'], true);
  assert.match(gone.stderr, /NoSuchBucketPolicy/);
});

test('a malformed policy is 400 MalformedPolicy with a message saying what is wrong', async () => {
  const c = client(owner);
  await c.send(new CreateBucketCommand({ Bucket: 'pol-bad' }));
  const stmt = (over: Record<string, unknown>) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::pol-bad/*', ...over }] });
  const cases: Array<[string, string, RegExp]> = [
    ['not JSON', '{"Version": "2012-10-17", "Statement": [', /JSON|'\{'/],
    ['no Statement', JSON.stringify({ Version: '2012-10-17' }), /Statement/],
    ['bad Effect', stmt({ Effect: 'Permit' }), /Effect/],
    ['unknown action', stmt({ Action: 's3:GetObjet' }), /action.*s3:GetObjet/i],
    ['resource of another bucket', stmt({ Resource: 'arn:aws:s3:::someone-else/*' }), /resource/i],
    ['unknown condition operator', stmt({ Condition: { StringEqualz: { 'aws:username': 'x' } } }), /condition operator/i],
    ['bad IP', stmt({ Condition: { IpAddress: { 'aws:SourceIp': 'not-an-ip' } } }), /not-an-ip/],
    ['unknown field', stmt({ Effects: 'Allow' }), /Effects/],
    ['bad principal', stmt({ Principal: { AWS: 'bob' } }), /principal/i],
    ['wrong version', JSON.stringify({ Version: '2020-01-01', Statement: [] }), /Version/],
  ];
  const failures: string[] = [];
  for (const [name, body, re] of cases) {
    try {
      await c.send(new PutBucketPolicyCommand({ Bucket: 'pol-bad', Policy: body }));
      failures.push(`${name}: accepted`);
    } catch (e) {
      const err = e as S3ServiceException;
      if (err.name !== 'MalformedPolicy' || err.$metadata.httpStatusCode !== 400 || !re.test(err.message)) {
        failures.push(`${name}: ${err.$metadata?.httpStatusCode} ${err.name}: ${err.message}`);
      }
    }
  }
  assert.deepEqual(failures, []);
  assert.equal(await outcome(c.send(new GetBucketPolicyCommand({ Bucket: 'pol-bad' }))), 'NoSuchBucketPolicy');
});

test('explicit Deny beats every Allow — a group grant, ownership, a manager and the site administrator', async () => {
  const c = client(owner);
  await c.send(new CreateBucketCommand({ Bucket: 'pol-deny' }));
  await put(c, 'pol-deny', 'open/a', 'a');
  await put(c, 'pol-deny', 'locked/b', 'b');
  await setPolicy(c, 'pol-deny', {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'MembersRead', Effect: 'Allow', Principal: { AWS: `arn:aws:iam:::group/${T}-members` }, Action: ['s3:GetObject', 's3:ListBucket'], Resource: ['arn:aws:s3:::pol-deny', 'arn:aws:s3:::pol-deny/*'] },
      { Sid: 'NoBob', Effect: 'Deny', Principal: { AWS: 'arn:aws:iam:::user/bob' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::pol-deny/*' },
      { Sid: 'Locked', Effect: 'Deny', Principal: '*', Action: ['s3:DeleteObject', 's3:PutObject'], Resource: 'arn:aws:s3:::pol-deny/locked/*' },
    ],
  });
  assert.equal(await get(client(alice), 'pol-deny', 'open/a'), 'OK');
  assert.equal(await get(client(bob), 'pol-deny', 'open/a'), 'AccessDenied');
  assert.equal(await list(client(bob), 'pol-deny'), 'OK');
  // The owner may write outside locked/ but not inside, not even delete.
  assert.equal(await put(c, 'pol-deny', 'open/c'), 'OK');
  assert.equal(await put(c, 'pol-deny', 'locked/c'), 'AccessDenied');
  assert.equal(await del(c, 'pol-deny', 'locked/b'), 'AccessDenied');
  const manager = await makeActor(admin, 'pol-manager', T, 'MANAGER');
  assert.equal(await del(client(manager), 'pol-deny', 'locked/b'), 'AccessDenied');
  const site = client({ accessKeyId: server.accessKey, secretAccessKey: server.secretKey });
  assert.equal(await del(site, 'pol-deny', 'locked/b'), 'AccessDenied');
  assert.equal(await get(c, 'pol-deny', 'locked/b'), 'OK');
});

test('aws:SecureTransport=false deny blocks plain-HTTP writes, not reads', async () => {
  const c = client(owner);
  await c.send(new CreateBucketCommand({ Bucket: 'pol-tls' }));
  await put(c, 'pol-tls', 'before', 'b');
  await setPolicy(c, 'pol-tls', {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'TlsWrites', Effect: 'Deny', Principal: '*', Action: ['s3:PutObject', 's3:DeleteObject'], Resource: 'arn:aws:s3:::pol-tls/*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
    ],
  });
  assert.equal(await put(c, 'pol-tls', 'after'), 'AccessDenied');
  assert.equal(await del(c, 'pol-tls', 'before'), 'AccessDenied');
  assert.equal(await get(c, 'pol-tls', 'before'), 'OK');
  assert.equal(await list(c, 'pol-tls'), 'OK');
  // The same statement with "true" does not match plain HTTP.
  await setPolicy(c, 'pol-tls', {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource: 'arn:aws:s3:::pol-tls/*', Condition: { Bool: { 'aws:SecureTransport': 'true' } } }],
  });
  assert.equal(await put(c, 'pol-tls', 'after'), 'OK');
});

test('${aws:username} home folders with s3:prefix conditions', async () => {
  const c = client(owner);
  await c.send(new CreateBucketCommand({ Bucket: 'pol-homes' }));
  await put(c, 'pol-homes', 'home/alice/seed', 'a');
  await put(c, 'pol-homes', 'home/bob/seed', 'b');
  await setPolicy(c, 'pol-homes', {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ListOwnHome',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam:::group/${T}-members` },
        Action: 's3:ListBucket',
        Resource: 'arn:aws:s3:::pol-homes',
        Condition: { StringLike: { 's3:prefix': ['home/${aws:username}/*', 'home/${aws:username}/'] } },
      },
      {
        Sid: 'OwnHome',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam:::group/${T}-members` },
        Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        Resource: 'arn:aws:s3:::pol-homes/home/${aws:username}/*',
      },
    ],
  });
  const a = client(alice);
  assert.equal(await put(a, 'pol-homes', 'home/alice/notes.txt', 'mine'), 'OK');
  assert.equal(await get(a, 'pol-homes', 'home/alice/notes.txt'), 'OK');
  assert.equal(await get(a, 'pol-homes', 'home/alice/seed'), 'OK');
  assert.equal(await del(a, 'pol-homes', 'home/alice/seed'), 'OK');
  assert.equal(await get(a, 'pol-homes', 'home/bob/seed'), 'AccessDenied');
  assert.equal(await put(a, 'pol-homes', 'home/bob/intrusion'), 'AccessDenied');
  assert.equal(await del(a, 'pol-homes', 'home/bob/seed'), 'AccessDenied');
  assert.equal(await put(a, 'pol-homes', 'top-level'), 'AccessDenied');
  const listed = await a.send(new ListObjectsV2Command({ Bucket: 'pol-homes', Prefix: 'home/alice/' }));
  assert.deepEqual(listed.Contents?.map((o) => o.Key), ['home/alice/notes.txt']);
  assert.equal(await list(a, 'pol-homes', 'home/bob/'), 'AccessDenied');
  assert.equal(await list(a, 'pol-homes', 'home/'), 'AccessDenied');
  assert.equal(await list(a, 'pol-homes'), 'AccessDenied');
  const b = client(bob);
  assert.equal(await list(b, 'pol-homes', 'home/bob/'), 'OK');
  assert.equal(await get(b, 'pol-homes', 'home/bob/seed'), 'OK');
  assert.equal(await get(b, 'pol-homes', 'home/alice/notes.txt'), 'AccessDenied');
});

test('a restricted key (admin API) narrows what its owner could do, never widens it', async () => {
  const c = client(owner);
  await c.send(new CreateBucketCommand({ Bucket: 'pol-keys' }));
  await c.send(new CreateBucketCommand({ Bucket: 'pol-keys-other' }));
  await put(c, 'pol-keys', 'sub/in', 'in');
  await put(c, 'pol-keys', 'out', 'out');
  await put(c, 'pol-keys-other', 'x', 'x');

  const ro = client(creds(await extraKey(owner, { name: 'read-only', readOnly: true })));
  assert.equal(await get(ro, 'pol-keys', 'out'), 'OK');
  assert.equal(await list(ro, 'pol-keys'), 'OK');
  assert.equal(await put(ro, 'pol-keys', 'new'), 'AccessDenied');
  assert.equal(await del(ro, 'pol-keys', 'out'), 'AccessDenied');
  assert.equal(await outcome(setPolicy(ro, 'pol-keys', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::pol-keys/*' }] })), 'AccessDenied');
  assert.equal(await outcome(ro.send(new CreateBucketCommand({ Bucket: 'pol-keys-ro-new' }))), 'AccessDenied');

  const scoped = client(creds(await extraKey(owner, { name: 'scoped', scopes: ['pol-keys/sub/'] })));
  assert.equal(await get(scoped, 'pol-keys', 'sub/in'), 'OK');
  assert.equal(await put(scoped, 'pol-keys', 'sub/new'), 'OK');
  assert.equal(await list(scoped, 'pol-keys', 'sub/'), 'OK');
  assert.equal(await get(scoped, 'pol-keys', 'out'), 'AccessDenied');
  assert.equal(await put(scoped, 'pol-keys', 'new-out'), 'AccessDenied');
  assert.equal(await list(scoped, 'pol-keys'), 'AccessDenied');
  assert.equal(await get(scoped, 'pol-keys-other', 'x'), 'AccessDenied');

  const bucketScoped = client(creds(await extraKey(owner, { name: 'bucket', scopes: [{ bucket: 'pol-keys-other' }], readOnly: true })));
  assert.equal(await get(bucketScoped, 'pol-keys-other', 'x'), 'OK');
  assert.equal(await put(bucketScoped, 'pol-keys-other', 'y'), 'AccessDenied');
  assert.equal(await get(bucketScoped, 'pol-keys', 'out'), 'AccessDenied');

  // Never widened: alice's key scoped to the owner's bucket still has no access to it.
  const aliceScoped = client(creds(await extraKey(alice, { name: 'wishful', scopes: ['pol-keys'] })));
  assert.equal(await get(aliceScoped, 'pol-keys', 'out'), 'AccessDenied');
  assert.equal(await list(aliceScoped, 'pol-keys'), 'AccessDenied');
  // A policy grant is narrowed by a read-only key too.
  await setPolicy(c, 'pol-keys', {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam:::user/alice' }, Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::pol-keys/*' }],
  });
  const aliceRo = client(creds(await extraKey(alice, { name: 'alice-ro', readOnly: true })));
  assert.equal(await put(client(alice), 'pol-keys', 'by-alice'), 'OK');
  assert.equal(await get(aliceRo, 'pol-keys', 'by-alice'), 'OK');
  assert.equal(await put(aliceRo, 'pol-keys', 'by-alice-ro'), 'AccessDenied');
  const keys = (await owner.api.listKeys()).items;
  assert.deepEqual(keys.find((k) => k.name === 'scoped')?.restriction, { readOnly: false, scopes: [{ bucket: 'pol-keys', prefix: 'sub/' }] });
});

test('DeleteObjects (POST ?delete) honours an explicit Deny per key, as DeleteObject does', async () => {
  const c = client(owner);
  await c.send(new CreateBucketCommand({ Bucket: 'pol-multi-deny' }));
  await put(c, 'pol-multi-deny', 'locked/a', 'a');
  await put(c, 'pol-multi-deny', 'free/a', 'a');
  await setPolicy(c, 'pol-multi-deny', {
    Version: '2012-10-17',
    Statement: [{ Sid: 'Locked', Effect: 'Deny', Principal: '*', Action: 's3:DeleteObject', Resource: 'arn:aws:s3:::pol-multi-deny/locked/*' }],
  });
  assert.equal(await del(c, 'pol-multi-deny', 'locked/a'), 'AccessDenied');
  const r = await multiDelete(c, 'pol-multi-deny', ['locked/a', 'free/a']);
  assert.ok(await exists(c, 'pol-multi-deny', 'locked/a'), `a Deny-protected object was deleted through DeleteObjects (result ${JSON.stringify(r)})`);
  assert.deepEqual(r, { 'locked/a': 'AccessDenied', 'free/a': 'OK' });
});

test('DeleteObjects follows per-key grants: ${aws:username} home folders and prefix-scoped keys can delete their own keys', async () => {
  const c = client(owner);
  await c.send(new CreateBucketCommand({ Bucket: 'pol-multi-home' }));
  await setPolicy(c, 'pol-multi-home', {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { AWS: `arn:aws:iam:::group/${T}-members` }, Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], Resource: 'arn:aws:s3:::pol-multi-home/home/${aws:username}/*' },
    ],
  });
  const a = client(alice);
  await put(a, 'pol-multi-home', 'home/alice/1');
  await put(a, 'pol-multi-home', 'home/alice/2');
  await put(c, 'pol-multi-home', 'home/bob/1');
  // What `s3cmd rm --recursive s3://pol-multi-home/home/alice/` sends.
  const mine = await multiDelete(a, 'pol-multi-home', ['home/alice/1', 'home/alice/2']);
  const theirs = await multiDelete(a, 'pol-multi-home', ['home/bob/1']);
  // A key scoped to a prefix of the owner's bucket.
  await put(c, 'pol-multi-home', 'scoped/x');
  await put(c, 'pol-multi-home', 'other/x');
  const scoped = client(creds(await extraKey(owner, { name: 'multi-scoped', scopes: ['pol-multi-home/scoped/'] })));
  const inScope = await multiDelete(scoped, 'pol-multi-home', ['scoped/x']);
  const outOfScope = await multiDelete(scoped, 'pol-multi-home', ['other/x']);
  assert.ok(await exists(c, 'pol-multi-home', 'home/bob/1'));
  assert.ok(await exists(c, 'pol-multi-home', 'other/x'));
  assert.deepEqual(
    { mine, theirs, inScope, outOfScope },
    {
      mine: { 'home/alice/1': 'OK', 'home/alice/2': 'OK' },
      theirs: { 'home/bob/1': 'AccessDenied' },
      inScope: { 'scoped/x': 'OK' },
      outOfScope: { 'other/x': 'AccessDenied' },
    },
  );
});

test('s3:ExistingObjectTag conditions apply whatever the case of the condition key (keys are case-insensitive)', async () => {
  const c = client(owner);
  await c.send(new CreateBucketCommand({ Bucket: 'pol-tags' }));
  await c.send(new PutObjectCommand({ Bucket: 'pol-tags', Key: 'secret', Body: 's', Tagging: 'classification=secret' }));
  await c.send(new PutObjectCommand({ Bucket: 'pol-tags', Key: 'open', Body: 'o', Tagging: 'classification=open' }));
  const results: Record<string, string> = {};
  for (const key of ['s3:ExistingObjectTag/classification', 's3:existingObjectTag/classification', 'S3:EXISTINGOBJECTTAG/classification']) {
    await setPolicy(c, 'pol-tags', {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::pol-tags/*', Condition: { StringEquals: { [key]: 'secret' } } }],
    });
    results[`${key} secret`] = await get(c, 'pol-tags', 'secret');
    results[`${key} open`] = await get(c, 'pol-tags', 'open');
  }
  assert.deepEqual(results, {
    's3:ExistingObjectTag/classification secret': 'AccessDenied',
    's3:ExistingObjectTag/classification open': 'OK',
    's3:existingObjectTag/classification secret': 'AccessDenied',
    's3:existingObjectTag/classification open': 'OK',
    'S3:EXISTINGOBJECTTAG/classification secret': 'AccessDenied',
    'S3:EXISTINGOBJECTTAG/classification open': 'OK',
  });
});

test('conditions on aws:SourceIp and aws:Referer, and Deny with NotPrincipal', async () => {
  const c = client(owner);
  await c.send(new CreateBucketCommand({ Bucket: 'pol-cond' }));
  await put(c, 'pol-cond', 'a', 'a');
  const anon = async (headers: Record<string, string> = {}) => (await rawRequest(server, 'GET', '/pol-cond/a', { host: `${T}.s3.localhost`, headers })).status;
  const allow = (Condition: object) => setPolicy(c, 'pol-cond', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::pol-cond/*', Condition }] });
  await allow({ IpAddress: { 'aws:SourceIp': ['127.0.0.0/8', '::1/128'] } });
  assert.equal(await anon(), 200);
  await allow({ NotIpAddress: { 'aws:SourceIp': '127.0.0.0/8' } });
  assert.equal(await anon(), 403);
  await allow({ StringLike: { 'aws:Referer': 'https://example.org/*' } });
  assert.equal(await anon(), 403);
  assert.equal(await anon({ referer: 'https://example.org/page' }), 200);
  // Deny everyone but the owner — the site administrator included.
  await setPolicy(c, 'pol-cond', { Version: '2012-10-17', Statement: [{ Effect: 'Deny', NotPrincipal: { AWS: 'arn:aws:iam:::user/pol-owner' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::pol-cond/*' }] });
  assert.equal(await get(c, 'pol-cond', 'a'), 'OK');
  assert.equal(await get(client({ accessKeyId: server.accessKey, secretAccessKey: server.secretKey }), 'pol-cond', 'a'), 'AccessDenied');
  const manager = await makeActor(admin, 'pol-cond-manager', T, 'MANAGER');
  assert.equal(await get(client(manager), 'pol-cond', 'a'), 'AccessDenied');
});
