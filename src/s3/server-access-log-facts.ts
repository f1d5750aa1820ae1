/**
 * The facts of an S3 request that its server access log record needs (lib/http-response.ts
 * ServerAccessLogFacts), gathered by the pipeline once the bucket is known and only when that bucket's
 * logging is on. Signatures and session tokens in a presigned URL's query are blanked here, so no log
 * record ever carries one (compat: AWS logs the Request-URI as sent).
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { clientAddress } from '../iam/client-address.js';
import type { Cidr } from '../iam/policy/types.js';
import type { Principal } from '../iam/principal.js';
import type { ServerAccessLogFacts } from '../lib/http-response.js';
import type { BucketRecord } from '../metadata/store.js';
import type { RequestAuth } from './access.js';

/** Query parameters whose values are secrets (SigV4 and SigV2 presigned URLs, temporary credentials). */
const SECRET_PARAMS = /([?&](?:x-amz-signature|signature|x-amz-security-token)=)[^&#]*/gi;

export function blankSecrets(target: string): string {
  return target.includes('?') ? target.replace(SECRET_PARAMS, '$1-') : target;
}

export function serverAccessLogFacts(req: IncomingMessage, bucket: BucketRecord, principal: Principal, auth: RequestAuth, trusted: readonly Cidr[], receivedAt: number): ServerAccessLogFacts {
  const socket = req.socket as Partial<TLSSocket>;
  const tls = socket.encrypted ? { version: socket.getProtocol?.() ?? '-', cipher: socket.getCipher?.()?.standardName ?? '-' } : undefined;
  const header = (name: string): string | undefined => {
    const v = req.headers[name];
    return Array.isArray(v) ? v.join(',') : v;
  };
  return {
    bucketId: bucket.id,
    bucketOwner: bucket.ownerId,
    receivedAt,
    clientAddress: clientAddress(req, trusted),
    requestLine: `${req.method ?? 'GET'} ${blankSecrets(req.url ?? '/')} HTTP/${req.httpVersion}`,
    requester: principal.kind === 'user' ? `arn:aws:iam:::user/${principal.user.username}` : undefined,
    signatureVersion: auth.kind === 'anonymous' ? undefined : auth.version === 'AWS4-HMAC-SHA256' ? 'SigV4' : 'SigV2',
    authType: auth.kind === 'header' ? 'AuthHeader' : auth.kind === 'query' ? 'QueryString' : auth.kind === 'post' ? 'Post' : undefined,
    userAgent: header('user-agent'),
    referrer: header('referer'),
    host: header('host'),
    tls,
  };
}
