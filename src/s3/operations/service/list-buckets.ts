/** ListBuckets — https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html */
import type { HttpResponse } from '../../../lib/http-response.js';
import type { S3Context } from '../../context.js';
import { isoTime, type XmlNode } from '../../xml/write.js';
import { ownerNode, xmlResponse } from '../common.js';
import { userIdOf } from '../../context.js';

export async function ListBuckets(ctx: S3Context): Promise<HttpResponse> {
  const buckets = await ctx.services.buckets.list(ctx.tenancy.id);
  const prefix = ctx.query.get('prefix') ?? '';
  // A user sees the buckets they can list: their own, their tenancy role's, and those shared with them.
  const shown = [];
  for (const b of buckets) if (b.name.startsWith(prefix) && (await ctx.access.allowed('s3:ListBucket', b))) shown.push(b);
  const list: XmlNode = shown.map((b) => [
    'Bucket',
    [
      ['Name', b.name],
      ['CreationDate', isoTime(b.createdAt)],
      ['BucketRegion', b.region],
    ],
  ]);
  return xmlResponse('ListAllMyBucketsResult', [
    ['Owner', await ownerNode(ctx, userIdOf(ctx))],
    ['Buckets', list],
    ...(prefix ? ([['Prefix', prefix]] as XmlNode) : []),
  ]);
}
