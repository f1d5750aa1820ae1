/**
 * The write rule both stores apply inside their write transactions (DESIGN §3 "Quota is exact"): the
 * precondition of a conditional write, the quota decision (usage + other writers' live reservations +
 * what the write adds, against the bucket's and the tenancy's limits) and the upload credits below.
 * Pure arithmetic: the dialects only read the counters (SQLite inside its group-commit batch, PostgreSQL
 * under row locks) and apply the answer, so the rule cannot drift between them.
 *
 * Upload credits: how an in-flight multipart upload that will replace an object is charged to quota.
 *
 * A single PUT over an object is judged by the usage after it (the replaced bytes are given back). For a
 * multipart upload the replacement happens at completion, long after the parts arrived, so each upload
 * holds a credit: the bytes of its parts counted against the object at its key rather than against the
 * quota. The usage counters are net of credits: they say what usage will be once the uploads in flight
 * complete. The rules:
 *
 *  - a part write sets its upload's credit to min(its part bytes, the object's size − other uploads'
 *    credits on that key) and charges only what the credit does not cover;
 *  - per key, credits never sum to more than the object's size: a write that shrinks the object trims
 *    them (charging what they no longer cover), a delete drops them all;
 *  - completing gives the upload's credit back with the replaced object, so completion never adds bytes
 *    (it may add an object); aborting gives back its part bytes net of its credit.
 * So usage net of credits can pass no quota, however uploads, overwrites and deletes interleave.
 */
import type { QuotaExceeded, WriteCondition } from './store.js';

// ----- conditions

/** Strips surrounding double quotes so `"abc"` and `abc` compare equal (clients send both forms). */
function unquote(etag: string): string {
  const t = etag.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
}

/** Whether a conditional write or delete may go ahead over `current` (the object at its key, if any). */
export function conditionHolds(current: { etag: string } | undefined, c: WriteCondition | undefined): boolean {
  if (!c) return true;
  if (c.ifNoneMatch === '*' && current) return false;
  if (c.ifMatch !== undefined) {
    if (!current) return false;
    if (c.ifMatch.trim() !== '*' && unquote(c.ifMatch) !== unquote(current.etag)) return false;
  }
  return true;
}

// ----- limits and reservations

export interface QuotaLimits {
  quotaBytes: number | null;
  quotaObjects: number | null;
}
/** One scope's (bucket's or tenancy's) counters as the write transaction read them. */
export interface QuotaCounters extends QuotaLimits {
  usedBytes: number;
  usedObjects: number;
  /** Live reservations of other writers (0 when `needsReservations` said they do not matter). */
  reservedBytes: number;
  reservedObjects: number;
}

/**
 * Whether a write adding (bytes, objects) can be refused by these limits at all, i.e. whether the other
 * writers' reservations must be read: only a kind that grows under a quota can refuse.
 */
export function needsReservations(limits: QuotaLimits, bytes: number, objects: number): boolean {
  return (bytes > 0 && limits.quotaBytes !== null) || (objects > 0 && limits.quotaObjects !== null);
}

/**
 * The quota decision for adding (bytes, objects) to a bucket and its tenancy: every non-null quota of a
 * kind that grows (delta > 0) must hold `used + reserved + delta <= limit`; a kind that does not grow is
 * never refused. The first violation is returned (bucket before tenancy, bytes before objects), its
 * `used` counting the reservations.
 */
export function overQuota(bucket: QuotaCounters, tenancy: QuotaCounters, bytes: number, objects: number): QuotaExceeded | undefined {
  const scopes: Array<['bucket' | 'tenancy', QuotaCounters]> = [['bucket', bucket], ['tenancy', tenancy]];
  for (const [scope, c] of scopes) {
    if (bytes > 0 && c.quotaBytes !== null && c.usedBytes + c.reservedBytes + bytes > c.quotaBytes) {
      return { ok: false, reason: 'quota-exceeded', scope, kind: 'bytes', limit: c.quotaBytes, used: c.usedBytes + c.reservedBytes, needed: bytes };
    }
    if (objects > 0 && c.quotaObjects !== null && c.usedObjects + c.reservedObjects + objects > c.quotaObjects) {
      return { ok: false, reason: 'quota-exceeded', scope, kind: 'objects', limit: c.quotaObjects, used: c.usedObjects + c.reservedObjects, needed: objects };
    }
  }
  return undefined;
}

// ----- upload credits

export interface UploadCredit {
  uploadId: string;
  bytes: number;
}

/** The credit an upload may hold: its part bytes, up to what the object still offers after the others' credits. */
export function creditFor(partBytes: number, objectBytes: number, othersCredit: number): number {
  return Math.max(0, Math.min(partBytes, objectBytes - othersCredit));
}

/**
 * Cuts credits (in the given order) until they sum to at most `budget`; returns the credits that changed
 * (0 = drop) and the bytes cut, which become charged usage.
 */
export function trimCredits(credits: UploadCredit[], budget: number): { changed: UploadCredit[]; cut: number } {
  let left = Math.max(0, budget);
  let cut = 0;
  const changed: UploadCredit[] = [];
  for (const c of credits) {
    const keep = Math.min(c.bytes, left);
    left -= keep;
    if (keep !== c.bytes) {
      changed.push({ uploadId: c.uploadId, bytes: keep });
      cut += c.bytes - keep;
    }
  }
  return { changed, cut };
}

/**
 * What a part write of `size` bytes (replacing a part of `oldPartSize`) is expected to add to usage, for a
 * reservation before its body is read: the part's growth less the room the object at the key still
 * offers. An estimate from reads outside the write's transaction; the store decides exactly at commit.
 */
export function estimatePartCharge(size: number, oldPartSize: number, objectBytes: number, keyCredit: number): number {
  const growth = size - oldPartSize;
  return Math.max(0, growth - Math.max(0, objectBytes - keyCredit));
}
