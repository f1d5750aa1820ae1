/**
 * Bucket logging with several gateways (issue 22): two gateways on one PostgreSQL both record requests to
 * a logged bucket into the shared spool and both run delivery passes often; one delivers at a time (a
 * session advisory lock), so every request is in exactly one log object — none lost, none twice.
 * Skipped (with a message) when the PostgreSQL binaries are not installed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutBucketLoggingCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startServer, type TestServer } from '../helpers/server.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { until } from '../helpers/until.js';

const pgAvailable = (): boolean =>
  Boolean(process.env.GRANARY_TEST_PG_URL) || existsSync('/usr/lib/postgresql') || (process.env.PATH ?? '').split(':').some((d) => d !== '' && existsSync(join(d, 'initdb')));

describe('bucket logging: two gateways share the spool, one delivers at a time', { skip: pgAvailable() ? false : 'PostgreSQL binaries not found', timeout: 180_000 }, () => {
  let pg: TestPostgres;
  let dataDir: string;
  const gw: TestServer[] = [];
  before(async () => {
    pg = await startPostgres();
    dataDir = mkdtempSync(join(tmpdir(), 'granary-logcluster-'));
    const start = () => startServer({ dataDir, args: ['--metadata', pg.url], env: { GRANARY_LOG_DELIVERY_INTERVAL_MS: '150' } });
    gw.push(await start());
    gw.push(await start());
  });
  after(async () => {
    await Promise.all(gw.map((g) => g.stop()));
    await pg?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('every request through either gateway is delivered exactly once', async () => {
    // Both started on one database: the first bootstrapped with its key; the second's is unknown.
    const key = { accessKeyId: gw[0]!.accessKey, secretAccessKey: gw[0]!.secretKey };
    const clients = gw.map((g) => new S3Client({ endpoint: g.url, region: 'us-east-1', forcePathStyle: true, credentials: key }));
    try {
      const [a, b] = clients as [S3Client, S3Client];
      for (const name of ['cl-src', 'cl-logs']) await a.send(new CreateBucketCommand({ Bucket: name }));
      await a.send(new PutBucketLoggingCommand({ Bucket: 'cl-src', BucketLoggingStatus: { LoggingEnabled: { TargetBucket: 'cl-logs', TargetPrefix: 'log/' } } }));
      const ids: string[] = [];
      // Over a few seconds, so passes on both gateways overlap the traffic.
      for (let i = 0; i < 40; i++) {
        const c = i % 2 ? b : a;
        ids.push((await c.send(new PutObjectCommand({ Bucket: 'cl-src', Key: `k${i}`, Body: String(i) }))).$metadata.requestId!);
        await new Promise((r) => setTimeout(r, 50));
      }
      const seen = await until('every record delivered', async () => {
        const count = new Map<string, number>();
        const list = await a.send(new ListObjectsV2Command({ Bucket: 'cl-logs', Prefix: 'log/' }));
        for (const o of list.Contents ?? []) {
          const text = await (await a.send(new GetObjectCommand({ Bucket: 'cl-logs', Key: o.Key! }))).Body!.transformToString();
          for (const line of text.split('\n').filter(Boolean)) {
            const id = line.split(' ')[6]!; // owner bucket [time +0000] ip requester id: the time has a space
            count.set(id, (count.get(id) ?? 0) + 1);
          }
        }
        return ids.every((id) => count.has(id)) ? count : undefined;
      });
      const twice = ids.filter((id) => seen.get(id) !== 1);
      assert.deepEqual(twice, [], 'records delivered more than once');
    } finally {
      for (const c of clients) c.destroy();
    }
  });
});
