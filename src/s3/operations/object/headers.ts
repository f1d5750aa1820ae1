/**
 * Which request headers an object keeps, and how a stored object's headers are written back.
 * AWS keeps the standard representation headers and every x-amz-meta-* header exactly.
 */
import { sseResponseHeaders } from './sse.js';
import { S3Error } from '../../../errors/s3-error.js';
import { MAX_USER_METADATA_BYTES } from '../../../core/objects.js';
import type { IncomingHttpHeaders } from 'node:http';
import type { ObjectRecord } from '../../../metadata/store.js';
import { httpDate } from '../common.js';

const KEPT = ['content-disposition', 'content-language', 'cache-control', 'expires', 'x-amz-website-redirect-location'];

export const STORAGE_CLASSES = new Set([
  'STANDARD', 'REDUCED_REDUNDANCY', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER', 'DEEP_ARCHIVE', 'GLACIER_IR', 'OUTPOSTS', 'SNOW', 'EXPRESS_ONEZONE',
]);

function one(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/**
 * Content-Encoding without the aws-chunked transfer framing (which is not part of the object); the other
 * codings stay exactly as sent, spacing included ("aws-chunked, gzip" → "gzip").
 */
export function storedContentEncoding(h: IncomingHttpHeaders): string | undefined {
  const v = one(h, 'content-encoding');
  if (v === undefined) return undefined;
  const rest = v
    .split(',')
    .filter((s) => s.trim().toLowerCase() !== 'aws-chunked')
    .join(',')
    .trim();
  return rest === '' ? undefined : rest;
}

/** The headers to store with a new object (system headers + user metadata), validated. */
export function objectHeadersFrom(h: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of KEPT) {
    const v = one(h, name);
    if (v !== undefined) out[name] = v;
  }
  const enc = storedContentEncoding(h);
  if (enc !== undefined) out['content-encoding'] = enc;
  let metaBytes = 0;
  for (const [name, value] of Object.entries(h)) {
    if (!name.startsWith('x-amz-meta-') || value === undefined) continue;
    const v = Array.isArray(value) ? value.join(',') : value;
    out[name] = v;
    metaBytes += Buffer.byteLength(name.slice('x-amz-meta-'.length)) + Buffer.byteLength(v);
  }
  if (metaBytes > MAX_USER_METADATA_BYTES) {
    throw new S3Error('MetadataTooLarge', { details: { Size: metaBytes, MaxSizeAllowed: MAX_USER_METADATA_BYTES } });
  }
  return out;
}

export function storageClassFrom(h: IncomingHttpHeaders): string {
  const v = one(h, 'x-amz-storage-class');
  if (v === undefined || v === '') return 'STANDARD';
  if (!STORAGE_CLASSES.has(v)) throw new S3Error('InvalidStorageClass', { details: { StorageClassRequested: v } });
  return v;
}

/** Response headers describing a stored object (GET/HEAD). */
export function objectResponseHeaders(o: ObjectRecord): Record<string, string | number> {
  const h: Record<string, string | number> = {
    'content-type': o.contentType,
    etag: o.etag,
    'last-modified': httpDate(o.lastModified),
    'accept-ranges': 'bytes',
  };
  for (const [k, v] of Object.entries(o.headers)) h[k] = v;
  if (o.storageClass !== 'STANDARD') h['x-amz-storage-class'] = o.storageClass;
  if (o.tagging) h['x-amz-tagging-count'] = new URLSearchParams(o.tagging).size;
  Object.assign(h, sseResponseHeaders(o));
  return h;
}
