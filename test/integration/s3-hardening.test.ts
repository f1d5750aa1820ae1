/**
 * Issue 15's attacks on the S3 entrances, each performed against the real server and then shown refused:
 * #5 anonymous DeleteObjects parsed before authorization, XML bombs; #7 a policy taking a bucket from its
 * owner; #8 a key scope reaching another tenancy's bucket of the same name; #10 an undeletable over-long
 * PostObject key; #11 encryption and object lock silently not applied; #13 invalid UTF-8 deleting another
 * key; #14 any region accepted in the credential scope (and the setting that allows it).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import {
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteBucketPolicyCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketPolicyCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutBucketAclCommand,
  PutBucketCorsCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  S3Client,
  type S3ServiceException,
} from '@aws-sdk/client-s3';
import { startServer, type TestServer } from '../helpers/server.js';
import { AdminClient, creds, extraKey, makeActor, outcome, rawRequest, s3For, type Actor } from '../helpers/admin.js';
import { presign, signHeaders, sha256hex } from '../helpers/sign.js';
import { awsEnv, run } from '../helpers/clients.js';

const TA = 'harden-a';
const TB = 'harden-b';
let server: TestServer;
let admin: AdminClient;
let owner: Actor;
let manager: Actor;
let colleague: Actor;
let outsider: Actor;
const made: S3Client[] = [];
const mk = (c: S3Client): S3Client => (made.push(c), c);
let ownerS3: S3Client;
let siteS3: S3Client;

before(async () => {
  server = await startServer();
  admin = AdminClient.site(server);
  await admin.createTenancy({ name: TA });
  await admin.createTenancy({ name: TB });
  owner = await makeActor(admin, 'hard-owner', TA, 'USER');
  manager = await makeActor(admin, 'hard-manager', TA, 'MANAGER');
  colleague = await makeActor(admin, 'hard-colleague', TA, 'USER');
  outsider = await makeActor(admin, 'hard-outsider', TB, 'USER');
  ownerS3 = mk(s3For(server, creds(owner.key), { host: `${TA}.s3.localhost` }));
  siteS3 = mk(s3For(server, { accessKeyId: server.accessKey, secretAccessKey: server.secretKey }, { host: `${TA}.s3.localhost` }));
});
after(async () => {
  for (const c of made) c.destroy();
  await server?.stop();
  server?.cleanup();
});

const anon = (host = `${TA}.s3.localhost`): S3Client => mk(s3For(server, 'anonymous', { host }));
const as = (a: Actor, host = `${TA}.s3.localhost`): S3Client => mk(s3For(server, creds(a.key), { host }));
const policyOf = (bucket: string, effect: 'Allow' | 'Deny', principal: unknown = '*', action: unknown = 's3:*') =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: effect, Principal: principal, Action: action, Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`] }] });
const errorOf = async (p: Promise<unknown>): Promise<S3ServiceException & Record<string, unknown>> => {
  try {
    await p;
  } catch (e) {
    return e as S3ServiceException & Record<string, unknown>;
  }
  throw new Error('expected the request to fail');
};

/** A POST that declares a body, sends `Expect: 100-continue` and reports whether the server asked for the body. */
function expectContinue(path: string, headers: Record<string, string>, body: Buffer): Promise<{ status: number; text: string; askedForBody: boolean }> {
  return new Promise((resolve, reject) => {
    let askedForBody = false;
    const req = httpRequest(
      { host: '127.0.0.1', port: server.port, method: 'POST', path, headers: { ...headers, 'content-length': String(body.length), expect: '100-continue' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), askedForBody }));
      },
    );
    req.on('continue', () => {
      askedForBody = true;
      req.end(body);
    });
    req.on('error', reject);
    req.flushHeaders();
  });
}

test('#5: an anonymous DeleteObjects on a private bucket is refused before its body is read', async () => {
  const bucket = 'hard-private';
  await ownerS3.send(new CreateBucketCommand({ Bucket: bucket }));
  await ownerS3.send(new PutObjectCommand({ Bucket: bucket, Key: 'keep', Body: 'x' }));
  const objects = Array.from({ length: 1000 }, (_, i) => `<Object><Key>${'k'.repeat(1000)}${i}</Key></Object>`).join('');
  const body = Buffer.from(`<Delete>${objects}</Delete>`);
  const md5 = createHash('md5').update(body).digest('base64');
  const r = await expectContinue(`/${bucket}?delete`, { host: `${TA}.s3.localhost:${server.port}`, 'content-md5': md5, 'content-type': 'application/xml' }, body);
  assert.equal(r.status, 403, r.text);
  assert.match(r.text, /<Code>AccessDenied<\/Code>/);
  assert.equal(r.askedForBody, false, 'the server must not ask for (or read) the body of a request it refuses');
  // A stranger signed in to another tenancy fares no better; the owner's own DeleteObjects still works.
  assert.equal(await outcome(as(outsider).send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: 'keep' }] } }))), 'AccessDenied');
  assert.equal(await outcome(ownerS3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'keep' }))), 'OK');
  const res = await ownerS3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: 'keep' }] } }));
  assert.deepEqual(res.Deleted?.map((d) => d.Key), ['keep']);
});

test('#5: request documents are bounded by what their operation allows', async () => {
  const bucket = 'hard-bounds';
  await ownerS3.send(new CreateBucketCommand({ Bucket: bucket }));
  const signedPost = (query: Record<string, string>, body: string) => {
    const payloadHash = sha256hex(body);
    const s = signHeaders({ method: 'POST', path: `/${bucket}`, query, host: `${TA}.s3.localhost:${server.port}`, accessKey: owner.key.accessKeyId, secretKey: owner.key.secretAccessKey, payloadHash, headers: { 'content-md5': createHash('md5').update(body).digest('base64') } });
    return rawRequest(server, 'POST', s.target, { host: `${TA}.s3.localhost`, headers: s.headers, body });
  };
  // 1,001 keys: more than DeleteObjects takes.
  const tooMany = `<Delete>${Array.from({ length: 1001 }, (_, i) => `<Object><Key>k${i}</Key></Object>`).join('')}</Delete>`;
  const r1 = await signedPost({ delete: '' }, tooMany);
  assert.equal(r1.status, 400);
  assert.match(r1.body, /<Code>MalformedXML<\/Code>/);
  // An element bomb within the byte limit, deep nesting, an attribute flood, a DTD.
  for (const doc of [
    `<Delete>${'<a/>'.repeat(200_000)}</Delete>`,
    `<Delete>${'<a>'.repeat(5000)}${'</a>'.repeat(5000)}</Delete>`,
    `<Delete ${Array.from({ length: 5000 }, (_, i) => `a${i}="x"`).join(' ')}><Object><Key>k</Key></Object></Delete>`,
    '<!DOCTYPE Delete [<!ENTITY e "x">]><Delete><Object><Key>&e;</Key></Object></Delete>',
  ]) {
    const r = await signedPost({ delete: '' }, doc);
    assert.equal(r.status, 400, doc.slice(0, 40));
    assert.match(r.body, /<Code>MalformedXML<\/Code>/);
  }
  // Tagging documents are small: 100 KiB of one is refused by its declared length.
  const key = 'tagged';
  await ownerS3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x' }));
  const big = `<Tagging><TagSet>${'<Tag><Key>a</Key><Value>b</Value></Tag>'.repeat(3000)}</TagSet></Tagging>`;
  const s = signHeaders({ method: 'PUT', path: `/${bucket}/${key}`, query: { tagging: '' }, host: `${TA}.s3.localhost:${server.port}`, accessKey: owner.key.accessKeyId, secretKey: owner.key.secretAccessKey, payloadHash: sha256hex(big) });
  const r2 = await rawRequest(server, 'PUT', s.target, { host: `${TA}.s3.localhost`, headers: s.headers, body: big });
  assert.equal(r2.status, 400);
  assert.match(r2.body, /<Code>MaxMessageLengthExceeded<\/Code>/);
});

test('#7: an Allow of s3:* to everyone cannot hand the bucket over; its administrators can always undo a lock-out', async () => {
  const bucket = 'hard-open';
  await ownerS3.send(new CreateBucketCommand({ Bucket: bucket }));
  await ownerS3.send(new PutObjectCommand({ Bucket: bucket, Key: 'data', Body: 'research' }));
  await ownerS3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: policyOf(bucket, 'Allow') }));

  // The attack: with s3:* granted to '*', anyone could replace the policy with Deny-all, change the ACL,
  // or delete the bucket. Data access is what the policy grants; administration is not.
  const attackers = [anon(), as(outsider, `${TA}.s3.localhost`), as(colleague)];
  for (const c of attackers) {
    assert.equal(await outcome(c.send(new GetObjectCommand({ Bucket: bucket, Key: 'data' }))), 'OK');
    assert.equal(await outcome(c.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: policyOf(bucket, 'Deny') }))), 'AccessDenied');
    assert.equal(await outcome(c.send(new DeleteBucketPolicyCommand({ Bucket: bucket }))), 'AccessDenied');
    assert.equal(await outcome(c.send(new PutBucketAclCommand({ Bucket: bucket, ACL: 'public-read-write' }))), 'AccessDenied');
    assert.equal(await outcome(c.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: [{ AllowedMethods: ['GET'], AllowedOrigins: ['*'] }] } }))), 'AccessDenied');
  }
  await ownerS3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'data' }));
  assert.equal(await outcome(anon().send(new DeleteBucketCommand({ Bucket: bucket }))), 'AccessDenied');
  assert.equal(await outcome(as(colleague).send(new DeleteBucketCommand({ Bucket: bucket }))), 'AccessDenied');
  assert.equal((await ownerS3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy, policyOf(bucket, 'Allow'));

  // A Deny-all policy (set by the owner here) cannot lock out the owner, the manager or the site admin
  // from the policy itself, with the SDK and with the AWS CLI.
  await ownerS3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: policyOf(bucket, 'Deny') }));
  assert.equal(await outcome(ownerS3.send(new ListObjectsV2Command({ Bucket: bucket }))), 'AccessDenied');
  for (const c of [ownerS3, as(manager), siteS3]) {
    assert.equal((await c.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy, policyOf(bucket, 'Deny'));
  }
  // (The manager's key was made for tenancy A, so the plain bucket name addresses A's bucket.)
  const cli = run('aws', ['--endpoint-url', `http://127.0.0.1:${server.port}`, 's3api', 'delete-bucket-policy', '--bucket', bucket], {
    env: awsEnv(server, { AWS_ACCESS_KEY_ID: manager.key.accessKeyId, AWS_SECRET_ACCESS_KEY: manager.key.secretAccessKey }),
  });
  assert.equal(cli.status, 0, cli.stderr);
  assert.equal(await outcome(ownerS3.send(new ListObjectsV2Command({ Bucket: bucket }))), 'OK');
  await ownerS3.send(new DeleteBucketCommand({ Bucket: bucket }));
});

test('#8: a key scoped to abkt/pub of its tenancy does not read abkt/pub of another tenancy', async () => {
  await ownerS3.send(new CreateBucketCommand({ Bucket: 'abkt' }));
  await ownerS3.send(new PutObjectCommand({ Bucket: 'abkt', Key: 'pub/mine', Body: 'a' }));
  const outsiderS3 = as(outsider, `${TB}.s3.localhost`);
  await outsiderS3.send(new CreateBucketCommand({ Bucket: 'abkt' }));
  await outsiderS3.send(new PutObjectCommand({ Bucket: 'abkt', Key: 'pub/theirs', Body: 'b' }));
  // Tenancy B's bucket is readable by every signed-in user (so only the key's scope can stop the read).
  await outsiderS3.send(new PutBucketPolicyCommand({
    Bucket: 'abkt',
    Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: ['s3:GetObject', 's3:ListBucket'], Resource: ['arn:aws:s3:::abkt', 'arn:aws:s3:::abkt/*'] }] }),
  }));
  const scoped = await extraKey(owner, { name: 'scoped', readOnly: true, scopes: [{ bucket: 'abkt', prefix: 'pub/' }] });
  const c = mk(s3For(server, creds(scoped)));
  // Its own tenancy's abkt (through the key's tenancy): allowed, as it should be.
  assert.equal(await (await c.send(new GetObjectCommand({ Bucket: 'abkt', Key: 'pub/mine' }))).Body!.transformToString(), 'a');
  // The attack: the same bucket name in tenancy B, by `tenancy:bucket` path and by tenancy host name.
  assert.equal(await outcome(c.send(new GetObjectCommand({ Bucket: `${TB}:abkt`, Key: 'pub/theirs' }))), 'AccessDenied');
  assert.equal(await outcome(mk(s3For(server, creds(scoped), { host: `${TB}.s3.localhost` })).send(new GetObjectCommand({ Bucket: 'abkt', Key: 'pub/theirs' }))), 'AccessDenied');
  assert.equal(await outcome(c.send(new ListObjectsV2Command({ Bucket: `${TB}:abkt`, Prefix: 'pub/' }))), 'AccessDenied');
  // An unscoped key of the same user reads B's public bucket (the policy allows it): only the scope stopped it.
  assert.equal(await outcome(mk(s3For(server, creds(owner.key))).send(new GetObjectCommand({ Bucket: `${TB}:abkt`, Key: 'pub/theirs' }))), 'OK');
});

test('#10: a PostObject key over 1,024 bytes is refused, so no object can become undeletable', async () => {
  const bucket = 'hard-post';
  await ownerS3.send(new CreateBucketCommand({ Bucket: bucket }));
  await ownerS3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: policyOf(bucket, 'Allow', '*', 's3:PutObject') }));
  const post = async (key: string, extra: Record<string, string> = {}) => {
    const f = new FormData();
    f.append('key', key);
    for (const [k, v] of Object.entries(extra)) f.append(k, v);
    f.append('file', new Blob(['payload']), 'f.bin');
    const r = await fetch(`http://127.0.0.1:${server.port}/${TA}:${bucket}`, { method: 'POST', body: f });
    return { status: r.status, text: await r.text() };
  };
  const long = await post('k'.repeat(20_000));
  assert.equal(long.status, 400, long.text);
  assert.match(long.text, /<Code>KeyTooLongError<\/Code>/);
  // `${filename}` expansion counts too; a key of exactly 1,024 bytes is fine (and deletable).
  const expanded = await post('k'.repeat(1020) + '${filename}');
  assert.match(expanded.text, /<Code>KeyTooLongError<\/Code>/);
  assert.equal((await post('é'.repeat(512))).status, 204);
  const listed = await ownerS3.send(new ListObjectsV2Command({ Bucket: bucket }));
  assert.deepEqual(listed.Contents?.map((o) => o.Key), ['é'.repeat(512)]);
  await ownerS3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'é'.repeat(512) }));
  // Objects an earlier version stored under over-long keys stay deletable: DeleteObject and DeleteObjects
  // take such keys (while every other operation refuses them, as AWS does).
  assert.equal(await outcome(ownerS3.send(new GetObjectCommand({ Bucket: bucket, Key: 'k'.repeat(2000) }))), 'KeyTooLongError');
  assert.equal(await outcome(ownerS3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'k'.repeat(2000) }))), 'OK');
  const multi = await ownerS3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: 'k'.repeat(2000) }] } }));
  assert.equal(multi.Deleted?.length, 1);
  await ownerS3.send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
  await ownerS3.send(new DeleteBucketCommand({ Bucket: bucket }));
});

test('#11: encryption and object lock requests answer NotImplemented instead of being ignored', async () => {
  const bucket = 'hard-sse';
  await ownerS3.send(new CreateBucketCommand({ Bucket: bucket }));
  await ownerS3.send(new PutObjectCommand({ Bucket: bucket, Key: 'plain', Body: 'x' }));
  const sseC = { SSECustomerAlgorithm: 'AES256', SSECustomerKey: Buffer.alloc(32, 7).toString('base64'), SSECustomerKeyMD5: createHash('md5').update(Buffer.alloc(32, 7)).digest('base64') };
  const refused: Array<() => Promise<unknown>> = [
    () => ownerS3.send(new PutObjectCommand({ Bucket: bucket, Key: 'kms', Body: 'x', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'k' })),
    () => ownerS3.send(new PutObjectCommand({ Bucket: bucket, Key: 'locked', Body: 'x', ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: new Date(Date.now() + 86_400_000) })),
    () => ownerS3.send(new PutObjectCommand({ Bucket: bucket, Key: 'held', Body: 'x', ObjectLockLegalHoldStatus: 'ON' })),
    () => ownerS3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'mpu', ServerSideEncryption: 'AES256' })),
    () => ownerS3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'mpu', ...sseC })),
    () => ownerS3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'mpu', ObjectLockMode: 'GOVERNANCE', ObjectLockRetainUntilDate: new Date(Date.now() + 86_400_000) })),
    () => ownerS3.send(new CreateBucketCommand({ Bucket: 'hard-worm', ObjectLockEnabledForBucket: true })),
  ];
  for (const [i, p] of refused.entries()) {
    const e = await errorOf(p());
    assert.equal(e.$metadata.httpStatusCode, 501, `request ${i}: ${e.name}`);
  }
  const listed = await ownerS3.send(new ListObjectsV2Command({ Bucket: bucket }));
  assert.deepEqual(listed.Contents?.map((o) => o.Key), ['plain'], 'nothing was written by a refused request');
  assert.equal(await outcome(ownerS3.send(new HeadObjectCommand({ Bucket: 'hard-worm', Key: 'x' }))), 'NotFound');
  // Asking for no lock is asking for nothing.
  await ownerS3.send(new CreateBucketCommand({ Bucket: 'hard-nolock', ObjectLockEnabledForBucket: false }));
  // The form field of a browser upload too.
  await ownerS3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: policyOf(bucket, 'Allow', '*', 's3:PutObject') }));
  const f = new FormData();
  f.append('key', 'form');
  f.append('x-amz-server-side-encryption', 'aws:kms');
  f.append('file', new Blob(['x']), 'f');
  const r = await fetch(`http://127.0.0.1:${server.port}/${TA}:${bucket}`, { method: 'POST', body: f });
  assert.equal(r.status, 501);
  assert.match(await r.text(), /<Code>NotImplemented<\/Code>/);
});

test('#13: a key of invalid UTF-8 in a DeleteObjects document is MalformedXML, not another key', async () => {
  const bucket = 'hard-utf8';
  await ownerS3.send(new CreateBucketCommand({ Bucket: bucket }));
  // The victim: the key that \xff\xfe becomes when read as U+FFFD.
  await ownerS3.send(new PutObjectCommand({ Bucket: bucket, Key: '\uFFFD\uFFFD', Body: 'victim' }));
  const body = Buffer.concat([Buffer.from('<Delete><Object><Key>'), Buffer.from([0xff, 0xfe]), Buffer.from('</Key></Object></Delete>')]);
  const s = signHeaders({
    method: 'POST', path: `/${bucket}`, query: { delete: '' }, host: `${TA}.s3.localhost:${server.port}`, accessKey: owner.key.accessKeyId, secretKey: owner.key.secretAccessKey,
    payloadHash: sha256hex(body), headers: { 'content-md5': createHash('md5').update(body).digest('base64') },
  });
  const r = await rawRequest(server, 'POST', s.target, { host: `${TA}.s3.localhost`, headers: s.headers, body });
  assert.equal(r.status, 400, r.body);
  assert.match(r.body, /<Code>MalformedXML<\/Code>/);
  assert.equal(await (await ownerS3.send(new GetObjectCommand({ Bucket: bucket, Key: '\uFFFD\uFFFD' }))).Body!.transformToString(), 'victim');
});

test('#14: the credential scope must name the configured region (AuthorizationHeaderMalformed with <Region>)', async () => {
  const elsewhere = mk(new S3Client({ endpoint: server.url, region: 'eu-west-1', forcePathStyle: true, credentials: creds(owner.key) }));
  const e = await errorOf(elsewhere.send(new ListBucketsCommand({})));
  assert.equal(e.name, 'AuthorizationHeaderMalformed');
  assert.equal(e.$metadata.httpStatusCode, 400);
  assert.equal(e.Region, 'us-east-1');
  assert.match(e.message, /the region 'eu-west-1' is wrong; expecting 'us-east-1'/);
  // Presigned URLs: AuthorizationQueryParametersError, with the expected region.
  const url = presign({ method: 'GET', path: '/', host: `127.0.0.1:${server.port}`, accessKey: owner.key.accessKeyId, secretKey: owner.key.secretAccessKey, expires: 300, region: 'eu-west-1' });
  const r = await rawRequest(server, 'GET', url);
  assert.equal(r.status, 400);
  assert.match(r.body, /<Code>AuthorizationQueryParametersError<\/Code>/);
  assert.match(r.body, /<Region>us-east-1<\/Region>/);
  // The configured region works, with the SDK and with s3cmd (which signs `US` first and follows <Region>).
  assert.equal(await outcome(ownerS3.send(new ListBucketsCommand({}))), 'OK');
});

test('#14: a site that must accept any region says so (acceptAnyRegion)', async () => {
  const lenient = await startServer({ env: { GRANARY_ACCEPT_ANY_REGION: 'true' } });
  try {
    const c = new S3Client({ endpoint: lenient.url, region: 'eu-west-1', forcePathStyle: true, credentials: { accessKeyId: lenient.accessKey, secretAccessKey: lenient.secretKey } });
    assert.equal(await outcome(c.send(new ListBucketsCommand({}))), 'OK');
    c.destroy();
  } finally {
    await lenient.stop();
    lenient.cleanup();
  }
});

test('found by fuzzing: a truncated form or a nameless part neither crashes the server, nor stores a truncated file, nor is a 500', async () => {
  const bucket = 'hard-trunc';
  await ownerS3.send(new CreateBucketCommand({ Bucket: bucket }));
  await ownerS3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: policyOf(bucket, 'Allow', '*', 's3:PutObject') }));
  const body = '--XbX\r\nContent-Disposition: form-data; name="key"\r\n\r\nk\r\n--XbX\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nhello';
  // Anonymous, to a private bucket (refused) and to a public-write one (accepted, then the body ends).
  for (const path of ['/no-such-bucket', `/${TA}:hard-private`, `/${TA}:${bucket}`]) {
    const first = await new Promise<string>((resolve) => {
      let got = '';
      const sock = connect(server.port, '127.0.0.1', () => {
        sock.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=XbX\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      });
      sock.on('data', (d: Buffer) => (got += d.toString()));
      sock.on('close', () => resolve(got.split('\r\n')[0] ?? ''));
      sock.on('error', () => resolve(got.split('\r\n')[0] ?? ''));
      setTimeout(() => sock.destroy(), 3000).unref();
    });
    assert.match(first, /^HTTP\/1\.1 4\d\d /, `${path}: ${first}`);
  }
  // A part without a name (its undefined name threw inside the form parser's event).
  const noName = '--XbX\r\nContent-Disposition: form-data\r\n\r\nv\r\n--XbX\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nhello\r\n--XbX--\r\n';
  const r = await fetch(`${server.url}/${TA}:${bucket}`, { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=XbX' }, body: noName });
  assert.equal(r.status, 400);
  assert.match(await r.text(), /<Code>MalformedPOSTRequest<\/Code>/);
  assert.equal(server.proc.exitCode, null, 'the server is still running');
  assert.equal((await fetch(`${server.url}/_admin/health`)).status, 200);
  // Nothing was stored from a form that never ended: a truncated file is not a complete object.
  assert.deepEqual((await ownerS3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? [], []);
});

test('#10: an object an earlier version stored under a 20,000-byte key can be deleted, and then its bucket', async () => {
  const srv = await startServer();
  try {
    const c = new S3Client({ endpoint: srv.url, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: srv.accessKey, secretAccessKey: srv.secretKey } });
    await c.send(new CreateBucketCommand({ Bucket: 'legacy' }));
    await c.send(new PutObjectCommand({ Bucket: 'legacy', Key: 'normal', Body: 'x' }));
    c.destroy();
    await srv.stop();
    // What the old PostObject left behind, written straight into the stopped server's database.
    const { openSqliteMetadataStore } = await import('../../src/metadata/sqlite/sqlite-store.js');
    const store = await openSqliteMetadataStore(`${srv.dataDir}/metadata.db`);
    const tenancy = (await store.getTenancyByName('default'))!;
    const bucket = (await store.getBucket(tenancy.id, 'legacy'))!;
    const normal = (await store.getObject(bucket.id, 'normal'))!;
    const longKey = 'k'.repeat(20_000);
    assert.ok((await store.putObject({ ...normal, key: longKey })).ok);
    await store.close();

    const again = await startServer({ dataDir: srv.dataDir, env: { GRANARY_ACCESS_KEY: srv.accessKey, GRANARY_SECRET_KEY: srv.secretKey } });
    const c2 = new S3Client({ endpoint: again.url, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: srv.accessKey, secretAccessKey: srv.secretKey } });
    try {
      const keys = (await c2.send(new ListObjectsV2Command({ Bucket: 'legacy' }))).Contents?.map((o) => o.Key);
      assert.deepEqual(keys?.map((k) => k!.length).sort((a, b) => a - b), [6, 20_000]);
      // 20,000 bytes do not fit in a request line (HTTP header limits), but they fit in a DeleteObjects document.
      const r = await c2.send(new DeleteObjectsCommand({ Bucket: 'legacy', Delete: { Objects: [{ Key: longKey }] } }));
      assert.deepEqual([r.Deleted?.length, r.Errors ?? []], [1, []]);
      await c2.send(new DeleteObjectCommand({ Bucket: 'legacy', Key: 'normal' }));
      assert.equal(await outcome(c2.send(new DeleteBucketCommand({ Bucket: 'legacy' }))), 'OK');
    } finally {
      c2.destroy();
      await again.stop();
    }
  } finally {
    await srv.stop();
    srv.cleanup();
  }
});
