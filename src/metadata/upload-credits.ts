/**
 * Upload credits: how an in-flight multipart upload that will replace an object is charged to quota.
 *
 * A single PUT over an object is judged by the usage after it (the replaced bytes are given back). For a
 * multipart upload the replacement happens at completion, long after the parts arrived, so each upload
 * holds a credit: the bytes of its parts counted against the object at its key rather than against the
 * quota. The usage counters are net of credits: they say what usage will be once the uploads in flight
 * complete. Both stores keep the same rules, which live here:
 *
 *  - a part write sets its upload's credit to min(its part bytes, the object's size − other uploads'
 *    credits on that key) and charges only what the credit does not cover;
 *  - per key, credits never sum to more than the object's size: a write that shrinks the object trims
 *    them (charging what they no longer cover), a delete drops them all;
 *  - completing gives the upload's credit back with the replaced object, so completion never adds bytes
 *    (it may add an object); aborting gives back its part bytes net of its credit.
 * So usage net of credits can pass no quota, however uploads, overwrites and deletes interleave.
 */

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
