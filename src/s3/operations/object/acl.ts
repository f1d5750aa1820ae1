/**
 * GetObjectAcl — https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAcl.html
 * Until ACLs land (tenancy issue) every object has the canned private ACL: its owner has FULL_CONTROL.
 */
import type { HttpResponse } from '../../../lib/http-response.js';
import { bucketOf, keyOf, type S3Context } from '../../context.js';
import { ownerNode, xmlResponse } from '../common.js';
import { aclChildren } from '../bucket/buckets.js';

export async function GetObjectAcl(ctx: S3Context): Promise<HttpResponse> {
  const o = await ctx.services.objects.get(bucketOf(ctx), keyOf(ctx));
  return xmlResponse('AccessControlPolicy', aclChildren(await ownerNode(ctx, o.ownerId)));
}
