/**
 * A small, independent AWS SigV4 signer for tests that must send requests no SDK would send
 * (skewed clocks, wrong payload hashes, over-long presign expiries, truncated bodies).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
 */
import { createHash, createHmac } from 'node:crypto';

const hmac = (key: Buffer | string, s: string): Buffer => createHmac('sha256', key).update(s).digest();
export const sha256hex = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** RFC 3986 encoding as SigV4 wants it (slashes kept in paths when `path`). */
export function uriEncode(s: string, path = false): string {
  let out = '';
  for (const ch of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(ch);
    if (/[A-Za-z0-9\-._~]/.test(c) || (path && c === '/')) out += c;
    else out += '%' + ch.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

export interface SignInput {
  method: string;
  /** Decoded path, e.g. `/bucket/key with space`. */
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  host: string;
  accessKey: string;
  secretKey: string;
  /** Defaults to now. */
  date?: Date;
  /** x-amz-content-sha256 value; default UNSIGNED-PAYLOAD. */
  payloadHash?: string;
  region?: string;
}

function amzDate(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

function canonicalQuery(q: Record<string, string>): string {
  return Object.keys(q)
    .map((k) => [uriEncode(k), uriEncode(q[k]!)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function signature(secret: string, date: string, region: string, stringToSign: string): string {
  const kDate = hmac('AWS4' + secret, date.slice(0, 8));
  const kRegion = hmac(kDate, region);
  const kService = hmac(kRegion, 's3');
  const kSigning = hmac(kService, 'aws4_request');
  return createHmac('sha256', kSigning).update(stringToSign).digest('hex');
}

/** Signs with an Authorization header; returns the request target (path?query) and headers to send. */
export function signHeaders(i: SignInput): { target: string; headers: Record<string, string> } {
  const region = i.region ?? 'us-east-1';
  const date = amzDate(i.date ?? new Date());
  const scope = `${date.slice(0, 8)}/${region}/s3/aws4_request`;
  const payloadHash = i.payloadHash ?? 'UNSIGNED-PAYLOAD';
  const headers: Record<string, string> = { ...(i.headers ?? {}), host: i.host, 'x-amz-date': date, 'x-amz-content-sha256': payloadHash };
  const lower: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) lower[k.toLowerCase()] = String(v).trim().replace(/ +/g, ' ');
  const names = Object.keys(lower).sort();
  const canonicalHeaders = names.map((n) => `${n}:${lower[n]}\n`).join('');
  const signedHeaders = names.join(';');
  const q = canonicalQuery(i.query ?? {});
  const encPath = uriEncode(i.path, true);
  const canonical = [i.method, encPath, q, canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const sts = ['AWS4-HMAC-SHA256', date, scope, sha256hex(canonical)].join('\n');
  const sig = signature(i.secretKey, date, region, sts);
  headers['authorization'] = `AWS4-HMAC-SHA256 Credential=${i.accessKey}/${scope}, SignedHeaders=${signedHeaders}, Signature=${sig}`;
  return { target: encPath + (q ? '?' + q : ''), headers };
}

/** A presigned URL path+query (host-only signed, UNSIGNED-PAYLOAD). */
export function presign(i: SignInput & { expires: number }): string {
  const region = i.region ?? 'us-east-1';
  const date = amzDate(i.date ?? new Date());
  const scope = `${date.slice(0, 8)}/${region}/s3/aws4_request`;
  const query: Record<string, string> = {
    ...(i.query ?? {}),
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': `${i.accessKey}/${scope}`,
    'X-Amz-Date': date,
    'X-Amz-Expires': String(i.expires),
    'X-Amz-SignedHeaders': 'host',
  };
  const encPath = uriEncode(i.path, true);
  const canonical = [i.method, encPath, canonicalQuery(query), `host:${i.host}\n`, 'host', 'UNSIGNED-PAYLOAD'].join('\n');
  const sts = ['AWS4-HMAC-SHA256', date, scope, sha256hex(canonical)].join('\n');
  query['X-Amz-Signature'] = signature(i.secretKey, date, region, sts);
  return `${encPath}?${canonicalQuery(query)}`;
}
