/**
 * CopyObject — https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html
 * The bytes are streamed from the source object into a new blob: memory stays flat whatever the size.
 */
import type { HttpResponse } from '../../../lib/http-response.js';
import { S3Error } from '../../../errors/s3-error.js';
import { headerOf, userIdOf, type S3Context } from '../../context.js';
import { isoTime } from '../../xml/write.js';
import { xmlResponse } from '../common.js';
import { checkReadConditions } from './conditions.js';
import { objectHeadersFrom, storageClassFrom } from './headers.js';
import { parseTagging } from './tagging-header.js';
import { writeCondition } from './put-object.js';
import { aclFromHeaders } from '../acl/acl-headers.js';
import { MAX_PUT_SIZE } from '../../../core/objects.js';
import { checksumDigester, checksumHeaderName, parseAlgorithm } from '../../../core/checksums.js';
import type { ObjectRecord } from '../../../metadata/store.js';
import { checkCustomerKeyApplies, customerKey, encryptionRequest, sseResponseHeaders } from './sse.js';

function directive(ctx: S3Context, name: string): 'COPY' | 'REPLACE' {
  const v = headerOf(ctx, name);
  if (v === undefined || v === 'COPY') return 'COPY';
  if (v === 'REPLACE') return 'REPLACE';
  throw new S3Error('InvalidArgument', { message: `Unknown ${name}`, details: { ArgumentName: name, ArgumentValue: v } });
}

/** The x-amz-copy-source-if-* conditions; a not-modified source is a 412 for copies. */
export function checkCopySourceConditions(ctx: S3Context, src: ObjectRecord): void {
  checkReadConditions(
    src,
    {
      ifMatch: headerOf(ctx, 'x-amz-copy-source-if-match'),
      ifNoneMatch: headerOf(ctx, 'x-amz-copy-source-if-none-match'),
      ifModifiedSince: headerOf(ctx, 'x-amz-copy-source-if-modified-since'),
      ifUnmodifiedSince: headerOf(ctx, 'x-amz-copy-source-if-unmodified-since'),
    },
    true,
  );
}

export async function CopyObject(ctx: S3Context<'CopyObject'>): Promise<HttpResponse> {
  const bucket = ctx.bucket;
  const key = ctx.key;
  const source = ctx.copySource;
  const sourceKey = customerKey(ctx, true);
  const encryption = encryptionRequest(ctx);
  const src = await ctx.services.objects.get(source.bucket, source.key);
  checkCustomerKeyApplies(src, sourceKey);
  ctx.services.objects.dataKeys(src, sourceKey); // a missing or wrong SSE-C key of the source is refused first
  checkCopySourceConditions(ctx, src);
  if (src.size > MAX_PUT_SIZE) {
    throw new S3Error('InvalidRequest', { message: 'The specified copy source is larger than the maximum allowable size for a copy source: 5368709120' });
  }
  const metadataDirective = directive(ctx, 'x-amz-metadata-directive');
  const taggingDirective = directive(ctx, 'x-amz-tagging-directive');
  const storageClass = headerOf(ctx, 'x-amz-storage-class') !== undefined ? storageClassFrom(ctx.headers) : src.storageClass;
  const sameObject = source.bucket.id === bucket.id && source.key === key;
  // compat: as AWS, a copy onto itself that names an encryption is a change (re-encrypts with a new data key).
  if (sameObject && metadataDirective === 'COPY' && storageClass === src.storageClass && headerOf(ctx, 'x-amz-checksum-algorithm') === undefined && !encryption) {
    throw new S3Error('InvalidRequest', {
      message:
        "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    });
  }
  const replace = metadataDirective === 'REPLACE';
  const algHeader = headerOf(ctx, 'x-amz-checksum-algorithm');
  const alg = algHeader !== undefined ? parseAlgorithm(algHeader) : src.checksum?.type === 'FULL_OBJECT' ? src.checksum.algorithm : undefined;
  const digester = alg ? checksumDigester(alg, () => undefined) : undefined;
  const acl = await aclFromHeaders(ctx, { owner: userIdOf(ctx), bucketOwner: bucket.ownerId });
  // Charged for what it adds, as a PUT over the destination is: a copy onto an existing object (rclone setting
  // modification times, s3cmd modify changing headers: a copy of an object onto itself) gives its bytes back.
  const quota = await ctx.services.quota.reserveObject(ctx.tenancy, bucket, key, src.size, sameObject ? src : undefined);
  const o = await ctx.services.quota.during(quota, () => ctx.services.objects.put({
    bucket,
    key,
    ownerId: userIdOf(ctx),
    body: ctx.services.objects.read(src, undefined, sourceKey),
    size: src.size,
    contentType: replace ? (headerOf(ctx, 'content-type') ?? 'binary/octet-stream') : src.contentType,
    headers: replace ? objectHeadersFrom(ctx.headers) : src.headers,
    digesters: digester ? [digester] : [],
    checksum: digester && alg ? () => ({ algorithm: alg, value: digester.value(), type: 'FULL_OBJECT' }) : undefined,
    condition: writeCondition(ctx),
    tagging: taggingDirective === 'REPLACE' ? parseTagging(headerOf(ctx, 'x-amz-tagging')) : src.tagging,
    storageClass,
    acl,
    quota,
    ...(encryption ? { encryption } : {}),
  }));
  const result: Array<[string, string]> = [
    ['LastModified', isoTime(o.lastModified)],
    ['ETag', o.etag],
  ];
  if (o.checksum) result.push(['Checksum' + o.checksum.algorithm, o.checksum.value], ['ChecksumType', o.checksum.type]);
  const headers: HttpResponse['headers'] = sseResponseHeaders(o);
  if (o.checksum) headers[checksumHeaderName(o.checksum.algorithm)] = o.checksum.value;
  return xmlResponse('CopyObjectResult', result, 200, headers);
}
