/**
 * The S3 pipeline, once for every request:
 *   route → authenticate → tenancy and bucket → authorize → operation → response,
 * with every failure turned into the AWS XML error here and nowhere else.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { S3Error, isS3Error } from '../errors/s3-error.js';
import type { HttpResponse } from '../lib/http-response.js';
import { authorize } from '../iam/authorize.js';
import type { AccessKeys, ResolvedKey } from '../iam/access-keys.js';
import type { Principal } from '../iam/principal.js';
import type { TenancyRecord } from '../metadata/store.js';
import { send } from '../http/send.js';
import { requestBody } from './body.js';
import type { S3Context, S3Services } from './context.js';
import { ENDPOINTS } from './endpoints.js';
import { OPERATIONS } from './operations/index.js';
import { route } from './router.js';
import { parseCopySource } from './copy-source.js';
import { authenticateSigV4 } from './sigv4/authenticate.js';
import { authenticateSigV2, isSigV2 } from './sigv2/authenticate.js';
import { errorDocument } from './xml/error.js';

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
      const response = await this.run(req, method, rawPath, rawQuery, requestId, (r) => (resource = r));
      await send(res, response, isHead);
    } catch (e) {
      await this.sendError(req, res, e, resource, requestId, isHead);
    }
  }

  private async run(
    req: IncomingMessage,
    method: string,
    rawPath: string,
    rawQuery: string,
    requestId: string,
    setResource: (r: string) => void,
  ): Promise<HttpResponse> {
    const query = new URLSearchParams(rawQuery);
    const r = route({ method, host: req.headers.host, rawPath, query, headers: req.headers }, this.deps.config.domains);
    setResource(r.bucket === undefined ? '/' : `/${r.bucket}${r.key !== undefined ? '/' + r.key : ''}`);

    let resolved: ResolvedKey | undefined;
    const signed = { method, rawPath, rawQuery, headers: req.headers };
    const lookupSecret = async (id: string): Promise<string | undefined> => {
      resolved = await this.deps.accessKeys.resolve(id);
      return resolved?.secret;
    };
    const auth = isSigV2(signed)
      ? await authenticateSigV2(signed, lookupSecret, r.hostLabel)
      : await authenticateSigV4(signed, lookupSecret);
    const principal: Principal =
      auth.kind === 'signed' && resolved ? { kind: 'user', user: resolved.user, key: resolved.key } : { kind: 'anonymous' };

    const tenancy = principal.kind === 'user' ? await this.tenancyOf(principal.key.tenancyId) : await this.deps.defaultTenancy();
    const spec = ENDPOINTS[r.endpoint];
    const bucket =
      spec.scope === 'service' || r.endpoint === 'CreateBucket' || r.bucket === undefined
        ? undefined
        : await this.deps.buckets.get(tenancy.id, r.bucket);

    const decision = authorize({ principal, action: spec.action, tenancyId: tenancy.id, bucket, key: r.key });
    if (!decision.allowed) throw new S3Error('AccessDenied');

    let copySource: S3Context['copySource'];
    const copyHeader = req.headers['x-amz-copy-source'];
    if ((r.endpoint === 'CopyObject' || r.endpoint === 'UploadPartCopy') && typeof copyHeader === 'string') {
      const src = parseCopySource(copyHeader);
      const srcBucket = await this.deps.buckets.get(tenancy.id, src.bucket);
      const srcDecision = authorize({ principal, action: 's3:GetObject', tenancyId: tenancy.id, bucket: srcBucket, key: src.key });
      if (!srcDecision.allowed) throw new S3Error('AccessDenied');
      copySource = { bucket: srcBucket, key: src.key };
    }

    const op = OPERATIONS[r.endpoint];
    if (!op) throw new S3Error('NotImplemented', { message: `${r.endpoint} is not implemented by Granary yet` });

    const ctx: S3Context = {
      requestId,
      endpoint: r.endpoint,
      method,
      query,
      headers: req.headers,
      principal,
      tenancy,
      bucketName: r.bucket,
      bucket,
      key: r.key,
      copySource,
      body: requestBody(req, auth),
      services: this.deps,
    };
    return op(ctx);
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
