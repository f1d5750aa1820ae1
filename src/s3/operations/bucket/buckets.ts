/**
 * Bucket lifecycle and simple bucket facts:
 * CreateBucket  https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html
 * HeadBucket    https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html
 * DeleteBucket  https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucket.html
 * GetBucketLocation, GetBucketVersioning, GetBucketAcl.
 */
import type { HttpResponse } from '../../../lib/http-response.js';
import { S3Error } from '../../../errors/s3-error.js';
import { userIdOf, type S3Context } from '../../context.js';
import { parseXml, readXmlBody, text } from '../../xml/read.js';
import { emptyResponse, xmlResponse } from '../common.js';
import { aclFromHeaders } from '../acl/acl-headers.js';

export async function CreateBucket(ctx: S3Context<'CreateBucket'>): Promise<HttpResponse> {
  const name = ctx.bucketName;
  if (ctx.body.present) {
    const body = await readXmlBody(ctx.body, 'CreateBucketConfiguration');
    if (body.length > 0) {
      const cfg = parseXml(body, 'CreateBucketConfiguration');
      const location = text(cfg, 'LocationConstraint');
      // compat: Granary is one region; any well-formed constraint is accepted and the bucket lives in
      // the configured region (clients such as rclone send their own region name here).
      if (location !== undefined && location !== '' && !/^[A-Za-z0-9-]{1,64}$/.test(location)) {
        throw new S3Error('InvalidLocationConstraint', { details: { LocationConstraint: location } });
      }
    }
  }
  // The ACL is read (and refused if invalid) before anything is created.
  const acl = await aclFromHeaders(ctx, { owner: userIdOf(ctx), bucketOwner: userIdOf(ctx) });
  const { bucket, created } = await ctx.services.buckets.create(ctx.tenancy.id, name, userIdOf(ctx), ctx.services.config.region);
  // compat: AWS says a repeated create in us-east-1 "resets the bucket ACLs"; Granary leaves a bucket that
  // already exists exactly as it is, so a repeated `mb` cannot make a bucket public or private by surprise.
  if (created && acl !== null) await ctx.services.buckets.setAcl(bucket, acl);
  return emptyResponse(200, { location: `/${name}` });
}

export async function HeadBucket(ctx: S3Context<'HeadBucket'>): Promise<HttpResponse> {
  const b = ctx.bucket;
  return emptyResponse(200, { 'x-amz-bucket-region': b.region, 'x-amz-access-point-alias': 'false' });
}

export async function DeleteBucket(ctx: S3Context<'DeleteBucket'>): Promise<HttpResponse> {
  await ctx.services.buckets.delete(ctx.bucket);
  return emptyResponse(204);
}

export async function GetBucketLocation(ctx: S3Context<'GetBucketLocation'>): Promise<HttpResponse> {
  const b = ctx.bucket;
  // AWS answers an empty LocationConstraint for us-east-1.
  return xmlResponse('LocationConstraint', b.region === 'us-east-1' ? [] : [['#text', b.region]]);
}

export async function GetBucketVersioning(_ctx: S3Context<'GetBucketVersioning'>): Promise<HttpResponse> {
  // Granary buckets are unversioned: AWS answers an empty VersioningConfiguration for those.
  return xmlResponse('VersioningConfiguration', []);
}
