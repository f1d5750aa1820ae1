/**
 * The S3 pipeline, once for every request:
 *   route → authenticate → tenancy and bucket → authorize → operation → response,
 * with every failure turned into the AWS XML error here and nowhere else.
 */
import { validateHeaderValue, type IncomingMessage, type ServerResponse } from 'node:http';
import { S3Error, isS3Error } from '../errors/s3-error.js';
import type { Answer, HttpResponse, RequestFacts } from '../lib/http-response.js';
import type { AccessKeys, ResolvedKey } from '../iam/access-keys.js';
import type { Principal } from '../iam/principal.js';
import type { BucketRecord, TenancyRecord } from '../metadata/store.js';
import { requestBody, type RequestBody } from './body.js';
import type { CopySource, S3Context, S3Services } from './context.js';
import { ENDPOINTS } from './endpoints.js';
import { OPERATIONS, type Operation } from './operations/index.js';
import { hostLabelOf, locate, target, withParameters } from './router.js';
import { actualRequestHeaders, preflight } from './cors.js';
import { portalPreflight, setBrowserHeaders, type PortalOriginCheck } from './browser-headers.js';
import { formHeaders, postSignatureOf, readPostForm, verifyPostSignature, type PostForm, type PostSignature } from './post-object.js';
import { AccessContext, type RequestAuth } from './access.js';
import type { EndpointSpec } from './endpoints.js';
import type { WriteQuota } from '../metadata/store.js';
import { parseCopySource } from './copy-source.js';
import { checkObjectKey } from './object-key.js';
import { refuseUnimplementedFeatures } from './unsupported-features.js';
import { authenticateSigV4 } from '../iam/sigv4/authenticate.js';
import { checkCredentialRegion } from '../iam/sigv4/parse.js';
import { authenticateSigV2, isSigV2 } from './sigv2/authenticate.js';
import { errorDocument } from './xml/error.js';
import { isMetadataUnavailable } from '../metadata/unavailable.js';
import { isStorageFull } from '../errors/storage-full.js';
import type { StorageCapacity } from '../core/capacity.js';
import type { TenancyLookup } from '../core/tenancies.js';
import { parseTrustedProxies } from '../iam/client-address.js';
import { serverAccessLogFacts } from './server-access-log-facts.js';

/**
 * `x-amz-expected-bucket-owner` (and `x-amz-source-expected-bucket-owner` for a copy's source): the request
 * holds only if the bucket belongs to that owner, else 403. A bucket's owner is named by the canonical ID
 * that ACLs and listings show as its Owner/ID (the owning user's id).
 */
function expectOwner(expected: string | string[] | undefined, bucket: BucketRecord | undefined): void {
  if (expected === undefined || bucket === undefined) return;
  if ((Array.isArray(expected) ? expected.join(',') : expected).trim() !== bucket.ownerId) throw new S3Error('AccessDenied');
}

export interface S3HandlerDeps extends S3Services {
  accessKeys: AccessKeys;
  /** Free space on the data filesystems: new data is refused below the low-water mark. */
  capacity?: StorageCapacity;
  /** Tenancies by the name in a host or path, and by an access key's tenancy id. */
  tenancies: TenancyLookup;
  /** The tenancy that requests without any other tenancy information work in. */
  defaultTenancy: () => Promise<TenancyRecord>;
  /** The portal's origin, whose presigned requests may cross origins (browser-headers.ts). */
  origins?: PortalOriginCheck;
}

/** Splits a request-target into raw path and raw query (absolute-form targets included). */
export function splitTarget(url: string): { rawPath: string; rawQuery: string } {
  let target = url;
  if (!target.startsWith('/')) {
    const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*/.exec(target);
    target = m ? target.slice(m[0].length) || '/' : '/' + target;
  }
  const q = target.indexOf('?');
  return q < 0 ? { rawPath: target, rawQuery: '' } : { rawPath: target.slice(0, q), rawQuery: target.slice(q + 1) };
}

export class S3Handler {
  /** Proxies whose X-Forwarded-For names the client (server access log records). */
  readonly #trusted;

  constructor(private readonly deps: S3HandlerDeps) {
    this.#trusted = parseTrustedProxies(deps.config.trustedProxies);
  }

  /** Answers one request: the HTTP server (http/server.ts) writes the answer. */
  async handle(req: IncomingMessage, res: ServerResponse, requestId: string, facts: RequestFacts = {}): Promise<Answer> {
    res.setHeader('x-amz-request-id', requestId);
    res.setHeader('x-amz-id-2', requestId);
    res.setHeader('server', 'Granary');
    setBrowserHeaders(req, res, this.deps.origins);
    const method = req.method ?? 'GET';
    const isHead = method === 'HEAD';
    const { rawPath, rawQuery } = splitTarget(req.url ?? '/');
    let resource = rawPath;
    let post: PostForm | undefined;
    try {
      const response = await this.run(req, res, method, rawPath, rawQuery, requestId, facts, (r) => (resource = r), (p) => (post = p));
      // A header Node would refuse to write is this request's error, answered here, not a cut connection.
      for (const [name, value] of Object.entries(response.headers)) validateHeaderValue(name, value as string); // numbers and lists as Node checks them in setHeader
      return { response, headersOnly: isHead };
    } catch (e) {
      await post?.discard();
      const answer = this.errorAnswer(req, res, e, resource, requestId, isHead);
      facts.errorCode = answer.errorCode;
      return answer;
    }
  }

  private async run(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    rawPath: string,
    rawQuery: string,
    requestId: string,
    facts: RequestFacts,
    setResource: (r: string) => void,
    setPost: (p: PostForm) => void,
  ): Promise<HttpResponse> {
    const { tenancies, config } = this.deps;
    const receivedAt = Date.now();
    const query = new URLSearchParams(rawQuery);

    // Host → tenancy and/or bucket: `<tenancy>.<domain>`, `<bucket>.<tenancy>.<domain>`, or (when no
    // tenancy has that name) `<bucket>.<domain>`. compat: a tenancy name wins over a bucket of that name.
    const hostLabel = hostLabelOf(req.headers.host, config.domains);
    let hostTenancy: TenancyRecord | undefined;
    let virtualBucket: string | undefined;
    if (hostLabel !== undefined) {
      const dot = hostLabel.lastIndexOf('.');
      hostTenancy = await tenancies.named(dot < 0 ? hostLabel : hostLabel.slice(dot + 1));
      virtualBucket = hostTenancy ? (dot < 0 ? undefined : hostLabel.slice(0, dot)) : hostLabel;
    }
    // A CORS preflight is no S3 operation and carries no credentials: answered from the bucket's rules.
    if (method === 'OPTIONS') return portalPreflight(req, this.deps.origins) ?? this.preflight(req, rawPath, virtualBucket, hostTenancy, setResource);
    const r = target({ method, rawPath, query, headers: req.headers, virtualBucket });
    const spec: EndpointSpec = ENDPOINTS[r.endpoint];
    facts.operation = r.endpoint;
    facts.bucket = r.bucket;
    facts.key = r.key;
    setResource(r.bucket === undefined ? '/' : `/${r.bucket}${r.key !== undefined ? '/' + r.key : ''}`);
    const { pathTenancy, bucketName } = await this.splitTenancy(r.bucket);

    let resolved: ResolvedKey | undefined;
    const signed = { method, rawPath, rawQuery, headers: req.headers };
    const lookupSecret = async (id: string): Promise<string | undefined> => {
      resolved = await this.deps.accessKeys.resolve(id);
      if (resolved === undefined && (await this.deps.accessKeys.isExpired(id))) {
        throw new S3Error('ExpiredToken', { message: 'The access key has expired.', details: { AWSAccessKeyId: id } });
      }
      return resolved?.secret;
    };
    const auth = isSigV2(signed)
      ? await authenticateSigV2(signed, lookupSecret, virtualBucket)
      : await authenticateSigV4(signed, lookupSecret, Date.now(), { region: this.signingRegion() });
    let principal: Principal =
      auth.kind === 'signed' && resolved ? { kind: 'user', user: resolved.user, key: resolved.key } : { kind: 'anonymous' };
    // PostObject (browser form): the principal and the key come from the form's fields, before the file.
    let key = r.key;
    let post: PostForm | undefined;
    let postSignature: PostSignature | undefined;
    let postBody: RequestBody | undefined;
    if (spec.body === 'form') {
      postBody = requestBody(req, auth, res, { idleTimeoutMs: config.bodyIdleTimeoutMs });
      post = await readPostForm(req.headers, postBody.stream());
      setPost(post);
      post.baseUrl = `${(req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}`;
      key = post.key;
      setResource(`/${r.bucket}/${key}`);
      const sig = (postSignature = postSignatureOf(post.fields));
      if (sig.kind !== 'anonymous') {
        resolved = undefined;
        const secret = await lookupSecret(sig.accessKeyId);
        if (sig.kind === 'v4') checkCredentialRegion(sig.region, this.signingRegion(), 'AuthorizationHeaderMalformed');
        if (secret === undefined || !resolved) throw new S3Error('InvalidAccessKeyId', { details: { AWSAccessKeyId: sig.accessKeyId } });
        verifyPostSignature(sig, secret);
        const k: ResolvedKey = resolved;
        principal = { kind: 'user', user: k.user, key: k.key };
      }
    }
    // The key and the features the request asks for, however they arrived (path, form), checked once here.
    if (key !== undefined) checkObjectKey(key, { forDelete: spec.anyKeyLength === true });
    refuseUnimplementedFeatures(r.endpoint, req.headers, post?.fields);
    if (principal.kind === 'user') this.deps.accessKeys.touch(principal.key.accessKeyId);

    if (principal.kind === 'user') {
      facts.principal = principal.user.username;
      facts.accessKeyId = principal.key.accessKeyId;
    }
    if (key !== r.key) facts.key = key;
    const tenancy =
      pathTenancy ?? hostTenancy ?? (principal.kind === 'user' ? await this.tenancyOf(principal.key.tenancyId) : await this.deps.defaultTenancy());
    facts.tenancy = tenancy.name;
    const bucket =
      spec.scope === 'service' || spec.createsBucket || bucketName === undefined
        ? undefined
        : await this.deps.buckets.get(tenancy.id, bucketName);
    // The portal's own presigned requests were answered for its origin already (browser-headers.ts).
    if (bucket?.cors && req.headers.origin !== undefined && !res.hasHeader('access-control-allow-origin')) {
      for (const [name, value] of Object.entries(actualRequestHeaders(bucket, method, req.headers))) res.setHeader(name, value);
    }

    const requestAuth: RequestAuth =
      post && postSignature && postSignature.kind !== 'anonymous'
        ? { kind: 'post', version: postSignature.kind === 'v4' ? 'AWS4-HMAC-SHA256' : 'AWS' }
        : auth.kind === 'signed'
          ? { kind: auth.presigned ? 'query' : 'header', version: auth.signing ? 'AWS4-HMAC-SHA256' : 'AWS' }
          : { kind: 'anonymous' };
    // A form stands for the PutObject headers its fields give (policy conditions read them).
    const access = new AccessContext(this.deps, req, principal, tenancy, query, { ...(post ? { headers: formHeaders(post.fields) } : {}), auth: requestAuth });
    // Bucket logging (core/log-delivery.ts): from here on, a refusal is logged as well as a success.
    if (bucket?.logging) facts.serverAccessLog = serverAccessLogFacts(req, bucket, principal, requestAuth, this.#trusted, receivedAt);
    // DeleteObjects names its keys in the body: it is authorized key by key (s3:DeleteObject on each
    // object ARN) by the operation, as AWS does, so a Deny on a prefix cannot be bypassed with it. Before
    // its body is read, it must be one that could delete something here at all (authorize before reading).
    // compat: a principal with no way to delete anything in the bucket gets 403 for the whole request, where
    // AWS reads the document and answers AccessDenied per key.
    if (bucket && key !== undefined && spec.authorize === 'key-read') await access.requireRead(spec.action, bucket, key);
    else if (spec.authorize === 'some-object' && bucket) await access.requireSomeObject(spec.action, bucket);
    else await access.require(spec.action, bucket, key);
    expectOwner(req.headers['x-amz-expected-bucket-owner'], bucket);
    // The route's parameters, parsed once the request is authorized (their errors as the operations gave them).
    const routed = withParameters(r, query, req.headers);

    const status = await this.deps.quota.status(tenancy);
    // The fill level is the tenancy's business: shown to its members (and site administrators), not to
    // anonymous callers or users reaching a shared bucket from elsewhere.
    if (status && (await access.seesQuota())) {
      res.setHeader('x-granary-quota-used-percent', String(status.percent));
      res.setHeader('x-granary-quota-level', status.level);
    }
    const body = postBody ?? requestBody(req, auth, res, { idleTimeoutMs: config.bodyIdleTimeoutMs });
    // A form's length is an upper bound of its file's, not a size to tell in a quota message.
    const declared = spec.reserves && spec.body === 'stream' ? body.size : undefined;
    // A body of undeclared size reserves nothing: while full it is refused before it is read.
    const unknownSize = spec.reserves !== undefined && body.size === undefined;
    await this.deps.quota.check(tenancy, bucket, unknownSize ? 'write' : (spec.quota ?? 'read'), status, declared);

    let copySource: CopySource | undefined;
    const copyHeader = req.headers['x-amz-copy-source'];
    if (spec.copySource && typeof copyHeader === 'string') {
      const src = parseCopySource(copyHeader);
      const { pathTenancy: srcPathTenancy, bucketName: srcName = src.bucket } = await this.splitTenancy(src.bucket);
      const srcTenancy = srcPathTenancy ?? tenancy;
      const srcBucket = await this.deps.buckets.get(srcTenancy.id, srcName);
      const srcAccess = srcTenancy === tenancy ? access : new AccessContext(this.deps, req, principal, srcTenancy, query, { auth: requestAuth });
      await srcAccess.require('s3:GetObject', srcBucket, src.key);
      expectOwner(req.headers['x-amz-source-expected-bucket-owner'], srcBucket);
      copySource = { bucket: srcBucket, key: src.key };
    }

    // The pipeline has established what the endpoint's row promises (bucket, key, copy source, form).
    const op = OPERATIONS[r.endpoint] as Operation | undefined;
    if (!op) throw new S3Error('NotImplemented', { message: `${r.endpoint} is not implemented by Granary yet` });

    // New data needs room above the low-water mark, checked before its body is read (deletes need none).
    if (spec.addsData) await this.deps.capacity?.requireRoom(spec.body === 'none' ? 0 : body.size);
    // A write of declared size reserves its room before a byte of the body is read (for a form upload,
    // the whole form's length: an upper bound of the file's).
    let quota: WriteQuota | undefined;
    if (bucket && key !== undefined && spec.reserves) {
      // A part's route names its upload and part number (route-parameters.ts).
      quota =
        spec.reserves === 'part' && 'uploadId' in routed && 'partNumber' in routed
          ? await this.deps.quota.reservePart(tenancy, bucket, key, routed.uploadId, routed.partNumber, body.size ?? 0)
          : await this.deps.quota.reserveObject(tenancy, bucket, key, body.size ?? 0);
      // The reservation lives while the bytes flow; a stalled upload is cut off and its room lapses.
      body.onProgress(this.deps.quota.keepAlive(quota));
    }
    const ctx: S3Context = {
      requestId,
      route: routed,
      method,
      headers: req.headers,
      principal,
      tenancy,
      bucketName,
      bucket,
      key,
      copySource,
      body,
      quota,
      access,
      services: this.deps,
      rawPath,
      secure: (req.socket as { encrypted?: boolean }).encrypted === true,
      post,
    };
    return this.deps.quota.during(quota, () => op(ctx));
  }

  /** The region SigV4 credential scopes must name (undefined: any, when the site says so). */
  private signingRegion(): string | undefined {
    return this.deps.config.acceptAnyRegion ? undefined : this.deps.config.region;
  }

  /** `tenancy:bucket` in a path names the tenancy as Ceph RGW writes it. */
  private async splitTenancy(name: string | undefined): Promise<{ pathTenancy: TenancyRecord | undefined; bucketName: string | undefined }> {
    if (!name?.includes(':')) return { pathTenancy: undefined, bucketName: name };
    const pathTenancy = await this.deps.tenancies.named(name.slice(0, name.indexOf(':')));
    if (!pathTenancy) throw new S3Error('NoSuchBucket', { details: { BucketName: name } });
    return { pathTenancy, bucketName: name.slice(name.indexOf(':') + 1) };
  }

  /**
   * `OPTIONS` (CORS preflight): unauthenticated, so the bucket's tenancy comes from the host or a
   * `tenancy:bucket` path, else the default tenancy.
   */
  private async preflight(
    req: IncomingMessage,
    rawPath: string,
    virtualBucket: string | undefined,
    hostTenancy: TenancyRecord | undefined,
    setResource: (r: string) => void,
  ): Promise<HttpResponse> {
    req.resume();
    const loc = locate({ rawPath, virtualBucket });
    setResource(loc.bucket === undefined ? '/' : `/${loc.bucket}${loc.key !== undefined ? '/' + loc.key : ''}`);
    const { pathTenancy, bucketName } = await this.splitTenancy(loc.bucket);
    if (bucketName === undefined) throw new S3Error('AccessForbidden', { message: 'CORSResponse: Bucket not found' });
    const tenancy = pathTenancy ?? hostTenancy ?? (await this.deps.defaultTenancy());
    const bucket: BucketRecord = await this.deps.buckets.get(tenancy.id, bucketName);
    return preflight(bucket, req.headers);
  }

  private async tenancyOf(id: string): Promise<TenancyRecord> {
    const t = await this.deps.tenancies.byId(id);
    if (!t) throw new S3Error('AccessDenied', { message: 'The tenancy of this access key no longer exists' });
    return t;
  }

  /** The AWS XML error for a failure, logged unless it is an S3 error decided on purpose. */
  private errorAnswer(req: IncomingMessage, res: ServerResponse, e: unknown, resource: string, requestId: string, isHead: boolean): Answer & { errorCode: string } {
    let err: S3Error;
    if (isS3Error(e)) {
      err = e;
    } else if (isStorageFull(e)) {
      // ENOSPC/EDQUOT/SQLITE_FULL wherever it happened: not retryable, and never a 500 (issue 15 #3).
      this.deps.log.warn('storage full', { requestId, method: req.method, url: resource, err: (e as Error).message });
      err = new S3Error('InsufficientStorage');
    } else if (isMetadataUnavailable(e)) {
      // The metadata database is unreachable (scale-out mode): a retryable 503, not an internal error.
      this.deps.log.warn('metadata store unavailable', { requestId, method: req.method, url: resource, err: (e as Error).message });
      err = new S3Error('ServiceUnavailable', { message: 'The metadata store is unreachable; please retry.' });
    } else {
      this.deps.log.error('request failed', { requestId, method: req.method, url: resource, err: e });
      err = new S3Error('InternalError');
    }
    const headers: HttpResponse['headers'] = { ...err.headers };
    // Too late for an error document when a response is under way: the server cuts the connection.
    const errorCode = err.code;
    if (res.headersSent) return { response: { status: err.status, headers }, headersOnly: true, abort: true, errorCode };
    const closeConnection = !req.complete && !req.destroyed;
    if (err.status === 304) return { response: { status: 304, headers }, headersOnly: true, closeConnection, errorCode };
    headers['content-type'] = 'application/xml';
    return { response: { status: err.status, headers, body: errorDocument(err, resource, requestId) }, headersOnly: isHead, closeConnection, errorCode };
  }
}
