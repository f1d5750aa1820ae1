/**
 * Exact quotas (issue 5, DESIGN §3): what a full tenancy or bucket still allows (its quota action), room
 * reserved before a declared-size write reads its body, and the S3 errors naming the quota.
 * The authoritative check is inside the store's write transaction (`WriteQuota`); this module decides
 * early and cheaply so a refused upload is refused before a byte of its body is read.
 *
 * A write is judged by what it adds (issue 16): an overwrite gives the replaced bytes back, a part of an
 * upload over an existing object counts against that object first (metadata/quota-rule.ts). So a
 * write whose charge is known before its body ('charged') passes a full tenancy when it adds nothing —
 * `rclone sync` setting modification times, `s3cmd modify` — and is refused by its reservation otherwise.
 */
import { S3Error } from '../errors/s3-error.js';
import { formatSize } from '../lib/format-size.js';
import { DEFAULT_THRESHOLDS, quotaStatus, type QuotaLevel, type QuotaThresholds } from '../tenancy/quota.js';
import type { BucketRecord, MultipartUploadRecord, ObjectWriteRepository, QuotaRepository, TenancyRepository, ObjectRecord, QuotaAction, QuotaExceeded, TenancyRecord, UsageRecord, WriteQuota } from '../metadata/store.js';
import { estimatePartCharge } from '../metadata/quota-rule.js';

/**
 * A reservation lives this long unless renewed: an upload renews it while its bytes keep flowing
 * (`keepAlive`), so a stalled upload (cut off by the body idle timeout) or a dead gateway gives its room
 * back within minutes, not hours. The store still checks usage exactly at commit, so a reservation that
 * lapsed under a very slow disk risks nothing but a concurrent writer getting in first.
 */
export const RESERVATION_TTL_MS = 2 * 60 * 1000;
/** How often a flowing upload renews its reservation (well inside the TTL). */
const RESERVATION_RENEW_MS = 30 * 1000;

/** Where a tenancy with a quota stands (tenancy/quota.ts decides, for S3 and administration alike). */
export interface QuotaStatus {
  /** Highest fraction of any quota in use, in percent (bytes or objects), rounded down to one decimal. */
  percent: number;
  level: QuotaLevel;
}
/**
 * How a request counts for a full tenancy's quota action: 'write' is refused while full; 'charged' (a
 * write whose reservation says what it adds) and 'complete' (adds no bytes) are judged by what they add.
 */
export type WriteKind = 'read' | 'write' | 'charged' | 'delete' | 'complete';

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

interface Refusal {
  scope: 'tenancy' | 'bucket';
  name: string;
  kind: 'bytes' | 'objects';
  limit: number;
  /** In use, counting other writers' reservations. */
  used: number;
  /** What the write would add (of `kind`); undefined when not known (a body of undeclared size). */
  needed: number | undefined;
  /** The quota is full already (usage alone, not counting reservations, has reached it). */
  full: boolean;
}

/**
 * The error for a write the quota refused: the quota, what is in use, what the write needed and how much
 * must be freed for it to fit. When the quota is already full, it says so, and what still works under the
 * tenancy's quota action.
 */
export function quotaExceededError(r: Refusal, action: QuotaAction = 'read-delete'): S3Error {
  const { scope, name, kind, limit, used, needed, full } = r;
  const details = { QuotaScope: scope, QuotaName: name, QuotaKind: kind, QuotaLimit: limit, QuotaUsed: used, ...(needed !== undefined ? { QuotaNeeded: needed } : {}) };
  const over = Math.max(0, used - limit);
  if (!full && needed !== undefined) {
    return new S3Error('QuotaExceeded', {
      message:
        `The ${scope} quota of ${name} (${amount(kind, limit)}) would be exceeded: ${amount(kind, used)} ${kind === 'bytes' || used === 1 ? 'is' : 'are'} in use` +
        ` and this write needs ${amount(kind, needed)} more. Free at least ${amount(kind, used + needed - limit, true)} for it to fit; reads and deletes still work.`,
      details,
    });
  }
  let free: string;
  if (kind === 'objects') free = `delete at least ${amount('objects', over + 1)} to add one`;
  else if (needed !== undefined && needed > 0) free = `free at least ${amount('bytes', over + needed, true)} for this write of ${amount('bytes', needed)}`;
  else free = over > 0 ? `free ${amount('bytes', over, true)} more than you want to write` : 'free at least as much as you want to write';
  const works = whatStillWorks(action);
  return new S3Error('QuotaExceeded', {
    message:
      `The ${scope} ${name} is full: ${amount(kind, used)} of its ${amount(kind, limit)} quota ${kind === 'objects' && used !== 1 ? 'are' : 'is'} in use. ` +
      (action === 'lockout' ? works : `${works} To write again, ${free}.`),
    details,
  });
}

/** The quota that is full (bytes if that one is, else objects), as a refusal of a write of `writeSize`. */
function fullRefusal(scope: 'tenancy' | 'bucket', name: string, limits: { quotaBytes: number | null; quotaObjects: number | null }, usage: UsageRecord, writeSize: number | undefined): Refusal {
  const bytesFull = limits.quotaBytes !== null && usage.bytes >= limits.quotaBytes;
  const kind = bytesFull || limits.quotaObjects === null ? 'bytes' : 'objects';
  const limit = (kind === 'bytes' ? limits.quotaBytes : limits.quotaObjects) ?? 0;
  return { scope, name, kind, limit, used: kind === 'bytes' ? usage.bytes : usage.objects, needed: kind === 'bytes' ? writeSize : 1, full: true };
}

export class QuotaGuard {
  constructor(
    private readonly metadata: QuotaRepository & Pick<TenancyRepository, 'getTenancyById'> & Pick<ObjectWriteRepository, 'getObject' | 'getUpload' | 'listUploadParts' | 'getKeyCredit'>,
    private readonly thresholds: QuotaThresholds = DEFAULT_THRESHOLDS,
  ) {}

  /** Where a tenancy stands against its quota; undefined when it has none. */
  async status(tenancy: TenancyRecord): Promise<QuotaStatus | undefined> {
    if (tenancy.quotaBytes === null && tenancy.quotaObjects === null) return undefined;
    const { percent, level } = quotaStatus(await this.metadata.getTenancyUsage(tenancy.id), tenancy, this.thresholds);
    return { percent: percent ?? 0, level };
  }

  /**
   * Refuses what the tenancy's quota action forbids while the tenancy (or the bucket) is full:
   * read-delete refuses writes; read-only refuses writes and deletes; lockout refuses everything;
   * notify refuses nothing. 'charged' and 'complete' writes are left to their reservation and the
   * store (they pass when they add nothing). `writeSize`, when declared, says how much must be freed.
   */
  async check(tenancy: TenancyRecord, bucket: BucketRecord | undefined, kind: WriteKind, status?: QuotaStatus, writeSize?: number): Promise<void> {
    const action = tenancy.quotaAction;
    if (action === 'notify' || kind === 'read' && action !== 'lockout') return;
    if (kind === 'delete' && action === 'read-delete') return;
    if ((kind === 'complete' || kind === 'charged') && action !== 'lockout') return;
    const st = status ?? (await this.status(tenancy));
    if (st?.level === 'full') {
      throw quotaExceededError(fullRefusal('tenancy', tenancy.name, tenancy, await this.metadata.getTenancyUsage(tenancy.id), writeSize), action);
    }
    if (bucket && (bucket.quotaBytes !== null || bucket.quotaObjects !== null) && kind !== 'read') {
      const usage = await this.metadata.getBucketUsage(bucket.id);
      if (quotaStatus(usage, bucket).level === 'full') throw quotaExceededError(fullRefusal('bucket', bucket.name, bucket, usage, writeSize), action);
    }
  }

  /** True when writes to this bucket are held to a quota (reservations and charges are worth computing). */
  enforced(tenancy: TenancyRecord, bucket: BucketRecord): boolean {
    if (tenancy.quotaAction === 'notify') return false;
    return tenancy.quotaBytes !== null || tenancy.quotaObjects !== null || bucket.quotaBytes !== null || bucket.quotaObjects !== null;
  }

  /**
   * Takes room for a write of `bytes` (and `objects`) before its body is read. With quota action
   * 'notify' nothing is enforced. The returned WriteQuota goes to the store write that commits it.
   */
  async reserve(tenancy: TenancyRecord, bucket: BucketRecord, bytes: number, objects: number): Promise<WriteQuota> {
    if (tenancy.quotaAction === 'notify') return { enforce: false };
    if (!this.enforced(tenancy, bucket)) return { enforce: true };
    const r = await this.metadata.reserveQuota({ tenancyId: tenancy.id, bucketId: bucket.id, bytes, objects, ttlMs: RESERVATION_TTL_MS });
    if (!r.ok) throw quotaExceededError(await this.refusal(r, r.scope === 'tenancy' ? tenancy.name : bucket.name, bucket), tenancy.quotaAction);
    return { enforce: true, reservationId: r.reservation.id };
  }

  /**
   * Room for a whole object of `size` bytes at `key`, for what it adds (issue 16): an overwrite gives back
   * the bytes of the object it replaces (`current`, when the caller holds it already) and adds no object.
   */
  async reserveObject(tenancy: TenancyRecord, bucket: BucketRecord, key: string, size: number, current?: ObjectRecord): Promise<WriteQuota> {
    if (!this.enforced(tenancy, bucket)) return this.reserve(tenancy, bucket, size, 0);
    const replaced = replacedBy(bucket, current ?? (await this.metadata.getObject(bucket.id, key)));
    return this.reserve(tenancy, bucket, Math.max(0, size - (replaced?.size ?? 0)), replaced ? 0 : 1);
  }

  /**
   * Room for part `partNumber` of an upload, for what it adds: a re-sent part gives back its earlier copy,
   * and parts of an upload over an existing object count against that object first
   * (metadata/quota-rule.ts). Without a usable upload (unknown, another key, a bad part number: the
   * operation's error to answer) the whole part is reserved. The store decides exactly at commit.
   */
  async reservePart(tenancy: TenancyRecord, bucket: BucketRecord, key: string, upload: MultipartUploadRecord | string | undefined, partNumber: number, size: number): Promise<WriteQuota> {
    if (!this.enforced(tenancy, bucket)) return this.reserve(tenancy, bucket, size, 0);
    const u = typeof upload === 'string' ? await this.metadata.getUpload(upload) : upload;
    const usable = u && u.bucketId === bucket.id && u.key === key && Number.isInteger(partNumber) && partNumber >= 1;
    return this.reserve(tenancy, bucket, usable ? await this.partCharge(u, partNumber, size) : size, 0);
  }

  /** Completing an upload adds no bytes (its parts are counted), and an object only where none is replaced. */
  async reserveCompletion(tenancy: TenancyRecord, bucket: BucketRecord, key: string): Promise<WriteQuota> {
    const replaces = this.enforced(tenancy, bucket) && replacedBy(bucket, await this.metadata.getObject(bucket.id, key)) !== undefined;
    return this.reserve(tenancy, bucket, 0, replaces ? 0 : 1);
  }

  /** Runs the write that commits a reservation, and gives back whatever it did not use, however it ends. */
  async during<T>(q: WriteQuota | undefined, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } finally {
      await this.release(q);
    }
  }

  private async partCharge(upload: MultipartUploadRecord, partNumber: number, size: number): Promise<number> {
    const [object, before] = await Promise.all([
      this.metadata.getObject(upload.bucketId, upload.key),
      this.metadata.listUploadParts(upload.uploadId, partNumber - 1, 1),
    ]);
    const oldSize = before[0]?.partNumber === partNumber ? before[0].size : 0;
    // Credits are held against a current null version only (docs/architecture.md, "Object versions").
    if (!object || object.versionId !== 'null') return Math.max(0, size - oldSize);
    return estimatePartCharge(size, oldSize, object.size, await this.metadata.getKeyCredit(upload.bucketId, upload.key));
  }

  /**
   * A function to call as an upload's bytes arrive: renews its reservation at most every
   * RESERVATION_RENEW_MS (in the background; a failed renewal only lets the reservation lapse).
   */
  keepAlive(q: WriteQuota | undefined, now: () => number = Date.now): () => void {
    const id = q?.reservationId;
    if (!id) return () => {};
    let last = now();
    let renewing = false;
    return () => {
      const t = now();
      if (renewing || t - last < RESERVATION_RENEW_MS) return;
      last = t;
      renewing = true;
      this.metadata
        .renewQuota(id, RESERVATION_TTL_MS)
        .catch(() => false)
        .finally(() => (renewing = false));
    };
  }

  /** Gives back room a write did not use (idempotent; a committed write already released it). */
  async release(q: WriteQuota | undefined): Promise<void> {
    if (q?.reservationId) await this.metadata.releaseQuota(q.reservationId).catch(() => undefined);
  }

  /** The S3 error for a write the store refused at commit. */
  async errorFor(r: QuotaExceeded, bucket: BucketRecord): Promise<S3Error> {
    const tenancy = await this.metadata.getTenancyById(bucket.tenancyId);
    const name = r.scope === 'bucket' ? bucket.name : (tenancy?.name ?? bucket.tenancyId);
    return quotaExceededError(await this.refusal(r, name, bucket), tenancy?.quotaAction);
  }

  /** A store's refusal, told apart: full already (by usage alone), or this write would pass the quota. */
  private async refusal(r: QuotaExceeded, name: string, bucket: BucketRecord): Promise<Refusal> {
    const usage = r.scope === 'tenancy' ? await this.metadata.getTenancyUsage(bucket.tenancyId) : await this.metadata.getBucketUsage(bucket.id);
    const inUse = r.kind === 'bytes' ? usage.bytes : usage.objects;
    return inUse >= r.limit ? { ...r, name, used: inUse, full: true } : { ...r, name, full: false };
  }
}

/**
 * What a write of a whole object at a key gives back (metadata/versions.ts): the current object when it is the
 * null version and the bucket is not versioning Enabled; nothing when the current version stays as noncurrent.
 * (In a Suspended bucket a noncurrent null version is replaced too: the store counts that exactly at commit.)
 */
export function replacedBy(bucket: BucketRecord, current: ObjectRecord | undefined): ObjectRecord | undefined {
  return current && bucket.versioning !== 'Enabled' && current.versionId === 'null' ? current : undefined;
}
