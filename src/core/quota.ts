/**
 * Exact quotas (issue 5, DESIGN §3): what a full tenancy or bucket still allows (its quota action), room
 * reserved before a declared-size write reads its body, and the S3 error naming the quota.
 * The authoritative check is inside the store's write transaction (`WriteQuota`); this module decides
 * early and cheaply so a refused upload is refused before a byte of its body is read.
 */
import { S3Error } from '../errors/s3-error.js';
import { formatSize } from '../lib/format-size.js';
import type { BucketRecord, MetadataStore, QuotaExceeded, TenancyRecord, UsageRecord, WriteQuota } from '../metadata/store.js';

/** Reservations outlive a stalled upload by this long at most (a dead gateway's room comes back). */
const RESERVATION_TTL_MS = 6 * 60 * 60 * 1000;

export type QuotaLevel = 'ok' | 'warning' | 'critical' | 'full';
export interface QuotaStatus {
  /** Highest fraction of any quota in use, in percent (bytes or objects). */
  percent: number;
  level: QuotaLevel;
}
export type WriteKind = 'read' | 'write' | 'delete' | 'complete';


export function quotaExceededError(scope: 'tenancy' | 'bucket', name: string, kind: 'bytes' | 'objects', limit: number, used?: number): S3Error {
  const what = kind === 'bytes' ? formatSize(limit) : `${limit} objects`;
  const usedText = used === undefined ? '' : ` (in use: ${kind === 'bytes' ? formatSize(used) : `${used} objects`})`;
  return new S3Error('QuotaExceeded', {
    message: `The ${scope} quota of ${name} (${what}) would be exceeded${usedText}.`,
    details: { QuotaScope: scope, QuotaName: name, QuotaKind: kind, QuotaLimit: limit },
  });
}

function levelOf(fraction: number, thresholds: { warning: number; critical: number }): QuotaLevel {
  if (fraction >= 1) return 'full';
  if (fraction >= thresholds.critical) return 'critical';
  if (fraction >= thresholds.warning) return 'warning';
  return 'ok';
}

function fractionOf(usage: UsageRecord, bytes: number | null, objects: number | null): number {
  let f = 0;
  if (bytes !== null) f = Math.max(f, bytes === 0 ? 1 : usage.bytes / bytes);
  if (objects !== null) f = Math.max(f, objects === 0 ? 1 : usage.objects / objects);
  return f;
}

export class QuotaGuard {
  constructor(
    private readonly metadata: MetadataStore,
    private readonly thresholds: { warning: number; critical: number } = { warning: 0.8, critical: 0.95 },
  ) {}

  /** Where a tenancy stands against its quota; undefined when it has none. */
  async status(tenancy: TenancyRecord): Promise<QuotaStatus | undefined> {
    if (tenancy.quotaBytes === null && tenancy.quotaObjects === null) return undefined;
    const f = fractionOf(await this.metadata.getTenancyUsage(tenancy.id), tenancy.quotaBytes, tenancy.quotaObjects);
    return { percent: Math.floor(f * 1000) / 10, level: levelOf(f, this.thresholds) };
  }

  /**
   * Refuses what the tenancy's quota action forbids while the tenancy (or the bucket) is full:
   * read-delete refuses writes; read-only refuses writes and deletes; lockout refuses everything;
   * notify refuses nothing.
   */
  async check(tenancy: TenancyRecord, bucket: BucketRecord | undefined, kind: WriteKind, status?: QuotaStatus): Promise<void> {
    const action = tenancy.quotaAction;
    if (action === 'notify' || kind === 'read' && action !== 'lockout') return;
    if (kind === 'delete' && action === 'read-delete') return;
    if (kind === 'complete' && action !== 'lockout') return;
    const st = status ?? (await this.status(tenancy));
    if (st?.level === 'full') throw this.fullError('tenancy', tenancy.name, tenancy.quotaBytes, tenancy.quotaObjects);
    if (bucket && (bucket.quotaBytes !== null || bucket.quotaObjects !== null) && kind !== 'read') {
      const f = fractionOf(await this.metadata.getBucketUsage(bucket.id), bucket.quotaBytes, bucket.quotaObjects);
      if (f >= 1) throw this.fullError('bucket', bucket.name, bucket.quotaBytes, bucket.quotaObjects);
    }
  }

  private fullError(scope: 'tenancy' | 'bucket', name: string, bytes: number | null, objects: number | null): S3Error {
    const e = bytes !== null ? quotaExceededError(scope, name, 'bytes', bytes) : quotaExceededError(scope, name, 'objects', objects ?? 0);
    return new S3Error('QuotaExceeded', { message: `The ${scope} ${name} is full: ${e.message}`, details: e.details });
  }

  /**
   * Takes room for a write of `bytes` (and `objects`) before its body is read. With quota action
   * 'notify' nothing is enforced. The returned WriteQuota goes to the store write that commits it.
   */
  async reserve(tenancy: TenancyRecord, bucket: BucketRecord, bytes: number, objects: number): Promise<WriteQuota> {
    if (tenancy.quotaAction === 'notify') return { enforce: false };
    const limited = tenancy.quotaBytes !== null || tenancy.quotaObjects !== null || bucket.quotaBytes !== null || bucket.quotaObjects !== null;
    if (!limited) return { enforce: true };
    const r = await this.metadata.reserveQuota({ tenancyId: tenancy.id, bucketId: bucket.id, bytes, objects, ttlMs: RESERVATION_TTL_MS });
    if (!r.ok) throw quotaExceededError(r.scope, r.scope === 'tenancy' ? tenancy.name : bucket.name, r.kind, r.limit, r.used);
    return { enforce: true, reservationId: r.reservation.id };
  }

  /** Gives back room a write did not use (idempotent; a committed write already released it). */
  async release(q: WriteQuota | undefined): Promise<void> {
    if (q?.reservationId) await this.metadata.releaseQuota(q.reservationId).catch(() => undefined);
  }

  /** The S3 error for a write the store refused at commit. */
  async errorFor(r: QuotaExceeded, bucket: BucketRecord): Promise<S3Error> {
    const name = r.scope === 'bucket' ? bucket.name : ((await this.metadata.getTenancyById(bucket.tenancyId))?.name ?? bucket.tenancyId);
    return quotaExceededError(r.scope, name, r.kind, r.limit, r.used);
  }
}
