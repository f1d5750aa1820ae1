/**
 * ListBuckets — https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html
 * With AWS's pagination (2024): max-buckets (1–10,000), an opaque continuation-token, prefix and
 * bucket-region filters. Without any of these every bucket is listed at once; with any of them a page
 * holds at most max-buckets, by default 10,000, and ContinuationToken says where the next one starts.
 */
import type { HttpResponse } from '../../../lib/http-response.js';
import { S3Error } from '../../../errors/s3-error.js';
import type { S3Context } from '../../context.js';
import { isoTime, type XmlNode } from '../../xml/write.js';
import { ownerNode, xmlResponse } from '../common.js';
import { userIdOf } from '../../context.js';

const MAX_BUCKETS = 10_000;

function maxBucketsOf(q: URLSearchParams): number | undefined {
  const v = q.get('max-buckets');
  if (v === null) return undefined;
  if (!/^\d{1,5}$/.test(v) || Number(v) < 1 || Number(v) > MAX_BUCKETS) {
    throw new S3Error('InvalidArgument', {
      message: `Argument max-buckets must be an integer between 1 and ${MAX_BUCKETS}.`,
      details: { ArgumentName: 'max-buckets', ArgumentValue: v },
    });
  }
  return Number(v);
}

/** Continuation tokens are opaque to clients: the name of the last bucket listed, encoded. */
const encodeToken = (last: string): string => Buffer.from('b:' + last, 'utf8').toString('base64url');
function decodeToken(token: string): string {
  const s = Buffer.from(token, 'base64url').toString('utf8');
  if (!s.startsWith('b:') || Buffer.from(s, 'utf8').toString('base64url') !== token.replace(/=+$/, '')) {
    throw new S3Error('InvalidArgument', { message: 'The continuation token provided is incorrect', details: { ArgumentName: 'continuation-token' } });
  }
  return s.slice(2);
}

export async function ListBuckets(ctx: S3Context): Promise<HttpResponse> {
  const q = ctx.query;
  const prefix = q.get('prefix') ?? '';
  const region = q.get('bucket-region') || undefined;
  // An empty token is no token.
  const token = q.get('continuation-token') || undefined;
  const after = token !== undefined ? decodeToken(token) : undefined;
  const paged = q.has('max-buckets') || q.has('prefix') || q.has('continuation-token') || q.has('bucket-region');
  const pageSize = maxBucketsOf(q) ?? (paged ? MAX_BUCKETS : Infinity);
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
  if (more) children.push(['ContinuationToken', encodeToken(shown[shown.length - 1]!.name)]);
  if (q.has('prefix')) children.push(['Prefix', prefix]);
  return xmlResponse('ListAllMyBucketsResult', children);
}
