/**
 * Exact quotas (issue 5, DESIGN §3): what a full tenancy or bucket still allows (its quota action), room
 * reserved before a declared-size write reads its body, and the S3 error naming the quota.
 * The authoritative check is inside the store's write transaction (`WriteQuota`); this module decides
 * early and cheaply so a refused upload is refused before a byte of its body is read.
 */
import { S3Error } from '../errors/s3-error.js';
import { formatSize } from '../lib/format-size.js';
import type { BucketRecord, MetadataStore, QuotaAction, QuotaExceeded, TenancyRecord, UsageRecord, WriteQuota } from '../metadata/store.js';

/** Reservations outlive a stalled upload by this long at most (a dead gateway's room comes back). */
const RESERVATION_TTL_MS = 6 * 60 * 60 * 1000;

export type QuotaLevel = 'ok' | 'warning' | 'critical' | 'full';
export interface QuotaStatus {
  /** Highest fraction of any quota in use, in percent (bytes or objects). */
  percent: number;
  level: QuotaLevel;
}
export type WriteKind = 'read' | 'write' | 'delete' | 'complete';


const amount = (kind: 'bytes' | 'objects', n: number, roundUp = false): string =>
  kind === 'bytes' ? formatSize(n, { roundUp }) : `${n} object${n === 1 ? '' : 's'}`;

/** What still works while the tenancy (or bucket) is full, by the tenancy's quota action. */
function whatStillWorks(action: QuotaAction): string {
  switch (action) {
    case 'read-only':
      return 'Reads still work; deletes are refused too while it is full, so ask a tenancy manager to free room or raise the quota.';
    case 'lockout':
      return 'Every request is refused while it is full; ask a tenancy manager to raise the quota.';
    default:
      return 'Reads and deletes still work.';
  }
}

/**
 * The error for one write the quota refused: the quota, what is in use, what the write needed and how much
 * must be freed for it to fit. `used` includes other writers' reservations.
 */
export function quotaExceededError(
  scope: 'tenancy' | 'bucket',
  name: string,
  kind: 'bytes' | 'objects',
  limit: number,
  used: number,
  needed: number,
): S3Error {
  const free = Math.max(0, used + needed - limit);
  const thisWrite = needed > 0 ? ` and this write needs ${amount(kind, needed)} more` : '';
  return new S3Error('QuotaExceeded', {
    message:
      `The ${scope} quota of ${name} (${amount(kind, limit)}) would be exceeded: ${amount(kind, used)} ${kind === 'bytes' || used === 1 ? 'is' : 'are'} in use${thisWrite}. ` +
      `Free at least ${amount(kind, free, true)} for it to fit; reads and deletes still work.`,
    details: { QuotaScope: scope, QuotaName: name, QuotaKind: kind, QuotaLimit: limit, QuotaUsed: used, QuotaNeeded: needed },
  });
}

/**
 * The error for a write while the tenancy (or bucket) is full: which quota, how far over, what still
 * works under the tenancy's quota action and how much must be freed to write again.
 */
function fullError(
  scope: 'tenancy' | 'bucket',
  name: string,
  limits: { quotaBytes: number | null; quotaObjects: number | null },
  usage: UsageRecord,
  action: QuotaAction,
  kind: WriteKind,
  writeSize: number | undefined,
): S3Error {
  // The quota that is full: bytes if that one is, else objects.
  const bytesFull = limits.quotaBytes !== null && usage.bytes >= limits.quotaBytes;
  const quotaKind: 'bytes' | 'objects' = bytesFull || limits.quotaObjects === null ? 'bytes' : 'objects';
  const limit = (quotaKind === 'bytes' ? limits.quotaBytes : limits.quotaObjects) ?? 0;
  const used = quotaKind === 'bytes' ? usage.bytes : usage.objects;
  const over = Math.max(0, used - limit);
  let free: string;
  if (quotaKind === 'objects') {
    free = `delete at least ${amount('objects', over + 1)} to add one`;
  } else if (writeSize !== undefined && writeSize > 0) {
    free = `free at least ${amount('bytes', over + writeSize, true)} for this write of ${amount('bytes', writeSize)}`;
  } else {
    free = over > 0 ? `free ${amount('bytes', over, true)} more than you want to write` : 'free at least as much as you want to write';
  }
  const works = whatStillWorks(action);
  const canFree = action === 'read-delete' || (action === 'read-only' && kind !== 'delete');
  const message =
    `The ${scope} ${name} is full: ${amount(quotaKind, used)} of its ${amount(quotaKind, limit)} quota ${quotaKind === 'objects' && used !== 1 ? 'are' : 'is'} in use. ` +
    (canFree ? `${works} To write again, ${free}.` : works);
  return new S3Error('QuotaExceeded', {
    message,
    details: { QuotaScope: scope, QuotaName: name, QuotaKind: quotaKind, QuotaLimit: limit, QuotaUsed: used },
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
   * notify refuses nothing. `writeSize`, when the request declares it, makes the error say exactly how
   * much must be freed.
   */
  async check(tenancy: TenancyRecord, bucket: BucketRecord | undefined, kind: WriteKind, status?: QuotaStatus, writeSize?: number): Promise<void> {
    const action = tenancy.quotaAction;
    if (action === 'notify' || kind === 'read' && action !== 'lockout') return;
    if (kind === 'delete' && action === 'read-delete') return;
    if (kind === 'complete' && action !== 'lockout') return;
    const st = status ?? (await this.status(tenancy));
    if (st?.level === 'full') {
      throw fullError('tenancy', tenancy.name, tenancy, await this.metadata.getTenancyUsage(tenancy.id), action, kind, writeSize);
    }
    if (bucket && (bucket.quotaBytes !== null || bucket.quotaObjects !== null) && kind !== 'read') {
      const usage = await this.metadata.getBucketUsage(bucket.id);
      if (fractionOf(usage, bucket.quotaBytes, bucket.quotaObjects) >= 1) throw fullError('bucket', bucket.name, bucket, usage, action, kind, writeSize);
    }
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
    if (!r.ok) throw quotaExceededError(r.scope, r.scope === 'tenancy' ? tenancy.name : bucket.name, r.kind, r.limit, r.used, r.needed);
    return { enforce: true, reservationId: r.reservation.id };
  }

  /** True when writes to this bucket are held to a quota (reservations and charges are worth computing). */
  enforced(tenancy: TenancyRecord, bucket: BucketRecord): boolean {
    if (tenancy.quotaAction === 'notify') return false;
    return tenancy.quotaBytes !== null || tenancy.quotaObjects !== null || bucket.quotaBytes !== null || bucket.quotaObjects !== null;
  }

  /** Gives back room a write did not use (idempotent; a committed write already released it). */
  async release(q: WriteQuota | undefined): Promise<void> {
    if (q?.reservationId) await this.metadata.releaseQuota(q.reservationId).catch(() => undefined);
  }

  /** The S3 error for a write the store refused at commit. */
  async errorFor(r: QuotaExceeded, bucket: BucketRecord): Promise<S3Error> {
    const name = r.scope === 'bucket' ? bucket.name : ((await this.metadata.getTenancyById(bucket.tenancyId))?.name ?? bucket.tenancyId);
    return quotaExceededError(r.scope, name, r.kind, r.limit, r.used, r.needed);
  }
}
