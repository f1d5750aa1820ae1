/**
 * DeleteObject  https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html
 * DeleteObjects https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
 */
import { createHash } from 'node:crypto';
import type { HttpResponse } from '../../../lib/http-response.js';
import { S3Error, isS3Error } from '../../../errors/s3-error.js';
import { headerOf, type S3Context } from '../../context.js';
import { asObject, children, parseXml, readXmlBody, text } from '../../xml/read.js';
import type { XmlNode } from '../../xml/write.js';
import { emptyResponse, xmlResponse } from '../common.js';
import { checkObjectKey } from '../../object-key.js';

export async function DeleteObject(ctx: S3Context<'DeleteObject'>): Promise<HttpResponse> {
  const ifMatch = headerOf(ctx, 'if-match');
  await ctx.services.objects.delete(ctx.bucket, ctx.key, ifMatch !== undefined ? { ifMatch: ifMatch.trim() } : undefined);
  return emptyResponse(204);
}

const MAX_DELETE_KEYS = 1000;

export async function DeleteObjects(ctx: S3Context<'DeleteObjects'>): Promise<HttpResponse> {
  const bucket = ctx.bucket;
  const body = await readXmlBody(ctx.body, 'Delete');
  const md5 = headerOf(ctx, 'content-md5');
  if (md5 !== undefined && createHash('md5').update(body).digest('base64') !== md5) throw new S3Error('BadDigest');
  const doc = parseXml(body, 'Delete');
  const quiet = (text(doc, 'Quiet') ?? 'false').trim().toLowerCase() === 'true';
  const objects = children(doc, 'Object').map(asObject);
  if (objects.length === 0 || objects.length > MAX_DELETE_KEYS) throw new S3Error('MalformedXML');
  const keys = objects.map((o) => {
    const k = text(o, 'Key');
    if (k === undefined) throw new S3Error('MalformedXML');
    return k;
  });
  // All deletes are issued at once: the metadata store commits them together (one sync, not 1000).
  const results = await Promise.all(
    keys.map(async (key): Promise<XmlNode[number] | undefined> => {
      try {
        checkObjectKey(key, { forDelete: true });
        await ctx.access.require('s3:DeleteObject', bucket, key);
        await ctx.services.objects.delete(bucket, key);
        return quiet ? undefined : ['Deleted', [['Key', key]]];
      } catch (e) {
        if (!isS3Error(e)) throw e;
        return ['Error', [['Key', key], ['Code', e.code], ['Message', e.message]]];
      }
    }),
  );
  return xmlResponse('DeleteResult', results.filter((r): r is XmlNode[number] => r !== undefined));
}
