/**
 * SigV4 signing, on the same canonical request, string to sign and signing key the verifier checks
 * (canonical.ts, signing-key.ts), so what Granary signs and what it verifies cannot drift apart:
 *  - `presignUrl`: query-string signing for the server's own links (the portal's uploads, downloads and
 *    share links, signed with the user's own key so S3 authorizes them as that user, and the object links
 *    of a prefix share page); UNSIGNED-PAYLOAD, `host` the only signed header.
 *  - `HeaderSigner`: header signing for a load client (the bench), UNSIGNED-PAYLOAD.
 * The test oracle (test/helpers/sign.ts) stays an independent implementation on purpose.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
 */
import { canonicalQuery, canonicalRequest, SIGV4_ALGORITHM, stringToSign } from './canonical.js';
import { uriEncode } from './encoding.js';
import { cachedSigningKey, signHex } from './signing-key.js';

const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

/** `20130524T000000Z` of a time. */
function amzDateOf(now: Date): string {
  return now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

export { uriEncode };

/** A decoded path, SigV4-encoded segment by segment ('/' kept). */
export function encodePath(path: string): string {
  return path.split('/').map(uriEncode).join('/');
}

function encodeQuery(pairs: Iterable<readonly [string, string]>): string {
  return Array.from(pairs, ([k, v]) => `${uriEncode(k)}=${uriEncode(v)}`).join('&');
}

/** A SigV4 presigned URL (UNSIGNED-PAYLOAD, host the only signed header); `path` and `query` decoded. */
export function presignUrl(o: { origin: string; host: string; method: string; path: string; query: Record<string, string>; accessKeyId: string; secret: string; region: string; expiresIn: number; now?: Date }): string {
  const amzDate = amzDateOf(o.now ?? new Date());
  const day = amzDate.slice(0, 8);
  const scope = `${day}/${o.region}/s3/aws4_request`;
  const rawPath = encodePath(o.path);
  const rawQuery = canonicalQuery(
    encodeQuery(
      Object.entries({
        ...o.query,
        'X-Amz-Algorithm': SIGV4_ALGORITHM,
        'X-Amz-Credential': `${o.accessKeyId}/${scope}`,
        'X-Amz-Date': amzDate,
        'X-Amz-Expires': String(o.expiresIn),
        'X-Amz-SignedHeaders': 'host',
      }),
    ),
  );
  const canonical = canonicalRequest({ method: o.method, rawPath, rawQuery, headers: { host: o.host }, signedHeaders: ['host'], payloadHash: UNSIGNED_PAYLOAD });
  const signature = signHex(cachedSigningKey(o.secret, day, o.region, 's3'), stringToSign(amzDate, scope, canonical));
  return `${o.origin}${rawPath}?${rawQuery}&X-Amz-Signature=${signature}`;
}

export interface Credentials {
  accessKeyId: string;
  secretKey: string;
  region: string;
}

/** Header signing of UNSIGNED-PAYLOAD requests: host, x-amz-content-sha256 and x-amz-date signed. */
export class HeaderSigner {
  private static readonly SIGNED = ['host', 'x-amz-content-sha256', 'x-amz-date'];

  constructor(private readonly creds: Credentials) {}

  /**
   * The headers to add. `path` is the already-encoded request path, `query` pairs are raw (decoded). `amz`: the
   * request's own x-amz-* headers (lowercase names, e.g. x-amz-server-side-encryption), which S3 wants signed.
   */
  sign(method: string, host: string, path: string, query: Array<[string, string]>, now: Date = new Date(), amz: Record<string, string> = {}): Record<string, string> {
    const amzDate = amzDateOf(now);
    const day = amzDate.slice(0, 8);
    const scope = `${day}/${this.creds.region}/s3/aws4_request`;
    const headers = { ...amz, host, 'x-amz-content-sha256': UNSIGNED_PAYLOAD, 'x-amz-date': amzDate };
    const signed = [...HeaderSigner.SIGNED, ...Object.keys(amz)].sort();
    const canonical = canonicalRequest({ method, rawPath: path, rawQuery: encodeQuery(query), headers, signedHeaders: signed, payloadHash: UNSIGNED_PAYLOAD });
    const signature = signHex(cachedSigningKey(this.creds.secretKey, day, this.creds.region, 's3'), stringToSign(amzDate, scope, canonical));
    return {
      'x-amz-content-sha256': UNSIGNED_PAYLOAD,
      'x-amz-date': amzDate,
      authorization: `${SIGV4_ALGORITHM} Credential=${this.creds.accessKeyId}/${scope}, SignedHeaders=${signed.join(';')}, Signature=${signature}`,
    };
  }
}
