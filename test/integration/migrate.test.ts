/**
 * `granary migrate`: an embedded server with data (objects inline and in blobs, a multipart upload in
 * progress, users, keys, a tenancy with quota, a policy, noncurrent versions and a delete marker) → stop →
 * `granary migrate --from DIR --to PG` →
 * start in PostgreSQL mode on the same data directory → everything reads back. A second migrate into the
 * now non-empty database is refused.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { CreateBucketCommand, CreateMultipartUploadCommand, GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { REPO_ROOT, startServer, type TestServer } from '../helpers/server.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { AdminClient, creds, makeActor } from '../helpers/admin.js';
import { openSqliteMetadataStore } from '../../src/metadata/sqlite/sqlite-store.js';
import { openPostgresMetadataStore } from '../../src/metadata/postgres/postgres-store.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const havePg = !!process.env.GRANARY_TEST_PG_URL || existsSync('/usr/lib/postgresql') || (process.env.PATH ?? '').split(':').some((d) => d !== '' && existsSync(join(d, 'initdb')));

let pg: TestPostgres | undefined;
let server: TestServer | undefined;
after(async () => {
  await server?.stop();
  server?.cleanup();
  await pg?.stop();
});

const s3 = (s: TestServer, k: { accessKeyId: string; secretAccessKey: string }) =>
  new S3Client({ endpoint: s.url, region: 'us-east-1', forcePathStyle: true, credentials: k });

function migrate(from: string, to: string) {
  return spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/main.ts'), 'migrate', '--from', from, '--to', to], { cwd: REPO_ROOT, encoding: 'utf8' });
}

test('embedded installation → granary migrate → PostgreSQL mode on the same data directory', { skip: havePg ? false : 'PostgreSQL binaries not found', timeout: 180_000 }, async () => {
  pg = await startPostgres();
  server = await startServer();
  const adminKey = { accessKeyId: server.accessKey, secretAccessKey: server.secretKey };
  const admin = AdminClient.site(server);
  await admin.createTenancy({ name: 'lab' });
  await admin.setQuota('lab', { bytes: 50 * 1024 * 1024, objects: 1000 });
  const alice = await makeActor(admin, 'alice', 'lab', 'MANAGER');
  const bob = await makeActor(admin, 'bob', 'lab', 'USER');
  const c = s3(server, creds(alice.key));
  await c.send(new CreateBucketCommand({ Bucket: 'data' }));
  const bodies = new Map<string, Buffer>();
  for (let i = 0; i < 40; i++) {
    const b = randomBytes(i % 4 === 0 ? 300_000 : 1_000 + i); // blobs and inline rows
    const k = `dir/${i % 3}/obj ü+%${i}`;
    await c.send(new PutObjectCommand({ Bucket: 'data', Key: k, Body: b, Metadata: { n: String(i) }, Tagging: `i=${i}` }));
    bodies.set(k, b);
  }
  await s3(server, adminKey).send(new CreateBucketCommand({ Bucket: 'admins' }));
  await s3(server, adminKey).send(new PutObjectCommand({ Bucket: 'admins', Key: 'a', Body: 'admin data' }));
  const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam:::user/bob' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::data/*' }] };
  await admin.setPolicy('lab', 'data', policy);
  const mpu = await c.send(new CreateMultipartUploadCommand({ Bucket: 'data', Key: 'big' }));
  await c.send(new UploadPartCommand({ Bucket: 'data', Key: 'big', UploadId: mpu.UploadId, PartNumber: 1, Body: randomBytes(5 * 1024 * 1024) }));
  const usageBefore = await admin.usage('lab');
  const auditBefore = await admin.request<{ items: unknown[] }>('GET', '/audit');

  const dataDir = server.dataDir;
  assert.equal(await server.stop(), 0);
  // Versions (issue 19), written through the stopped installation's store until PutBucketVersioning is
  // served: two versions and a delete marker of one key.
  const versionsBefore = await (async () => {
    const store = await openSqliteMetadataStore(join(dataDir, 'metadata.db'));
    try {
      const bucket = (await store.listBuckets((await store.getTenancyByName('lab'))!.id)).find((b) => b.name === 'data')!;
      for (const body of ['one', 'two!']) {
        const r = await store.putObject({ bucketId: bucket.id, key: 'versioned', size: body.length, etag: `"${sha(Buffer.from(body)).slice(0, 32)}"`, contentType: 'text/plain',
          headers: {}, inline: Buffer.from(body), parts: [], checksum: null, tagging: null, ownerId: 'u', storageClass: 'STANDARD', versioning: 'Enabled' });
        assert.ok(r.ok);
      }
      assert.ok((await store.deleteObject(bucket.id, 'versioned', undefined, { versioning: 'Enabled', ownerId: 'u' })).ok);
      return { bucketId: bucket.id, listed: await store.scanObjectVersions(bucket.id, { prefix: 'versioned', start: '', limit: 10 }) };
    } finally {
      await store.close();
    }
  })();
  assert.equal(versionsBefore.listed.length, 3);
  const versionUsage = { bytes: 3 + 4 + 'versioned'.length, objects: 3 };

  const t0 = Date.now();
  const r = migrate(dataDir, pg.url);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /counts and usage verified/);
  console.log(`# migrate took ${Date.now() - t0} ms (process included): ${r.stdout.trim().split('\n').pop()}`);

  // A second run must refuse the now non-empty target.
  const again = migrate(dataDir, pg.url);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /not empty/);

  server = await startServer({ dataDir, args: ['--metadata', pg.url] });
  const c2 = s3(server, creds(alice.key));
  for (const [k, b] of bodies) {
    const o = await c2.send(new GetObjectCommand({ Bucket: 'data', Key: k }));
    assert.equal(sha(Buffer.from(await o.Body!.transformToByteArray())), sha(b), k);
  }
  const listed = await c2.send(new ListObjectsV2Command({ Bucket: 'data', Prefix: 'dir/' }));
  assert.deepEqual(listed.Contents?.map((o) => o.Key), [...bodies.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
  // Keys (secrets sealed with the same master key), users, memberships, policy, uploads, usage, audit.
  const o = await s3(server, creds(bob.key)).send(new GetObjectCommand({ Bucket: 'data', Key: 'dir/0/obj ü+%0' }));
  assert.equal((await o.Body!.transformToByteArray()).length, bodies.get('dir/0/obj ü+%0')!.length);
  const adminObj = await s3(server, adminKey).send(new GetObjectCommand({ Bucket: 'admins', Key: 'a' }));
  assert.equal(await adminObj.Body!.transformToString(), 'admin data');
  const uploads = await c2.send(new ListMultipartUploadsCommand({ Bucket: 'data' }));
  assert.deepEqual(uploads.Uploads?.map((u) => u.UploadId), [mpu.UploadId]);
  const admin2 = AdminClient.site(server);
  assert.deepEqual((await admin2.usage('lab')).usage, { ...usageBefore.usage, bytes: usageBefore.usage.bytes + versionUsage.bytes, objects: usageBefore.usage.objects + versionUsage.objects });
  {
    const store = await openPostgresMetadataStore(pg.url, { poolSize: 1 });
    try {
      assert.deepEqual(await store.scanObjectVersions(versionsBefore.bucketId, { prefix: 'versioned', start: '', limit: 10 }), versionsBefore.listed, 'versions and markers copied as they were');
    } finally {
      await store.close();
    }
  }
  assert.equal((await admin2.getQuota('lab')).quota.bytes, 50 * 1024 * 1024);
  const stored = (await admin2.getPolicy('lab', 'data')).policy;
  assert.deepEqual(typeof stored === 'string' ? JSON.parse(stored) : stored, policy);
  assert.deepEqual(new Set((await admin2.listUsers()).items.map((u) => u.username)), new Set(['admin', 'alice', 'bob']));
  assert.deepEqual(new Set((await admin2.listMembers('lab')).items.map((m) => `${m.username}:${m.role}`)), new Set(['alice:MANAGER', 'bob:USER']));
  const auditAfter = await admin2.request<{ items: unknown[] }>('GET', '/audit');
  assert.deepEqual(auditAfter.items.slice(-auditBefore.items.length), auditBefore.items);
  // New writes work (sequences continued, quota enforced from the copied counters).
  await c2.send(new PutObjectCommand({ Bucket: 'data', Key: 'after-migration', Body: 'new' }));
  assert.equal((await admin2.usage('lab')).usage.objects, usageBefore.usage.objects + versionUsage.objects + 1);
});
