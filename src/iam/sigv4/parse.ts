/**
 * Parsing of the SigV4 inputs that are not the canonical request: the Authorization header, the
 * credential scope, the presigned-URL query parameters, request timestamps and the
 * `x-amz-content-sha256` payload declaration. Each parser throws the S3Error AWS answers for
 * that malformation; the caller decides which code applies via `malformed`.
 */
import { S3Error } from '../../errors/s3-error.js';
import type { S3ErrorCode } from '../../errors/codes.js';
import type { PayloadMode } from './types.js';
import { percentDecodeToBytes } from './encoding.js';

export const ALGORITHM_HMAC = 'AWS4-HMAC-SHA256';
export const ALGORITHM_ECDSA = 'AWS4-ECDSA-P256-SHA256';
export const SIGNED_SERVICE = 's3';
export const SCOPE_TERMINATOR = 'aws4_request';

export interface ParsedCredential {
  accessKeyId: string;
  /** yyyymmdd */
  date: string;
  region: string;
  service: string;
  /** `date/region/service/aws4_request` */
  scope: string;
}

export interface ParsedAuthorization {
  credential: string;
  signedHeaders: string[];
  signature: string;
}

function notImplementedSigV2(): S3Error {
  return new S3Error('NotImplemented', {
    message: 'AWS Signature Version 2 is not supported yet; sign requests with Signature Version 4.',
  });
}

function notImplementedSigV4a(): S3Error {
  return new S3Error('NotImplemented', {
    message: 'AWS Signature Version 4A (AWS4-ECDSA-P256-SHA256) is not supported; sign requests with AWS4-HMAC-SHA256.',
  });
}

function headerMalformed(detail: string): S3Error {
  return new S3Error('AuthorizationHeaderMalformed', { message: `The authorization header is malformed; ${detail}` });
}

/**
 * `AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=a;b, Signature=hex`.
 * Clients differ in the separators (", " or ","; some add spaces), so components are split on
 * any run of commas and whitespace: none of the three values can contain either.
 */
export function parseAuthorizationHeader(value: string): ParsedAuthorization {
  const trimmed = value.trim();
  const space = trimmed.search(/\s/);
  const algorithm = space === -1 ? trimmed : trimmed.slice(0, space);
  if (algorithm === 'AWS') throw notImplementedSigV2();
  if (algorithm === ALGORITHM_ECDSA) throw notImplementedSigV4a();
  if (algorithm !== ALGORITHM_HMAC) {
    throw new S3Error('InvalidArgument', {
      message: 'Unsupported Authorization Type',
      details: { ArgumentName: 'Authorization', ArgumentValue: value },
    });
  }
  const fields = new Map<string, string>();
  for (const part of trimmed.slice(space === -1 ? trimmed.length : space).split(/[\s,]+/)) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw headerMalformed(`the component "${part}" is not of the form key=value.`);
    const key = part.slice(0, eq);
    if (fields.has(key)) throw headerMalformed(`the component "${key}" appears more than once.`);
    fields.set(key, part.slice(eq + 1));
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (credential === undefined || signedHeaders === undefined || signature === undefined || signedHeaders === '') {
    throw headerMalformed('the authorization header requires three components: Credential, SignedHeaders, and Signature.');
  }
  return { credential, signedHeaders: parseSignedHeaders(signedHeaders), signature };
}

export function parseSignedHeaders(list: string): string[] {
  return list.split(';').map((h) => h.trim().toLowerCase()).filter((h) => h !== '');
}

/**
 * `AK/yyyymmdd/region/s3/aws4_request`. Parsed from the right so that the access key id is
 * whatever precedes the four scope components. The region is checked by `checkCredentialRegion`.
 */
export function parseCredential(value: string, malformed: S3ErrorCode, where: string): ParsedCredential {
  const parts = value.split('/');
  const bad = (detail: string): S3Error =>
    new S3Error(malformed, {
      message:
        malformed === 'AuthorizationHeaderMalformed'
          ? `The authorization header is malformed; ${detail}`
          : `Error parsing the ${where} parameter; ${detail}`,
    });
  if (parts.length < 5) {
    throw bad('the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".');
  }
  const terminator = parts.pop()!;
  const service = parts.pop()!;
  const region = parts.pop()!;
  const date = parts.pop()!;
  const accessKeyId = parts.join('/');
  if (accessKeyId === '' || region === '' || !/^\d{8}$/.test(date) || terminator !== SCOPE_TERMINATOR) {
    throw bad('the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".');
  }
  if (service !== SIGNED_SERVICE) {
    throw bad(`incorrect service "${service}". This endpoint belongs to "${SIGNED_SERVICE}".`);
  }
  return { accessKeyId, date, region, service, scope: `${date}/${region}/${service}/${SCOPE_TERMINATOR}` };
}

/**
 * The credential scope must name the region this store is configured for, as AWS requires; the answer
 * names the expected region (`<Region>`), which clients such as s3cmd read to re-sign and retry.
 * `expected` undefined: the site accepts any region (setting `acceptAnyRegion`).
 */
export function checkCredentialRegion(region: string, expected: string | undefined, malformed: S3ErrorCode): void {
  if (expected === undefined || region === expected) return;
  const detail = `the region '${region}' is wrong; expecting '${expected}'`;
  throw new S3Error(malformed, {
    message: malformed === 'AuthorizationQueryParametersError' ? `Error parsing the X-Amz-Credential parameter; ${detail}` : `The authorization header is malformed; ${detail}`,
    details: { Region: expected },
  });
}

/** `yyyymmddThhmmssZ` → epoch ms, or undefined when not exactly that form or not a real date. */
export function parseAmzDate(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (m === null) return undefined;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const h = Number(m[4]);
  const mi = Number(m[5]);
  const s = Number(m[6]);
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return undefined;
  const t = Date.UTC(y, mo - 1, d, h, mi, s);
  // Date.UTC rolls 20240231 over into March: a real date is one whose day survives the round trip.
  return new Date(t).getUTCDate() === d ? t : undefined;
}

/** epoch ms → `yyyymmddThhmmssZ` (every request formats one: built directly, not from toISOString). */
export function formatAmzDate(t: number): string {
  const d = new Date(t);
  const p2 = (n: number): string => (n < 10 ? '0' + n : String(n));
  return `${String(d.getUTCFullYear()).padStart(4, '0')}${p2(d.getUTCMonth() + 1)}${p2(d.getUTCDate())}T${p2(d.getUTCHours())}${p2(d.getUTCMinutes())}${p2(d.getUTCSeconds())}Z`;
}

/** epoch ms → `2013-05-24T00:00:00Z`, the form AWS uses in ServerTime / Expires details. */
export function formatIsoSeconds(t: number): string {
  return new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** An HTTP `Date` header (RFC 7231 IMF-fixdate and the obsolete forms Date.parse knows). */
export function parseHttpDate(value: string): number | undefined {
  const t = Date.parse(value);
  return Number.isFinite(t) ? t : undefined;
}

/** The query string as name → first value, decoded (only for reading the X-Amz-* parameters). */
export function parseQueryParams(rawQuery: string): Map<string, string> {
  const params = new Map<string, string>();
  if (rawQuery === '') return params;
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = percentDecodeToBytes(eq === -1 ? part : part.slice(0, eq)).toString('utf8');
    const value = eq === -1 ? '' : percentDecodeToBytes(part.slice(eq + 1)).toString('utf8');
    if (!params.has(name)) params.set(name, value);
  }
  return params;
}

export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const STREAMING_SIGNED = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
export const STREAMING_SIGNED_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
export const STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';

/** The `x-amz-content-sha256` value → how the body must be read. */
export function parsePayloadMode(value: string): PayloadMode {
  if (/^[0-9a-fA-F]{64}$/.test(value)) return { kind: 'sha256', hex: value.toLowerCase() };
  switch (value) {
    case UNSIGNED_PAYLOAD:
      return { kind: 'unsigned' };
    case STREAMING_SIGNED:
      return { kind: 'streaming-signed', trailer: false };
    case STREAMING_SIGNED_TRAILER:
      return { kind: 'streaming-signed', trailer: true };
    case STREAMING_UNSIGNED_TRAILER:
      return { kind: 'streaming-unsigned-trailer' };
    case 'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD':
    case 'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER':
      throw notImplementedSigV4a();
    default:
      throw new S3Error('InvalidArgument', {
        message: 'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, or a valid sha256 value.',
        details: { ArgumentName: 'x-amz-content-sha256', ArgumentValue: value },
      });
  }
}

export { notImplementedSigV2 };
