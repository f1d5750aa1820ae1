/**
 * Minimal AWS SigV4 header signing for the load client, UNSIGNED-PAYLOAD only. Cheap on purpose: the
 * signing key is derived once per day, each request costs one SHA-256 of the canonical request and one HMAC.
 */
import { createHash, createHmac } from 'node:crypto';

export interface Credentials {
  accessKeyId: string;
  secretKey: string;
  region: string;
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** RFC 3986 encoding as SigV4 wants it (unreserved kept; '/' kept when encoding a path). */
export function awsEncode(s: string, keepSlash: boolean): string {
  let out = encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  if (keepSlash) out = out.replace(/%2F/g, '/');
  return out;
}

export class Signer {
  private day = '';
  private key: Buffer = Buffer.alloc(0);
  private scopeTail: string;

  constructor(private readonly creds: Credentials) {
    this.scopeTail = `/${creds.region}/s3/aws4_request`;
  }

  /**
   * Returns the headers to add. `path` is the already-encoded request path, `query` pairs are raw.
   * Only host, x-amz-content-sha256 and x-amz-date are signed.
   */
  sign(method: string, host: string, path: string, query: Array<[string, string]>): Record<string, string> {
    const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    const day = amzDate.slice(0, 8);
    if (day !== this.day) {
      this.day = day;
      const kDate = hmac('AWS4' + this.creds.secretKey, day);
      this.key = hmac(hmac(hmac(kDate, this.creds.region), 's3'), 'aws4_request');
    }
    let cq = '';
    if (query.length > 0) {
      cq = query
        .map(([k, v]) => [awsEncode(k, false), awsEncode(v, false)] as const)
        .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
        .map(([k, v]) => `${k}=${v}`)
        .join('&');
    }
    const canonical =
      `${method}\n${path}\n${cq}\nhost:${host}\nx-amz-content-sha256:UNSIGNED-PAYLOAD\nx-amz-date:${amzDate}\n\n` +
      `host;x-amz-content-sha256;x-amz-date\nUNSIGNED-PAYLOAD`;
    const scope = day + this.scopeTail;
    const sts = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${createHash('sha256').update(canonical).digest('hex')}`;
    const sig = createHmac('sha256', this.key).update(sts).digest('hex');
    return {
      'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
      'x-amz-date': amzDate,
      authorization: `AWS4-HMAC-SHA256 Credential=${this.creds.accessKeyId}/${scope}, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=${sig}`,
    };
  }
}
