/**
 * PostObject (browser form upload) — https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html
 * The pipeline (s3/handler.ts) has read the fields before the file, verified the form's signature and
 * authorized s3:PutObject on the resolved key; this checks the policy's conditions and streams the file
 * through the same write path as PutObject.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { HttpResponse } from '../../../lib/http-response.js';
import { S3Error } from '../../../errors/s3-error.js';
import { bucketOf, keyOf, userIdOf, type S3Context } from '../../context.js';
import { checkPostPolicy, parsePostPolicy, postSignatureOf } from '../../post-object.js';
import { emptyResponse, xmlResponse } from '../common.js';
import { objectHeadersFrom, storageClassFrom } from './headers.js';
import { aclFromHeaders } from '../acl/acl-headers.js';

/** Form fields that become the object's headers (as the same-named request headers of PutObject). */
const HEADER_FIELDS = ['content-type', 'cache-control', 'content-disposition', 'content-encoding', 'content-language', 'expires', 'x-amz-storage-class', 'x-amz-website-redirect-location'];

function headersFromFields(fields: Map<string, string>): IncomingHttpHeaders {
  const h: IncomingHttpHeaders = {};
  for (const [name, value] of fields) {
    if (HEADER_FIELDS.includes(name) || name.startsWith('x-amz-meta-') || name.startsWith('x-amz-grant-')) h[name] = value;
  }
  if (fields.has('acl')) h['x-amz-acl'] = fields.get('acl');
  return h;
}

/** The file's bytes, held to the policy's content-length-range as they pass. */
async function* withinRange(file: AsyncIterable<Buffer>, range: { min: number; max: number } | undefined): AsyncIterable<Buffer> {
  let n = 0;
  for await (const chunk of file) {
    n += chunk.length;
    if (range && n > range.max) throw new S3Error('EntityTooLarge', { details: { ProposedSize: n, MaxSizeAllowed: range.max } });
    yield chunk;
  }
  if (range && n < range.min) throw new S3Error('EntityTooSmall', { details: { ProposedSize: n, MinSizeAllowed: range.min } });
}

export async function PostObject(ctx: S3Context): Promise<HttpResponse> {
  const bucket = bucketOf(ctx);
  const form = ctx.post;
  if (!form) throw new S3Error('MalformedPOSTRequest');
  const { fields } = form;
  const range = postSignatureOf(fields).kind !== 'anonymous' ? checkPostPolicy(parsePostPolicy(fields.get('policy')!), fields, bucket.name) : undefined;
  const headers = headersFromFields(fields);
  const key = keyOf(ctx);
  const o = await ctx.services.objects.put({
    bucket,
    key,
    ownerId: userIdOf(ctx),
    body: withinRange(form.file, range),
    size: undefined,
    contentType: fields.get('content-type') ?? 'binary/octet-stream',
    headers: objectHeadersFrom(headers),
    digesters: [],
    storageClass: storageClassFrom(headers),
    acl: aclFromHeaders({ ...ctx, headers }, bucket.ownerId),
    quota: ctx.quota,
  });
  await form.done;

  const location = `${form.baseUrl}/${encodeURIComponent(bucket.name)}/${key.split('/').map(encodeURIComponent).join('/')}`;
  const redirect = fields.get('success_action_redirect') ?? fields.get('redirect');
  if (redirect) {
    let url: URL | undefined;
    try {
      url = new URL(redirect);
    } catch {
      url = undefined;
    }
    if (url) {
      url.searchParams.set('bucket', bucket.name);
      url.searchParams.set('key', key);
      url.searchParams.set('etag', o.etag);
      return emptyResponse(303, { location: url.toString(), etag: o.etag });
    }
  }
  const status = fields.get('success_action_status');
  if (status === '201') {
    return xmlResponse('PostResponse', [['Location', location], ['Bucket', bucket.name], ['Key', key], ['ETag', o.etag]], 201, { etag: o.etag, location });
  }
  return emptyResponse(status === '200' ? 200 : 204, { etag: o.etag, location });
}
