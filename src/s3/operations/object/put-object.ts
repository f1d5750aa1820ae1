/** PutObject — https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html */
import type { HttpResponse } from '../../../lib/http-response.js';
import { S3Error } from '../../../errors/s3-error.js';
import type { WriteCondition } from '../../../metadata/store.js';
import { headerOf, userIdOf, type S3Context } from '../../context.js';
import { emptyResponse } from '../common.js';
import { objectHeadersFrom, storageClassFrom } from './headers.js';
import { requestChecksum } from './checksum-request.js';
import { checksumHeaderName } from '../../../core/checksums.js';
import { parseTagging } from './tagging-header.js';
import { aclFromHeaders } from '../acl/acl-headers.js';
import { encryptionRequest, sseResponseHeaders } from './sse.js';

/** If-None-Match / If-Match on writes (conditional writes, used as compare-and-swap by Zarr tools). */
export function writeCondition(ctx: S3Context): WriteCondition | undefined {
  const ifNoneMatch = headerOf(ctx, 'if-none-match');
  const ifMatch = headerOf(ctx, 'if-match');
  if (ifNoneMatch === undefined && ifMatch === undefined) return undefined;
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== '*') {
    throw new S3Error('NotImplemented', { message: 'If-None-Match on writes supports only "*"', details: { Header: 'If-None-Match' } });
  }
  return { ...(ifNoneMatch !== undefined ? { ifNoneMatch: '*' as const } : {}), ...(ifMatch !== undefined ? { ifMatch: ifMatch.trim() } : {}) };
}

export async function PutObject(ctx: S3Context<'PutObject'>): Promise<HttpResponse> {
  const bucket = ctx.bucket;
  if (ctx.body.size === undefined && headerOf(ctx, 'transfer-encoding') === undefined) throw new S3Error('MissingContentLength');
  const checksum = requestChecksum(ctx);
  const encryption = encryptionRequest(ctx);
  const acl = await aclFromHeaders(ctx, { owner: userIdOf(ctx), bucketOwner: bucket.ownerId });
  const o = await ctx.services.objects.put({
    bucket,
    key: ctx.key,
    ownerId: userIdOf(ctx),
    body: ctx.body.stream(),
    size: ctx.body.size,
    contentType: headerOf(ctx, 'content-type') ?? 'binary/octet-stream',
    headers: objectHeadersFrom(ctx.headers),
    contentMd5: headerOf(ctx, 'content-md5'),
    digesters: checksum ? [checksum.digester] : [],
    checksum: checksum ? () => ({ algorithm: checksum.algorithm, value: checksum.digester.value(), type: 'FULL_OBJECT' }) : undefined,
    condition: writeCondition(ctx),
    tagging: parseTagging(headerOf(ctx, 'x-amz-tagging')),
    storageClass: storageClassFrom(ctx.headers),
    acl,
    quota: ctx.quota,
    ...(encryption ? { encryption } : {}),
  });
  const headers: HttpResponse['headers'] = { etag: o.etag, ...sseResponseHeaders(o) };
  if (o.checksum) {
    headers[checksumHeaderName(o.checksum.algorithm)] = o.checksum.value;
    headers['x-amz-checksum-type'] = o.checksum.type;
  }
  return emptyResponse(200, headers);
}
