/**
 * GetObjectTagging    https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectTagging.html
 * PutObjectTagging    https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectTagging.html
 * DeleteObjectTagging https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjectTagging.html
 */
import type { HttpResponse } from '../../../lib/http-response.js';
import { S3Error } from '../../../errors/s3-error.js';
import { type S3Context } from '../../context.js';
import { asObject, children, parseXml, readXmlBody, text } from '../../xml/read.js';
import type { XmlNode } from '../../xml/write.js';
import { emptyResponse, xmlResponse } from '../common.js';
import { validateTags } from './tagging-header.js';

export async function GetObjectTagging(ctx: S3Context<'GetObjectTagging'>): Promise<HttpResponse> {
  const o = await ctx.services.objects.get(ctx.bucket, ctx.key);
  const tags: XmlNode = [...new URLSearchParams(o.tagging ?? '').entries()].map(([k, v]) => [
    'Tag',
    [
      ['Key', k],
      ['Value', v],
    ],
  ]);
  return xmlResponse('Tagging', [['TagSet', tags]]);
}

/** The tags of a Tagging document (PutObjectTagging's body, PostObject's `tagging` field), validated. */
export function tagsFromDocument(body: Buffer): Array<[string, string]> {
  const doc = parseXml(body, 'Tagging');
  const setEl = doc.TagSet;
  if (setEl === undefined) throw new S3Error('MalformedXML');
  const tags: Array<[string, string]> = children(asObject(Array.isArray(setEl) ? setEl[0]! : setEl), 'Tag').map((t) => {
    const tag = asObject(t);
    const k = text(tag, 'Key');
    const v = text(tag, 'Value');
    if (k === undefined || v === undefined) throw new S3Error('MalformedXML');
    return [k, v];
  });
  validateTags(tags);
  return tags;
}

export async function PutObjectTagging(ctx: S3Context<'PutObjectTagging'>): Promise<HttpResponse> {
  const bucket = ctx.bucket;
  const key = ctx.key;
  const tags = tagsFromDocument(await readXmlBody(ctx.body, 'Tagging'));
  await ctx.services.objects.setTagging(bucket, key, tags.length ? new URLSearchParams(tags).toString() : null);
  return emptyResponse(200);
}

export async function DeleteObjectTagging(ctx: S3Context<'DeleteObjectTagging'>): Promise<HttpResponse> {
  await ctx.services.objects.setTagging(ctx.bucket, ctx.key, null);
  return emptyResponse(204);
}
