/**
 * AWS Signature Version 4 authentication of an S3 request: the Authorization header form and the
 * presigned-URL (query parameter) form. The body is not read here; the returned PayloadMode says
 * how s3/handler.ts must verify it while it streams (payload-hash.ts, aws-chunked.ts).
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-auth-using-authorization-header.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
 *
 * Order of checks follows what a client needs to fix first: the form of the request, then its
 * time, then its key, then its signature.
 */
import { S3Error } from '../../errors/s3-error.js';
import type { AuthResult, PayloadMode, SignedRequestInput } from './types.js';
import { canonicalRequest, stringToSign } from './canonical.js';
import { cachedSigningKey, signHex, signaturesEqual } from './signing-key.js';
import {
  ALGORITHM_ECDSA,
  ALGORITHM_HMAC,
  UNSIGNED_PAYLOAD,
  checkCredentialRegion,
  formatAmzDate,
  formatIsoSeconds,
  notImplementedSigV2,
  parseAmzDate,
  parseAuthorizationHeader,
  parseCredential,
  parseHttpDate,
  parsePayloadMode,
  parseQueryParams,
  parseSignedHeaders,
  type ParsedCredential,
} from './parse.js';

export { canonicalRequest, canonicalUri, canonicalQuery, stringToSign } from './canonical.js';
export { deriveSigningKey } from './signing-key.js';

/** AWS allows 15 minutes between the client's clock and ours. */
export const MAX_SKEW_MS = 15 * 60 * 1000;
/** Longest presigned URL lifetime AWS accepts: 7 days. */
export const MAX_PRESIGN_EXPIRES_SECONDS = 604800;

export type SecretLookup = (accessKeyId: string) => Promise<string | undefined>;

export interface SigV4Options {
  /** The region credential scopes must name; undefined = any region (AuthorizationHeaderMalformed otherwise). */
  region?: string;
}

function header(req: SignedRequestInput, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/**
 * Authenticates `req`. Resolves `{kind:'anonymous'}` when the request carries no SigV4
 * credentials at all; throws an S3Error when it carries credentials that do not hold.
 */
export async function authenticateSigV4(
  req: SignedRequestInput,
  lookupSecret: SecretLookup,
  now: number = Date.now(),
  options: SigV4Options = {},
): Promise<AuthResult> {
  const authorization = header(req, 'authorization');
  const params = parseQueryParams(req.rawQuery);
  const queryAuth = params.has('X-Amz-Algorithm') || params.has('X-Amz-Credential');
  if (authorization !== undefined && authorization.trim() !== '' && queryAuth) {
    throw new S3Error('InvalidArgument', {
      message:
        'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
      details: { ArgumentName: 'Authorization', ArgumentValue: authorization },
    });
  }
  if (authorization !== undefined && authorization.trim() !== '') {
    return authenticateHeader(req, authorization, lookupSecret, now, options);
  }
  if (queryAuth) return authenticatePresigned(req, params, lookupSecret, now, options);
  if (params.has('AWSAccessKeyId') && params.has('Signature')) throw notImplementedSigV2();
  return { kind: 'anonymous' };
}

async function authenticateHeader(
  req: SignedRequestInput,
  authorization: string,
  lookupSecret: SecretLookup,
  now: number,
  options: SigV4Options,
): Promise<AuthResult> {
  const auth = parseAuthorizationHeader(authorization);
  const credential = parseCredential(auth.credential, 'AuthorizationHeaderMalformed', 'Credential');
  checkCredentialRegion(credential.region, options.region, 'AuthorizationHeaderMalformed');

  const contentSha256 = header(req, 'x-amz-content-sha256');
  if (contentSha256 === undefined) {
    throw new S3Error('InvalidRequest', { message: 'Missing required header for this request: x-amz-content-sha256' });
  }
  const payload = parsePayloadMode(contentSha256.trim());

  // The time: x-amz-date, else Date. Whichever is used must itself be signed, or the request
  // could be replayed forever with a fresh unsigned Date.
  const amzDate = header(req, 'x-amz-date');
  const httpDate = header(req, 'date');
  let requestTime: number | undefined;
  let datetime: string;
  let dateHeaderName: string;
  let rawRequestTime: string;
  if (amzDate !== undefined) {
    requestTime = parseAmzDate(amzDate.trim()) ?? parseHttpDate(amzDate.trim());
    dateHeaderName = 'x-amz-date';
    rawRequestTime = amzDate.trim();
  } else if (httpDate !== undefined) {
    requestTime = parseHttpDate(httpDate.trim());
    dateHeaderName = 'date';
    rawRequestTime = httpDate.trim();
  } else {
    throw new S3Error('AccessDenied', { message: 'AWS authentication requires a valid Date or x-amz-date header' });
  }
  // A time before the epoch is no valid time (AccessDenied, as a missing one), not a skewed clock.
  if (requestTime === undefined || requestTime < 0) {
    throw new S3Error('AccessDenied', { message: 'AWS authentication requires a valid Date or x-amz-date header' });
  }
  // The string to sign always carries the ISO 8601 basic form, whatever header it came from.
  datetime = parseAmzDate(rawRequestTime) !== undefined ? rawRequestTime : formatAmzDate(requestTime);
  if (credential.date !== datetime.slice(0, 8)) {
    throw new S3Error('AuthorizationHeaderMalformed', {
      message: `The authorization header is malformed; Invalid credential date. Date is not the same as X-Amz-Date: "${datetime.slice(0, 8)}".`,
    });
  }
  if (Math.abs(now - requestTime) > MAX_SKEW_MS) {
    throw new S3Error('RequestTimeTooSkewed', {
      details: { RequestTime: rawRequestTime, ServerTime: formatIsoSeconds(now), MaxAllowedSkewMilliseconds: MAX_SKEW_MS },
    });
  }

  checkSignedHeaders(req, auth.signedHeaders, [dateHeaderName]);
  return verify(req, {
    credential,
    signedHeaders: auth.signedHeaders,
    providedSignature: auth.signature,
    payloadHash: contentSha256.trim(),
    payload,
    datetime,
    requestTime,
    presigned: false,
    lookupSecret,
  });
}

async function authenticatePresigned(
  req: SignedRequestInput,
  params: Map<string, string>,
  lookupSecret: SecretLookup,
  now: number,
  options: SigV4Options,
): Promise<AuthResult> {
  const algorithm = params.get('X-Amz-Algorithm');
  const credentialText = params.get('X-Amz-Credential');
  const signature = params.get('X-Amz-Signature');
  const amzDate = params.get('X-Amz-Date');
  const signedHeadersText = params.get('X-Amz-SignedHeaders');
  const expiresText = params.get('X-Amz-Expires');
  if (
    algorithm === undefined ||
    credentialText === undefined ||
    signature === undefined ||
    amzDate === undefined ||
    signedHeadersText === undefined ||
    expiresText === undefined
  ) {
    throw new S3Error('AuthorizationQueryParametersError', {
      message:
        'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
    });
  }
  if (algorithm === ALGORITHM_ECDSA) {
    throw new S3Error('NotImplemented', { message: 'AWS Signature Version 4A (AWS4-ECDSA-P256-SHA256) is not supported.' });
  }
  if (algorithm !== ALGORITHM_HMAC) {
    throw new S3Error('AuthorizationQueryParametersError', { message: 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"' });
  }
  const credential = parseCredential(credentialText, 'AuthorizationQueryParametersError', 'X-Amz-Credential');
  checkCredentialRegion(credential.region, options.region, 'AuthorizationQueryParametersError');
  const requestTime = parseAmzDate(amzDate);
  if (requestTime === undefined) {
    throw new S3Error('AuthorizationQueryParametersError', {
      message: 'X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd\'T\'HHmmss\'Z\'"',
    });
  }
  if (!/^-?\d+$/.test(expiresText)) {
    throw new S3Error('AuthorizationQueryParametersError', { message: 'X-Amz-Expires should be a number' });
  }
  // A lifetime out of range is a refusal of the URL (403), not a malformation of it (400).
  const expires = Number(expiresText);
  if (expires < 0) {
    throw new S3Error('AuthorizationQueryParametersError', { status: 403, message: 'X-Amz-Expires must be non-negative' });
  }
  if (expires < 1 || expires > MAX_PRESIGN_EXPIRES_SECONDS) {
    throw new S3Error('AuthorizationQueryParametersError', {
      status: 403,
      message: `X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than ${MAX_PRESIGN_EXPIRES_SECONDS} seconds`,
      details: { 'X-Amz-Expires': expiresText },
    });
  }
  if (credential.date !== amzDate.slice(0, 8)) {
    throw new S3Error('AuthorizationQueryParametersError', {
      message: `Invalid credential date "${credential.date}". This date is not the same as X-Amz-Date: "${amzDate.slice(0, 8)}".`,
    });
  }
  if (requestTime - now > MAX_SKEW_MS) {
    throw new S3Error('AccessDenied', { message: 'Request is not valid yet' });
  }
  if (now > requestTime + expires * 1000) {
    throw new S3Error('AccessDenied', {
      message: 'Request has expired',
      details: {
        'X-Amz-Expires': expiresText,
        Expires: formatIsoSeconds(requestTime + expires * 1000),
        ServerTime: formatIsoSeconds(now),
      },
    });
  }

  const signedHeaders = parseSignedHeaders(signedHeadersText);
  checkSignedHeaders(req, signedHeaders, []);
  // Presigned URLs normally sign UNSIGNED-PAYLOAD; a client may instead pin a hash (or a
  // streaming mode) in the query or in a signed header.
  const declared = params.get('X-Amz-Content-Sha256') ?? header(req, 'x-amz-content-sha256')?.trim() ?? UNSIGNED_PAYLOAD;
  const payload = parsePayloadMode(declared);
  return verify(req, {
    credential,
    signedHeaders,
    providedSignature: signature,
    payloadHash: declared,
    payload,
    datetime: amzDate,
    requestTime,
    presigned: true,
    lookupSecret,
  });
}

/**
 * `host` must be signed, and so must every `x-amz-*` header present (AWS refuses unsigned ones:
 * they change what a request does, e.g. x-amz-copy-source) and the header giving the time.
 */
function checkSignedHeaders(req: SignedRequestInput, signedHeaders: string[], alsoRequired: string[]): void {
  const signed = new Set(signedHeaders);
  const unsigned: string[] = [];
  for (const name of ['host', ...alsoRequired]) if (!signed.has(name)) unsigned.push(name);
  for (const name of Object.keys(req.headers)) {
    const lower = name.toLowerCase();
    if (lower.startsWith('x-amz-') && !signed.has(lower) && req.headers[name] !== undefined && !unsigned.includes(lower)) {
      unsigned.push(lower);
    }
  }
  if (unsigned.length > 0) {
    throw new S3Error('AccessDenied', {
      message: 'There were headers present in the request which were not signed',
      details: { HeadersNotSigned: unsigned.join(', ') },
    });
  }
}

interface VerifyInput {
  credential: ParsedCredential;
  signedHeaders: string[];
  providedSignature: string;
  payloadHash: string;
  payload: PayloadMode;
  datetime: string;
  requestTime: number;
  presigned: boolean;
  lookupSecret: SecretLookup;
}

async function verify(req: SignedRequestInput, v: VerifyInput): Promise<AuthResult> {
  const { credential } = v;
  const secret = await v.lookupSecret(credential.accessKeyId);
  if (secret === undefined) {
    throw new S3Error('InvalidAccessKeyId', { details: { AWSAccessKeyId: credential.accessKeyId } });
  }
  const signingKey = cachedSigningKey(secret, credential.date, credential.region, credential.service);
  const compute = (plusIsSpace: boolean): { canonical: string; sts: string; signature: string } => {
    const canonical = canonicalRequest({
      method: req.method,
      rawPath: req.rawPath,
      rawQuery: req.rawQuery,
      headers: req.headers,
      signedHeaders: v.signedHeaders,
      payloadHash: v.payloadHash,
      ...(v.presigned ? { excludeQueryParam: 'X-Amz-Signature' } : {}),
      plusIsSpace,
    });
    const sts = stringToSign(v.datetime, credential.scope, canonical);
    return { canonical, sts, signature: signHex(signingKey, sts) };
  };
  const first = compute(false);
  let matched = signaturesEqual(first.signature, v.providedSignature);
  // compat: a literal '+' in a query string is '+' to RFC 3986 (and to the AWS SDKs, which always
  // send %2B), but a space to HTML-form encoders; accept either reading the client signed.
  if (!matched && req.rawQuery.includes('+')) {
    matched = signaturesEqual(compute(true).signature, v.providedSignature);
  }
  if (!matched) {
    throw new S3Error('SignatureDoesNotMatch', {
      details: {
        AWSAccessKeyId: credential.accessKeyId,
        StringToSign: first.sts,
        SignatureProvided: v.providedSignature,
        CanonicalRequest: first.canonical,
      },
    });
  }
  return {
    kind: 'signed',
    accessKeyId: credential.accessKeyId,
    payload: v.payload,
    signing: { signingKey, scope: credential.scope, datetime: v.datetime, seedSignature: v.providedSignature },
    requestTime: v.requestTime,
    presigned: v.presigned,
  };
}
