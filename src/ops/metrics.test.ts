import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Metrics } from './metrics.js';
import type { FinishedRequest } from '../lib/http-response.js';

/** A finished request as the HTTP server's hook reports it. */
const done = (over: Partial<FinishedRequest>): FinishedRequest => ({
  requestId: 'r',
  protocol: 's3',
  method: 'GET',
  operation: undefined,
  tenancy: undefined,
  principal: undefined,
  accessKeyId: undefined,
  bucket: undefined,
  key: undefined,
  status: 200,
  errorCode: undefined,
  bytesIn: 0,
  bytesOut: 0,
  durationMs: 3,
  aborted: false,
  ...over,
});

const value = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

test('a request is counted by operation, status class and tenancy, with its bytes and S3 code', async () => {
  const m = new Metrics({ processMetrics: false });
  m.finished(done({ operation: 'PutObject', tenancy: 'lab', method: 'PUT', bytesIn: 300, bytesOut: 20 }));
  m.finished(done({ operation: 'GetObject', tenancy: 'lab', bytesIn: 10, bytesOut: 120 }));
  m.finished(done({ operation: 'GetObject', status: 403, errorCode: 'SignatureDoesNotMatch', bytesOut: 8 }));
  m.finished(done({ operation: 'PutObject', tenancy: 'lab', method: 'PUT', status: 403, errorCode: 'QuotaExceeded', bytesIn: 51 }));
  m.finished(done({ operation: 'PutObject', tenancy: 'lab', method: 'PUT', status: 200, aborted: true, durationMs: 20_000 }));
  // Not S3: not counted here.
  m.finished(done({ protocol: 'admin', operation: 'GET /me' }));
  const { body: text } = await m.exposition();
  assert.equal(value(text, 'granary_s3_requests_total{operation="PutObject",status_class="2xx",tenancy="lab"}'), 1);
  assert.equal(value(text, 'granary_s3_requests_total{operation="PutObject",status_class="4xx",tenancy="lab"}'), 1);
  assert.equal(value(text, 'granary_s3_requests_total{operation="PutObject",status_class="aborted",tenancy="lab"}'), 1);
  assert.equal(value(text, 'granary_s3_requests_total{operation="GetObject",status_class="4xx",tenancy="-"}'), 1);
  assert.equal(value(text, 'granary_s3_requests_total{operation="GET /me",status_class="2xx",tenancy="-"}'), undefined);
  assert.equal(value(text, 'granary_s3_received_bytes_total{operation="PutObject",tenancy="lab"}'), 351);
  assert.equal(value(text, 'granary_s3_sent_bytes_total{operation="GetObject",tenancy="lab"}'), 120);
  assert.equal(value(text, 'granary_s3_errors_total{operation="GetObject",code="SignatureDoesNotMatch"}'), 1);
  assert.equal(value(text, 'granary_s3_auth_failures_total{reason="SignatureDoesNotMatch"}'), 1);
  assert.equal(value(text, 'granary_s3_quota_refusals_total{tenancy="lab",operation="PutObject"}'), 1);
  assert.equal(value(text, 'granary_s3_request_duration_seconds_count{operation="PutObject"}'), 3);
  assert.equal(value(text, 'granary_s3_request_duration_seconds_bucket{le="0.005",operation="PutObject"}'), 2);
  assert.equal(value(text, 'granary_s3_request_duration_seconds_bucket{le="10",operation="PutObject"}'), 2);
  assert.equal(value(text, 'granary_s3_request_duration_seconds_bucket{le="30",operation="PutObject"}'), 3);
});

test('metadata transactions and pool waits', async () => {
  const m = new Metrics({ processMetrics: false });
  m.transaction('sqlite', 0.002, 7);
  m.transaction('sqlite', 0.004, 1);
  m.poolWait(0.01);
  const { body: text } = await m.exposition();
  assert.equal(value(text, 'granary_metadata_transaction_duration_seconds_count{store="sqlite"}'), 2);
  assert.equal(value(text, 'granary_metadata_sqlite_batch_size_sum'), 8);
  assert.equal(value(text, 'granary_metadata_pg_pool_wait_seconds_count'), 1);
});

test('usage gauges are read at scrape time, the largest buckets only', async () => {
  const m = new Metrics({ processMetrics: false, maxBuckets: 2 });
  const tenancies = [{ id: 't1', name: 'lab', quotaBytes: 1000, quotaObjects: null }];
  const buckets = [
    { id: 'b1', name: 'small', quotaBytes: null, quotaObjects: null },
    { id: 'b2', name: 'large', quotaBytes: 800, quotaObjects: 10 },
    { id: 'b3', name: 'middle', quotaBytes: null, quotaObjects: null },
  ];
  const usage: Record<string, { bytes: number; objects: number }> = { t1: { bytes: 960, objects: 6 }, b1: { bytes: 10, objects: 1 }, b2: { bytes: 700, objects: 3 }, b3: { bytes: 250, objects: 2 } };
  m.sources({
    metadata: {
      listTenancies: async () => tenancies,
      listBuckets: async () => buckets,
      getTenancyUsage: async (id: string) => usage[id],
      getBucketUsage: async (id: string) => usage[id],
    } as never,
    quotaLevel: async () => ({ level: 'critical' }),
  });
  const { body: text } = await m.exposition();
  assert.equal(value(text, 'granary_tenancy_used_bytes{tenancy="lab"}'), 960);
  assert.equal(value(text, 'granary_tenancy_quota_bytes{tenancy="lab"}'), 1000);
  assert.equal(value(text, 'granary_tenancy_quota_objects{tenancy="lab"}'), undefined);
  assert.equal(value(text, 'granary_tenancy_quota_level{tenancy="lab"}'), 2);
  assert.equal(value(text, 'granary_bucket_used_bytes{tenancy="lab",bucket="large"}'), 700);
  assert.equal(value(text, 'granary_bucket_used_bytes{tenancy="lab",bucket="middle"}'), 250);
  assert.equal(value(text, 'granary_bucket_used_bytes{tenancy="lab",bucket="small"}'), undefined);
  assert.equal(value(text, 'granary_bucket_quota_objects{tenancy="lab",bucket="large"}'), 10);
  // A bucket gone since the last scrape is gone from the gauges too.
  buckets.splice(1, 1);
  const again = (await m.exposition()).body;
  assert.equal(value(again, 'granary_bucket_used_bytes{tenancy="lab",bucket="large"}'), undefined);
  assert.equal(value(again, 'granary_bucket_used_bytes{tenancy="lab",bucket="small"}'), 10);
});
