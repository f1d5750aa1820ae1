/**
 * SigV4 query-string signing (a presigned URL) for the server's own links: the portal's uploads,
 * downloads and share links (signed with the user's own key, so S3 authorizes them as that user), and the
 * object links of a prefix share page. UNSIGNED-PAYLOAD, `host` the only signed header. The verifier is
 * s3/sigv4/authenticate.ts; test/integration tests every kind of URL made here against it.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
 */
import { createHash, createHmac } from 'node:crypto';

/** RFC 3986 encoding as SigV4 wants it (every byte outside A-Za-z0-9-._~). */
function enc(s: string, keepSlash = false): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-._~]/.test(c) || (keepSlash && c === '/')) out += c;
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

/** A SigV4 presigned URL (UNSIGNED-PAYLOAD, host the only signed header). */
export function presignUrl(o: { origin: string; host: string; method: string; path: string; query: Record<string, string>; accessKeyId: string; secret: string; region: string; expiresIn: number; now?: Date }): string {
  const now = o.now ?? new Date();
  const amzDate = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const scope = `${day}/${o.region}/s3/aws4_request`;
  const q: Record<string, string> = {
    ...o.query,
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': `${o.accessKeyId}/${scope}`,
    'X-Amz-Date': amzDate,
    'X-Amz-Expires': String(o.expiresIn),
    'X-Amz-SignedHeaders': 'host',
  };
  const canonicalQuery = Object.entries(q)
    .map(([k, v]) => [enc(k), enc(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalPath = enc(o.path, true);
  const canonical = [o.method, canonicalPath, canonicalQuery, `host:${o.host}\n`, 'host', 'UNSIGNED-PAYLOAD'].join('\n');
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  let key = hmac('AWS4' + o.secret, day);
  key = hmac(key, o.region);
  key = hmac(key, 's3');
  key = hmac(key, 'aws4_request');
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  return `${o.origin}${canonicalPath}?${canonicalQuery}&X-Amz-Signature=${signature}`;
}

