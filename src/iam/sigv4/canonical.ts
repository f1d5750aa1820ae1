/**
 * The canonical request and string to sign of AWS Signature Version 4, as S3 computes them.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 *
 * S3 differs from other services in one place: the canonical URI is the path URI-encoded once
 * (no double encoding), and `//`, `.` and `..` are kept as they are, because they are part of
 * object keys.
 */
import { hash } from 'node:crypto';
import { reencode } from './encoding.js';

export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';
/** sha256('') — the payload hash of an empty body, and of a chunk string-to-sign's empty line. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** One-shot crypto.hash: no Hash object per call (~2.5x cheaper for a canonical request, on every request). */
export function sha256Hex(data: string | Buffer): string {
  return hash('sha256', data, 'hex');
}

/**
 * What a canonical text is signed as: the bytes the client sent. Node hands header values over as Latin-1
 * strings, one character per byte on the wire, so a text of such characters stands for those bytes (a
 * UTF-8 `x-amz-meta-*` value is signed as the client encoded it, not encoded twice). A text with wider
 * characters was built inside the process and is UTF-8. ASCII, the common case, is both.
 */
export function wireBytes(text: string): string | Buffer {
  if (!/[^\x00-\x7f]/.test(text)) return text;
  return /[^\x00-\xff]/.test(text) ? Buffer.from(text, 'utf8') : Buffer.from(text, 'latin1');
}

/** Canonical URI: every segment decoded then re-encoded, '/' kept, nothing normalised. */
export function canonicalUri(rawPath: string): string {
  if (rawPath === '') return '/';
  return rawPath.split('/').map((segment) => reencode(segment)).join('/');
}

/**
 * Canonical query string: every parameter decoded then URI-encoded (space as %20), sorted by
 * encoded name then value; a parameter without '=' has an empty value. `exclude` names a
 * parameter to leave out (X-Amz-Signature of a presigned URL).
 * `plusIsSpace` decodes '+' as a space (form encoding); see authenticate.ts for when.
 */
export function canonicalQuery(rawQuery: string, exclude?: string, plusIsSpace = false): string {
  if (rawQuery === '') return '';
  const pairs: Array<[string, string]> = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawName = eq === -1 ? part : part.slice(0, eq);
    const rawValue = eq === -1 ? '' : part.slice(eq + 1);
    const name = reencode(rawName, plusIsSpace);
    if (exclude !== undefined && name === exclude) continue;
    pairs.push([name, reencode(rawValue, plusIsSpace)]);
  }
  // Encoded names and values are ASCII, so code-unit order is byte order.
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([n, v]) => `${n}=${v}`).join('&');
}

/** One header's canonical value: trimmed, inner whitespace runs collapsed, several values joined by ','. */
export function canonicalHeaderValue(value: string | string[] | undefined): string {
  if (value === undefined) return '';
  const values = Array.isArray(value) ? value : [value];
  return values.map((v) => v.trim().replace(/\s+/g, ' ')).join(',');
}

export interface CanonicalRequestParts {
  method: string;
  rawPath: string;
  rawQuery: string;
  headers: Record<string, string | string[] | undefined>;
  /** Lowercase names, in the order given by SignedHeaders (already sorted by the client). */
  signedHeaders: string[];
  payloadHash: string;
  /** Query parameter to leave out (X-Amz-Signature for presigned URLs). */
  excludeQueryParam?: string;
  plusIsSpace?: boolean;
}

/** The canonical request, lines joined by '\n'. */
export function canonicalRequest(p: CanonicalRequestParts): string {
  const headerLines = p.signedHeaders.map((name) => `${name}:${canonicalHeaderValue(p.headers[name])}\n`).join('');
  return [
    p.method,
    canonicalUri(p.rawPath),
    canonicalQuery(p.rawQuery, p.excludeQueryParam, p.plusIsSpace),
    headerLines,
    p.signedHeaders.join(';'),
    p.payloadHash,
  ].join('\n');
}

/** `AWS4-HMAC-SHA256\n<datetime>\n<scope>\n<sha256(canonical request)>`. */
export function stringToSign(datetime: string, scope: string, canonicalRequestText: string): string {
  return `${SIGV4_ALGORITHM}\n${datetime}\n${scope}\n${sha256Hex(wireBytes(canonicalRequestText))}`;
}
