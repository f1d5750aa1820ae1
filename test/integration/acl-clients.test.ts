/**
 * ACLs as clients use them (issue 4): s3cmd `setacl --acl-public` / `--acl-private` then anonymous curl at the
 * tenancy host name; rclone with `acl = private` (the CLIENTS.md config, unchanged); `x-amz-acl: public-read`
 * on PutObject; Get/PutBucketAcl and Get/PutObjectAcl round trips (canned and explicit grants).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  GetBucketAclCommand,
  GetObjectAclCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutBucketAclCommand,
  PutObjectAclCommand,
  PutObjectCommand,
  type Grant,
  type S3Client,
} from '@aws-sdk/client-s3';
import { startServer, type TestServer } from '../helpers/server.js';
import { run } from '../helpers/clients.js';
import { AdminClient, creds, makeActor, outcome, rawRequest, s3For, type Actor } from '../helpers/admin.js';

const T = 'acl-t';
const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
const AUTH_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';
let server: TestServer;
let owner: Actor;
let other: Actor;
let outsider: Actor;
let work: string;
const made: S3Client[] = [];
const client = (a: Actor): S3Client => {
  const c = s3For(server, creds(a.key), { host: `${T}.s3.localhost` });
  made.push(c);
  return c;
};

/** Anonymous GET with curl at the tenancy host name (curl --resolve, no DNS). */
function anonCurl(path: string): { code: string; body: string } {
  const host = `${T}.s3.localhost`;
  const r = run('curl', ['-s', '--resolve', `${host}:${server.port}:127.0.0.1`, '-w', '\n%{http_code}', `http://${host}:${server.port}${path}`]);
  const i = r.stdout.lastIndexOf('\n');
  return { body: r.stdout.slice(0, i), code: r.stdout.slice(i + 1) };
}
const grantsSummary = (grants: Grant[] | undefined): string[] =>
  (grants ?? []).map((g) => `${g.Grantee?.URI ?? g.Grantee?.ID ?? '?'}:${g.Permission}`).sort();

before(async () => {
  server = await startServer();
  const admin = AdminClient.site(server);
  await admin.createTenancy({ name: T });
  await admin.createTenancy({ name: 'acl-elsewhere' });
  owner = await makeActor(admin, 'acl-owner', T, 'USER');
  other = await makeActor(admin, 'acl-other', T, 'USER');
  outsider = await makeActor(admin, 'acl-outsider', 'acl-elsewhere', 'USER');
  work = mkdtempSync(join(tmpdir(), 'granary-acl-'));
});
after(async () => {
  for (const c of made) c.destroy();
  await server?.stop();
  server?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

test('s3cmd setacl --acl-public, then anonymous curl reads the object; --acl-private stops it', () => {
  const cfg = join(work, 's3cfg');
  // Exactly the CLIENTS.md shape; the key's tenancy is used at 127.0.0.1.
  writeFileSync(
    cfg,
    [`access_key = ${owner.key.accessKeyId}`, `secret_key = ${owner.key.secretAccessKey}`, `host_base = ${server.endpoint}`, `host_bucket = ${server.endpoint}`, 'use_https = False', 'signature_v2 = False', ''].join('\n'),
  );
  const s3cmd = (args: string[]) => run('s3cmd', ['-c', cfg, '--no-progress', ...args], { timeoutMs: 60_000, env: { ...process.env, HOME: work } });
  const file = join(work, 'shared.txt');
  writeFileSync(file, 'hello from s3cmd\n');
  s3cmd(['mb', 's3://acl-s3cmd']);
  s3cmd(['put', file, 's3://acl-s3cmd/shared.txt']);
  s3cmd(['put', file, 's3://acl-s3cmd/private.txt']);
  assert.equal(anonCurl('/acl-s3cmd/shared.txt').code, '403');

  s3cmd(['setacl', '--acl-public', 's3://acl-s3cmd/shared.txt']);
  assert.deepEqual(anonCurl('/acl-s3cmd/shared.txt'), { code: '200', body: 'hello from s3cmd\n' });
  assert.match(s3cmd(['info', 's3://acl-s3cmd/shared.txt']).stdout, /ACL:\s+\*anon\*: READ/);
  // Only that object: its neighbour and the listing stay private.
  assert.equal(anonCurl('/acl-s3cmd/private.txt').code, '403');
  assert.equal(anonCurl('/acl-s3cmd?list-type=2').code, '403');

  s3cmd(['setacl', '--acl-private', 's3://acl-s3cmd/shared.txt']);
  const after = anonCurl('/acl-s3cmd/shared.txt');
  assert.equal(after.code, '403');
  assert.match(after.body, /<Code>AccessDenied<\/Code>/);
  assert.doesNotMatch(s3cmd(['info', 's3://acl-s3cmd/shared.txt']).stdout, /\*anon\*/);

  // A whole bucket: setacl --acl-public --recursive on the bucket makes every object readable.
  s3cmd(['setacl', '--acl-public', '--recursive', 's3://acl-s3cmd']);
  assert.equal(anonCurl('/acl-s3cmd/private.txt').code, '200');
  assert.equal(anonCurl('/acl-s3cmd/shared.txt').code, '200');
});

test('rclone with acl = private (CLIENTS.md config) copies, lists and checks; nothing becomes public', () => {
  const conf = join(work, 'rclone.conf');
  writeFileSync(
    conf,
    ['[granary]', 'type = s3', 'provider = Other', `access_key_id = ${owner.key.accessKeyId}`, `secret_access_key = ${owner.key.secretAccessKey}`, `endpoint = http://${server.endpoint}`, 'acl = private', ''].join('\n'),
  );
  // rclone's AWS SDK fails on this machine's AWS_CA_BUNDLE with a plain-HTTP endpoint (see rclone.test.ts).
  const { AWS_CA_BUNDLE: _ca, ...env } = process.env;
  const rclone = (args: string[]) => run('rclone', ['--config', conf, '--low-level-retries', '1', '--retries', '1', ...args], { timeoutMs: 60_000, env });
  const src = join(work, 'rclone-src');
  mkdirSync(join(src, 'sub'), { recursive: true });
  writeFileSync(join(src, 'a.txt'), 'alpha');
  writeFileSync(join(src, 'sub', 'b.bin'), Buffer.alloc(70_000, 7));
  rclone(['mkdir', 'granary:acl-rclone']);
  rclone(['copy', src, 'granary:acl-rclone/dir']);
  const ls = rclone(['ls', 'granary:acl-rclone']).stdout;
  assert.match(ls, /^\s*5 dir\/a\.txt$/m);
  assert.match(ls, /^\s*70000 dir\/sub\/b\.bin$/m);
  assert.match(rclone(['lsd', 'granary:']).stdout, /acl-rclone$/m);
  rclone(['check', src, 'granary:acl-rclone/dir']);
  // A second copy skips identical files and still succeeds.
  rclone(['copy', src, 'granary:acl-rclone/dir']);
  rclone(['copyto', 'granary:acl-rclone/dir/a.txt', join(work, 'a-back.txt')]);
  assert.equal(readFileSync(join(work, 'a-back.txt'), 'utf8'), 'alpha');
  assert.equal(anonCurl('/acl-rclone/dir/a.txt').code, '403');
});

test('rclone acl = private: stored ACLs are private (GetObjectAcl / GetBucketAcl)', async () => {
  const c = client(owner);
  const o = await c.send(new GetObjectAclCommand({ Bucket: 'acl-rclone', Key: 'dir/a.txt' }));
  assert.deepEqual(grantsSummary(o.Grants).filter((g) => g.startsWith('http')), []);
  const b = await c.send(new GetBucketAclCommand({ Bucket: 'acl-rclone' }));
  assert.deepEqual(grantsSummary(b.Grants).filter((g) => g.startsWith('http')), []);
  assert.ok(o.Owner?.ID, 'owner in the ACL');
});

test('x-amz-acl: public-read on PutObject makes only that object anonymously readable', async () => {
  const c = client(owner);
  await c.send(new CreateBucketCommand({ Bucket: 'acl-put' }));
  await c.send(new PutObjectCommand({ Bucket: 'acl-put', Key: 'public.txt', Body: 'anyone', ACL: 'public-read' }));
  await c.send(new PutObjectCommand({ Bucket: 'acl-put', Key: 'private.txt', Body: 'owner only' }));
  const raw = await rawRequest(server, 'PUT', '/acl-put/raw-public.txt', { host: `${T}.s3.localhost`, headers: { 'x-amz-acl': 'public-read' }, body: 'x' });
  assert.equal(raw.status, 403, 'an anonymous PUT is refused even with x-amz-acl');
  assert.deepEqual(anonCurl('/acl-put/public.txt'), { code: '200', body: 'anyone' });
  assert.equal(anonCurl('/acl-put/private.txt').code, '403');
  const acl = await c.send(new GetObjectAclCommand({ Bucket: 'acl-put', Key: 'public.txt' }));
  assert.ok(grantsSummary(acl.Grants).includes(`${ALL_USERS}:READ`), JSON.stringify(acl.Grants));
  // The object ACL gives read, never write, to others.
  assert.equal(await outcome(client(other).send(new PutObjectCommand({ Bucket: 'acl-put', Key: 'public.txt', Body: 'overwrite' }))), 'AccessDenied');
  assert.equal(await outcome(client(other).send(new ListObjectsV2Command({ Bucket: 'acl-put' }))), 'AccessDenied');
  assert.equal(await outcome(c.send(new PutObjectCommand({ Bucket: 'acl-put', Key: 'bad', Body: 'x', ACL: 'world-writable' as never }))), 'InvalidArgument');
});

test('Get/PutBucketAcl and Get/PutObjectAcl round trips', async () => {
  const c = client(owner);
  await c.send(new CreateBucketCommand({ Bucket: 'acl-rt' }));
  await c.send(new PutObjectCommand({ Bucket: 'acl-rt', Key: 'o', Body: 'o' }));
  const initial = await c.send(new GetBucketAclCommand({ Bucket: 'acl-rt' }));
  const ownerId = initial.Owner!.ID!;
  assert.deepEqual(grantsSummary(initial.Grants), [`${ownerId}:FULL_CONTROL`]);

  await c.send(new PutBucketAclCommand({ Bucket: 'acl-rt', ACL: 'public-read' }));
  assert.deepEqual(grantsSummary((await c.send(new GetBucketAclCommand({ Bucket: 'acl-rt' }))).Grants), [`${ALL_USERS}:READ`, `${ownerId}:FULL_CONTROL`].sort());
  assert.equal(anonCurl('/acl-rt?list-type=2').code, '200');
  assert.equal(anonCurl('/acl-rt/o').code, '403', 'a bucket READ grant lists, it does not read objects');

  // Explicit grants: AuthenticatedUsers READ (any signed-in user, even of another tenancy), not anonymous.
  await c.send(
    new PutBucketAclCommand({
      Bucket: 'acl-rt',
      AccessControlPolicy: {
        Owner: { ID: ownerId },
        Grants: [
          { Grantee: { Type: 'CanonicalUser', ID: ownerId }, Permission: 'FULL_CONTROL' },
          { Grantee: { Type: 'Group', URI: AUTH_USERS }, Permission: 'READ' },
        ],
      },
    }),
  );
  assert.deepEqual(grantsSummary((await c.send(new GetBucketAclCommand({ Bucket: 'acl-rt' }))).Grants), [`${AUTH_USERS}:READ`, `${ownerId}:FULL_CONTROL`].sort());
  assert.equal(anonCurl('/acl-rt?list-type=2').code, '403');
  assert.equal(await outcome(client(other).send(new ListObjectsV2Command({ Bucket: 'acl-rt' }))), 'OK');
  const outsiderAtT = s3For(server, creds(outsider.key), { host: `${T}.s3.localhost` });
  made.push(outsiderAtT);
  assert.equal(await outcome(outsiderAtT.send(new ListObjectsV2Command({ Bucket: 'acl-rt' }))), 'OK');

  await c.send(new PutBucketAclCommand({ Bucket: 'acl-rt', ACL: 'private' }));
  assert.deepEqual(grantsSummary((await c.send(new GetBucketAclCommand({ Bucket: 'acl-rt' }))).Grants), [`${ownerId}:FULL_CONTROL`]);
  assert.equal(await outcome(client(other).send(new ListObjectsV2Command({ Bucket: 'acl-rt' }))), 'AccessDenied');

  // Object ACL round trip with a grant to a user of the tenancy (by canonical ID).
  const otherObj = await client(other).send(new CreateBucketCommand({ Bucket: 'acl-rt-other' })).then(() =>
    client(other).send(new GetBucketAclCommand({ Bucket: 'acl-rt-other' })),
  );
  const otherId = otherObj.Owner!.ID!;
  assert.notEqual(otherId, ownerId);
  await c.send(
    new PutObjectAclCommand({
      Bucket: 'acl-rt',
      Key: 'o',
      AccessControlPolicy: {
        Owner: { ID: ownerId },
        Grants: [
          { Grantee: { Type: 'CanonicalUser', ID: ownerId }, Permission: 'FULL_CONTROL' },
          { Grantee: { Type: 'CanonicalUser', ID: otherId }, Permission: 'READ' },
        ],
      },
    }),
  );
  assert.deepEqual(grantsSummary((await c.send(new GetObjectAclCommand({ Bucket: 'acl-rt', Key: 'o' }))).Grants), [`${otherId}:READ`, `${ownerId}:FULL_CONTROL`].sort());
  assert.equal(await outcome(client(other).send(new GetObjectAclCommand({ Bucket: 'acl-rt', Key: 'o' }))), 'AccessDenied');
  const read = await outcome(
    client(other)
      .send(new GetObjectCommand({ Bucket: 'acl-rt', Key: 'o' }))
      .then((r) => r.Body?.transformToString()),
  );
  assert.equal(read, 'OK');
  // Non-owners cannot change ACLs.
  assert.equal(await outcome(client(other).send(new PutBucketAclCommand({ Bucket: 'acl-rt', ACL: 'public-read' }))), 'AccessDenied');
  assert.equal(await outcome(client(other).send(new PutObjectAclCommand({ Bucket: 'acl-rt', Key: 'o', ACL: 'public-read' }))), 'AccessDenied');
});
