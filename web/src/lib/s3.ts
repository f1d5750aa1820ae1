/**
 * S3 from the browser through presigned URLs that the server signs for the signed-in user
 * (POST /tenancies/{t}/presign): the browser never sees a secret. The URLs point at the S3 endpoint, an
 * origin other than the portal's (user content must never run as the portal), which grants this origin
 * alone CORS for presigned requests; no cookie or other credential goes with them. A bucket shared from
 * another tenancy is reached as `tenancy:bucket` with the user's key of a tenancy they belong to.
 * Failures carry S3's own message ("The tenancy quota of … would be exceeded"), not only its code.
 */
import { presign } from './api.js';

/** Where a bucket is: signed through `via` (a tenancy of the user), in `tenancy` (its own). */
export interface BucketRef {
  via: string;
  tenancy: string;
  bucket: string;
}

export interface Listing {
  prefixes: string[];
  objects: Array<{ key: string; size: number; lastModified: string }>;
}

/** An S3 error in words: its message first, the code after. */
export class S3RequestError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function s3ErrorOf(status: number, text: string): S3RequestError {
  const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? '';
  const msg = /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? '';
  const dec = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
  const words = msg ? dec(msg) : status === 403 ? 'Access denied.' : status === 404 ? 'Not found.' : `The storage answered HTTP ${status}.`;
  return new S3RequestError(code || `HTTP ${status}`, status, code ? `${words} (${code})` : words);
}

const sign = (ref: BucketRef, method: 'GET' | 'PUT' | 'POST' | 'DELETE', key: string | undefined, query: Record<string, string> = {}, expiresIn?: number) =>
  presign(ref.via, { method, bucket: ref.bucket, ...(ref.tenancy !== ref.via ? { bucketTenancy: ref.tenancy } : {}), ...(key !== undefined ? { key } : {}), query, ...(expiresIn ? { expiresIn } : {}) });

async function s3(ref: BucketRef, method: 'GET' | 'PUT' | 'POST' | 'DELETE', key: string | undefined, query: Record<string, string> = {}, body?: BodyInit): Promise<Response> {
  const { url } = await sign(ref, method, key, query);
  let r: Response;
  try {
    r = await fetch(url, { method, body, credentials: 'omit' });
  } catch {
    throw new S3RequestError('NetworkError', 0, 'The storage endpoint could not be reached.');
  }
  if (!r.ok) throw s3ErrorOf(r.status, await r.text());
  return r;
}

/** Undoes S3's `encoding-type=url` (percent-encoding; `+` is a space, as AWS's form encoding writes it). */
export function urlDecode(s: string): string {
  return decodeURIComponent(s.replace(/\+/g, '%20'));
}

const xml = (text: string): Document => new DOMParser().parseFromString(text, 'application/xml');
const all = (d: Document | Element, tag: string): Element[] => Array.from(d.getElementsByTagName(tag));
const txt = (e: Element, tag: string): string => e.getElementsByTagName(tag)[0]?.textContent ?? '';

export async function createBucket(tenancy: string, bucket: string): Promise<void> {
  await s3({ via: tenancy, tenancy, bucket }, 'PUT', undefined);
}

export async function list(ref: BucketRef, prefix: string): Promise<Listing> {
  const out: Listing = { prefixes: [], objects: [] };
  let token: string | undefined;
  do {
    // encoding-type=url: a key with a control character cannot be written in XML 1.0, and one such key
    // would make the whole page unparseable (hiding the rest of the bucket).
    const q: Record<string, string> = { 'list-type': '2', delimiter: '/', prefix, 'max-keys': '1000', 'encoding-type': 'url' };
    if (token) q['continuation-token'] = token;
    const d = xml(await (await s3(ref, 'GET', undefined, q)).text());
    if (d.getElementsByTagName('parsererror').length) throw new Error('The listing could not be read (malformed XML).');
    const encoded = txt(d.documentElement, 'EncodingType') === 'url';
    const dec = (s: string): string => (encoded ? urlDecode(s) : s);
    for (const p of all(d, 'CommonPrefixes')) out.prefixes.push(dec(txt(p, 'Prefix')));
    for (const c of all(d, 'Contents')) out.objects.push({ key: dec(txt(c, 'Key')), size: Number(txt(c, 'Size')), lastModified: txt(c, 'LastModified') });
    token = txt(d.documentElement, 'IsTruncated') === 'true' ? txt(d.documentElement, 'NextContinuationToken') : undefined;
  } while (token);
  return out;
}

export async function deleteObject(ref: BucketRef, key: string): Promise<void> {
  await s3(ref, 'DELETE', key);
}

/** Aborts an incomplete multipart upload (S3 AbortMultipartUpload, authorized as the user). */
export async function abortUpload(ref: BucketRef, key: string, uploadId: string): Promise<void> {
  await s3(ref, 'DELETE', key, { uploadId });
}

/**
 * A presigned GET. `attachment` (the default, for share links too): the browser saves the file instead of
 * showing it; shown inline only when the user asks for it (S3 sandboxes such a page: no script runs).
 */
export async function downloadUrl(ref: BucketRef, key: string, expiresIn = 300, attachment = true): Promise<string> {
  const name = key.split('/').pop() || 'download';
  const query: Record<string, string> = attachment ? { 'response-content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(name)}` } : {};
  return (await sign(ref, 'GET', key, query, expiresIn)).url;
}

/** A share link for a whole prefix: a page listing it whose downloads expire with the link (s3/landing-page.ts). */
export async function prefixShareUrl(ref: BucketRef, prefix: string, expiresIn: number): Promise<string> {
  return (await sign(ref, 'GET', undefined, { 'list-type': '2', delimiter: '/', prefix, 'x-granary-share': '1' }, expiresIn)).url;
}

const PART = 8 * 1024 * 1024;

/** PUT with upload progress (fetch has none); resolves to the ETag. */
function putWithProgress(url: string, body: Blob, onProgress: (sent: number) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open('PUT', url);
    x.upload.onprogress = (e) => onProgress(e.loaded);
    x.onload = () => (x.status >= 200 && x.status < 300 ? resolve(x.getResponseHeader('etag') ?? '') : reject(s3ErrorOf(x.status, x.responseText)));
    x.onerror = () => reject(new S3RequestError('NetworkError', 0, 'The upload was interrupted (network error).'));
    x.send(body);
  });
}

/** Multipart upload (8 MiB parts, 3 at a time); aborts the upload on failure so no parts are left over. */
export async function upload(ref: BucketRef, key: string, file: Blob, onProgress: (fraction: number) => void): Promise<void> {
  if (file.size <= PART) {
    const { url } = await sign(ref, 'PUT', key);
    await putWithProgress(url, file, (n) => onProgress(n / Math.max(1, file.size)));
    onProgress(1);
    return;
  }
  const created = xml(await (await s3(ref, 'POST', key, { uploads: '' })).text());
  const uploadId = txt(created.documentElement, 'UploadId');
  const parts = Math.ceil(file.size / PART);
  const sent = new Array<number>(parts).fill(0);
  const etags = new Array<string>(parts);
  try {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < parts) {
        const i = next++;
        const { url } = await sign(ref, 'PUT', key, { partNumber: String(i + 1), uploadId });
        etags[i] = await putWithProgress(url, file.slice(i * PART, Math.min(file.size, (i + 1) * PART)), (n) => {
          sent[i] = n;
          onProgress(sent.reduce((a, b) => a + b, 0) / file.size);
        });
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    const body = `<CompleteMultipartUpload>${etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
    const r = await s3(ref, 'POST', key, { uploadId }, body);
    const t = await r.text();
    if (/<Error>/.test(t)) throw s3ErrorOf(500, t);
    onProgress(1);
  } catch (e) {
    await s3(ref, 'DELETE', key, { uploadId }).catch(() => undefined);
    throw e;
  }
}
