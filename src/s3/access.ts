/**
 * Per-request glue between the S3 pipeline and the one decision point (iam/authorize.ts): the policy
 * condition keys of this HTTP request, with the facts every asker loads the same way (iam/access-facts.ts:
 * membership, groups, the bucket's policy and ACLs, each once per request and only when needed).
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { S3Error } from '../errors/s3-error.js';
import { authorize, mayAuthorizeSomeObject, type Decision } from '../iam/authorize.js';
import { AccessFacts, type ConditionContext } from '../iam/access-facts.js';
import type { Principal } from '../iam/principal.js';
import type { BucketRecord, TenancyRecord } from '../metadata/store.js';
import type { S3Services } from './context.js';
import { parseCopySource } from './copy-source.js';

/** How the request was authenticated, for `s3:authType` and `s3:signatureversion`. */
export interface RequestAuth {
  kind: 'header' | 'query' | 'post' | 'anonymous';
  version?: 'AWS4-HMAC-SHA256' | 'AWS';
}

/** Request headers that are S3 condition keys of their own name (`s3:x-amz-acl`, …). */
const HEADER_KEYS = [
  'x-amz-acl', 'x-amz-metadata-directive', 'x-amz-storage-class', 'x-amz-server-side-encryption',
  'x-amz-server-side-encryption-aws-kms-key-id', 'x-amz-server-side-encryption-customer-algorithm',
  'x-amz-website-redirect-location', 'x-amz-content-sha256', 'x-amz-object-ownership', 'if-match', 'if-none-match',
];
const GRANT_KEYS = ['x-amz-grant-read', 'x-amz-grant-write', 'x-amz-grant-read-acp', 'x-amz-grant-write-acp', 'x-amz-grant-full-control'];

const single = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v.join(',') : v);

/**
 * The condition keys a request's headers give: each header key by its name, the grant headers as their
 * grantees (`id=…`, `uri=…`, `emailAddress=…`, unquoted, one value each), the copy source as `bucket/key`
 * (decoded, as policies write it), the tags of `x-amz-tagging` as `s3:RequestObjectTag/<key>` and
 * `s3:RequestObjectTagKeys`.
 */
function headerConditionKeys(h: IncomingHttpHeaders): ConditionContext {
  const out: ConditionContext = {};
  for (const name of HEADER_KEYS) {
    const v = single(h[name]);
    if (v !== undefined) out[`s3:${name}`] = v.trim();
  }
  for (const name of GRANT_KEYS) {
    const v = single(h[name]);
    if (v !== undefined) out[`s3:${name}`] = v.split(',').map((g) => g.trim().replace(/^([A-Za-z]+)\s*=\s*"(.*)"$/, '$1=$2'));
  }
  const copy = single(h['x-amz-copy-source']);
  if (copy !== undefined) {
    try {
      const src = parseCopySource(copy);
      out['s3:x-amz-copy-source'] = `${src.bucket}/${src.key}`;
    } catch {
      out['s3:x-amz-copy-source'] = copy.trim().replace(/^\//, '');
    }
  }
  const tagging = single(h['x-amz-tagging']);
  if (tagging !== undefined) {
    const tags = [...new URLSearchParams(tagging)];
    for (const [k, v] of tags) out[`s3:requestobjecttag/${k}`] = v;
    out['s3:requestobjecttagkeys'] = tags.map(([k]) => k);
  }
  return out;
}

export class AccessContext {
  readonly #facts: AccessFacts;
  #context: ConditionContext | undefined;

  /**
   * `headers`: the headers the request stands for, when not its own (a browser form's fields, as
   * formHeaders gives them); `auth`: how it was authenticated.
   */
  constructor(
    private readonly services: S3Services,
    private readonly req: IncomingMessage,
    readonly principal: Principal,
    readonly tenancy: TenancyRecord,
    private readonly query: URLSearchParams,
    private readonly request: { headers?: IncomingHttpHeaders; auth?: RequestAuth } = {},
  ) {
    this.#facts = principal.kind === 'user' ? new AccessFacts(services, principal.user, principal.key, tenancy) : new AccessFacts(services, undefined, undefined, tenancy);
  }

  /**
   * The policy condition keys of this request. Built on first need: only a bucket policy or a key
   * restriction reads them, and most requests (an owner's own bucket) have neither.
   */
  private conditionContext(): ConditionContext {
    if (this.#context) return this.#context;
    const { req, principal, query } = this;
    const now = new Date();
    const referer = req.headers.referer;
    const auth = this.request.auth;
    const tls = (req.socket as TLSSocket).encrypted ? /^TLSv(\d\.\d)$/.exec((req.socket as TLSSocket).getProtocol?.() ?? '')?.[1] : undefined;
    return (this.#context = {
      ...headerConditionKeys(this.request.headers ?? req.headers),
      's3:authtype': auth && auth.kind !== 'anonymous' ? { header: 'REST-HEADER', query: 'REST-QUERY-STRING', post: 'POST' }[auth.kind] : undefined,
      's3:signatureversion': auth?.version,
      's3:tlsversion': tls,
      's3:versionid': query.get('versionId') ?? undefined,
      'aws:sourceip': req.socket.remoteAddress,
      'aws:securetransport': (req.socket as TLSSocket).encrypted ? 'true' : 'false',
      'aws:currenttime': now.toISOString(),
      'aws:epochtime': String(Math.floor(now.getTime() / 1000)),
      'aws:referer': typeof referer === 'string' ? referer : undefined,
      'aws:useragent': req.headers['user-agent'],
      'aws:username': principal.kind === 'user' ? principal.user.username : undefined,
      'aws:userid': principal.kind === 'user' ? principal.user.id : 'anonymous',
      'aws:principaltype': principal.kind === 'user' ? 'User' : 'Anonymous',
      'aws:principalarn': principal.kind === 'user' ? `arn:aws:iam:::user/${principal.user.username}` : undefined,
      's3:prefix': query.get('prefix') ?? undefined,
      's3:delimiter': query.get('delimiter') ?? undefined,
      's3:max-keys': query.get('max-keys') ?? undefined,
    });
  }

  /**
   * The decision for an action on a bucket (or key); undefined bucket = a service-level action. `extra`
   * condition keys stand in for the request's own (a check about a request other than this one).
   */
  async decide(action: string, bucket: BucketRecord | undefined, key: string | undefined, extra: ConditionContext = {}): Promise<Decision> {
    // The request's condition keys are built only when a policy or a key restriction will read them.
    const context: ConditionContext = this.#facts.conditional(bucket) ? { ...this.conditionContext(), ...extra } : { ...extra };
    return authorize(await this.#facts.request(action, bucket, key, context));
  }

  /** Whether the principal may see the tenancy's own state (its quota fill level): its members and site administrators. */
  async seesQuota(): Promise<boolean> {
    if (this.principal.kind !== 'user') return false;
    return this.principal.user.isSiteAdmin || (await this.#facts.membership()) !== undefined;
  }

  /** Throws AccessDenied unless allowed. */
  async require(action: string, bucket: BucketRecord | undefined, key: string | undefined): Promise<void> {
    const d = await this.decide(action, bucket, key);
    if (!d.allowed) throw new S3Error('AccessDenied');
  }

  /**
   * For reads of a key: AccessDenied unless allowed, except that a key that does not exist is NoSuchKey to
   * whoever could have listed it (s3:ListBucket with the key as the prefix), as AWS answers 404 rather than
   * 403 to those who may learn the key is absent anyway.
   * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_Permissions
   */
  async requireRead(action: string, bucket: BucketRecord, key: string): Promise<void> {
    if ((await this.decide(action, bucket, key)).allowed) return;
    if ((await this.services.objects.find(bucket, key)) === undefined && (await this.decide('s3:ListBucket', bucket, undefined, { 's3:prefix': key })).allowed) {
      throw new S3Error('NoSuchKey', { details: { Key: key } });
    }
    throw new S3Error('AccessDenied');
  }

  /**
   * Throws AccessDenied unless `action` could be allowed on some object of the bucket: for requests that
   * name their objects in the body (DeleteObjects), checked before the body is read; each object is then
   * authorized on its own.
   */
  async requireSomeObject(action: string, bucket: BucketRecord): Promise<void> {
    const d = mayAuthorizeSomeObject(await this.#facts.request(action, bucket, undefined, {}));
    if (!d.allowed) throw new S3Error('AccessDenied');
  }

  async allowed(action: string, bucket: BucketRecord | undefined, key?: string): Promise<boolean> {
    return (await this.decide(action, bucket, key)).allowed;
  }
}
