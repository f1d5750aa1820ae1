/**
 * Bucket logging delivery (issue 22): requests made by real clients (the AWS SDK, the AWS CLI, a
 * presigned URL, an anonymous caller) to a bucket with logging on appear as records in AWS's
 * server-access-log format in log objects of the target bucket, named as AWS names them (simple and
 * partitioned prefixes), counted in the target tenancy's usage; records acknowledged to the spool survive
 * a crash and are delivered after the restart.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand, GetBucketAclCommand, GetObjectCommand, ListObjectsV2Command, PutBucketLoggingCommand, PutObjectCommand, type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { startServer, type TestServer } from '../helpers/server.js';
import { AdminClient, creds, makeActor, outcome, rawRequest, s3For, type Actor } from '../helpers/admin.js';
import { awsEnv, run } from '../helpers/clients.js';
import { until } from '../helpers/until.js';

/** Splits a record into its fields: `"…"` and `[…]` are one field each. */
export function fields(line: string): string[] {
  return line.match(/"(?:[^"\\]|\\.)*"|\[[^\]]*\]|\S+/g) ?? [];
}
const F = { owner: 0, bucket: 1, time: 2, ip: 3, requester: 4, requestId: 5, operation: 6, key: 7, uri: 8, status: 9, error: 10, bytesSent: 11, objectSize: 12, totalTime: 13, userAgent: 16, hostId: 18, sigVersion: 19, authType: 21, host: 22 };

async function logObjects(c: S3Client, bucket: string, prefix: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const list = await c.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  for (const o of list.Contents ?? []) {
    out.set(o.Key!, await (await c.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key! }))).Body!.transformToString());
  }
  return out;
}

const METRICS_TOKEN = 'bucket-logging-metrics-token';
/** `granary_bucket_log_records{state=…}` and `granary_bucket_log_objects` from the server's metrics. */
async function logMetrics(s: TestServer): Promise<Record<string, number>> {
  const text = await (await fetch(`${s.url}/_admin/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^granary_bucket_log_(records\{state="(\w+)"\}|objects) (\d+)$/gm)) out[m[2] ?? 'objects'] = Number(m[3]);
  return out;
}

describe('bucket logging delivery', () => {
  let server: TestServer;
  let alice: Actor;
  let c: S3Client;
  const T = `dlv${process.pid}`.slice(0, 20);
  before(async () => {
    server = await startServer({ env: { GRANARY_LOG_DELIVERY_INTERVAL_MS: '300', GRANARY_METRICS_TOKEN: METRICS_TOKEN } });
    const admin = AdminClient.site(server);
    await admin.createTenancy({ name: T });
    alice = await makeActor(admin, `dlv-alice-${process.pid}`, T, 'MANAGER');
    c = s3For(server, creds(alice.key));
    for (const b of ['data', 'pub', 'logs']) await c.send(new CreateBucketCommand({ Bucket: b }));
    await c.send(new PutBucketLoggingCommand({ Bucket: 'data', BucketLoggingStatus: { LoggingEnabled: { TargetBucket: 'logs', TargetPrefix: 'access/' } } }));
    await c.send(new PutBucketLoggingCommand({
      Bucket: 'pub',
      BucketLoggingStatus: { LoggingEnabled: { TargetBucket: 'logs', TargetPrefix: 'p/', TargetObjectKeyFormat: { PartitionedPrefix: { PartitionDateSource: 'EventTime' } } } },
    }));
  });
  after(async () => {
    c?.destroy();
    await server.stop();
    server.cleanup();
  });

  test('requests by real clients appear in the delivered log objects, in AWS’s format', async () => {
    const put = await c.send(new PutObjectCommand({ Bucket: 'data', Key: 'dir/a b+ü.txt', Body: 'x'.repeat(1234) }));
    const got = await c.send(new GetObjectCommand({ Bucket: 'data', Key: 'dir/a b+ü.txt' }));
    await got.Body!.transformToString();
    assert.equal(await outcome(c.send(new GetObjectCommand({ Bucket: 'data', Key: 'missing' }))), 'NoSuchKey');
    const presigned = await getSignedUrl(c, new GetObjectCommand({ Bucket: 'data', Key: 'dir/a b+ü.txt' }), { expiresIn: 300 });
    const signature = new URL(presigned).searchParams.get('X-Amz-Signature')!;
    assert.equal((await fetch(presigned, { headers: { 'user-agent': 'presigned-fetch/1.0', referer: 'https://example.org/page' } })).status, 200);
    const anon = await rawRequest(server, 'GET', `/${T}:data/dir/a%20b%2B%C3%BC.txt`, { headers: { 'user-agent': 'anonymous-curl "quoted"\tand tab' } });
    assert.equal(anon.status, 403);
    // The AWS CLI, as its user runs it.
    const dir = mkdtempSync(join(tmpdir(), 'granary-dlv-'));
    try {
      writeFileSync(join(dir, 'cli.txt'), 'from the cli');
      const env = awsEnv(server, { AWS_ACCESS_KEY_ID: alice.key.accessKeyId, AWS_SECRET_ACCESS_KEY: alice.key.secretAccessKey });
      run('/usr/bin/aws', ['--endpoint-url', server.url, 's3', 'cp', join(dir, 'cli.txt'), 's3://data/cli.txt'], { env });
      run('/usr/bin/aws', ['--endpoint-url', server.url, 's3', 'ls', 's3://data/'], { env });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await c.send(new PutObjectCommand({ Bucket: 'pub', Key: 'dataset/part-0.csv', Body: 'a,b\n1,2\n' }));

    const wanted = [put.$metadata.requestId!, got.$metadata.requestId!];
    const records = await until('the records in log objects', async () => {
      const objs = await logObjects(c, 'logs', 'access/');
      const lines = [...objs.values()].flatMap((t) => t.split('\n').filter(Boolean));
      const have = lines.map(fields);
      const done = wanted.every((id) => have.some((f) => f[F.requestId] === id)) && have.some((f) => f[F.userAgent]!.includes('aws-cli') && f[F.operation] === 'REST.GET.BUCKET') && have.some((f) => f[F.status] === '403');
      return done ? { objs, lines, have } : undefined;
    });
    for (const key of records.objs.keys()) assert.match(key, /^access\/\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d-[0-9A-F]{16}$/);
    for (const f of records.have) assert.equal(f.length, 26, `26 fields: ${f.join(' | ')}`);
    const owner = (await c.send(new GetBucketAclCommand({ Bucket: 'data' }))).Owner!.ID!;
    const byId = (id: string) => records.have.find((f) => f[F.requestId] === id)!;
    const p = byId(put.$metadata.requestId!);
    assert.equal(p[F.owner], owner);
    assert.deepEqual(
      [p[F.bucket], p[F.ip], p[F.requester], p[F.operation], p[F.key], p[F.status], p[F.error], p[F.objectSize], p[F.sigVersion], p[F.authType], p[F.hostId]],
      ['data', '127.0.0.1', `arn:aws:iam:::user/${alice.username}`, 'REST.PUT.OBJECT', 'dir/a%20b%2B%C3%BC.txt', '200', '-', '1234', 'SigV4', 'AuthHeader', put.$metadata.requestId],
    );
    assert.match(p[F.time]!, /^\[\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d \+0000\]$/);
    assert.match(p[F.uri]!, /^"PUT \/data\/dir\/a%20b%2B%C3%BC\.txt(\?x-id=PutObject)? HTTP\/1\.1"$/);
    const g = byId(got.$metadata.requestId!);
    assert.deepEqual([g[F.operation], g[F.bytesSent], g[F.objectSize]], ['REST.GET.OBJECT', '1234', '1234']);
    assert.ok(records.have.some((f) => f[F.operation] === 'REST.GET.OBJECT' && f[F.status] === '404' && f[F.error] === 'NoSuchKey'));
    const pre = records.have.find((f) => f[F.userAgent] === '"presigned-fetch/1.0"')!;
    assert.ok(pre, 'the presigned GET');
    assert.deepEqual([pre[F.authType], pre[F.status], pre[15]], ['QueryString', '200', '"https://example.org/page"']);
    assert.match(pre[F.uri]!, /X-Amz-Signature=-/);
    assert.ok(!records.lines.join('\n').includes(signature), 'no signature in a log object');
    const a = records.have.find((f) => f[F.status] === '403')!;
    assert.deepEqual([a[F.requester], a[F.error], a[F.userAgent]], ['-', 'AccessDenied', '"anonymous-curl \\"quoted\\"\\x09and tab"']);
    assert.ok(records.have.some((f) => f[F.userAgent]!.includes('aws-cli') && f[F.operation] === 'REST.PUT.OBJECT' && f[F.key] === 'cli.txt'), 'the CLI upload');

    // Partitioned by event day, under the tenancy, region and bucket, time 00-00-00.
    const day = new Date().toISOString().slice(0, 10);
    const part = await until('the partitioned log object', async () => {
      const objs = await logObjects(c, 'logs', 'p/');
      return objs.size > 0 ? objs : undefined;
    });
    for (const [key, text] of part) {
      assert.match(key, new RegExp(`^p/${T}/us-east-1/pub/${day.replaceAll('-', '/')}/${day}-00-00-00-[0-9A-F]{16}$`));
      assert.ok(text.split('\n').filter(Boolean).every((l) => fields(l)[F.bucket] === 'pub'));
    }

    // Log objects are the target tenancy's objects: counted in its usage.
    const listed = (await c.send(new ListObjectsV2Command({ Bucket: 'logs' }))).KeyCount!;
    const usage = (await AdminClient.site(server).usage(T)).usage;
    const dataCount = (await c.send(new ListObjectsV2Command({ Bucket: 'data' }))).KeyCount! + (await c.send(new ListObjectsV2Command({ Bucket: 'pub' }))).KeyCount!;
    assert.ok(listed >= 2);
    assert.equal(usage.objects, dataCount + listed, `usage ${JSON.stringify(usage)}`);

    // The metrics agree with the objects once everything spooled is delivered (reading `logs` is not logged).
    const m = await until('the spool drained', async () => {
      const v = await logMetrics(server);
      return v.spooled !== undefined && v.spooled === v.delivered ? v : undefined;
    });
    const all = await logObjects(c, 'logs', '');
    const lines = [...all.values()].reduce((n, t) => n + t.split('\n').filter(Boolean).length, 0);
    assert.deepEqual([m.delivered, m.objects, m.dropped, m.lost], [lines, all.size, 0, 0]);
  });
});

describe('bucket logging spool across a crash', () => {
  test('records spooled before a SIGKILL are delivered after the restart', async () => {
    // Delivery far off: the first life only spools.
    let server = await startServer({ env: { GRANARY_LOG_DELIVERY_INTERVAL_MS: '3600000' } });
    const dataDir = server.dataDir;
    // The first start bootstrapped with these; a restart keeps them (its own environment's are ignored).
    const key = { accessKeyId: server.accessKey, secretAccessKey: server.secretKey };
    let c = s3For(server, key);
    try {
      for (const b of ['crash-src', 'crash-logs']) await c.send(new CreateBucketCommand({ Bucket: b }));
      await c.send(new PutBucketLoggingCommand({ Bucket: 'crash-src', BucketLoggingStatus: { LoggingEnabled: { TargetBucket: 'crash-logs', TargetPrefix: '' } } }));
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await c.send(new PutObjectCommand({ Bucket: 'crash-src', Key: `k${i}`, Body: String(i) }))).$metadata.requestId!);
      // The spool takes a batch a fraction of a second after the requests (LogDelivery spoolDelayMs).
      await new Promise((r) => setTimeout(r, 1500));
      await server.kill();
      c.destroy();
      server = await startServer({ dataDir, env: { GRANARY_LOG_DELIVERY_INTERVAL_MS: '300' } });
      c = s3For(server, key);
      const client = c;
      const found = await until('the records of the first life', async () => {
        const lines = [...(await logObjects(client, 'crash-logs', '')).values()].flatMap((t) => t.split('\n').filter(Boolean)).map(fields);
        return ids.every((id) => lines.some((f) => f[F.requestId] === id)) ? lines : undefined;
      });
      assert.ok(found.length >= 5);
    } finally {
      c.destroy();
      await server.stop();
      server.cleanup();
    }
  });
});
