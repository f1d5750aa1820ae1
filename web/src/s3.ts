/**
 * S3 from the browser through presigned URLs that the server signs for the signed-in user
 * (POST /tenancies/{t}/presign): the browser never sees a secret. The URLs point at the S3 endpoint, an
 * origin other than the portal's (user content must never run as the portal), which grants this origin
 * alone CORS for presigned requests; no cookie or other credential goes with them.
 */
import { presign } from './api.js';

export interface Listing {
  prefixes: string[];
  objects: Array<{ key: string; size: number; lastModified: string }>;
}

async function s3(tenancy: string, method: 'GET' | 'PUT' | 'POST' | 'DELETE', bucket: string | undefined, key: string | undefined, query: Record<string, string> = {}, body?: BodyInit): Promise<Response> {
  const { url } = await presign(tenancy, { method, ...(bucket !== undefined ? { bucket } : {}), ...(key !== undefined ? { key } : {}), query });
  const r = await fetch(url, { method, body, credentials: 'omit' });
  if (!r.ok) {
    const text = await r.text();
    const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? `HTTP ${r.status}`;
    const msg = /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? '';
    throw new Error(`${code}${msg ? ': ' + msg : ''}`);
  }
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
  await s3(tenancy, 'PUT', bucket, undefined);
}

export async function list(tenancy: string, bucket: string, prefix: string): Promise<Listing> {
  const out: Listing = { prefixes: [], objects: [] };
  let token: string | undefined;
  do {
    // encoding-type=url: a key with a control character cannot be written in XML 1.0, and one such key
    // would make the whole page unparseable (hiding the rest of the bucket).
    const q: Record<string, string> = { 'list-type': '2', delimiter: '/', prefix, 'max-keys': '1000', 'encoding-type': 'url' };
    if (token) q['continuation-token'] = token;
    const d = xml(await (await s3(tenancy, 'GET', bucket, undefined, q)).text());
    if (d.getElementsByTagName('parsererror').length) throw new Error('the listing could not be read (malformed XML)');
    const encoded = txt(d.documentElement, 'EncodingType') === 'url';
    const dec = (s: string): string => (encoded ? urlDecode(s) : s);
    for (const p of all(d, 'CommonPrefixes')) out.prefixes.push(dec(txt(p, 'Prefix')));
    for (const c of all(d, 'Contents')) out.objects.push({ key: dec(txt(c, 'Key')), size: Number(txt(c, 'Size')), lastModified: txt(c, 'LastModified') });
    token = txt(d.documentElement, 'IsTruncated') === 'true' ? txt(d.documentElement, 'NextContinuationToken') : undefined;
  } while (token);
  return out;
}

export async function deleteObject(tenancy: string, bucket: string, key: string): Promise<void> {
  await s3(tenancy, 'DELETE', bucket, key);
}

/**
 * A presigned GET. `attachment` (the default, for share links too): the browser saves the file instead of
 * showing it; shown inline only when the user asks for it (S3 sandboxes such a page: no script runs).
 */
export async function downloadUrl(tenancy: string, bucket: string, key: string, expiresIn = 300, attachment = true): Promise<string> {
  const name = key.split('/').pop() || 'download';
  const query: Record<string, string> = attachment ? { 'response-content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(name)}` } : {};
  return (await presign(tenancy, { method: 'GET', bucket, key, query, expiresIn })).url;
}

const PART = 8 * 1024 * 1024;

/** PUT with upload progress (fetch has none); resolves to the ETag. */
function putWithProgress(url: string, body: Blob, onProgress: (sent: number) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open('PUT', url);
    x.upload.onprogress = (e) => onProgress(e.loaded);
    x.onload = () => (x.status >= 200 && x.status < 300 ? resolve(x.getResponseHeader('etag') ?? '') : reject(new Error(`part upload failed: HTTP ${x.status} ${/<Code>([^<]*)/.exec(x.responseText)?.[1] ?? ''}`)));
    x.onerror = () => reject(new Error('network error during upload'));
    x.send(body);
  });
}

/** Multipart upload (8 MiB parts, 3 at a time); aborts the upload on failure so no parts are left over. */
export async function upload(tenancy: string, bucket: string, key: string, file: Blob, onProgress: (fraction: number) => void): Promise<void> {
  if (file.size <= PART) {
    const { url } = await presign(tenancy, { method: 'PUT', bucket, key });
    await putWithProgress(url, file, (n) => onProgress(n / Math.max(1, file.size)));
    onProgress(1);
    return;
  }
  const created = xml(await (await s3(tenancy, 'POST', bucket, key, { uploads: '' })).text());
  const uploadId = txt(created.documentElement, 'UploadId');
  const parts = Math.ceil(file.size / PART);
  const sent = new Array<number>(parts).fill(0);
  const etags = new Array<string>(parts);
  try {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < parts) {
        const i = next++;
        const { url } = await presign(tenancy, { method: 'PUT', bucket, key, query: { partNumber: String(i + 1), uploadId } });
        etags[i] = await putWithProgress(url, file.slice(i * PART, Math.min(file.size, (i + 1) * PART)), (n) => {
          sent[i] = n;
          onProgress(sent.reduce((a, b) => a + b, 0) / file.size);
        });
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    const body = `<CompleteMultipartUpload>${etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
    const r = await s3(tenancy, 'POST', bucket, key, { uploadId }, body);
    const t = await r.text();
    if (/<Error>/.test(t)) throw new Error(/<Message>([^<]*)/.exec(t)?.[1] ?? 'CompleteMultipartUpload failed');
    onProgress(1);
  } catch (e) {
    await s3(tenancy, 'DELETE', bucket, key, { uploadId }).catch(() => undefined);
    throw e;
  }
}
