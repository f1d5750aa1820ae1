/**
 * ListBuckets — https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html
 * With AWS's pagination (2024): max-buckets (1–10,000), an opaque continuation-token, prefix and
 * bucket-region filters. Without any of these every bucket is listed at once; with any of them a page
 * holds at most max-buckets, by default 10,000, and ContinuationToken says where the next one starts.
 */
import type { HttpResponse } from '../../../lib/http-response.js';
import type { S3Context } from '../../context.js';
import { isoTime, type XmlNode } from '../../xml/write.js';
import { ownerNode, xmlResponse } from '../common.js';
import { userIdOf } from '../../context.js';
import { BUCKETS_TOKEN } from '../../continuation-token.js';

/** A page's size when AWS's pagination is asked for without max-buckets. */
const MAX_BUCKETS = 10_000;

export async function ListBuckets(ctx: S3Context<'ListBuckets'>): Promise<HttpResponse> {
  const { bucketRegion: region, continuationToken, paged, maxBuckets } = ctx.route;
  const prefix = ctx.route.prefix ?? '';
  const after = continuationToken?.after;
  const pageSize = maxBuckets ?? (paged ? MAX_BUCKETS : Infinity);
  const buckets = await ctx.services.buckets.list(ctx.tenancy.id);
  // A user sees the buckets they can list: their own, their tenancy role's, and those shared with them.
  const shown = [];
  let more = false;
  for (const b of buckets) {
    if (!b.name.startsWith(prefix) || (after !== undefined && b.name <= after) || (region !== undefined && b.region !== region)) continue;
    if (!(await ctx.access.allowed('s3:ListBucket', b))) continue;
    if (shown.length >= pageSize) {
      more = true;
      break;
    }
    shown.push(b);
  }
  const list: XmlNode = shown.map((b) => [
    'Bucket',
    [
      ['Name', b.name],
      ['CreationDate', isoTime(b.createdAt)],
      ['BucketRegion', b.region],
    ],
  ]);
  const children: XmlNode = [
    ['Owner', await ownerNode(ctx, userIdOf(ctx))],
    ['Buckets', list],
  ];
  if (more) children.push(['ContinuationToken', BUCKETS_TOKEN.encode(shown[shown.length - 1]!.name)]);
  if (ctx.route.prefix !== undefined) children.push(['Prefix', prefix]);
  return xmlResponse('ListAllMyBucketsResult', children);
}
