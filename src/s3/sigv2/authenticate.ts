/**
 * AWS Signature Version 2 (HMAC-SHA1), header and query-string forms, for older tools: boto3's and the
 * AWS CLI v1's default presigned URLs, s3cmd with `signature_v2 = True`.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html
 *
 * StringToSign = VERB \n Content-MD5 \n Content-Type \n Date-or-Expires \n CanonicalizedAmzHeaders CanonicalizedResource
 * The payload is never signed in V2, so bodies are read as UNSIGNED-PAYLOAD.
 *
 * The string to sign is kept as the bytes it stands for, one character per byte (Latin-1): header values
 * as the client sent them (Node reads them so; a UTF-8 `x-amz-meta-*` value stays UTF-8), sub-resource
 * values decoded from the query string and then UTF-8 encoded, as clients sign them.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { S3Error } from '../../errors/s3-error.js';
import type { AuthResult, SignedRequestInput } from '../../iam/sigv4/types.js';

/** Query parameters that are part of the signed resource (the "sub-resources"), as AWS lists them. */
const SUB_RESOURCES = new Set([
  'accelerate', 'acl', 'analytics', 'cors', 'delete', 'encryption', 'intelligent-tiering', 'inventory', 'legal-hold',
  'lifecycle', 'location', 'logging', 'metrics', 'notification', 'object-lock', 'ownershipControls', 'partNumber',
  'policy', 'policyStatus', 'publicAccessBlock', 'replication', 'requestPayment', 'restore', 'retention', 'select',
  'select-type', 'tagging', 'torrent', 'uploadId', 'uploads', 'versionId', 'versioning', 'versions', 'website',
  'attributes', 'response-content-type', 'response-content-language', 'response-expires', 'response-cache-control',
  'response-content-disposition', 'response-content-encoding',
]);

const MAX_SKEW_MS = 15 * 60 * 1000;

function one(h: SignedRequestInput['headers'], name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    throw new S3Error('InvalidArgument', { message: 'Invalid query string encoding' });
  }
}

/** True when the request is signed with V2 (header `AWS id:sig` or query `AWSAccessKeyId`/`Signature`). */
export function isSigV2(req: SignedRequestInput): boolean {
  const auth = one(req.headers, 'authorization');
  if (auth !== undefined) return /^AWS [^:\s]+:/.test(auth);
  return /(^|&)AWSAccessKeyId=/.test(req.rawQuery) && /(^|&)Signature=/.test(req.rawQuery);
}

const asBytes = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');

/**
 * The resource: `/bucket/key`, plus the sub-resources. `bucketSlash` writes a bucket addressed without a
 * key as `/bucket/`, as a virtual-hosted request's `/` reads and as botocore signs path-style ones too.
 */
function canonicalResource(req: SignedRequestInput, virtualBucket: string | undefined, params: Array<[string, string]>, bucketSlash = false): string {
  let resource = virtualBucket !== undefined ? `/${virtualBucket}${req.rawPath}` : req.rawPath;
  if (resource === '') resource = '/';
  if (bucketSlash && /^\/[^/]+$/.test(resource)) resource += '/';
  const subs = params.filter(([k]) => SUB_RESOURCES.has(k)).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  if (subs.length) resource += '?' + subs.map(([k, v]) => (v === '' ? k : `${k}=${asBytes(v)}`)).join('&');
  return resource;
}

function canonicalAmzHeaders(h: SignedRequestInput['headers']): string {
  const names = Object.keys(h)
    .filter((n) => n.startsWith('x-amz-'))
    .sort();
  return names.map((n) => `${n}:${(one(h, n) ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
}

export function stringToSignV2(req: SignedRequestInput, dateOrExpires: string, virtualBucket: string | undefined, params: Array<[string, string]>, bucketSlash = false): string {
  return [
    req.method,
    one(req.headers, 'content-md5') ?? '',
    one(req.headers, 'content-type') ?? '',
    dateOrExpires,
    canonicalAmzHeaders(req.headers) + canonicalResource(req, virtualBucket, params, bucketSlash),
  ].join('\n');
}

/** HMAC-SHA1 of a string to sign (a byte string, see above). */
function sign(secret: string, text: string): string {
  return createHmac('sha1', secret).update(text, 'latin1').digest('base64');
}

function equalSignatures(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Authenticates a V2-signed request. `virtualBucket` is the bucket named by the Host header, if any,
 * which V2 puts in front of the path in the signed resource.
 */
export async function authenticateSigV2(
  req: SignedRequestInput,
  lookupSecret: (accessKeyId: string) => Promise<string | undefined>,
  virtualBucket: string | undefined,
  now: number = Date.now(),
): Promise<AuthResult> {
  const params: Array<[string, string]> = req.rawQuery
    ? req.rawQuery.split('&').filter(Boolean).map((p) => {
        const i = p.indexOf('=');
        return i < 0 ? [decode(p), ''] : [decode(p.slice(0, i)), decode(p.slice(i + 1))];
      })
    : [];
  const header = one(req.headers, 'authorization');
  let accessKeyId: string;
  let signature: string;
  let dateLine: string;
  let requestTime: number;
  let presigned = false;
  if (header !== undefined) {
    const m = /^AWS ([^:\s]+):(\S+)$/.exec(header.trim());
    if (!m) throw new S3Error('AuthorizationHeaderMalformed', { message: 'The authorization header is malformed; expected "AWS AccessKeyId:Signature".' });
    accessKeyId = m[1]!;
    signature = m[2]!;
    const amzDate = one(req.headers, 'x-amz-date');
    const date = amzDate ?? one(req.headers, 'date');
    const t = date !== undefined ? Date.parse(date) : NaN;
    // A date before the epoch is no valid date at all (AWS: AccessDenied, not a skewed clock).
    if (Number.isNaN(t) || t < 0) throw new S3Error('AccessDenied', { message: 'AWS authentication requires a valid Date or x-amz-date header' });
    // With x-amz-date present the Date line is empty (x-amz-date is signed among the amz headers).
    dateLine = amzDate !== undefined ? '' : date!;
    requestTime = t;
    if (Math.abs(now - t) > MAX_SKEW_MS) {
      throw new S3Error('RequestTimeTooSkewed', { details: { RequestTime: date, ServerTime: new Date(now).toISOString(), MaxAllowedSkewMilliseconds: MAX_SKEW_MS } });
    }
  } else {
    const get = (k: string): string | undefined => params.find(([n]) => n === k)?.[1];
    const expires = get('Expires');
    accessKeyId = get('AWSAccessKeyId') ?? '';
    signature = get('Signature') ?? '';
    if (!expires || !/^\d+$/.test(expires) || !accessKeyId || !signature) {
      throw new S3Error('AccessDenied', { message: 'Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters' });
    }
    if (Number(expires) * 1000 < now) {
      throw new S3Error('AccessDenied', { message: 'Request has expired', details: { Expires: new Date(Number(expires) * 1000).toISOString(), ServerTime: new Date(now).toISOString() } });
    }
    dateLine = expires;
    requestTime = now;
    presigned = true;
  }
  const secret = await lookupSecret(accessKeyId);
  if (secret === undefined) throw new S3Error('InvalidAccessKeyId', { details: { AWSAccessKeyId: accessKeyId } });
  const text = stringToSignV2(req, dateLine, virtualBucket, params);
  let matched = equalSignatures(sign(secret, text), signature);
  // compat: a bucket addressed path-style without a key is signed as `/bucket` by some clients and as
  // `/bucket/` by others (botocore): either reading holds.
  if (!matched && virtualBucket === undefined && /^\/[^/]+$/.test(req.rawPath)) {
    matched = equalSignatures(sign(secret, stringToSignV2(req, dateLine, virtualBucket, params, true)), signature);
  }
  if (!matched) {
    throw new S3Error('SignatureDoesNotMatch', { details: { AWSAccessKeyId: accessKeyId, StringToSign: Buffer.from(text, 'latin1').toString('utf8'), SignatureProvided: signature } });
  }
  return { kind: 'signed', accessKeyId, payload: { kind: 'unsigned' }, signing: undefined, requestTime, presigned };
}
