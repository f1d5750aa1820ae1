/**
 * GetObject  https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
 * HeadObject https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html
 */
import type { HttpResponse } from '../../../lib/http-response.js';
import { S3Error } from '../../../errors/s3-error.js';
import type { ByteRange } from '../../../core/objects.js';
import type { ObjectRecord } from '../../../metadata/store.js';
import { headerOf, type S3Context } from '../../context.js';
import { checkReadConditions } from './conditions.js';
import { objectResponseHeaders } from './headers.js';
import { parseRange } from './range.js';
import { checksumHeaderName } from '../../../core/checksums.js';
import type { CustomerKey } from '../../../core/encryption.js';
import { checkCustomerKeyApplies, customerKey } from './sse.js';

/**
 * The byte range of part `n` (1-based). A single-PUT object is one part, so part 1 is the whole object;
 * a part beyond the object's is InvalidPartNumber (416), as AWS answers.
 */
function partRange(o: ObjectRecord, n: number): ByteRange {
  const count = isMultipart(o) ? o.parts.length : 1;
  if (n > count) throw new S3Error('InvalidPartNumber', { details: { PartNumberRequested: n, ActualPartCount: count } });
  if (!isMultipart(o)) return { start: 0, end: o.size - 1 };
  let start = 0;
  for (let i = 0; i < n - 1; i++) start += o.parts[i]!.size;
  return { start, end: start + o.parts[n - 1]!.size - 1 };
}

const isMultipart = (o: ObjectRecord): boolean => o.parts.length > 0 && o.parts[0]!.etag !== undefined;

async function prepare(ctx: S3Context<'GetObject' | 'HeadObject'>): Promise<{ o: ObjectRecord; range: ByteRange | undefined; headers: HttpResponse['headers']; status: number; key: CustomerKey | undefined }> {
  const key = customerKey(ctx);
  const o = await ctx.services.objects.get(ctx.bucket, ctx.key);
  checkCustomerKeyApplies(o, key);
  // An SSE-C object tells nothing (not even its ETag or conditions' outcome) without its key.
  ctx.services.objects.dataKeys(o, key);
  checkReadConditions(o, {
    ifMatch: headerOf(ctx, 'if-match'),
    ifNoneMatch: headerOf(ctx, 'if-none-match'),
    ifModifiedSince: headerOf(ctx, 'if-modified-since'),
    ifUnmodifiedSince: headerOf(ctx, 'if-unmodified-since'),
  });
  const headers: HttpResponse['headers'] = objectResponseHeaders(o);
  // The router refused a partNumber out of range or together with a Range header.
  const { partNumber } = ctx.route;
  let range: ByteRange | undefined;
  let status = 200;
  if (partNumber !== undefined) {
    range = partRange(o, partNumber);
    // AWS answers a part request with 206 and its range, for a single-PUT object too; the parts count only
    // for a multipart object.
    if (isMultipart(o)) headers['x-amz-mp-parts-count'] = o.parts.length;
    if (o.size > 0) status = 206;
    else range = undefined;
  } else {
    range = parseRange(headerOf(ctx, 'range'), o.size);
    if (range) status = 206;
  }
  if (status === 206 && range) {
    headers['content-range'] = `bytes ${range.start}-${range.end}/${o.size}`;
    headers['content-length'] = range.end - range.start + 1;
  } else {
    range = undefined;
    headers['content-length'] = o.size;
  }
  for (const [header, value] of ctx.route.responseHeaders) headers[header] = value;
  if (headerOf(ctx, 'x-amz-checksum-mode')?.toUpperCase() === 'ENABLED' && o.checksum && status === 200) {
    headers[checksumHeaderName(o.checksum.algorithm)] = o.checksum.value;
    headers['x-amz-checksum-type'] = o.checksum.type;
  }
  return { o, range, headers, status, key };
}

export async function GetObject(ctx: S3Context<'GetObject'>): Promise<HttpResponse> {
  const { o, range, headers, status, key } = await prepare(ctx);
  // Small objects live inline in the metadata: answer with the bytes themselves, no stream machinery.
  if (o.inline) return { status, headers, body: range ? o.inline.subarray(range.start, range.end + 1) : o.inline };
  return { status, headers, body: ctx.services.objects.read(o, range, key) };
}

export async function HeadObject(ctx: S3Context<'HeadObject'>): Promise<HttpResponse> {
  const { headers, status } = await prepare(ctx);
  return { status, headers };
}
