/**
 * HTTP preconditions on reads (GetObject/HeadObject, and the x-amz-copy-source-if-* family on copies),
 * evaluated in the order RFC 9110 §13.2.2 and the S3 docs give:
 * If-Match, else If-Unmodified-Since → 412; If-None-Match, else If-Modified-Since → 304 (412 for copies).
 */
import { S3Error } from '../../../errors/s3-error.js';
import type { ObjectRecord } from '../../../metadata/store.js';
import { bareEtag } from '../common.js';

export interface ReadConditions {
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  ifUnmodifiedSince?: string;
}

function etagListMatches(list: string, etag: string): boolean {
  const mine = bareEtag(etag);
  return list.split(',').some((t) => {
    const s = t.trim();
    return s === '*' || bareEtag(s) === mine;
  });
}

function parseDate(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t; // an unparseable date is ignored, as HTTP says
}

/** Whole seconds: HTTP dates have no milliseconds. */
const secs = (ms: number): number => Math.floor(ms / 1000);

/**
 * Throws PreconditionFailed (412) or NotModified (304) when a condition fails.
 * `notModifiedIsFailure` turns 304 cases into 412 (copy sources).
 */
export function checkReadConditions(o: ObjectRecord, c: ReadConditions, notModifiedIsFailure = false): void {
  const modified = secs(o.lastModified);
  if (c.ifMatch !== undefined) {
    if (!etagListMatches(c.ifMatch, o.etag)) throw new S3Error('PreconditionFailed', { details: { Condition: 'If-Match' } });
  } else {
    const t = parseDate(c.ifUnmodifiedSince);
    if (t !== undefined && modified > secs(t)) throw new S3Error('PreconditionFailed', { details: { Condition: 'If-Unmodified-Since' } });
  }
  const notModified = (): S3Error =>
    notModifiedIsFailure
      ? new S3Error('PreconditionFailed', { details: { Condition: 'If-None-Match' } })
      : new S3Error('NotModified', { headers: { etag: o.etag, 'last-modified': new Date(o.lastModified).toUTCString() } });
  if (c.ifNoneMatch !== undefined) {
    if (etagListMatches(c.ifNoneMatch, o.etag)) throw notModified();
  } else {
    const t = parseDate(c.ifModifiedSince);
    if (t !== undefined && modified <= secs(t)) throw notModified();
  }
}
