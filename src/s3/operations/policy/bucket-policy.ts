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
import { bucketOf, type S3Context } from '../../context.js';
import { emptyResponse, xmlResponse } from '../common.js';

export async function PutBucketPolicy(ctx: S3Context): Promise<HttpResponse> {
  const body = await ctx.body.readAll(MAX_POLICY_BYTES + 1);
  if (body.length === 0) throw new S3Error('MalformedPolicy', { message: 'Policies must be valid JSON and the first byte must be \'{\'' });
  if (body.length > MAX_POLICY_BYTES) throw new S3Error('MalformedPolicy', { message: `Policies must be at most ${MAX_POLICY_BYTES} bytes` });
  await ctx.services.policies.put(bucketOf(ctx), body.toString('utf8'));
  return emptyResponse(204);
}

export async function GetBucketPolicy(ctx: S3Context): Promise<HttpResponse> {
  const b = bucketOf(ctx);
  if (b.policy === null) throw new S3Error('NoSuchBucketPolicy', { details: { BucketName: b.name } });
  return { status: 200, headers: { 'content-type': 'application/json' }, body: b.policy };
}

export async function DeleteBucketPolicy(ctx: S3Context): Promise<HttpResponse> {
  await ctx.services.policies.delete(bucketOf(ctx));
  return emptyResponse(204);
}

/** "Public" as AWS defines it: the policy grants something to everyone without a narrowing condition. */
export async function GetBucketPolicyStatus(ctx: S3Context): Promise<HttpResponse> {
  const b = bucketOf(ctx);
  const policy = ctx.services.policies.parsedOf(b);
  if (!policy) throw new S3Error('NoSuchBucketPolicy', { details: { BucketName: b.name } });
  const isPublic = policy.statements.some(
    (s) => s.effect === 'Allow' && !s.principal.negated && s.principal.matchers.some((p) => p.kind === 'any') && s.conditions.length === 0,
  );
  return xmlResponse('PolicyStatus', [['IsPublic', isPublic]]);
}
