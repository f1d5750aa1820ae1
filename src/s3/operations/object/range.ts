/**
 * The Range header (RFC 9110 §14) as S3 honours it: one byte range; `bytes=a-b`, `bytes=a-`, `bytes=-n`.
 * A syntactically invalid Range is ignored (whole object, 200), as HTTP and AWS do; a range that starts
 * past the end is InvalidRange (416) with `Content-Range: bytes *\/size`.
 */
import { S3Error } from '../../../errors/s3-error.js';
import type { ByteRange } from '../../../core/objects.js';

export function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*bytes=(\d*)-(\d*)\s*$/.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  const unsatisfiable = (): S3Error =>
    new S3Error('InvalidRange', { details: { RangeRequested: header.trim(), ActualObjectSize: size }, headers: { 'content-range': `bytes */${size}` } });
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) throw unsatisfiable();
    if (size === 0) return undefined;
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return undefined;
  if (start >= size) throw unsatisfiable();
  return { start, end };
}
