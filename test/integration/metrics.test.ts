/**
 * Metrics as an operator sees them: a real Prometheus scrapes a running Granary's metrics listener (with
 * the bearer token, through docs/monitoring/prometheus.yml), the test sends a known load with the AWS SDK,
 * then asks Prometheus's HTTP API and compares its counters with the requests it sent. Prometheus also
 * loads docs/monitoring/alerts.yml, and every query of the Grafana dashboard must run.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CopyObjectCommand, CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startServer, type TestServer } from '../helpers/server.js';
import { sdkClient } from '../helpers/clients.js';
import { AdminClient } from '../helpers/admin.js';
import { freePort } from '../helpers/ports.js';
import { MONITORING_DIR, prometheusSkip, promtoolBinary, startPrometheus, type TestPrometheus } from '../helpers/prometheus.js';
import { run } from '../helpers/clients.js';

const TOKEN = 'metrics-token-for-tests-0123456789';
const SIZE = 1000;
const PUTS = 5;
const GETS = 7;
const MISSING = 3;

describe('metrics scraped by a real Prometheus', { skip: prometheusSkip(), timeout: 180_000 }, () => {
  let server: TestServer;
  let prom: TestPrometheus;
  let metricsPort: number;

  before(async () => {
    metricsPort = await freePort();
    server = await startServer({ env: { GRANARY_METRICS_TOKEN: TOKEN }, args: ['--listen-metrics', `127.0.0.1:${metricsPort}`] });
    prom = await startPrometheus(`127.0.0.1:${metricsPort}`, TOKEN);
  });
  after(async () => {
    await prom?.stop();
    await server?.stop();
    server?.cleanup();
  });

  test('the metrics need the token, and live on their own listener only', async () => {
    const url = `http://127.0.0.1:${metricsPort}/_admin/metrics`;
    assert.equal((await fetch(url)).status, 404);
    assert.equal((await fetch(url, { headers: { authorization: 'Bearer not-the-token-at-all' } })).status, 404);
    const ok = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(ok.status, 200);
    assert.match(ok.headers.get('content-type') ?? '', /^text\/plain/);
    assert.match(await ok.text(), /^# HELP granary_s3_requests_total /m);
    // Not on the S3 or portal listeners when they have one of their own; health and readiness are everywhere.
    for (const base of [server.url, server.portalUrl]) {
      assert.equal((await fetch(`${base}/_admin/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 404);
      assert.equal((await fetch(`${base}/_admin/ready`)).status, 200);
    }
    const ready = await fetch(`http://127.0.0.1:${metricsPort}/_admin/ready`);
    assert.deepEqual(await ready.json(), { status: 'ready', checks: { shutdown: 'ok', metadata: 'ok', migrations: 'ok', dataDir: 'ok' } });
    assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/some-bucket/key`)).status, 404);
  });

  test('counters agree with the requests sent', async () => {
    const s3 = sdkClient(server);
    const body = Buffer.alloc(SIZE, 'm');
    const bucket = 'metrics-load';
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    for (let i = 0; i < PUTS; i++) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `o${i}`, Body: body }));
    for (let i = 0; i < GETS; i++) {
      const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `o${i % PUTS}` }));
      assert.equal((await r.Body!.transformToByteArray()).length, SIZE);
    }
    for (let i = 0; i < MISSING; i++) await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `missing-${i}` })));
    // Wrong secret twice, an unknown key once: refused before any tenancy is known.
    const wrong = new S3Client({ endpoint: server.url, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: server.accessKey, secretAccessKey: 'not-the-secret' } });
    const unknown = new S3Client({ endpoint: server.url, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: 'GRUNKNOWNKEY00000000', secretAccessKey: 'whatever' } });
    for (const c of [wrong, wrong, unknown]) await assert.rejects(c.send(new GetObjectCommand({ Bucket: bucket, Key: 'o0' })));
    // A quota at 5500 bytes: 5000 used is the warning level; a copy adding 1000 more is refused.
    await AdminClient.site(server).setQuota('default', { bytes: 5500 });
    await assert.rejects(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy', CopySource: `${bucket}/o0` })), /QuotaExceeded/);

    const expected: Record<string, number> = {
      'requests CreateBucket 2xx default': 1,
      'requests PutObject 2xx default': PUTS,
      'requests GetObject 2xx default': GETS,
      'requests HeadObject 4xx default': MISSING,
      'requests CopyObject 4xx default': 1,
      'requests GetObject 4xx -': 3,
      'errors HeadObject NoSuchKey': MISSING,
      'errors GetObject SignatureDoesNotMatch': 2,
      'errors GetObject InvalidAccessKeyId': 1,
      'errors CopyObject QuotaExceeded': 1,
      'auth SignatureDoesNotMatch': 2,
      'auth InvalidAccessKeyId': 1,
      'quota refusals default CopyObject': 1,
      'latency count PutObject': PUTS,
      'latency count GetObject': GETS + 3,
      'latency count CreateBucket': 1,
      'latency count HeadObject': MISSING,
      'latency count CopyObject': 1,
      // The scrape itself.
      'in flight': 1,
      'tenancy bytes default': PUTS * SIZE,
      'tenancy objects default': PUTS,
      'tenancy quota bytes default': 5500,
      'tenancy quota level default': 1,
      'bucket bytes default metrics-load': PUTS * SIZE,
      'bucket objects default metrics-load': PUTS,
    };
    const seen = async (): Promise<Record<string, number>> => {
      const got: Record<string, number> = {};
      const put = (prefix: string, rows: Array<{ metric: Record<string, string>; value: number }>, labels: string[]): void => {
        for (const r of rows) got[[prefix, ...labels.map((l) => r.metric[l])].join(' ')] = r.value;
      };
      put('requests', await prom.query('sum by (operation, status_class, tenancy) (granary_s3_requests_total)'), ['operation', 'status_class', 'tenancy']);
      put('errors', await prom.query('sum by (operation, code) (granary_s3_errors_total)'), ['operation', 'code']);
      put('auth', await prom.query('sum by (reason) (granary_s3_auth_failures_total)'), ['reason']);
      put('quota refusals', await prom.query('sum by (tenancy, operation) (granary_s3_quota_refusals_total)'), ['tenancy', 'operation']);
      put('received', await prom.query('sum by (operation, tenancy) (granary_s3_received_bytes_total)'), ['operation', 'tenancy']);
      put('sent', await prom.query('sum by (operation, tenancy) (granary_s3_sent_bytes_total)'), ['operation', 'tenancy']);
      put('latency count', await prom.query('sum by (operation) (granary_s3_request_duration_seconds_count)'), ['operation']);
      put('in flight', await prom.query('sum(granary_s3_requests_in_flight)'), []);
      put('tenancy bytes', await prom.query('granary_tenancy_used_bytes'), ['tenancy']);
      put('tenancy objects', await prom.query('granary_tenancy_objects'), ['tenancy']);
      put('tenancy quota bytes', await prom.query('granary_tenancy_quota_bytes'), ['tenancy']);
      put('tenancy quota level', await prom.query('granary_tenancy_quota_level'), ['tenancy']);
      put('bucket bytes', await prom.query('granary_bucket_used_bytes'), ['tenancy', 'bucket']);
      put('bucket objects', await prom.query('granary_bucket_objects'), ['tenancy', 'bucket']);
      return got;
    };
    // Scraped every second: wait for a scrape after the last request.
    let got: Record<string, number> = {};
    const deadline = Date.now() + 30_000;
    do {
      await new Promise((r) => setTimeout(r, 1000));
      got = await seen();
    } while (Date.now() < deadline && Object.entries(expected).some(([k, v]) => got[k] !== v && !(k === 'in flight' && got[k] === 0)));
    // Exactly these series (nothing counted twice, nothing under another label), with these values.
    const relevant = Object.fromEntries(Object.entries(got).filter(([k]) => !/^(received|sent) /.test(k)));
    assert.deepEqual(relevant, expected);
    // Bytes on the wire: the bodies plus request and response heads (under 2 KiB each).
    const received = got['received PutObject default']!;
    const sent = got['sent GetObject default']!;
    assert.ok(received >= PUTS * SIZE && received < PUTS * (SIZE + 2048), `received ${received}`);
    assert.ok(sent >= GETS * SIZE && sent < GETS * (SIZE + 2048), `sent ${sent}`);
    // Process metrics come along; no label carries an object key.
    assert.ok((await prom.query('process_resident_memory_bytes'))[0]!.value > 0);
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/_admin/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    assert.doesNotMatch(text, /missing-0|"o0"|copy"/);
  });

  test('Prometheus loads the alert rules, and every dashboard query runs', async () => {
    const rules = (await (await fetch(`${prom.url}/api/v1/rules`)).json()) as { data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> } };
    const loaded = rules.data.groups.flatMap((g) => g.rules);
    assert.ok(loaded.length >= 5, `rules loaded: ${loaded.map((r) => r.name).join(', ')}`);
    // Evaluated at least once, without error.
    const deadline = Date.now() + 15_000;
    let unhealthy = loaded;
    while (Date.now() < deadline) {
      const now = (await (await fetch(`${prom.url}/api/v1/rules`)).json()) as typeof rules;
      unhealthy = now.data.groups.flatMap((g) => g.rules).filter((r) => r.health !== 'ok');
      if (unhealthy.length === 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.deepEqual(unhealthy.map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`), []);

    const dashboard = JSON.parse(readFileSync(join(MONITORING_DIR, 'granary-dashboard.json'), 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
    const exposition = await (await fetch(`http://127.0.0.1:${metricsPort}/_admin/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    for (const panel of dashboard.panels) {
      for (const t of panel.targets) {
        const expr = t.expr.replaceAll('$__rate_interval', '1m').replaceAll('$tenancy', '.*');
        await prom.query(expr); // throws on a PromQL error
        // Every Granary metric a panel names is one the server exports.
        for (const name of expr.match(/\bgranary_[a-z0-9_]+/g) ?? []) {
          const base = name.replace(/_(bucket|sum|count)$/, '');
          assert.match(exposition, new RegExp(`^# TYPE (${name}|${base}) `, 'm'), `${panel.title}: ${name} is not exported`);
        }
      }
    }
  });

  test('promtool checks the alert rules and their unit tests (docs/monitoring/alerts.test.yml)', () => {
    const promtool = promtoolBinary() ?? 'promtool';
    const check = run(promtool, ['check', 'rules', join(MONITORING_DIR, 'alerts.yml')]);
    assert.match(check.stdout, /SUCCESS: \d+ rules found/);
    // The rules fire when they should, with these labels and texts, and stay quiet otherwise.
    const unit = run(promtool, ['test', 'rules', 'alerts.test.yml'], { cwd: MONITORING_DIR });
    assert.match(unit.stdout, /SUCCESS/);
  });
});
