/**
 * Bucket CORS configuration:
 * PutBucketCors    https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketCors.html
 * GetBucketCors    https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketCors.html
 * DeleteBucketCors https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucketCors.html
 */
import type { HttpResponse } from '../../../lib/http-response.js';
import { S3Error } from '../../../errors/s3-error.js';
import { type S3Context } from '../../context.js';
import { corsRulesOf, corsXml, parseCorsConfiguration, serialiseCors } from '../../cors.js';
import { emptyResponse, xmlResponse } from '../common.js';
import { readXmlBody } from '../../xml/read.js';

export async function PutBucketCors(ctx: S3Context<'PutBucketCors'>): Promise<HttpResponse> {
  const b = ctx.bucket;
  const rules = parseCorsConfiguration(await readXmlBody(ctx.body, 'CORSConfiguration'));
  await ctx.services.buckets.setCors(b, serialiseCors(rules));
  return emptyResponse(200);
}

export async function GetBucketCors(ctx: S3Context<'GetBucketCors'>): Promise<HttpResponse> {
  const b = ctx.bucket;
  const rules = corsRulesOf(b);
  if (!rules) throw new S3Error('NoSuchCORSConfiguration', { details: { BucketName: b.name } });
  return xmlResponse('CORSConfiguration', corsXml(rules));
}

export async function DeleteBucketCors(ctx: S3Context<'DeleteBucketCors'>): Promise<HttpResponse> {
  await ctx.services.buckets.setCors(ctx.bucket, null);
  return emptyResponse(204);
}
