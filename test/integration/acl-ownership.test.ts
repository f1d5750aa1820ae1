/**
 * ACLs and ownership answers (issue 16 §5), with the clients that show them: canned ACLs naming the bucket
 * owner, group grants in the shape AWS returns them, x-amz-grant-* headers by id / email / group URI (aws
 * cli), an ACL that revokes everything, repeated CreateBucket (s3cmd mb, SDK), GetBucketPolicyStatus
 * counting ACLs, 404 rather than 403 for a missing key to whoever may list it, bucket policy condition keys
 * from request headers (copy source, metadata directive, ACL and grant headers, request tags, …IfExists),
 * and principals of another ARN form refused with AWS's message.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetBucketAclCommand,
  GetBucketPolicyStatusCommand,
  GetObjectAclCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketAclCommand,
  PutBucketPolicyCommand,
  PutObjectAclCommand,
  PutObjectCommand,
  type Grant,
  type S3Client,
} from '@aws-sdk/client-s3';
import { startServer, type TestServer } from '../helpers/server.js';
import { awsEnv, run } from '../helpers/clients.js';
import { AdminApiError, AdminClient, creds, makeActor, outcome, rawRequest, s3For, type Actor } from '../helpers/admin.js';

const T = 'own-t';
const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
const AUTH_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';
const LOG_DELIVERY = 'http://acs.amazonaws.com/groups/s3/LogDelivery';
let server: TestServer;
let admin: AdminClient;
let owner: Actor;
let other: Actor;
let ownerId: string;
let otherId: string;
let work: string;
const made: S3Client[] = [];
const client = (a: Actor): S3Client => {
  const c = s3For(server, creds(a.key), { host: `${T}.s3.localhost` });
  made.push(c);
  return c;
};
const anonymous = (): S3Client => {
  const c = s3For(server, 'anonymous', { host: `${T}.s3.localhost` });
  made.push(c);
  return c;
};
/** The HTTP status of an SDK call (HEAD errors have no body to name them). */
const status = (p: Promise<unknown>): Promise<number | undefined> =>
  p.then(
    () => 200,
    (e: { $metadata?: { httpStatusCode?: number } }) => e.$metadata?.httpStatusCode,
  );
const setPolicy = (c: S3Client, Bucket: string, Statement: unknown[]) =>
  c.send(new PutBucketPolicyCommand({ Bucket, Policy: JSON.stringify({ Version: '2012-10-17', Statement }) }));
/** Grants as `who:PERMISSION` (who = ID, or URI for groups), sorted. */
const summary = (grants: Grant[] | undefined): string[] => (grants ?? []).map((g) => `${g.Grantee?.URI ?? g.Grantee?.ID}:${g.Permission}`).sort();
/** The aws cli at 127.0.0.1 (the key's tenancy is the one addressed). */
const awsAs = (a: Actor, args: string[]) =>
  run('aws', ['--endpoint-url', server.url, 's3api', ...args], {
    env: awsEnv(server, { AWS_ACCESS_KEY_ID: a.key.accessKeyId, AWS_SECRET_ACCESS_KEY: a.key.secretAccessKey }),
    allowFailure: true,
    timeoutMs: 60_000,
  });

before(async () => {
  server = await startServer();
  admin = AdminClient.site(server);
  await admin.createTenancy({ name: T });
  owner = await makeActor(admin, 'own-owner', T, 'USER');
  other = await makeActor(admin, 'own-other', T, 'USER');
  work = mkdtempSync(join(tmpdir(), 'granary-own-'));
  const c = client(owner);
  await c.send(new CreateBucketCommand({ Bucket: 'own-ids' }));
  ownerId = (await c.send(new GetBucketAclCommand({ Bucket: 'own-ids' }))).Owner!.ID!;
  await client(other).send(new CreateBucketCommand({ Bucket: 'own-ids-other' }));
  otherId = (await client(other).send(new GetBucketAclCommand({ Bucket: 'own-ids-other' }))).Owner!.ID!;
});
after(async () => {
  for (const c of made) c.destroy();
  await server?.stop();
  server?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

test('canned bucket-owner-read / bucket-owner-full-control grant the bucket owner by ID; on a bucket they add nothing', async () => {
  const c = client(owner);
  await c.send(new CreateBucketCommand({ Bucket: 'own-canned' }));
  await setPolicy(c, 'own-canned', [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam:::user/own-other' }, Action: 's3:PutObject', Resource: 'arn:aws:s3:::own-canned/*' }]);
  const o = client(other);
  for (const [acl, permission] of [['bucket-owner-read', 'READ'], ['bucket-owner-full-control', 'FULL_CONTROL']] as const) {
    await o.send(new PutObjectCommand({ Bucket: 'own-canned', Key: acl, Body: acl, ACL: acl }));
    // The writer owns the object and may read its ACL; the bucket owner is granted by its canonical ID.
    const got = await o.send(new GetObjectAclCommand({ Bucket: 'own-canned', Key: acl }));
    assert.equal(got.Owner?.ID, otherId);
    assert.deepEqual(summary(got.Grants), [`${otherId}:FULL_CONTROL`, `${ownerId}:${permission}`].sort(), acl);
    const bucketOwnerGrant = got.Grants!.find((g) => g.Grantee?.ID === ownerId)!;
    assert.equal(bucketOwnerGrant.Grantee?.Type, 'CanonicalUser');
    assert.equal(bucketOwnerGrant.Grantee?.DisplayName, 'own-owner');
    // The owner writing its own object: the bucket owner is the owner, nothing is added.
    await c.send(new PutObjectCommand({ Bucket: 'own-canned', Key: `self-${acl}`, Body: 'x', ACL: acl }));
    assert.deepEqual(summary((await c.send(new GetObjectAclCommand({ Bucket: 'own-canned', Key: `self-${acl}` }))).Grants), [`${ownerId}:FULL_CONTROL`]);
    // The SDK's type lists only the canned ACLs meant for buckets; the request is AWS's all the same.
    await c.send(new CreateBucketCommand({ Bucket: `own-canned-${permission.toLowerCase().replace('_', '-')}`, ACL: acl as never }));
    assert.deepEqual(summary((await c.send(new GetBucketAclCommand({ Bucket: `own-canned-${permission.toLowerCase().replace('_', '-')}` }))).Grants), [`${ownerId}:FULL_CONTROL`]);
  }
  // The object's owner holds its grants only as the ACL gives them: another member cannot read its ACL.
  assert.equal(await outcome(client(other).send(new GetObjectAclCommand({ Bucket: 'own-canned', Key: 'self-bucket-owner-read' }))), 'AccessDenied');
});

test('group grants (public-read-write, authenticated-read, log-delivery-write) in the shape AWS returns them', async () => {
  const c = client(owner);
  for (const [acl, expected] of [
    ['public-read-write', [`${ALL_USERS}:READ`, `${ALL_USERS}:WRITE`]],
    ['authenticated-read', [`${AUTH_USERS}:READ`]],
    ['log-delivery-write', [`${LOG_DELIVERY}:READ_ACP`, `${LOG_DELIVERY}:WRITE`]],
  ] as const) {
    const bucket = `own-group-${acl}`;
    await c.send(new CreateBucketCommand({ Bucket: bucket, ACL: acl as never }));
    const got = await c.send(new GetBucketAclCommand({ Bucket: bucket }));
    assert.deepEqual(summary(got.Grants), [`${ownerId}:FULL_CONTROL`, ...expected].sort(), acl);
    for (const g of got.Grants!) {
      if (g.Grantee?.ID === ownerId) {
        assert.deepEqual({ ...g.Grantee }, { ID: ownerId, DisplayName: 'own-owner', Type: 'CanonicalUser' });
      } else {
        assert.deepEqual({ ...g.Grantee }, { URI: g.Grantee!.URI, Type: 'Group' }, acl);
      }
    }
    // The owner's grant comes first, as AWS lists it.
    assert.equal(got.Grants![0]!.Grantee?.ID, ownerId);
  }
  const raw = await rawRequest(server, 'GET', '/own-group-public-read-write?acl', { host: `${T}.s3.localhost` });
  assert.equal(raw.status, 403, 'anonymous WRITE does not give READ_ACP');
  await c.send(new CreateBucketCommand({ Bucket: 'own-x' }));
  assert.equal(await outcome(c.send(new PutObjectCommand({ Bucket: 'own-x', Key: 'k', Body: 'x', ACL: 'aws-exec-read' }))), 'NotImplemented');
});

test('aws cli --grant-*: by id, by email address (resolved to the user), by group URI; refusals', async () => {
  await client(owner).send(new CreateBucketCommand({ Bucket: 'own-grants' }));
  const r = awsAs(owner, ['put-bucket-acl', '--bucket', 'own-grants', '--grant-read', `emailAddress=own-other@example.org,uri=${AUTH_USERS}`, '--grant-full-control', `id=${ownerId}`, '--grant-write-acp', `id="${otherId}"`]);
  assert.equal(r.status, 0, r.stderr);
  const got = await client(owner).send(new GetBucketAclCommand({ Bucket: 'own-grants' }));
  assert.deepEqual(summary(got.Grants), [`${AUTH_USERS}:READ`, `${otherId}:READ`, `${otherId}:WRITE_ACP`, `${ownerId}:FULL_CONTROL`].sort());
  assert.equal(got.Grants!.find((g) => g.Grantee?.ID === otherId)?.Grantee?.DisplayName, 'own-other');
  // The grant by email address works: the other user lists the bucket.
  assert.equal(await outcome(client(other).send(new ListObjectsV2Command({ Bucket: 'own-grants' }))), 'OK');
  // Header grants are the whole ACL: the owner not named has no grant (AWS), yet still reads and sets the ACL.
  assert.equal(awsAs(owner, ['put-bucket-acl', '--bucket', 'own-grants', '--grant-read', `uri=${ALL_USERS}`]).status, 0);
  assert.deepEqual(summary((await client(owner).send(new GetBucketAclCommand({ Bucket: 'own-grants' }))).Grants), [`${ALL_USERS}:READ`]);
  // The same on an object, by email address in upper case.
  await client(owner).send(new PutObjectCommand({ Bucket: 'own-grants', Key: 'o', Body: 'o' }));
  assert.equal(awsAs(owner, ['put-object-acl', '--bucket', 'own-grants', '--key', 'o', '--grant-read', 'emailAddress=OWN-OTHER@EXAMPLE.ORG']).status, 0);
  assert.deepEqual(summary((await client(owner).send(new GetObjectAclCommand({ Bucket: 'own-grants', Key: 'o' }))).Grants), [`${otherId}:READ`]);
  assert.equal(await outcome(client(other).send(new GetObjectCommand({ Bucket: 'own-grants', Key: 'o' }))), 'OK');
  // And on PutObject itself.
  assert.equal(awsAs(owner, ['put-object', '--bucket', 'own-grants', '--key', 'p', '--grant-full-control', `id=${otherId}`]).status, 0);
  assert.deepEqual(summary((await client(owner).send(new GetObjectAclCommand({ Bucket: 'own-grants', Key: 'p' }))).Grants), [`${otherId}:FULL_CONTROL`]);

  const refused = (args: string[], code: string) => {
    const x = awsAs(owner, ['put-bucket-acl', '--bucket', 'own-grants', ...args]);
    assert.notEqual(x.status, 0, args.join(' '));
    assert.match(x.stderr, new RegExp(code), args.join(' '));
  };
  refused(['--grant-read', 'emailAddress=nobody@example.org'], 'UnresolvableGrantByEmailAddress');
  refused(['--grant-read', 'id=no-such-user'], 'InvalidArgument');
  refused(['--grant-read', 'uri=http://acs.amazonaws.com/groups/global/Everyone'], 'InvalidArgument');
  refused(['--grant-read', 'nonsense'], 'InvalidArgument');
  // Refused grants changed nothing.
  assert.deepEqual(summary((await client(owner).send(new GetBucketAclCommand({ Bucket: 'own-grants' }))).Grants), [`${ALL_USERS}:READ`]);
  // Grant headers and a document together: refused, not one silently dropped.
  assert.equal(await outcome(client(owner).send(new PutBucketAclCommand({ Bucket: 'own-grants', ACL: 'private', AccessControlPolicy: { Owner: { ID: ownerId }, Grants: [] } }))), 'UnexpectedContent');
  // Two users with one address: ambiguous.
  await admin.createUser({ username: 'own-twin', password: 'pw-own-twin-0123456789', displayName: 'twin', email: 'own-other@example.org' });
  refused(['--grant-read', 'emailAddress=own-other@example.org'], 'AmbiguousGrantByEmailAddress');
});

test('an AccessControlPolicy document: email grantees resolve; an empty list revokes every grant', async () => {
  const c = client(owner);
  await c.send(new CreateBucketCommand({ Bucket: 'own-revoke', ACL: 'public-read' }));
  await c.send(new PutObjectCommand({ Bucket: 'own-revoke', Key: 'o', Body: 'o', ACL: 'public-read' }));
  await c.send(new PutBucketAclCommand({
    Bucket: 'own-revoke',
    AccessControlPolicy: { Owner: { ID: ownerId }, Grants: [{ Grantee: { Type: 'AmazonCustomerByEmail', EmailAddress: 'own-owner@example.org' }, Permission: 'FULL_CONTROL' }, { Grantee: { Type: 'Group', URI: ALL_USERS }, Permission: 'READ' }] },
  }));
  assert.deepEqual(summary((await c.send(new GetBucketAclCommand({ Bucket: 'own-revoke' }))).Grants), [`${ALL_USERS}:READ`, `${ownerId}:FULL_CONTROL`].sort());
  for (const put of [
    () => c.send(new PutBucketAclCommand({ Bucket: 'own-revoke', AccessControlPolicy: { Owner: { ID: ownerId }, Grants: [] } })),
    () => c.send(new PutObjectAclCommand({ Bucket: 'own-revoke', Key: 'o', AccessControlPolicy: { Owner: { ID: ownerId }, Grants: [] } })),
  ]) await put();
  const bucketAcl = await c.send(new GetBucketAclCommand({ Bucket: 'own-revoke' }));
  assert.deepEqual(bucketAcl.Grants, []);
  assert.equal(bucketAcl.Owner?.ID, ownerId);
  assert.deepEqual((await c.send(new GetObjectAclCommand({ Bucket: 'own-revoke', Key: 'o' }))).Grants, []);
  assert.equal((await rawRequest(server, 'GET', '/own-revoke/o', { host: `${T}.s3.localhost` })).status, 403, 'the public grant is gone');
  // boto3 sends the same (an empty AccessControlList), as the conformance suites do.
  const py = `
import boto3, sys
s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1')
acl = s3.get_bucket_acl(Bucket='own-revoke')
s3.put_bucket_acl(Bucket='own-revoke', AccessControlPolicy={'Owner': acl['Owner'], 'Grants': [{'Grantee': {'Type': 'CanonicalUser', 'ID': acl['Owner']['ID']}, 'Permission': 'FULL_CONTROL'}]})
assert len(s3.get_bucket_acl(Bucket='own-revoke')['Grants']) == 1
s3.put_bucket_acl(Bucket='own-revoke', AccessControlPolicy={'Owner': acl['Owner'], 'Grants': []})
assert s3.get_bucket_acl(Bucket='own-revoke')['Grants'] == []
print('ok')
`;
  const r = run('python3', ['-c', py, server.url], {
    env: awsEnv(server, { AWS_ACCESS_KEY_ID: owner.key.accessKeyId, AWS_SECRET_ACCESS_KEY: owner.key.secretAccessKey }),
    allowFailure: true,
  });
  assert.equal(r.status, 0, r.stderr);
});

test('CreateBucket again: another user\'s name is BucketAlreadyExists (no site-wide claim), your own is 200 and keeps its ACL', async () => {
  await client(owner).send(new CreateBucketCommand({ Bucket: 'own-again' }));
  const e = await client(other).send(new CreateBucketCommand({ Bucket: 'own-again' })).then(() => undefined, (x: Error & { $metadata?: { httpStatusCode?: number } }) => x);
  assert.equal(e?.name, 'BucketAlreadyExists');
  assert.equal(e?.$metadata?.httpStatusCode, 409);
  assert.match(e!.message, /tenancy/);
  assert.doesNotMatch(e!.message, /all users of the system|shared by all/);
  // The same name in another tenancy is free.
  await admin.createTenancy({ name: 'own-elsewhere' });
  const outsider = await makeActor(admin, 'own-outsider', 'own-elsewhere', 'USER');
  const oc = s3For(server, creds(outsider.key), { host: 'own-elsewhere.s3.localhost' });
  made.push(oc);
  assert.equal(await outcome(oc.send(new CreateBucketCommand({ Bucket: 'own-again' }))), 'OK');
  // Your own again (us-east-1): 200, and an ACL given with it changes nothing.
  assert.equal(await status(client(owner).send(new CreateBucketCommand({ Bucket: 'own-again', ACL: 'public-read' }))), 200);
  assert.deepEqual(summary((await client(owner).send(new GetBucketAclCommand({ Bucket: 'own-again' }))).Grants), [`${ownerId}:FULL_CONTROL`]);
  assert.equal((await rawRequest(server, 'GET', '/own-again?list-type=2', { host: `${T}.s3.localhost` })).status, 403);
  // s3cmd mb of an existing bucket of yours succeeds, as against AWS us-east-1.
  const cfg = join(work, 's3cfg');
  writeFileSync(cfg, [`access_key = ${owner.key.accessKeyId}`, `secret_key = ${owner.key.secretAccessKey}`, `host_base = ${server.endpoint}`, `host_bucket = ${server.endpoint}`, 'use_https = False', ''].join('\n'));
  const mb = run('s3cmd', ['-c', cfg, 'mb', 's3://own-again'], { allowFailure: true, env: { ...process.env, HOME: work } });
  assert.equal(mb.status, 0, mb.stderr);
  // A refused ACL creates no bucket.
  assert.equal(await outcome(client(owner).send(new CreateBucketCommand({ Bucket: 'own-bad-acl', GrantRead: 'emailAddress=nobody@example.org' }))), 'UnresolvableGrantByEmailAddress');
  assert.equal(await status(client(owner).send(new ListObjectsV2Command({ Bucket: 'own-bad-acl' }))), 404);
});

test('GetBucketPolicyStatus counts ACLs, with or without a policy; conditions that pin the caller keep a policy private', async () => {
  const c = client(owner);
  const isPublic = async (b: string) => (await c.send(new GetBucketPolicyStatusCommand({ Bucket: b }))).PolicyStatus?.IsPublic;
  await c.send(new CreateBucketCommand({ Bucket: 'own-status' }));
  assert.equal(await outcome(c.send(new GetBucketPolicyStatusCommand({ Bucket: 'own-status' }))), 'NoSuchBucketPolicy');
  await c.send(new PutBucketAclCommand({ Bucket: 'own-status', ACL: 'public-read' }));
  assert.equal(await isPublic('own-status'), true, 'a public-read ACL without a policy');
  await c.send(new PutBucketAclCommand({ Bucket: 'own-status', ACL: 'authenticated-read' }));
  assert.equal(await isPublic('own-status'), true, 'authenticated-read is public as AWS defines it');
  await setPolicy(c, 'own-status', [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam:::user/own-other' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::own-status/*' }]);
  assert.equal(await isPublic('own-status'), true, 'a private policy does not hide a public ACL');
  await c.send(new PutBucketAclCommand({ Bucket: 'own-status', ACL: 'private' }));
  assert.equal(await isPublic('own-status'), false);
  const anyone = (Condition?: unknown) => [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::own-status/*', ...(Condition ? { Condition } : {}) }];
  await setPolicy(c, 'own-status', anyone({ IpAddress: { 'aws:SourceIp': '192.0.2.0/24' } }));
  assert.equal(await isPublic('own-status'), false, 'pinned to a network');
  await setPolicy(c, 'own-status', anyone({ IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } }));
  assert.equal(await isPublic('own-status'), true, 'the whole internet is not a pin');
  await setPolicy(c, 'own-status', anyone({ StringLike: { 'aws:UserAgent': 'curl/*' } }));
  assert.equal(await isPublic('own-status'), true, 'a user agent pins nobody');
  await setPolicy(c, 'own-status', [{ Effect: 'Allow', NotPrincipal: { AWS: 'arn:aws:iam:::user/own-other' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::own-status/*' }]);
  assert.equal(await isPublic('own-status'), true, 'everyone but one');
});

test('a missing key is 404 to whoever may list it (ACL or a policy with a prefix condition), 403 to others; a deleted bucket NoSuchBucket', async () => {
  const c = client(owner);
  await c.send(new CreateBucketCommand({ Bucket: 'own-404' }));
  await c.send(new PutObjectCommand({ Bucket: 'own-404', Key: 'shared/here', Body: 'x' }));
  await c.send(new PutObjectCommand({ Bucket: 'own-404', Key: 'private/here', Body: 'x' }));
  await setPolicy(c, 'own-404', [
    { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam:::user/own-other' }, Action: 's3:ListBucket', Resource: 'arn:aws:s3:::own-404', Condition: { StringLike: { 's3:prefix': ['shared/*'] } } },
    { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam:::user/own-other' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::own-404/shared/*' },
  ]);
  const o = client(other);
  assert.equal(await status(o.send(new HeadObjectCommand({ Bucket: 'own-404', Key: 'shared/missing' }))), 404);
  assert.equal(await outcome(o.send(new GetObjectCommand({ Bucket: 'own-404', Key: 'shared/missing' }))), 'NoSuchKey');
  assert.equal(await status(o.send(new HeadObjectCommand({ Bucket: 'own-404', Key: 'private/missing' }))), 403, 'may not list private/');
  assert.equal(await status(o.send(new HeadObjectCommand({ Bucket: 'own-404', Key: 'private/here' }))), 403);
  // A bucket READ grant lists, so missing keys are 404 but existing ones stay 403.
  await c.send(new CreateBucketCommand({ Bucket: 'own-404-acl' }));
  await c.send(new PutObjectCommand({ Bucket: 'own-404-acl', Key: 'here', Body: 'x' }));
  await c.send(new PutBucketAclCommand({ Bucket: 'own-404-acl', GrantRead: `id=${otherId}` }));
  assert.equal(await outcome(o.send(new GetObjectCommand({ Bucket: 'own-404-acl', Key: 'missing' }))), 'NoSuchKey');
  assert.equal(await outcome(o.send(new GetObjectCommand({ Bucket: 'own-404-acl', Key: 'here' }))), 'AccessDenied');
  assert.equal(await outcome(o.send(new GetObjectAttributesCommand({ Bucket: 'own-404-acl', Key: 'missing', ObjectAttributes: ['ETag'] }))), 'NoSuchKey');
  // Anonymous: a public-read bucket lists, a private one does not.
  await c.send(new PutBucketAclCommand({ Bucket: 'own-404-acl', ACL: 'public-read' }));
  assert.equal(await status(anonymous().send(new HeadObjectCommand({ Bucket: 'own-404-acl', Key: 'missing' }))), 404);
  assert.equal(await status(anonymous().send(new HeadObjectCommand({ Bucket: 'own-404', Key: 'shared/missing' }))), 403);
  // A deleted bucket is NoSuchBucket to everyone.
  await c.send(new CreateBucketCommand({ Bucket: 'own-gone' }));
  await c.send(new PutObjectCommand({ Bucket: 'own-gone', Key: 'k', Body: 'x' }));
  await c.send(new DeleteObjectCommand({ Bucket: 'own-gone', Key: 'k' }));
  await c.send(new DeleteBucketCommand({ Bucket: 'own-gone' }));
  for (const who of [c, o, anonymous()]) {
    assert.equal(await outcome(who.send(new GetObjectCommand({ Bucket: 'own-gone', Key: 'k' }))), 'NoSuchBucket');
    assert.equal(await status(who.send(new HeadObjectCommand({ Bucket: 'own-gone', Key: 'k' }))), 404);
  }
});

test('bucket policy conditions on request headers: copy source, metadata directive, ACL and grant headers, request tags, …IfExists', async () => {
  const c = client(owner);
  const o = client(other);
  const who = { AWS: 'arn:aws:iam:::user/own-other' };
  await c.send(new CreateBucketCommand({ Bucket: 'own-cond-src' }));
  await c.send(new CreateBucketCommand({ Bucket: 'own-cond' }));
  for (const k of ['public/a', 'private/a']) await c.send(new PutObjectCommand({ Bucket: 'own-cond-src', Key: k, Body: k }));
  await setPolicy(c, 'own-cond-src', [{ Effect: 'Allow', Principal: who, Action: 's3:GetObject', Resource: 'arn:aws:s3:::own-cond-src/*' }]);
  await setPolicy(c, 'own-cond', [
    { Sid: 'CopyFromPublicOnly', Effect: 'Allow', Principal: who, Action: 's3:PutObject', Resource: 'arn:aws:s3:::own-cond/copies/*', Condition: { StringLike: { 's3:x-amz-copy-source': 'own-cond-src/public/*' } } },
    { Sid: 'NoReplace', Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource: 'arn:aws:s3:::own-cond/copies/*', Condition: { StringEquals: { 's3:x-amz-metadata-directive': 'REPLACE' } } },
    { Sid: 'OwnerControl', Effect: 'Allow', Principal: who, Action: 's3:PutObject', Resource: 'arn:aws:s3:::own-cond/drop/*', Condition: { StringEqualsIfExists: { 's3:x-amz-acl': 'bucket-owner-full-control' } } },
    { Sid: 'NoPublicGrant', Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource: 'arn:aws:s3:::own-cond/*', Condition: { StringEquals: { 's3:x-amz-grant-read': `uri=${ALL_USERS}` } } },
    { Sid: 'ById', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::own-cond/byid/*', Condition: { StringEquals: { 'aws:userid': otherId } } },
    { Sid: 'Anonymous', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::own-cond/anon/*', Condition: { StringEquals: { 'aws:PrincipalType': 'Anonymous' } } },
    { Sid: 'Tagged', Effect: 'Allow', Principal: who, Action: 's3:PutObject', Resource: 'arn:aws:s3:::own-cond/tagged/*', Condition: { StringEquals: { 's3:RequestObjectTag/project': 'zarr' }, 'ForAllValues:StringEquals': { 's3:RequestObjectTagKeys': ['project', 'stage'] } } },
  ]);
  const copy = (src: string, dest: string, extra: object = {}) => outcome(o.send(new CopyObjectCommand({ Bucket: 'own-cond', Key: dest, CopySource: `own-cond-src/${src}`, ...extra })));
  assert.equal(await copy('public/a', 'copies/a'), 'OK');
  assert.equal(await copy('private/a', 'copies/b'), 'AccessDenied');
  assert.equal(await copy('public/a', 'copies/c', { MetadataDirective: 'REPLACE', Metadata: { x: '1' } }), 'AccessDenied');
  assert.equal(await copy('public/a', 'copies/d', { MetadataDirective: 'COPY' }), 'OK');
  const put = (Key: string, extra: object = {}) => outcome(o.send(new PutObjectCommand({ Bucket: 'own-cond', Key, Body: 'x', ...extra })));
  assert.equal(await put('drop/plain'), 'OK', 'IfExists: no x-amz-acl at all');
  assert.equal(await put('drop/bofc', { ACL: 'bucket-owner-full-control' }), 'OK');
  assert.equal(await put('drop/public', { ACL: 'public-read' }), 'AccessDenied');
  assert.equal(await outcome(c.send(new PutObjectCommand({ Bucket: 'own-cond', Key: 'mine', Body: 'x', GrantRead: `uri="${ALL_USERS}"` }))), 'AccessDenied', 'a Deny binds the owner too');
  assert.equal(await outcome(c.send(new PutObjectCommand({ Bucket: 'own-cond', Key: 'mine', Body: 'x', GrantRead: `id="${otherId}"` }))), 'OK');
  assert.equal(await put('tagged/a', { Tagging: 'project=zarr' }), 'OK');
  assert.equal(await put('tagged/b', { Tagging: 'project=zarr&stage=raw' }), 'OK');
  assert.equal(await put('tagged/c', { Tagging: 'project=other' }), 'AccessDenied');
  assert.equal(await put('tagged/d', { Tagging: 'project=zarr&secret=1' }), 'AccessDenied');
  assert.equal(await put('tagged/e'), 'AccessDenied');
  await c.send(new PutObjectCommand({ Bucket: 'own-cond', Key: 'byid/x', Body: 'x' }));
  await c.send(new PutObjectCommand({ Bucket: 'own-cond', Key: 'anon/x', Body: 'x' }));
  assert.equal(await outcome(o.send(new GetObjectCommand({ Bucket: 'own-cond', Key: 'byid/x' }))), 'OK');
  assert.equal(await outcome(anonymous().send(new GetObjectCommand({ Bucket: 'own-cond', Key: 'byid/x' }))), 'AccessDenied');
  assert.equal(await outcome(anonymous().send(new GetObjectCommand({ Bucket: 'own-cond', Key: 'anon/x' }))), 'OK');
  assert.equal(await outcome(o.send(new GetObjectCommand({ Bucket: 'own-cond', Key: 'anon/x' }))), 'AccessDenied');
  // A browser form's tagging field is its request tags.
  await setPolicy(c, 'own-cond-src', [{ Effect: 'Allow', Principal: '*', Action: 's3:PutObject', Resource: 'arn:aws:s3:::own-cond-src/forms/*', Condition: { StringEquals: { 's3:RequestObjectTag/project': 'zarr' } } }]);
  const form = (project: string) => {
    const f = new FormData();
    f.append('key', `forms/${project}`);
    f.append('tagging', `<Tagging><TagSet><Tag><Key>project</Key><Value>${project}</Value></Tag></TagSet></Tagging>`);
    f.append('file', new Blob(['x']), 'x');
    return f;
  };
  const post = (project: string) => fetch(`http://127.0.0.1:${server.port}/${T}:own-cond-src`, { method: 'POST', body: form(project) }).then((r) => r.status);
  assert.equal(await post('zarr'), 204);
  assert.equal(await post('other'), 403);
});

test('a principal or NotPrincipal naming an ARN of another form: MalformedPolicy "Invalid principal in policy"', async () => {
  await client(owner).send(new CreateBucketCommand({ Bucket: 'own-principal' }));
  const file = join(work, 'principal.json');
  for (const [element, principal] of [
    ['Principal', { AWS: 'arn:aws:iam::111122223333:user/alice' }],
    ['Principal', { AWS: 'arn:aws:iam::111122223333:root' }],
    ['NotPrincipal', { AWS: 'arn:aws:sts::111122223333:assumed-role/r/s' }],
    ['Principal', { CanonicalUser: otherId }],
  ] as const) {
    writeFileSync(file, JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: element === 'NotPrincipal' ? 'Deny' : 'Allow', [element]: principal, Action: 's3:GetObject', Resource: 'arn:aws:s3:::own-principal/*' }] }));
    const r = awsAs(owner, ['put-bucket-policy', '--bucket', 'own-principal', '--policy', `file://${file}`]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /\(MalformedPolicy\).*: Invalid principal in policy\s*$/m, JSON.stringify(principal));
  }
  // The admin API keeps the precise reason.
  await assert.rejects(
    admin.setPolicy(T, 'own-principal', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::own-principal/*' }] }),
    (e: AdminApiError) => e.status === 400 && typeof e.problem !== 'string' && /arn:aws:iam::111122223333:root/.test(e.problem.detail ?? ''),
  );
});
