/**
 * Bucket policies through the S3 API:
 * PutBucketPolicy       https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html
 * GetBucketPolicy       https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketPolicy.html
 * DeleteBucketPolicy    https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucketPolicy.html
 * GetBucketPolicyStatus https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketPolicyStatus.html
 */
import type { HttpResponse } from '../../../lib/http-response.js';
import { S3Error } from '../../../errors/s3-error.js';
import { MAX_POLICY_BYTES } from '../../../iam/policy/parse.js';
import { aclIsPublic, parseStoredAcl } from '../../../iam/acl.js';
import { bucketIsPublic } from '../../../iam/public-access.js';
import { type S3Context } from '../../context.js';
import { emptyResponse, xmlResponse } from '../common.js';

export async function PutBucketPolicy(ctx: S3Context<'PutBucketPolicy'>): Promise<HttpResponse> {
  const body = await ctx.body.readAll(MAX_POLICY_BYTES + 1);
  if (body.length === 0) throw new S3Error('MalformedPolicy', { message: 'Policies must be valid JSON and the first byte must be \'{\'' });
  if (body.length > MAX_POLICY_BYTES) throw new S3Error('MalformedPolicy', { message: `Policies must be at most ${MAX_POLICY_BYTES} bytes` });
  await ctx.services.policies.put(ctx.bucket, body.toString('utf8'));
  return emptyResponse(204);
}

export async function GetBucketPolicy(ctx: S3Context<'GetBucketPolicy'>): Promise<HttpResponse> {
  const b = ctx.bucket;
  if (b.policy === null) throw new S3Error('NoSuchBucketPolicy', { details: { BucketName: b.name } });
  return { status: 200, headers: { 'content-type': 'application/json' }, body: b.policy };
}

export async function DeleteBucketPolicy(ctx: S3Context<'DeleteBucketPolicy'>): Promise<HttpResponse> {
  await ctx.services.policies.delete(ctx.bucket);
  return emptyResponse(204);
}

/**
 * "Public" as AWS defines it (iam/public-access.ts), from the policy and the bucket's ACL alike: a public-read
 * ACL makes a bucket public with or without a policy. Only a bucket with neither a policy nor a public ACL has
 * no status to give (NoSuchBucketPolicy, as AWS answers a bucket without a policy).
 */
export async function GetBucketPolicyStatus(ctx: S3Context<'GetBucketPolicyStatus'>): Promise<HttpResponse> {
  const b = ctx.bucket;
  const policy = ctx.services.policies.parsedOf(b);
  const acl = parseStoredAcl(b.acl);
  if (!policy && !aclIsPublic(acl)) throw new S3Error('NoSuchBucketPolicy', { details: { BucketName: b.name } });
  return xmlResponse('PolicyStatus', [['IsPublic', bucketIsPublic(policy, acl)]]);
}
