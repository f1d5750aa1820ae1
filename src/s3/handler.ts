/**
 * The S3 pipeline, once for every request:
 *   route → authenticate → tenancy and bucket → authorize → operation → response,
 * with every failure turned into the AWS XML error here and nowhere else.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { S3Error, isS3Error } from '../errors/s3-error.js';
import type { HttpResponse } from '../lib/http-response.js';
import type { AccessKeys, ResolvedKey } from '../iam/access-keys.js';
import type { Principal } from '../iam/principal.js';
import type { TenancyRecord } from '../metadata/store.js';
import { send } from '../http/send.js';
import { requestBody } from './body.js';
import type { S3Context, S3Services } from './context.js';
import { ENDPOINTS } from './endpoints.js';
import { OPERATIONS } from './operations/index.js';
import { hostLabelOf, route } from './router.js';
import { AccessContext } from './access.js';
import type { WriteKind } from '../core/quota.js';
import type { EndpointName } from './endpoints.js';
import type { WriteQuota } from '../metadata/store.js';
import { parseCopySource } from './copy-source.js';
import { authenticateSigV4 } from './sigv4/authenticate.js';
import { authenticateSigV2, isSigV2 } from './sigv2/authenticate.js';
import { errorDocument } from './xml/error.js';

/** How each operation counts for a full tenancy's quota action (unlisted: a read). */
const QUOTA_KIND: Partial<Record<EndpointName, WriteKind>> = {
  PutObject: 'write',
  CopyObject: 'write',
  CreateMultipartUpload: 'write',
  UploadPart: 'write',
  UploadPartCopy: 'write',
  CompleteMultipartUpload: 'write',
  PostObject: 'write',
  DeleteObject: 'delete',
  DeleteObjects: 'delete',
  AbortMultipartUpload: 'delete',
  DeleteBucket: 'delete',
};

export interface S3HandlerDeps extends S3Services {
  accessKeys: AccessKeys;
  /** The tenancy that requests without any other tenancy information work in. */
  defaultTenancy: () => Promise<TenancyRecord>;
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
  constructor(private readonly deps: S3HandlerDeps) {}

  async handle(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    res.setHeader('x-amz-request-id', requestId);
    res.setHeader('x-amz-id-2', requestId);
    res.setHeader('server', 'Granary');
    const method = req.method ?? 'GET';
    const isHead = method === 'HEAD';
    const { rawPath, rawQuery } = splitTarget(req.url ?? '/');
    let resource = rawPath;
    try {
      const response = await this.run(req, res, method, rawPath, rawQuery, requestId, (r) => (resource = r));
      await send(res, response, isHead);
    } catch (e) {
      await this.sendError(req, res, e, resource, requestId, isHead);
    }
  }

  private async run(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    rawPath: string,
    rawQuery: string,
    requestId: string,
    setResource: (r: string) => void,
  ): Promise<HttpResponse> {
    const { metadata, config } = this.deps;
    const query = new URLSearchParams(rawQuery);

    // Host → tenancy and/or bucket: `<tenancy>.<domain>`, `<bucket>.<tenancy>.<domain>`, or (when no
    // tenancy has that name) `<bucket>.<domain>`. compat: a tenancy name wins over a bucket of that name.
    const hostLabel = hostLabelOf(req.headers.host, config.domains);
    let hostTenancy: TenancyRecord | undefined;
    let virtualBucket: string | undefined;
    if (hostLabel !== undefined) {
      const dot = hostLabel.lastIndexOf('.');
      hostTenancy = await metadata.getTenancyByName(dot < 0 ? hostLabel : hostLabel.slice(dot + 1));
      virtualBucket = hostTenancy ? (dot < 0 ? undefined : hostLabel.slice(0, dot)) : hostLabel;
    }
    const r = route({ method, rawPath, query, headers: req.headers, virtualBucket });
    setResource(r.bucket === undefined ? '/' : `/${r.bucket}${r.key !== undefined ? '/' + r.key : ''}`);

    // `tenancy:bucket` in a path names the tenancy as Ceph RGW writes it.
    let bucketName = r.bucket;
    let pathTenancy: TenancyRecord | undefined;
    if (bucketName?.includes(':')) {
      const [t, b] = [bucketName.slice(0, bucketName.indexOf(':')), bucketName.slice(bucketName.indexOf(':') + 1)];
      pathTenancy = await metadata.getTenancyByName(t);
      if (!pathTenancy) throw new S3Error('NoSuchBucket', { details: { BucketName: bucketName } });
      bucketName = b;
    }

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
      : await authenticateSigV4(signed, lookupSecret);
    const principal: Principal =
      auth.kind === 'signed' && resolved ? { kind: 'user', user: resolved.user, key: resolved.key } : { kind: 'anonymous' };
    if (principal.kind === 'user') void metadata.touchAccessKey(principal.key.accessKeyId, Date.now()).catch(() => undefined);

    const tenancy =
      pathTenancy ?? hostTenancy ?? (principal.kind === 'user' ? await this.tenancyOf(principal.key.tenancyId) : await this.deps.defaultTenancy());
    const spec = ENDPOINTS[r.endpoint];
    const bucket =
      spec.scope === 'service' || r.endpoint === 'CreateBucket' || bucketName === undefined
        ? undefined
        : await this.deps.buckets.get(tenancy.id, bucketName);

    const access = new AccessContext(this.deps, req, principal, tenancy, query);
    await access.require(spec.action, bucket, r.key);

    const status = await this.deps.quota.status(tenancy);
    if (status) {
      res.setHeader('x-granary-quota-used-percent', String(status.percent));
      res.setHeader('x-granary-quota-level', status.level);
    }
    await this.deps.quota.check(tenancy, bucket, QUOTA_KIND[r.endpoint] ?? 'read', status);

    let copySource: S3Context['copySource'];
    const copyHeader = req.headers['x-amz-copy-source'];
    if ((r.endpoint === 'CopyObject' || r.endpoint === 'UploadPartCopy') && typeof copyHeader === 'string') {
      const src = parseCopySource(copyHeader);
      let srcTenancy = tenancy;
      let srcName = src.bucket;
      if (srcName.includes(':')) {
        const t = await metadata.getTenancyByName(srcName.slice(0, srcName.indexOf(':')));
        if (!t) throw new S3Error('NoSuchBucket', { details: { BucketName: srcName } });
        srcTenancy = t;
        srcName = srcName.slice(srcName.indexOf(':') + 1);
      }
      const srcBucket = await this.deps.buckets.get(srcTenancy.id, srcName);
      const srcAccess = srcTenancy === tenancy ? access : new AccessContext(this.deps, req, principal, srcTenancy, query);
      await srcAccess.require('s3:GetObject', srcBucket, src.key);
      copySource = { bucket: srcBucket, key: src.key };
    }

    const op = OPERATIONS[r.endpoint];
    if (!op) throw new S3Error('NotImplemented', { message: `${r.endpoint} is not implemented by Granary yet` });

    const body = requestBody(req, auth, res);
    // A write of declared size reserves its room before a byte of the body is read.
    let quota: WriteQuota | undefined;
    if (bucket && (r.endpoint === 'PutObject' || r.endpoint === 'UploadPart')) {
      quota = await this.deps.quota.reserve(tenancy, bucket, body.size ?? 0, r.endpoint === 'PutObject' ? 1 : 0);
    }
    const ctx: S3Context = {
      requestId,
      endpoint: r.endpoint,
      method,
      query,
      headers: req.headers,
      principal,
      tenancy,
      bucketName,
      bucket,
      key: r.key,
      copySource,
      body,
      quota,
      access,
      services: this.deps,
    };
    try {
      return await op(ctx);
    } finally {
      await this.deps.quota.release(quota);
    }
  }

  private async tenancyOf(id: string): Promise<TenancyRecord> {
    const t = await this.deps.metadata.getTenancyById(id);
    if (!t) throw new S3Error('AccessDenied', { message: 'The tenancy of this access key no longer exists' });
    return t;
  }

  private async sendError(req: IncomingMessage, res: ServerResponse, e: unknown, resource: string, requestId: string, isHead: boolean): Promise<void> {
    let err: S3Error;
    if (isS3Error(e)) {
      err = e;
    } else {
      this.deps.log.error('request failed', { requestId, method: req.method, url: resource, err: e });
      err = new S3Error('InternalError');
    }
    if (res.headersSent) {
      // Too late for an error document: cut the connection so the client notices.
      res.destroy();
      return;
    }
    // A body we did not read would otherwise be parsed as the next request; close instead (as S3 does).
    if (!req.complete) res.setHeader('connection', 'close');
    const headers: HttpResponse['headers'] = { ...err.headers };
    if (err.status === 304) {
      await send(res, { status: 304, headers }, true);
      return;
    }
    headers['content-type'] = 'application/xml';
    await send(res, { status: err.status, headers, body: errorDocument(err, resource, requestId) }, isHead);
  }
}
