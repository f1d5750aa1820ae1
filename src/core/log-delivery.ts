/**
 * Delivery of S3 server access logs (bucket logging): records of requests to buckets whose logging is on
 * (core/server-access-log.ts, from the HTTP server's request-finished hook) are appended to a spool in the
 * metadata store, and a periodic pass turns them into log objects in each source bucket's target bucket.
 *
 * - Durable: the spool is a table (log_records), appended in batches a fraction of a second after the
 *   requests finished; once a batch is committed it survives crashes and restarts, and a record leaves the
 *   spool only after its log object is committed (or it is dropped, below). A crash between the two
 *   delivers it again: delivery is at least once, as AWS's is best effort.
 * - One gateway at a time: with PostgreSQL the pass runs under a session advisory lock (the sweeper's
 *   pattern); the others skip it, and any of them takes over when the holder dies.
 * - Through the normal write path: the log object is put with a quota reservation, as an upload is, so it
 *   counts against (and is refused by) the target tenancy's quota; it belongs to the target bucket's owner.
 * - The target is checked again before each delivery (core/bucket-logging.ts): records for a bucket whose
 *   logging was turned off, or whose target is gone or no longer permits delivery, are dropped (AWS drops
 *   them too). Records a full target refuses stay for later, up to `maxAgeMs`.
 */
import { S3Error } from '../errors/s3-error.js';
import type { FinishedRequest } from '../lib/http-response.js';
import type { BucketPolicies } from '../iam/bucket-policies.js';
import type { BucketRecord, BucketRepository, LogRecord, LogSpoolRepository, NewLogRecord, TenancyRepository } from '../metadata/store.js';
import { dayOf, deliveryPermitted, logObjectKey, loggingOf } from './bucket-logging.js';
import type { Objects } from './objects.js';
import type { QuotaGuard } from './quota.js';
import { serverAccessLogRecord } from './server-access-log.js';

export interface LogDeliveryOptions {
  /** Time between delivery passes (ms). */
  intervalMs: number;
  /** Records gathered in memory at most this long before they are appended to the spool (ms). */
  spoolDelayMs: number;
  /** Records taken per pass (a pass loops while there are more). */
  batch: number;
  /** Records per log object at most. */
  perObject: number;
  /** Records a target keeps refusing (quota) are dropped once this old (ms). */
  maxAgeMs: number;
  /** Runs a pass exclusively across gateways (PostgreSQL advisory lock); absent: this process only. */
  exclusive?: <T>(fn: () => Promise<T>) => Promise<{ ran: true; value: T } | { ran: false }>;
  log: (msg: string, fields?: Record<string, unknown>) => void;
}

const DEFAULTS: Omit<LogDeliveryOptions, 'log'> = { intervalMs: 60_000, spoolDelayMs: 200, batch: 10_000, perObject: 5_000, maxAgeMs: 7 * 86_400_000 };
/** Records held in memory while the spool cannot be written (a store outage); beyond, the oldest go. */
const MAX_PENDING = 100_000;

async function* once(b: Buffer): AsyncIterable<Buffer> {
  yield b;
}

export interface DeliveryPass {
  objects: number;
  records: number;
  dropped: number;
}

export class LogDelivery {
  private readonly options: LogDeliveryOptions;
  private pending: NewLogRecord[] = [];
  private spoolTimer: NodeJS.Timeout | undefined;
  private spooling: Promise<void> = Promise.resolve();
  private passTimer: NodeJS.Timeout | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private stopped = false;
  /** What this process delivered, for tests and metrics. */
  readonly progress = { spooled: 0, delivered: 0, objects: 0, dropped: 0, lost: 0 };

  constructor(
    private readonly metadata: LogSpoolRepository & Pick<BucketRepository, 'getBucketById' | 'getBucket'> & Pick<TenancyRepository, 'getTenancyById'>,
    private readonly objects: Objects,
    private readonly quota: QuotaGuard,
    private readonly policies: BucketPolicies,
    options: Partial<LogDeliveryOptions> & Pick<LogDeliveryOptions, 'log'>,
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  /** The request-finished listener: keeps the record of a request to a logged bucket. Never throws. */
  readonly record = (r: FinishedRequest): void => {
    const line = serverAccessLogRecord(r);
    if (line === undefined || this.stopped) return;
    this.pending.push({ bucketId: r.serverAccessLog!.bucketId, eventTime: r.serverAccessLog!.receivedAt, line });
    if (this.pending.length > MAX_PENDING) {
      const over = this.pending.length - MAX_PENDING;
      this.pending.splice(0, over);
      this.progress.lost += over;
    }
    this.spoolTimer ??= setTimeout(() => void this.flush(), this.options.spoolDelayMs);
  };

  /** Appends what is gathered to the spool; resolves once it is durable (or has failed and is kept). */
  flush(): Promise<void> {
    clearTimeout(this.spoolTimer);
    this.spoolTimer = undefined;
    this.spooling = this.spooling.then(async () => {
      if (this.pending.length === 0) return;
      const batch = this.pending;
      this.pending = [];
      try {
        await this.metadata.appendLogRecords(batch);
        this.progress.spooled += batch.length;
      } catch (err) {
        // Kept for the next try, in front of what came meanwhile.
        this.pending = batch.concat(this.pending);
        this.options.log('cannot append server access log records to the spool; retrying', { records: batch.length, err });
        if (!this.stopped) this.spoolTimer ??= setTimeout(() => void this.flush(), Math.max(1000, this.options.spoolDelayMs));
      }
    });
    return this.spooling;
  }

  /** Starts periodic delivery passes. Idempotent; the timer never keeps the process alive. */
  start(): void {
    if (this.passTimer || this.stopped) return;
    this.passTimer = setInterval(() => void this.deliver().catch((err: unknown) => this.options.log('server access log delivery failed', { err })), this.options.intervalMs);
    this.passTimer.unref();
  }

  /** Stops the passes and writes what is gathered to the spool (delivery resumes at the next start). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.passTimer);
    this.passTimer = undefined;
    await this.flush();
    await this.tail.catch(() => undefined);
  }

  /**
   * One delivery pass (spooling what is gathered first): every record in the spool becomes part of a log
   * object, or is dropped, or stays for later. Passes in this process are chained, never concurrent.
   */
  deliver(): Promise<DeliveryPass> {
    const run = this.tail.then(async () => {
      await this.flush();
      const pass = async (): Promise<DeliveryPass> => {
        const total: DeliveryPass = { objects: 0, records: 0, dropped: 0 };
        for (;;) {
          const records = await this.metadata.takeLogRecords(this.options.batch);
          const r = await this.deliverRecords(records);
          total.objects += r.objects;
          total.records += r.records;
          total.dropped += r.dropped;
          // Stop when the spool is drained or nothing could be delivered (left for a later pass).
          if (records.length < this.options.batch || r.records + r.dropped === 0) return total;
        }
      };
      if (!this.options.exclusive) return pass();
      const r = await this.options.exclusive(pass);
      return r.ran ? r.value : { objects: 0, records: 0, dropped: 0 };
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async deliverRecords(records: LogRecord[]): Promise<DeliveryPass> {
    const done: DeliveryPass = { objects: 0, records: 0, dropped: 0 };
    const byBucket = new Map<string, LogRecord[]>();
    for (const r of records) {
      let list = byBucket.get(r.bucketId);
      if (!list) byBucket.set(r.bucketId, (list = []));
      list.push(r);
    }
    for (const [bucketId, list] of byBucket) {
      const drop = async (why: string, fields: Record<string, unknown> = {}): Promise<void> => {
        await this.metadata.ackLogRecords(list.map((r) => r.id));
        done.dropped += list.length;
        this.progress.dropped += list.length;
        this.options.log(`server access log records dropped: ${why}`, { bucketId, records: list.length, ...fields });
      };
      const source = await this.metadata.getBucketById(bucketId);
      const config = source && loggingOf(source);
      if (!source || !config) {
        // The bucket is gone or its logging was turned off since: nothing to deliver to (not a fault).
        await this.metadata.ackLogRecords(list.map((r) => r.id));
        done.dropped += list.length;
        this.progress.dropped += list.length;
        continue;
      }
      const tenancy = await this.metadata.getTenancyById(source.tenancyId);
      const target = tenancy && (await this.metadata.getBucket(tenancy.id, config.targetBucket));
      if (!tenancy || !target) {
        await drop('the target bucket does not exist', { bucket: source.name, target: config.targetBucket });
        continue;
      }
      // EventTime partitions hold the records of one day each; otherwise one object per chunk.
      const byDay = config.keyFormat.kind === 'partitioned' && config.keyFormat.dateSource === 'EventTime';
      const groups = new Map<number, LogRecord[]>();
      for (const r of list) {
        const day = byDay ? dayOf(r.eventTime) : 0;
        let g = groups.get(day);
        if (!g) groups.set(day, (g = []));
        g.push(r);
      }
      for (const [day, group] of groups) {
        for (let i = 0; i < group.length; i += this.options.perObject) {
          const chunk = group.slice(i, i + this.options.perObject);
          const r = await this.deliverObject(source, tenancy, target, config, chunk, byDay ? day : chunk[0]!.eventTime);
          if (r === 'records') {
            done.records += chunk.length;
            done.objects++;
          } else if (r === 'dropped') done.dropped += chunk.length;
        }
      }
    }
    return done;
  }

  /** Writes one log object; says whether its records were delivered, dropped, or left in the spool. */
  private async deliverObject(
    source: BucketRecord,
    tenancy: NonNullable<Awaited<ReturnType<TenancyRepository['getTenancyById']>>>,
    target: BucketRecord,
    config: NonNullable<ReturnType<typeof loggingOf>>,
    chunk: LogRecord[],
    eventDay: number,
  ): Promise<'records' | 'dropped' | 'kept'> {
    const ids = chunk.map((r) => r.id);
    const key = logObjectKey(config, { tenancy: tenancy.name, region: source.region, bucket: source.name }, { delivery: Date.now(), eventDay });
    if (!deliveryPermitted({ source, sourceTenancy: tenancy.name, target, targetPolicy: this.policies.parsedOf(target), key })) {
      await this.metadata.ackLogRecords(ids);
      this.progress.dropped += chunk.length;
      this.options.log('server access log records dropped: the target bucket no longer permits delivery', { bucket: source.name, target: target.name, records: chunk.length });
      return 'dropped';
    }
    const body = Buffer.from(chunk.map((r) => r.line).join('\n') + '\n');
    try {
      const q = await this.quota.reserveObject(tenancy, target, key, body.length);
      await this.quota.during(q, () =>
        this.objects.put({ bucket: target, key, ownerId: target.ownerId, body: once(body), size: body.length, contentType: 'text/plain', headers: {}, quota: q }),
      );
    } catch (err) {
      const old = Date.now() - chunk[0]!.eventTime > this.options.maxAgeMs;
      if (err instanceof S3Error && old) {
        await this.metadata.ackLogRecords(ids);
        this.progress.dropped += chunk.length;
        this.options.log('server access log records dropped: the target refused them for too long', { target: target.name, records: chunk.length, code: err.code });
        return 'dropped';
      }
      this.options.log('server access log delivery deferred', { target: target.name, key, records: chunk.length, err });
      return 'kept';
    }
    await this.metadata.ackLogRecords(ids);
    this.progress.delivered += chunk.length;
    this.progress.objects++;
    return 'records';
  }
}
