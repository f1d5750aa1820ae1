/**
 * PostObject (browser form upload) — https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html
 * The pipeline (s3/handler.ts) has read the fields before the file, verified the form's signature and
 * authorized s3:PutObject on the resolved key; this checks the policy's conditions and streams the file
 * through the same write path as PutObject.
 */
import type { HttpResponse } from '../../../lib/http-response.js';
import { S3Error, isS3Error } from '../../../errors/s3-error.js';
import { userIdOf, type S3Context } from '../../context.js';
import { checkPostPolicy, formHeaders, parsePostPolicy, postSignatureOf } from '../../post-object.js';
import { emptyResponse, xmlResponse } from '../common.js';
import { objectHeadersFrom, storageClassFrom } from './headers.js';
import { aclFromHeaders } from '../acl/acl-headers.js';
import { parseTagging } from './tagging-header.js';
import { requestChecksum } from './checksum-request.js';
import { encryptionRequestFrom, sseResponseHeaders } from './sse.js';

/**
 * Where to send the browser after the upload: `success_action_redirect` (or the older `redirect`) when it
 * is an http(s) URL; anything S3 cannot interpret as one is treated as absent.
 */
function redirectUrl(fields: Map<string, string>): URL | undefined {
  const given = fields.get('success_action_redirect') ?? fields.get('redirect');
  if (!given) return undefined;
  try {
    const url = new URL(given);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The file's bytes, held to the policy's content-length-range as they pass. The last byte is handed on
 * only once the whole form has parsed (`done`): a form that ends without its closing boundary (a truncated
 * body) fails the write instead of storing the truncated file as if complete.
 */
async function* withinRange(file: AsyncIterable<Buffer>, range: { min: number; max: number } | undefined, done: Promise<void>): AsyncIterable<Buffer> {
  let n = 0;
  const it = file[Symbol.asyncIterator]();
  for (;;) {
    let r: IteratorResult<Buffer>;
    try {
      r = await it.next();
    } catch (e) {
      // busboy's "Unexpected end of form" (a truncated body) is the client's malformed request, not a 500.
      if (isS3Error(e)) throw e;
      throw new S3Error('MalformedPOSTRequest', { cause: e });
    }
    if (r.done) break;
    const chunk = r.value;
    n += chunk.length;
    if (range && n > range.max) throw new S3Error('EntityTooLarge', { details: { ProposedSize: n, MaxSizeAllowed: range.max } });
    yield chunk;
  }
  if (range && n < range.min) throw new S3Error('EntityTooSmall', { details: { ProposedSize: n, MinSizeAllowed: range.min } });
  await done;
}

export async function PostObject(ctx: S3Context<'PostObject'>): Promise<HttpResponse> {
  const bucket = ctx.bucket;
  const form = ctx.post;
  const { fields } = form;
  const range = postSignatureOf(fields).kind !== 'anonymous' ? checkPostPolicy(parsePostPolicy(fields.get('policy')!), fields, bucket.name) : undefined;
  // The form as the PutObject headers it stands for (its `tagging` document as x-amz-tagging).
  const headers = formHeaders(fields);
  const key = ctx.key;
  const acl = await aclFromHeaders({ headers, services: ctx.services }, { owner: userIdOf(ctx), bucketOwner: bucket.ownerId });
  // An x-amz-checksum-<algorithm> field is verified as the file streams, as the header is for PutObject.
  const checksum = requestChecksum({ ...ctx, headers });
  // The x-amz-server-side-encryption* fields ask what the headers ask of PutObject.
  const encryption = encryptionRequestFrom((n) => fields.get(n), ctx.secure, ctx.services.config.sseCustomerKeysOverHttp);
  const o = await ctx.services.objects.put({
    bucket,
    key,
    ownerId: userIdOf(ctx),
    body: withinRange(form.file, range, form.done),
    size: undefined,
    contentType: fields.get('content-type') ?? 'binary/octet-stream',
    headers: objectHeadersFrom(headers),
    digesters: checksum ? [checksum.digester] : [],
    checksum: checksum ? () => ({ algorithm: checksum.algorithm, value: checksum.digester.value(), type: 'FULL_OBJECT' }) : undefined,
    storageClass: storageClassFrom(headers),
    acl,
    tagging: parseTagging(headers['x-amz-tagging'] as string | undefined),
    quota: ctx.quota,
    ...(encryption ? { encryption } : {}),
  });
  await form.done;
  const sse = sseResponseHeaders(o);

  const location = `${form.baseUrl}/${encodeURIComponent(bucket.name)}/${key.split('/').map(encodeURIComponent).join('/')}`;
  const redirect = redirectUrl(fields);
  if (redirect) {
    redirect.searchParams.append('bucket', bucket.name);
    redirect.searchParams.append('key', key);
    redirect.searchParams.append('etag', o.etag);
    return emptyResponse(303, { location: redirect.toString(), etag: o.etag, ...sse });
  }
  // 200 and 204 answer an empty document, 201 a PostResponse; any other value is 204.
  const status = fields.get('success_action_status');
  if (status === '201') {
    return xmlResponse('PostResponse', [['Location', location], ['Bucket', bucket.name], ['Key', key], ['ETag', o.etag]], 201, { etag: o.etag, location, ...sse });
  }
  return emptyResponse(status === '200' ? 200 : 204, { etag: o.etag, location, ...sse });
}
