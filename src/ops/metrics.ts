/**
 * Prometheus metrics (prom-client), served at `/_admin/metrics` (ops/metrics-endpoint.ts).
 *
 * The request path touches this module once per request: `finished`, on the HTTP server's request-finished
 * hook, records what the pipeline learnt (operation, tenancy, S3 error code) with the status, bytes and
 * duration. Everything else is read at scrape time
 * (usage and quota gauges, pool and queue sizes, sweeper progress) or reported by the component itself
 * through a hook (metadata transactions).
 *
 * Label sets are bounded: operations are the endpoint table's names, codes the error table's, tenancies the
 * ones that exist (a request that named none that exists is `UNKNOWN_TENANCY`), buckets at most
 * `maxBuckets` (the largest) — never an object key or anything else a client chose.
 */
import type { FinishedRequest } from '../lib/http-response.js';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BucketRepository, QuotaRepository, TenancyRecord, TenancyRepository } from '../metadata/store.js';

/** The tenancy label of a request that reached no existing tenancy (failed before, or named none that exists). */
export const UNKNOWN_TENANCY = '-';
/** The operation label of a request that was refused before it was routed (bad signature on `/`, a bad path). */
export const UNROUTED = '-';

/** Codes that are an authentication (or authorization) failure, by reason. */
const AUTH_FAILURES = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'RequestTimeTooSkewed',
  'AuthorizationHeaderMalformed',
  'AuthorizationQueryParametersError',
  'MissingSecurityHeader',
  'AccessDenied',
]);

/** Request latencies from 1 ms (a small cached GET) to a minute (a large upload). */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const LEVELS = { ok: 0, warning: 1, critical: 2, full: 3 } as const;

/** What is read at scrape time; each part is optional (a test may wire only some). */
export interface ScrapeSources {
  metadata?: Pick<TenancyRepository, 'listTenancies'> & Pick<BucketRepository, 'listBuckets'> & Pick<QuotaRepository, 'getTenancyUsage' | 'getBucketUsage'>;
  /** Where a tenancy stands against its quota (core/quota.ts QuotaGuard.status). */
  quotaLevel?: (t: TenancyRecord) => Promise<{ level: keyof typeof LEVELS } | undefined>;
  /** Requests being served now (the HTTP server's count). */
  inFlight?: () => number;
  /** PostgreSQL pool connections now (total, idle, waiting clients). */
  pool?: () => { total: number; idle: number; waiting: number };
  /** Hashing-worker queue: worker threads, hashes in progress, the most one worker holds. */
  hashing?: () => { workers: number; active: number; busiest: number };
  /** Blob sweeper progress. */
  sweeper?: () => { passes: number; lastPassAt: number | undefined; deletedQueued: number; deletedOrphans: number; deletedTemporary: number };
  /** Bucket logging (core/log-delivery.ts): records this process spooled, delivered, dropped, lost; objects written. */
  logDelivery?: () => { spooled: number; delivered: number; dropped: number; lost: number; objects: number };
}

export interface MetricsOptions {
  /** Buckets with usage gauges at most (the largest by bytes); default 500. */
  maxBuckets?: number;
  /** Node process metrics (CPU, memory, event loop, GC); default on. */
  processMetrics?: boolean;
}

export class Metrics {
  readonly registry = new Registry();
  readonly #inFlight: Gauge;
  readonly #errors: Counter<'operation' | 'code'>;
  readonly #authFailures: Counter<'reason'>;
  readonly #quotaRefusals: Counter<'tenancy' | 'operation'>;
  readonly #txn: Histogram<'store'>;
  readonly #batch: Histogram;
  readonly #poolWait: Histogram;
  /**
   * The per-request figures, kept as plain numbers and handed to prom-client only when scraped: its
   * `inc`/`observe` validate and hash the label set on every call, a Map lookup here is all a request pays.
   */
  readonly #series = new Map<string, RequestSeries>();
  readonly #latency = new Map<string, LatencySeries>();
  #sources: ScrapeSources = {};

  constructor(options: MetricsOptions = {}) {
    const registers = [this.registry];
    const maxBuckets = options.maxBuckets ?? 500;
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
    const series = this.#series;
    const requests: Counter<'operation' | 'status_class' | 'tenancy'> = new Counter({ name: 'granary_s3_requests_total', help: 'S3 requests answered, by operation, status class and tenancy', labelNames: ['operation', 'status_class', 'tenancy'], registers, collect: () => {
      requests.reset();
      for (const s of series.values()) requests.inc({ operation: s.operation, status_class: s.statusClass, tenancy: s.tenancy }, s.requests);
    } });
    // Bytes by operation and tenancy: the request series summed over status classes.
    const bytes = (name: string, help: string, field: 'received' | 'sent'): Counter<'operation' | 'tenancy'> => {
      const c: Counter<'operation' | 'tenancy'> = new Counter({ name, help, labelNames: ['operation', 'tenancy'], registers, collect: () => {
        c.reset();
        for (const s of series.values()) c.inc({ operation: s.operation, tenancy: s.tenancy }, s[field]);
      } });
      return c;
    };
    bytes('granary_s3_received_bytes_total', 'Request body bytes received whole (the decoded length of aws-chunked bodies), by operation and tenancy', 'received');
    bytes('granary_s3_sent_bytes_total', 'Response body bytes sent whole (error documents included; HEAD none), by operation and tenancy', 'sent');
    this.registry.registerMetric(latencyHistogram(this.#latency) as never);
    this.#inFlight = new Gauge({ name: 'granary_s3_requests_in_flight', help: 'Requests being served now, on every listener', registers, collect: () => this.#inFlight.set(this.#sources.inFlight?.() ?? 0) });
    this.#errors = new Counter({ name: 'granary_s3_errors_total', help: 'S3 error responses, by operation and S3 error code', labelNames: ['operation', 'code'], registers });
    this.#authFailures = new Counter({ name: 'granary_s3_auth_failures_total', help: 'Requests refused for their credentials or permissions, by reason (the S3 error code)', labelNames: ['reason'], registers });
    this.#quotaRefusals = new Counter({ name: 'granary_s3_quota_refusals_total', help: 'Requests refused with QuotaExceeded, by tenancy and operation', labelNames: ['tenancy', 'operation'], registers });
    this.#txn = new Histogram({ name: 'granary_metadata_transaction_duration_seconds', help: 'Metadata store write transactions (a SQLite group commit, a PostgreSQL transaction)', labelNames: ['store'], buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers });
    this.#batch = new Histogram({ name: 'granary_metadata_sqlite_batch_size', help: 'Writes per SQLite group-commit transaction', buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512], registers });
    this.#poolWait = new Histogram({ name: 'granary_metadata_pg_pool_wait_seconds', help: 'Time waited for a PostgreSQL pool connection', buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers });

    // Scrape-time gauges. The registry collects its metrics concurrently: every usage gauge awaits the
    // same pass over the store, so one scrape reads the store once.
    const self = this;
    let pass: Promise<void> | undefined;
    const scrapeTime = new Gauge({ name: 'granary_usage_scrape_duration_seconds', help: 'Time the last scrape took to read usage and quotas from the metadata store', registers });
    const refresh = (): Promise<void> =>
      (pass ??= (async () => {
        const started = process.hrtime.bigint();
        try {
          for (const g of Object.values(usage)) g.reset();
          await collectUsage(self.#sources, usage, maxBuckets);
        } finally {
          scrapeTime.set(Number(process.hrtime.bigint() - started) / 1e9);
          pass = undefined;
        }
      })());
    const gauge = (name: string, help: string, labelNames: string[]): Gauge => new Gauge({ name, help, labelNames, registers, collect: refresh });
    const usage: UsageGauges = {
      tenancyBytes: gauge('granary_tenancy_used_bytes', 'Bytes stored by a tenancy', ['tenancy']),
      tenancyObjects: gauge('granary_tenancy_objects', 'Objects stored by a tenancy', ['tenancy']),
      tenancyQuotaBytes: gauge('granary_tenancy_quota_bytes', 'Byte quota of a tenancy (absent: unlimited)', ['tenancy']),
      tenancyQuotaObjects: gauge('granary_tenancy_quota_objects', 'Object quota of a tenancy (absent: unlimited)', ['tenancy']),
      tenancyLevel: gauge('granary_tenancy_quota_level', 'Quota level of a tenancy: 0 ok, 1 warning, 2 critical, 3 full (absent: no quota)', ['tenancy']),
      bucketBytes: gauge('granary_bucket_used_bytes', `Bytes stored in a bucket (the ${maxBuckets} largest buckets)`, ['tenancy', 'bucket']),
      bucketObjects: gauge('granary_bucket_objects', `Objects stored in a bucket (the ${maxBuckets} largest buckets)`, ['tenancy', 'bucket']),
      bucketQuotaBytes: gauge('granary_bucket_quota_bytes', 'Byte quota of a bucket (absent: none)', ['tenancy', 'bucket']),
      bucketQuotaObjects: gauge('granary_bucket_quota_objects', 'Object quota of a bucket (absent: none)', ['tenancy', 'bucket']),
    };
    const pool = new Gauge({ name: 'granary_metadata_pg_pool_connections', help: 'PostgreSQL pool: connections (total, idle) and clients waiting for one', labelNames: ['state'], registers, collect: () => {
      const p = self.#sources.pool?.();
      if (!p) return;
      pool.set({ state: 'total' }, p.total);
      pool.set({ state: 'idle' }, p.idle);
      pool.set({ state: 'waiting' }, p.waiting);
    } });
    const hashing = new Gauge({ name: 'granary_hash_workers', help: 'Hashing workers: threads, hashes in progress on them, hashes on the busiest one', labelNames: ['state'], registers, collect: () => {
      const h = self.#sources.hashing?.();
      if (!h) return;
      hashing.set({ state: 'workers' }, h.workers);
      hashing.set({ state: 'active_hashes' }, h.active);
      hashing.set({ state: 'busiest_worker_hashes' }, h.busiest);
    } });
    const passes = new Gauge({ name: 'granary_sweeper_passes', help: 'Blob sweeper passes finished since start', registers, collect: () => {
      const s = self.#sources.sweeper?.();
      if (s) passes.set(s.passes);
    } });
    const lastPass = new Gauge({ name: 'granary_sweeper_last_pass_timestamp_seconds', help: 'When the blob sweeper last finished a pass (Unix time)', registers, collect: () => {
      const s = self.#sources.sweeper?.();
      if (s?.lastPassAt !== undefined) lastPass.set(s.lastPassAt / 1000);
    } });
    const deleted = new Gauge({ name: 'granary_sweeper_deleted_blobs', help: 'Blob files the sweeper deleted since start, by kind', labelNames: ['kind'], registers, collect: () => {
      const s = self.#sources.sweeper?.();
      if (!s) return;
      deleted.set({ kind: 'queued' }, s.deletedQueued);
      deleted.set({ kind: 'orphan' }, s.deletedOrphans);
      deleted.set({ kind: 'temporary' }, s.deletedTemporary);
    } });
    const logRecords = new Gauge({ name: 'granary_bucket_log_records', help: 'Server access log records (bucket logging) since start, by what became of them', labelNames: ['state'], registers, collect: () => {
      const d = self.#sources.logDelivery?.();
      if (!d) return;
      for (const state of ['spooled', 'delivered', 'dropped', 'lost'] as const) logRecords.set({ state }, d[state]);
    } });
    const logObjects = new Gauge({ name: 'granary_bucket_log_objects', help: 'Log objects (bucket logging) this process wrote since start', registers, collect: () => {
      const d = self.#sources.logDelivery?.();
      if (d) logObjects.set(d.objects);
    } });
  }

  /** Wires what is read at scrape time (app.ts, once the components exist). */
  sources(s: ScrapeSources): void {
    this.#sources = { ...this.#sources, ...s };
  }

  /**
   * Counts a request in flight now and records it when its response closes. `facts` is filled in by the
   * pipeline meanwhile.
   */
  /** Records one finished request (the HTTP server's request-finished hook); only S3 requests are counted. */
  finished(r: FinishedRequest): void {
    if (r.protocol !== 's3') return;
    const operation = r.operation ?? UNROUTED;
    const tenancy = r.tenancy ?? UNKNOWN_TENANCY;
    // A response cut off before its end (client gone, failed stream) is a failure whatever its status said.
    const statusClass = r.aborted ? 'aborted' : `${Math.floor(r.status / 100)}xx`;
    const key = `${operation}\u0000${tenancy}\u0000${statusClass}`;
    let s = this.#series.get(key);
    // Bounded: operations × existing tenancies × 6 classes.
    if (!s) this.#series.set(key, (s = { operation, tenancy, statusClass, requests: 0, received: 0, sent: 0 }));
    s.requests++;
    s.received += r.bytesIn;
    s.sent += r.bytesOut;
    const seconds = r.durationMs / 1000;
    let l = this.#latency.get(operation);
    if (!l) this.#latency.set(operation, (l = { counts: new Array<number>(LATENCY_BUCKETS.length).fill(0), sum: 0, count: 0 }));
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]!) i++;
    if (i < LATENCY_BUCKETS.length) l.counts[i]!++;
    l.sum += seconds;
    l.count++;
    const code = r.errorCode;
    if (code !== undefined) {
      this.#errors.inc({ operation, code });
      if (AUTH_FAILURES.has(code)) this.#authFailures.inc({ reason: code });
      if (code === 'QuotaExceeded') this.#quotaRefusals.inc({ tenancy, operation });
    }
  }

  /** A metadata write transaction finished (`batch`: writes in it, for SQLite's group commit). */
  transaction(store: 'sqlite' | 'postgres', seconds: number, batch?: number): void {
    this.#txn.observe({ store }, seconds);
    if (batch !== undefined) this.#batch.observe(batch);
  }

  /** A PostgreSQL pool connection was obtained after `seconds`. */
  poolWait(seconds: number): void {
    this.#poolWait.observe(seconds);
  }

  /** The text exposition format, and its content type. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

interface RequestSeries {
  operation: string;
  tenancy: string;
  statusClass: string;
  requests: number;
  received: number;
  sent: number;
}

/** Observations per latency bucket (not cumulative; the last bucket is +Inf, implied by `count`). */
interface LatencySeries {
  counts: number[];
  sum: number;
  count: number;
}

/** `granary_s3_request_duration_seconds` as prom-client's registry formats a histogram, from plain counts. */
function latencyHistogram(series: Map<string, LatencySeries>): object {
  const name = 'granary_s3_request_duration_seconds';
  const help = 'S3 request latency (until the response was sent), by operation';
  return {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    get: async () => {
      const values: Array<{ metricName: string; labels: Record<string, string | number>; value: number }> = [];
      for (const [operation, s] of series) {
        let cumulative = 0;
        LATENCY_BUCKETS.forEach((le, i) => {
          cumulative += s.counts[i]!;
          values.push({ metricName: `${name}_bucket`, labels: { le, operation }, value: cumulative });
        });
        values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf', operation }, value: s.count });
        values.push({ metricName: `${name}_sum`, labels: { operation }, value: s.sum });
        values.push({ metricName: `${name}_count`, labels: { operation }, value: s.count });
      }
      return { name, help, type: 'histogram', values, aggregator: 'sum' };
    },
    reset: () => series.clear(),
  };
}

type UsageGauges = Record<
  'tenancyBytes' | 'tenancyObjects' | 'tenancyQuotaBytes' | 'tenancyQuotaObjects' | 'tenancyLevel' | 'bucketBytes' | 'bucketObjects' | 'bucketQuotaBytes' | 'bucketQuotaObjects',
  Gauge
>;

/** Usage and quota of every tenancy and of the `maxBuckets` largest buckets. */
async function collectUsage(sources: ScrapeSources, g: UsageGauges, maxBuckets: number): Promise<void> {
  const metadata = sources.metadata;
  if (!metadata) return;
  const buckets: Array<{ tenancy: string; bucket: string; bytes: number; objects: number; quotaBytes: number | null; quotaObjects: number | null }> = [];
  for (const t of await metadata.listTenancies()) {
    const u = await metadata.getTenancyUsage(t.id);
    const tenancy = t.name;
    g.tenancyBytes.set({ tenancy }, u.bytes);
    g.tenancyObjects.set({ tenancy }, u.objects);
    if (t.quotaBytes !== null) g.tenancyQuotaBytes.set({ tenancy }, t.quotaBytes);
    if (t.quotaObjects !== null) g.tenancyQuotaObjects.set({ tenancy }, t.quotaObjects);
    const level = await sources.quotaLevel?.(t);
    if (level) g.tenancyLevel.set({ tenancy }, LEVELS[level.level]);
    for (const b of await metadata.listBuckets(t.id)) {
      const bu = await metadata.getBucketUsage(b.id);
      buckets.push({ tenancy, bucket: b.name, bytes: bu.bytes, objects: bu.objects, quotaBytes: b.quotaBytes, quotaObjects: b.quotaObjects });
    }
  }
  buckets.sort((a, b) => b.bytes - a.bytes || b.objects - a.objects);
  for (const b of buckets.slice(0, maxBuckets)) {
    const labels = { tenancy: b.tenancy, bucket: b.bucket };
    g.bucketBytes.set(labels, b.bytes);
    g.bucketObjects.set(labels, b.objects);
    if (b.quotaBytes !== null) g.bucketQuotaBytes.set(labels, b.quotaBytes);
    if (b.quotaObjects !== null) g.bucketQuotaObjects.set(labels, b.quotaObjects);
  }
}
