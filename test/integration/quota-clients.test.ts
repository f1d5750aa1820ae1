/**
 * Exact tenancy quotas with "read-only and delete" (issue 5), quotas set with `granary admin tenancy
 * set-quota` (CLI) or the admin API; usage read back through the API and the CLI.
 *
 *  - a race: 50 concurrent PutObjects that together exceed the quota → usage ≤ quota, usage = sum of the
 *    stored objects, refused uploads left no key, no blob and no tmp file;
 *  - fill with s3cmd and rclone; the next put fails with QuotaExceeded; while full s3cmd rm --recursive,
 *    aws s3 rm --recursive, boto3 delete_objects and a single DELETE succeed; then writes succeed again;
 *  - unfinished multipart parts count and aborting returns the space;
 *  - one test per quota action (read-delete, read-only, notify, lockout);
 *  - the repair command reports no drift after all of it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutBucketAclCommand,
  PutObjectCommand,
  UploadPartCommand,
  S3ServiceException,
  type S3Client,
} from '@aws-sdk/client-s3';
import { REPO_ROOT, startServer, type TestServer } from '../helpers/server.js';
import { awsEnv, run } from '../helpers/clients.js';
import { ADMIN_PASSWORD, ADMIN_USER, AdminClient, creds, makeActor, outcome, s3For, type Actor } from '../helpers/admin.js';
import type * as C from '../../src/admin/contract.js';
import { signHeaders } from '../helpers/sign.js';
import { request as httpRequest } from 'node:http';

let server: TestServer;
let admin: AdminClient;
let work: string;
const tenancies: string[] = [];
const made: S3Client[] = [];

/** Runs `granary admin …` against the test server. */
function granary(args: string[]): string {
  const r = run(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/main.ts'), 'admin', ...args], {
    cwd: REPO_ROOT,
    timeoutMs: 30_000,
    env: { ...process.env, GRANARY_URL: server.portalUrl, GRANARY_USER: ADMIN_USER, GRANARY_PASSWORD: ADMIN_PASSWORD, HOME: work, XDG_CONFIG_HOME: join(work, 'xdg') },
  });
  return r.stdout;
}

/** Response headers of the last request a client made. */
function withHeaders(c: S3Client): { last: () => Record<string, string> } {
  let h: Record<string, string> = {};
  c.middlewareStack.add(
    (next) => async (args) => {
      try {
        const r = await next(args);
        h = (r.response as { headers: Record<string, string> }).headers;
        return r;
      } catch (e) {
        h = ((e as { $response?: { headers: Record<string, string> } }).$response?.headers) ?? {};
        throw e;
      }
    },
    { step: 'deserialize', name: 'captureHeaders', priority: 'low' },
  );
  return { last: () => h };
}

async function setup(name: string, quota: C.SetQuotaRequest | null): Promise<{ user: Actor; c: S3Client }> {
  await admin.createTenancy({ name });
  tenancies.push(name);
  const user = await makeActor(admin, `${name}-user`, name, 'USER');
  if (quota) await admin.setQuota(name, quota);
  const c = s3For(server, creds(user.key), { host: `${name}.s3.localhost` });
  made.push(c);
  await c.send(new CreateBucketCommand({ Bucket: 'bkt' }));
  return { user, c };
}

const errOf = async (p: Promise<unknown>): Promise<{ code: string; status?: number; message: string }> => {
  try {
    await p;
    return { code: 'OK', message: '' };
  } catch (e) {
    const err = e as S3ServiceException;
    return { code: err.name, status: err.$metadata?.httpStatusCode, message: err.message };
  }
};

function blobFiles(): { blobs: number; tmp: string[] } {
  const root = join(server.dataDir, 'blobs');
  let blobs = 0;
  const tmp = existsSync(join(root, 'tmp')) ? readdirSync(join(root, 'tmp')) : [];
  const walk = (d: string, depth: number): void => {
    for (const n of readdirSync(d)) {
      if (depth === 0 && n === 'tmp') continue;
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p, depth + 1);
      else if (depth === 2) blobs++;
    }
  };
  if (existsSync(root)) walk(root, 0);
  return { blobs, tmp };
}

async function listAll(c: S3Client, Bucket: string): Promise<Array<{ key: string; size: number }>> {
  const out: Array<{ key: string; size: number }> = [];
  let token: string | undefined;
  do {
    const r = await c.send(new ListObjectsV2Command({ Bucket, ContinuationToken: token }));
    for (const o of r.Contents ?? []) out.push({ key: o.Key!, size: o.Size! });
    token = r.NextContinuationToken;
  } while (token);
  return out;
}

before(async () => {
  server = await startServer();
  admin = AdminClient.site(server);
  work = mkdtempSync(join(tmpdir(), 'granary-quota-'));
});
after(async () => {
  for (const c of made) c.destroy();
  await server?.stop();
  server?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

test('race: 50 concurrent PutObjects exceeding the quota never push usage past it, and refused ones leave nothing', async () => {
  const { c } = await setup('q-race', { bytes: 2_000_000 });
  const size = 100_000; // above the inline limit: every stored object is one blob file
  const blobsBefore = blobFiles().blobs;
  const results = await Promise.all(
    Array.from({ length: 50 }, async (_, i) => ({ key: `obj-${String(i).padStart(2, '0')}`, r: await errOf(c.send(new PutObjectCommand({ Bucket: 'bkt', Key: `obj-${String(i).padStart(2, '0')}`, Body: Buffer.alloc(size, i) }))) })),
  );
  const ok = results.filter((x) => x.r.code === 'OK').map((x) => x.key).sort();
  const refused = results.filter((x) => x.r.code !== 'OK');
  assert.deepEqual([...new Set(refused.map((x) => `${x.r.status} ${x.r.code}`))], ['403 QuotaExceeded']);
  assert.match(refused[0]!.r.message, /quota of q-race/);
  assert.equal(ok.length, 20, 'exactly as many as fit');

  const usage = await admin.usage('q-race');
  const listed = await listAll(c, 'bkt');
  assert.ok(usage.usage.bytes <= 2_000_000, `usage ${usage.usage.bytes} > quota`);
  assert.equal(usage.usage.bytes, listed.reduce((s, o) => s + o.size, 0));
  assert.equal(usage.usage.objects, listed.length);
  assert.deepEqual(listed.map((o) => o.key).sort(), ok);
  for (const x of refused) assert.equal(await outcome(c.send(new HeadObjectCommand({ Bucket: 'bkt', Key: x.key }))), 'NotFound');
  const after = blobFiles();
  assert.deepEqual(after.tmp, [], 'no tmp files left behind');
  assert.equal(after.blobs - blobsBefore, ok.length, 'one blob per stored object, none for refused uploads');
  // The CLI shows the same usage.
  const shown = JSON.parse(granary(['tenancy', 'show', 'q-race', '--json'])) as C.TenancyDetail;
  assert.equal(shown.usage.bytes, usage.usage.bytes);
  assert.equal(shown.status.level, 'full');
});

test('race without declared sizes: 30 concurrent chunked PUTs (no Content-Length) still stop at the quota', async () => {
  const { user } = await setup('q-race-chunked', { bytes: 1_000_000 });
  const size = 100_000;
  const blobsBefore = blobFiles().blobs;
  const host = `q-race-chunked.s3.localhost:${server.port}`;
  const put = (key: string, fill: number): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const { target, headers } = signHeaders({ method: 'PUT', path: `/bkt/${key}`, host, accessKey: user.key.accessKeyId, secretKey: user.key.secretAccessKey, headers: { 'transfer-encoding': 'chunked' } });
      const req = httpRequest({ host: '127.0.0.1', port: server.port, method: 'PUT', path: target, headers }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      // Written in pieces so the uploads interleave.
      const data = Buffer.alloc(size, fill);
      let off = 0;
      const step = (): void => {
        if (off >= size) return void req.end();
        req.write(data.subarray(off, (off += 25_000)));
        setTimeout(step, 5);
      };
      step();
    });
  const results = await Promise.all(Array.from({ length: 30 }, (_, i) => put(`c-${String(i).padStart(2, '0')}`, i).then((r) => ({ key: `c-${String(i).padStart(2, '0')}`, ...r }))));
  const ok = results.filter((r) => r.status === 200).map((r) => r.key).sort();
  const refused = results.filter((r) => r.status !== 200);
  assert.deepEqual([...new Set(refused.map((r) => `${r.status} ${/<Code>(\w+)<\/Code>/.exec(r.body)?.[1]}`))], ['403 QuotaExceeded']);
  const usage = await admin.usage('q-race-chunked');
  const c = s3For(server, creds(user.key), { host: 'q-race-chunked.s3.localhost' });
  made.push(c);
  const listed = await listAll(c, 'bkt');
  assert.ok(usage.usage.bytes <= 1_000_000, `usage ${usage.usage.bytes} > quota 1000000 (${ok.length} stored)`);
  assert.equal(usage.usage.bytes, listed.reduce((s, o) => s + o.size, 0));
  assert.deepEqual(listed.map((o) => o.key).sort(), ok);
  assert.equal(ok.length, 10);
  const after = blobFiles();
  assert.deepEqual(after.tmp, [], 'no tmp files left behind');
  assert.equal(after.blobs - blobsBefore, ok.length, 'refused uploads (refused at commit, body already stored) left no blob');
});

test('fill with s3cmd and rclone; the next put is QuotaExceeded; every kind of delete works while full; then writes work again', async () => {
  const { user, c } = await setup('q-fill', null);
  const out = granary(['tenancy', 'set-quota', 'q-fill', '100000']);
  assert.match(out, /q-fill/);
  const headers = withHeaders(c);
  const used = async () => (await admin.usage('q-fill')).usage.bytes;
  const file = (name: string, n: number): string => {
    const p = join(work, name);
    writeFileSync(p, Buffer.alloc(n, 65));
    return p;
  };
  // s3cmd and rclone, configured exactly as CLIENTS.md says (path style at 127.0.0.1: the key's tenancy).
  const cfg = join(work, 's3cfg');
  writeFileSync(cfg, [`access_key = ${user.key.accessKeyId}`, `secret_key = ${user.key.secretAccessKey}`, `host_base = ${server.endpoint}`, `host_bucket = ${server.endpoint}`, 'use_https = False', 'signature_v2 = False', ''].join('\n'));
  const s3cmd = (args: string[], allowFailure = false) => run('s3cmd', ['-c', cfg, '--no-progress', ...args], { allowFailure, timeoutMs: 60_000, env: { ...process.env, HOME: work } });
  const conf = join(work, 'rclone.conf');
  writeFileSync(conf, ['[granary]', 'type = s3', 'provider = Other', `access_key_id = ${user.key.accessKeyId}`, `secret_access_key = ${user.key.secretAccessKey}`, `endpoint = http://${server.endpoint}`, 'acl = private', ''].join('\n'));
  const { AWS_CA_BUNDLE: _ca, ...rcloneEnv } = process.env;
  const rclone = (args: string[], allowFailure = false) => run('rclone', ['--config', conf, '--low-level-retries', '1', '--retries', '1', ...args], { allowFailure, timeoutMs: 60_000, env: rcloneEnv });
  const env = awsEnv(server, { AWS_ACCESS_KEY_ID: user.key.accessKeyId, AWS_SECRET_ACCESS_KEY: user.key.secretAccessKey });

  s3cmd(['put', file('a1', 20_000), 's3://bkt/a/1']);
  s3cmd(['put', file('a2', 20_000), 's3://bkt/a/2']);
  const dir = join(work, 'rdir');
  mkdirSync(dir);
  writeFileSync(join(dir, '3'), Buffer.alloc(20_000, 66));
  writeFileSync(join(dir, '4'), Buffer.alloc(20_000, 67));
  rclone(['copy', dir, 'granary:bkt/r']);
  s3cmd(['put', file('c5', 19_000), 's3://bkt/c/5']);
  s3cmd(['put', file('c6', 1_000), 's3://bkt/c/6']);
  assert.equal(await used(), 100_000);

  // Full: the next put fails, with every client, and says QuotaExceeded.
  const refused = s3cmd(['put', file('one', 1), 's3://bkt/one-more'], true);
  assert.notEqual(refused.status, 0);
  assert.match(refused.stdout + refused.stderr, /QuotaExceeded/);
  writeFileSync(join(dir, 'new'), 'x');
  const rc = rclone(['copy', dir, 'granary:bkt/r2'], true);
  assert.notEqual(rc.status, 0);
  assert.match(rc.stdout + rc.stderr, /QuotaExceeded/);
  const sdk = await errOf(c.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'sdk', Body: 'x' })));
  assert.equal(`${sdk.status} ${sdk.code}`, '403 QuotaExceeded');
  assert.match(sdk.message, /q-fill/);
  await errOf(c.send(new ListObjectsV2Command({ Bucket: 'bkt' })));
  assert.equal(headers.last()['x-granary-quota-level'], 'full');
  assert.equal(headers.last()['x-granary-quota-used-percent'], '100');
  assert.equal(await used(), 100_000);

  const refill = async (prefix: string, parts: number): Promise<void> => {
    const room = 100_000 - (await used());
    for (let i = 0; i < parts; i++) await c.send(new PutObjectCommand({ Bucket: 'bkt', Key: `${prefix}/${i}`, Body: Buffer.alloc(room / parts, 68) }));
    assert.equal((await errOf(c.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'probe', Body: 'x' })))).code, 'QuotaExceeded', 'full again');
  };

  // While full: s3cmd rm --recursive (POST ?delete).
  s3cmd(['rm', '--recursive', 's3://bkt/a/']);
  assert.equal(await used(), 60_000);
  await refill('e', 2);
  // aws s3 rm --recursive.
  run('aws', ['--endpoint-url', server.url, 's3', 'rm', '--recursive', 's3://bkt/r/'], { env, timeoutMs: 60_000 });
  assert.equal(await used(), 60_000);
  await refill('f', 2);
  // boto3 delete_objects.
  const py = run(
    'python3',
    ['-c', ["import boto3, os, json", "s3 = boto3.client('s3', endpoint_url=os.environ['EP'])", "r = s3.delete_objects(Bucket='bkt', Delete={'Objects': [{'Key': 'f/0'}, {'Key': 'f/1'}]})", "print(json.dumps({'deleted': sorted(d['Key'] for d in r.get('Deleted', [])), 'errors': r.get('Errors', [])}))"].join('\n')],
    { env: { ...env, EP: server.url }, timeoutMs: 60_000 },
  );
  assert.deepEqual(JSON.parse(py.stdout), { deleted: ['f/0', 'f/1'], errors: [] });
  assert.equal(await used(), 60_000);
  await refill('g', 1);
  // A single DELETE (and the SDK's DeleteObjects).
  assert.equal(await outcome(c.send(new DeleteObjectCommand({ Bucket: 'bkt', Key: 'g/0' }))), 'OK');
  await refill('h', 1);
  const multi = await c.send(new DeleteObjectsCommand({ Bucket: 'bkt', Delete: { Objects: [{ Key: 'h/0' }] } }));
  assert.deepEqual(multi.Errors ?? [], []);

  // Room again: writes succeed with every client.
  assert.equal(await used(), 60_000);
  s3cmd(['put', file('again', 10_000), 's3://bkt/again']);
  const small = join(work, 'rsmall');
  mkdirSync(small);
  writeFileSync(join(small, 'tiny'), 'tiny');
  rclone(['copy', small, 'granary:bkt/r3']);
  assert.equal(await outcome(c.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'sdk-again', Body: 'x' }))), 'OK');
  const listed = await listAll(c, 'bkt');
  assert.equal(await used(), listed.reduce((s, o) => s + o.size, 0));
});

test('unfinished multipart parts count; aborting (allowed while full) returns the space', async () => {
  const MiB = 1024 * 1024;
  const { c } = await setup('q-mp', { bytes: 10 * MiB });
  const up = await c.send(new CreateMultipartUploadCommand({ Bucket: 'bkt', Key: 'big' }));
  for (const PartNumber of [1, 2]) {
    await c.send(new UploadPartCommand({ Bucket: 'bkt', Key: 'big', UploadId: up.UploadId, PartNumber, Body: Buffer.alloc(5 * MiB, PartNumber) }));
  }
  const u = await admin.usage('q-mp');
  assert.equal(u.usage.bytes, 10 * MiB, 'parts of the unfinished upload count');
  assert.equal(u.status.level, 'full');
  const refused = await errOf(c.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'small', Body: 'x' })));
  assert.equal(`${refused.status} ${refused.code}`, '403 QuotaExceeded');
  const part3 = await errOf(c.send(new UploadPartCommand({ Bucket: 'bkt', Key: 'big', UploadId: up.UploadId, PartNumber: 3, Body: Buffer.alloc(1024) })));
  assert.equal(part3.code, 'QuotaExceeded');
  await c.send(new AbortMultipartUploadCommand({ Bucket: 'bkt', Key: 'big', UploadId: up.UploadId }));
  assert.equal((await admin.usage('q-mp')).usage.bytes, 0, 'abort returns the space');
  assert.equal(await outcome(c.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'small', Body: Buffer.alloc(3 * MiB) }))), 'OK');
  assert.equal((await admin.usage('q-mp')).usage.bytes, 3 * MiB);
});

test('completing a multipart upload whose parts already fill the quota adds nothing, so it is allowed', async () => {
  const MiB = 1024 * 1024;
  const { c } = await setup('q-mp-complete', { bytes: 10 * MiB });
  const up = await c.send(new CreateMultipartUploadCommand({ Bucket: 'bkt', Key: 'exact' }));
  const parts: Array<{ PartNumber: number; ETag?: string }> = [];
  for (const PartNumber of [1, 2]) {
    const p = await c.send(new UploadPartCommand({ Bucket: 'bkt', Key: 'exact', UploadId: up.UploadId, PartNumber, Body: Buffer.alloc(5 * MiB, PartNumber) }));
    parts.push({ PartNumber, ETag: p.ETag });
  }
  assert.equal((await admin.usage('q-mp-complete')).usage.bytes, 10 * MiB);
  // The parts are already counted: usage after completion stays exactly at the quota.
  const done = await errOf(c.send(new CompleteMultipartUploadCommand({ Bucket: 'bkt', Key: 'exact', UploadId: up.UploadId, MultipartUpload: { Parts: parts } })));
  const usage = (await admin.usage('q-mp-complete')).usage;
  assert.equal(done.code, 'OK', `CompleteMultipartUpload refused at exactly full: ${done.status} ${done.code} ${done.message}; usage ${JSON.stringify(usage)}`);
  assert.deepEqual(usage, { bytes: 10 * MiB, objects: 1 });
});

test('overwriting an object is judged by usage after the write (the replaced bytes are given back)', async () => {
  const { c } = await setup('q-overwrite', { bytes: 1000 });
  await c.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'a', Body: Buffer.alloc(600, 1) }));
  // Usage after this overwrite is 600 of 1000: within the quota.
  const same = await errOf(c.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'a', Body: Buffer.alloc(600, 2) })));
  const usage = (await admin.usage('q-overwrite')).usage;
  assert.equal(same.code, 'OK', `overwrite of 600 B with 600 B at 600/1000 B refused: ${same.status} ${same.code} ${same.message}`);
  assert.deepEqual(usage, { bytes: 600, objects: 1 });
  // A larger overwrite that would end above the quota is refused.
  assert.equal((await errOf(c.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'a', Body: Buffer.alloc(1001, 3) })))).code, 'QuotaExceeded');
});

/** A tenancy full by object count (2 of 2) under each quota action; what still works. */
async function fullTenancy(name: string, action: C.QuotaAction): Promise<{ c: S3Client; headers: () => Record<string, string> }> {
  const { c } = await setup(name, null);
  await c.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'one', Body: '1' }));
  await c.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'two', Body: '22' }));
  const q = JSON.parse(granary(['tenancy', 'set-quota', name, 'unlimited', '--objects', '2', '--action', action, '--json'])) as C.QuotaResponse;
  assert.equal(q.quota.action, action);
  assert.equal(q.status.level, 'full');
  const h = withHeaders(c);
  return { c, headers: h.last };
}

const probe = async (c: S3Client) => ({
  put: (await errOf(c.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'three', Body: '333' })))).code,
  get: await outcome(c.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'one' })).then((r) => r.Body?.transformToString())),
  list: await outcome(c.send(new ListObjectsV2Command({ Bucket: 'bkt' }))),
  deleteObjects: await outcome(
    c.send(new DeleteObjectsCommand({ Bucket: 'bkt', Delete: { Objects: [{ Key: 'two' }] } })).then((r) => {
      if (r.Errors?.length) throw Object.assign(new Error(r.Errors[0]!.Code), { Code: r.Errors[0]!.Code });
    }),
  ),
  delete: await outcome(c.send(new DeleteObjectCommand({ Bucket: 'bkt', Key: 'one' }))),
});

test('quota action read-delete (default): writes refused; reads, lists and deletes allowed', async () => {
  const { c, headers } = await fullTenancy('q-act-rd', 'read-delete');
  assert.deepEqual(await probe(c), { put: 'QuotaExceeded', get: 'OK', list: 'OK', deleteObjects: 'OK', delete: 'OK' });
  assert.equal(headers()['x-granary-quota-level'], 'ok');
});

test('quota action read-only: writes and deletes refused; reads and lists allowed', async () => {
  const { c, headers } = await fullTenancy('q-act-ro', 'read-only');
  assert.deepEqual(await probe(c), { put: 'QuotaExceeded', get: 'OK', list: 'OK', deleteObjects: 'QuotaExceeded', delete: 'QuotaExceeded' });
  assert.equal(headers()['x-granary-quota-level'], 'full');
  assert.equal((await admin.usage('q-act-ro')).usage.objects, 2);
});

test('quota action notify: nothing refused, usage may pass the quota, the level says so', async () => {
  const { c, headers } = await fullTenancy('q-act-notify', 'notify');
  const r = await probe(c);
  assert.deepEqual(r, { put: 'OK', get: 'OK', list: 'OK', deleteObjects: 'OK', delete: 'OK' });
  await c.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'four', Body: '4' }));
  await c.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'five', Body: '5' }));
  await c.send(new ListObjectsV2Command({ Bucket: 'bkt' }));
  assert.equal(headers()['x-granary-quota-level'], 'full');
  const shown = await admin.showTenancy('q-act-notify');
  assert.equal(shown.usage.objects, 3);
  assert.equal(shown.status.level, 'full');
});

test('quota action lockout: everything refused while full (reads and deletes too)', async () => {
  const { c } = await fullTenancy('q-act-lock', 'lockout');
  assert.deepEqual(await probe(c), { put: 'QuotaExceeded', get: 'QuotaExceeded', list: 'QuotaExceeded', deleteObjects: 'QuotaExceeded', delete: 'QuotaExceeded' });
  // Lifting the quota unlocks at once.
  await admin.setQuota('q-act-lock', { bytes: null, objects: null });
  assert.equal(await outcome(c.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'one' })).then((r) => r.Body?.transformToString())), 'OK');
});

test('warning and critical thresholds show in the response headers and the admin API', async () => {
  const { c } = await setup('q-levels', { bytes: 1000 });
  const h = withHeaders(c);
  const levels: Array<[number, string, string]> = [];
  for (const [key, n] of [['a', 500], ['b', 300], ['c', 160]] as const) {
    await c.send(new PutObjectCommand({ Bucket: 'bkt', Key: key, Body: Buffer.alloc(n) }));
    await c.send(new ListObjectsV2Command({ Bucket: 'bkt' }));
    levels.push([n, h.last()['x-granary-quota-used-percent']!, h.last()['x-granary-quota-level']!]);
  }
  assert.deepEqual(levels, [[500, '50', 'ok'], [300, '80', 'warning'], [160, '96', 'critical']]);
  const q = await admin.getQuota('q-levels');
  assert.deepEqual(q.thresholds, { warning: 80, critical: 95 });
  assert.equal(q.status.level, 'critical');
});

test('one quota level everywhere: at 79.96 % the S3 headers, the admin API and the CLI all say 79.9 and ok (issue 18)', async () => {
  const { c } = await setup('q-edge', { bytes: 10_000 });
  const h = withHeaders(c);
  await c.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'edge', Body: Buffer.alloc(7996) }));
  await c.send(new ListObjectsV2Command({ Bucket: 'bkt' }));
  assert.deepEqual([h.last()['x-granary-quota-used-percent'], h.last()['x-granary-quota-level']], ['79.9', 'ok']);
  assert.deepEqual((await admin.getQuota('q-edge')).status, { percent: 79.9, level: 'ok' });
  assert.deepEqual((JSON.parse(granary(['tenancy', 'show', 'q-edge', '--json'])) as C.TenancyDetail).status, { percent: 79.9, level: 'ok' });
  assert.match(granary(['tenancy', 'show', 'q-edge']), /79\.9%/);
  // Four bytes more reach the warning level, for all of them at once.
  await c.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'more', Body: Buffer.alloc(4) }));
  await c.send(new ListObjectsV2Command({ Bucket: 'bkt' }));
  assert.deepEqual([h.last()['x-granary-quota-used-percent'], h.last()['x-granary-quota-level']], ['80', 'warning']);
  assert.deepEqual((await admin.getQuota('q-edge')).status, { percent: 80, level: 'warning' });
});

test('a bucket quota inside a tenancy quota: the tighter one refuses, deletes still work, races stop at the bucket limit', async () => {
  const { c } = await setup('q-bucket', { bytes: 10_000 });
  await c.send(new CreateBucketCommand({ Bucket: 'small' }));
  const set = await admin.setBucketQuota('q-bucket', 'small', { bytes: 3000 });
  assert.deepEqual(set.quota, { bytes: 3000, objects: null });
  const putTo = (Bucket: string, Key: string, n: number) => errOf(c.send(new PutObjectCommand({ Bucket, Key, Body: Buffer.alloc(n, 1) })));
  assert.equal((await putTo('small', 's1', 3000)).code, 'OK');
  const bucketFull = await putTo('small', 's2', 1);
  assert.equal(`${bucketFull.status} ${bucketFull.code}`, '403 QuotaExceeded');
  assert.match(bucketFull.message, /small/);
  // The tenancy still has room for other buckets, up to its own quota.
  assert.equal((await putTo('bkt', 'b1', 5000)).code, 'OK');
  const tenancyFull = await putTo('bkt', 'b2', 2001);
  assert.equal(tenancyFull.code, 'QuotaExceeded');
  assert.match(tenancyFull.message, /q-bucket/);
  assert.equal((await putTo('bkt', 'b2', 2000)).code, 'OK');
  const u = await admin.usage('q-bucket');
  assert.deepEqual(u.usage, { bytes: 10_000, objects: 3 });
  assert.deepEqual(u.buckets.find((b) => b.name === 'small'), { name: 'small', usage: { bytes: 3000, objects: 1 }, quota: { bytes: 3000, objects: null } });
  // Deletes in the full bucket work (read-delete), and give the room back.
  const multi = await c.send(new DeleteObjectsCommand({ Bucket: 'small', Delete: { Objects: [{ Key: 's1' }] } }));
  assert.deepEqual(multi.Errors ?? [], []);
  // Race inside the bucket quota: 20 × 500 B at once into 3000 B → exactly 6 fit.
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => putTo('small', `r${i}`, 500)));
  assert.equal(results.filter((r) => r.code === 'OK').length, 6);
  assert.deepEqual([...new Set(results.filter((r) => r.code !== 'OK').map((r) => r.code))], ['QuotaExceeded']);
  const listed = await listAll(c, 'small');
  assert.equal(listed.length, 6);
  const after = await admin.usage('q-bucket');
  assert.deepEqual(after.buckets.find((b) => b.name === 'small')?.usage, { bytes: 3000, objects: 6 });
  assert.ok(after.usage.bytes <= 10_000);
  // Removing the bucket quota (null) lifts it; the tenancy quota still applies.
  await admin.setBucketQuota('q-bucket', 'small', { bytes: null });
  assert.equal((await putTo('small', 'late', 1)).code, 'QuotaExceeded', 'the tenancy is full');
  await c.send(new DeleteObjectCommand({ Bucket: 'bkt', Key: 'b2' }));
  assert.equal((await putTo('small', 'late', 1000)).code, 'OK');
});

/** s3cmd, rclone and the AWS CLI for a user, configured as CLIENTS.md says (path style at 127.0.0.1). */
function clientsFor(user: Actor, name: string) {
  const dir = join(work, `clients-${name}`);
  mkdirSync(dir, { recursive: true });
  const cfg = join(dir, 's3cfg');
  writeFileSync(cfg, [`access_key = ${user.key.accessKeyId}`, `secret_key = ${user.key.secretAccessKey}`, `host_base = ${server.endpoint}`, `host_bucket = ${server.endpoint}`, 'use_https = False', 'signature_v2 = False', ''].join('\n'));
  const conf = join(dir, 'rclone.conf');
  writeFileSync(conf, ['[granary]', 'type = s3', 'provider = Other', `access_key_id = ${user.key.accessKeyId}`, `secret_access_key = ${user.key.secretAccessKey}`, `endpoint = http://${server.endpoint}`, 'acl = private', ''].join('\n'));
  const { AWS_CA_BUNDLE: _ca, ...rcloneEnv } = process.env;
  return {
    dir,
    s3cmd: (args: string[], allowFailure = false) => run('s3cmd', ['-c', cfg, '--no-progress', ...args], { allowFailure, timeoutMs: 120_000, env: { ...process.env, HOME: dir } }),
    rclone: (args: string[], allowFailure = false) => run('rclone', ['--config', conf, '--low-level-retries', '1', '--retries', '1', ...args], { allowFailure, timeoutMs: 120_000, env: rcloneEnv }),
    aws: (args: string[], allowFailure = false) =>
      run('aws', ['--endpoint-url', server.url, ...args], { allowFailure, timeoutMs: 120_000, env: awsEnv(server, { AWS_ACCESS_KEY_ID: user.key.accessKeyId, AWS_SECRET_ACCESS_KEY: user.key.secretAccessKey }) }),
  };
}

test('rclone sync on a tenancy two-thirds full: setting modification times is a copy onto itself, charged nothing, and the deletes run', async () => {
  const { user, c } = await setup('q-rclone-sync', { bytes: 3_000_000 });
  const cl = clientsFor(user, 'rclone-sync');
  const local = join(cl.dir, 'data');
  mkdirSync(local);
  writeFileSync(join(local, 'big.bin'), Buffer.alloc(1_500_000, 7));
  writeFileSync(join(local, 'small.txt'), 'small');
  cl.rclone(['copy', local, 'granary:bkt/data']);
  await c.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'data/stale.txt', Body: Buffer.alloc(500_000, 1) }));
  assert.equal((await admin.usage('q-rclone-sync')).usage.bytes, 2_000_005);
  // The researcher touches the files (same bytes, new times); sync updates the times and removes the stale copy.
  const later = new Date(Date.now() + 3_600_000);
  for (const f of ['big.bin', 'small.txt']) utimesSync(join(local, f), later, later);
  const r = cl.rclone(['sync', local, 'granary:bkt/data', '-v'], true);
  assert.equal(r.status, 0, `rclone sync failed:\n${r.stdout}\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /QuotaExceeded|Failed to set modification time|not deleting/);
  assert.equal(await outcome(c.send(new HeadObjectCommand({ Bucket: 'bkt', Key: 'data/stale.txt' }))), 'NotFound', 'the delete ran');
  const head = await c.send(new HeadObjectCommand({ Bucket: 'bkt', Key: 'data/big.bin' }));
  assert.equal(Math.round(Number(head.Metadata?.mtime)), Math.round(later.getTime() / 1000), 'modification time set');
  assert.deepEqual((await admin.usage('q-rclone-sync')).usage, { bytes: 1_500_005, objects: 2 });
  // Even on a full tenancy: copies onto themselves add nothing, so sync still sets the times and frees room.
  await c.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'data/stale2.bin', Body: Buffer.alloc(1_499_995, 2) }));
  assert.equal((await admin.usage('q-rclone-sync')).status.level, 'full');
  const latest = new Date(Date.now() + 7_200_000);
  for (const f of ['big.bin', 'small.txt']) utimesSync(join(local, f), latest, latest);
  const full = cl.rclone(['sync', local, 'granary:bkt/data', '-v'], true);
  assert.equal(full.status, 0, `rclone sync on a full tenancy failed:\n${full.stdout}\n${full.stderr}`);
  assert.equal(await outcome(c.send(new HeadObjectCommand({ Bucket: 'bkt', Key: 'data/stale2.bin' }))), 'NotFound');
  assert.equal(Math.round(Number((await c.send(new HeadObjectCommand({ Bucket: 'bkt', Key: 'data/big.bin' }))).Metadata?.mtime)), Math.round(latest.getTime() / 1000));
  assert.deepEqual((await admin.usage('q-rclone-sync')).usage, { bytes: 1_500_005, objects: 2 });
});

test('s3cmd modify on a tenancy two-thirds full changes headers of a large object (a copy onto itself, charged nothing)', async () => {
  const { user, c } = await setup('q-s3cmd-modify', { bytes: 3_000_000 });
  const cl = clientsFor(user, 's3cmd-modify');
  const file = join(cl.dir, 'big.bin');
  writeFileSync(file, Buffer.alloc(1_600_000, 3));
  cl.s3cmd(['put', file, 's3://bkt/big.bin']);
  await c.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'other', Body: Buffer.alloc(400_000, 1) }));
  const r = cl.s3cmd(['modify', '--add-header=Cache-Control:max-age=60', 's3://bkt/big.bin'], true);
  assert.equal(r.status, 0, `s3cmd modify failed:\n${r.stdout}\n${r.stderr}`);
  const head = await c.send(new HeadObjectCommand({ Bucket: 'bkt', Key: 'big.bin' }));
  assert.equal(head.CacheControl, 'max-age=60');
  assert.equal(head.ContentLength, 1_600_000);
  assert.deepEqual((await admin.usage('q-s3cmd-modify')).usage, { bytes: 2_000_000, objects: 2 });
  // A copy to a new key is a write of the whole object: refused when it does not fit, with what to free.
  const copy = await errOf(c.send(new CopyObjectCommand({ Bucket: 'bkt', Key: 'big-copy', CopySource: 'bkt/big.bin' })));
  assert.equal(`${copy.status} ${copy.code}`, '403 QuotaExceeded');
  assert.match(copy.message, /quota of q-s3cmd-modify \(2\.9 MiB\) would be exceeded: 1\.9 MiB is in use and this write needs 1\.5 MiB more\. Free at least 586 KiB for it to fit; reads and deletes still work\./);
});

test('re-uploading a large file over itself (s3cmd put, aws s3 cp: multipart) needs room only for what it adds', async () => {
  const MiB = 1024 * 1024;
  const { user, c } = await setup('q-mp-over', { bytes: 20 * MiB });
  const cl = clientsFor(user, 'mp-over');
  const file = join(cl.dir, 'big.bin');
  writeFileSync(file, Buffer.alloc(12 * MiB, 9));
  cl.s3cmd(['put', '--multipart-chunk-size-mb=5', file, 's3://bkt/big.bin']);
  assert.equal((await admin.usage('q-mp-over')).usage.bytes, 12 * MiB);
  // 8 MiB free, a 12 MiB file over the 12 MiB object: every part fits against the object it replaces.
  writeFileSync(file, Buffer.alloc(12 * MiB, 10));
  const again = cl.s3cmd(['put', '--multipart-chunk-size-mb=5', file, 's3://bkt/big.bin'], true);
  assert.equal(again.status, 0, `s3cmd put over itself failed:\n${again.stdout}\n${again.stderr}`);
  assert.equal((await c.send(new HeadObjectCommand({ Bucket: 'bkt', Key: 'big.bin' }))).ETag?.endsWith('-3"'), true, 'a multipart upload');
  assert.deepEqual((await admin.usage('q-mp-over')).usage, { bytes: 12 * MiB, objects: 1 });
  writeFileSync(file, Buffer.alloc(12 * MiB, 11));
  const cp = cl.aws(['s3', 'cp', file, 's3://bkt/big.bin'], true);
  assert.equal(cp.status, 0, `aws s3 cp over the object failed:\n${cp.stdout}\n${cp.stderr}`);
  const got = await c.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'big.bin', Range: 'bytes=0-0' }));
  assert.equal(Buffer.from(await got.Body!.transformToByteArray())[0], 11);
  assert.deepEqual((await admin.usage('q-mp-over')).usage, { bytes: 12 * MiB, objects: 1 });
  // While such an upload is in flight, usage already says what is left after it: 8 MiB, for anything.
  const up = await c.send(new CreateMultipartUploadCommand({ Bucket: 'bkt', Key: 'big.bin' }));
  await c.send(new UploadPartCommand({ Bucket: 'bkt', Key: 'big.bin', UploadId: up.UploadId, PartNumber: 1, Body: Buffer.alloc(10 * MiB, 1) }));
  assert.equal((await admin.usage('q-mp-over')).usage.bytes, 12 * MiB);
  assert.equal(await outcome(c.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'other', Body: Buffer.alloc(8 * MiB) }))), 'OK');
  // Now the tenancy is full: the upload's next part must fit in what the object still covers (2 MiB).
  const tooBig = await errOf(c.send(new UploadPartCommand({ Bucket: 'bkt', Key: 'big.bin', UploadId: up.UploadId, PartNumber: 2, Body: Buffer.alloc(3 * MiB, 2) })));
  assert.equal(tooBig.code, 'QuotaExceeded');
  // A part the object still covers is fine even now, and completing over the object adds no object
  // (here at a full object quota too).
  const small = await c.send(new UploadPartCommand({ Bucket: 'bkt', Key: 'big.bin', UploadId: up.UploadId, PartNumber: 2, Body: Buffer.alloc(2 * MiB, 2) }));
  await admin.setQuota('q-mp-over', { bytes: 20 * MiB, objects: 2 });
  const first = (await c.send(new ListPartsCommand({ Bucket: 'bkt', Key: 'big.bin', UploadId: up.UploadId }))).Parts![0]!;
  const done = await errOf(c.send(new CompleteMultipartUploadCommand({ Bucket: 'bkt', Key: 'big.bin', UploadId: up.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: first.ETag }, { PartNumber: 2, ETag: small.ETag }] } })));
  assert.equal(done.code, 'OK', `${done.code}: ${done.message}`);
  assert.deepEqual((await admin.usage('q-mp-over')).usage, { bytes: 20 * MiB, objects: 2 });
});

test('the "full" error says what still works and how much to free; anonymous responses carry no quota headers', async () => {
  const { c } = await setup('q-full-msg', { bytes: 10_000 });
  await c.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'a', Body: Buffer.alloc(10_000) }));
  const full = await errOf(c.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'b', Body: Buffer.alloc(2_000) })));
  assert.equal(`${full.status} ${full.code}`, '403 QuotaExceeded');
  assert.match(full.message, /q-full-msg is full: 9\.8 KiB of its 9\.8 KiB quota is in use/);
  assert.match(full.message, /Reads and deletes still work/);
  assert.match(full.message, /free at least 2\.0 KiB for this write of 2\.0 KiB/);
  // Over by an object count: delete that many more than one.
  await admin.setQuota('q-full-msg', { bytes: null, objects: 1 });
  const objects = await errOf(c.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'b', Body: 'x' })));
  assert.match(objects.message, /1 object of its 1 object quota is in use\. Reads and deletes still work\. To write again, delete at least 1 object to add one\./);
  // A member sees the fill level; an anonymous caller does not, whether allowed (a public bucket) or refused.
  const h = withHeaders(c);
  await c.send(new ListObjectsV2Command({ Bucket: 'bkt' }));
  assert.equal(h.last()['x-granary-quota-level'], 'full');
  await c.send(new PutBucketAclCommand({ Bucket: 'bkt', ACL: 'public-read' }));
  const anon = s3For(server, 'anonymous', { host: 'q-full-msg.s3.localhost' });
  made.push(anon);
  const ah = withHeaders(anon);
  await anon.send(new ListObjectsV2Command({ Bucket: 'bkt' }));
  assert.equal(ah.last()['x-granary-quota-level'], undefined);
  assert.equal(ah.last()['x-granary-quota-used-percent'], undefined);
  assert.equal(await outcome(anon.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'anon', Body: 'x' }))), 'AccessDenied');
  assert.equal(ah.last()['x-granary-quota-level'], undefined);
  assert.equal(ah.last()['x-granary-quota-used-percent'], undefined);
});

test('the repair command reports no drift after all of the above', async () => {
  assert.ok(tenancies.length >= 13);
  const drift: string[] = [];
  for (const t of tenancies) {
    const r = await admin.repairUsage(t);
    if (r.drift.length > 0 || JSON.stringify(r.counted) !== JSON.stringify(r.recorded)) drift.push(`${t}: ${JSON.stringify(r)}`);
  }
  assert.deepEqual(drift, []);
  // The CLI command itself, on the tenancies the clients and the races worked in.
  for (const t of ['q-race', 'q-race-chunked']) assert.deepEqual((JSON.parse(granary(['tenancy', 'repair', t, '--json'])) as C.UsageRepairResponse).drift, [], t);
  assert.match(granary(['tenancy', 'repair', 'q-fill']), /no drift/);
});
