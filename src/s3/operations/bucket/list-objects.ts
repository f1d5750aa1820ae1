/**
 * ListObjects (v1)  https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjects.html
 * ListObjectsV2     https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
 */
import type { HttpResponse } from '../../../lib/http-response.js';
import { S3Error } from '../../../errors/s3-error.js';
import { type ListEntry } from '../../../core/listing.js';
import { bucketOf, type S3Context } from '../../context.js';
import { escapeXml, isoTime, RawXml, type XmlNode } from '../../xml/write.js';
import { ownerDisplayName, xmlResponse } from '../common.js';
import { landingResponse } from './landing.js';

const MAX_KEYS = 1000;

function maxKeysOf(q: URLSearchParams): number {
  const v = q.get('max-keys');
  if (v === null || v === '') return MAX_KEYS;
  if (!/^\d+$/.test(v)) {
    throw new S3Error('InvalidArgument', { message: 'Provided max-keys not an integer or within integer range', details: { ArgumentName: 'max-keys', ArgumentValue: v } });
  }
  return Math.min(Number(v), MAX_KEYS);
}

function encodingOf(q: URLSearchParams): ((s: string) => string) {
  const e = q.get('encoding-type');
  if (e === null) return (s) => s;
  if (e !== 'url') throw new S3Error('InvalidArgument', { message: 'Invalid Encoding Method specified in Request', details: { ArgumentName: 'encoding-type', ArgumentValue: e } });
  // '/' stays readable as AWS writes it; every URL decoder (unquote, unquote_plus, decodeURIComponent) inverts this.
  return (s) => encodeURIComponent(s).replace(/%2F/g, '/');
}

/** A stored ETag is a quoted hex MD5 (with -N for multipart): its quotes are the only characters to escape. */
function etagXml(etag: string): string {
  return /^"[0-9a-f]+(-\d+)?"$/.test(etag) ? `&quot;${etag.slice(1, -1)}&quot;` : escapeXml(etag);
}

/**
 * <Contents> and <CommonPrefixes>, serialised directly: a page holds up to a thousand entries, and building
 * an XmlNode per field was most of a listing's cost.
 */
async function entriesXml(ctx: S3Context, entries: ListEntry[], enc: (s: string) => string, withOwner: boolean): Promise<XmlNode> {
  const names = new Map<string, string>();
  let contents = '';
  let prefixes = '';
  for (const e of entries) {
    if (e.kind === 'prefix') {
      prefixes += `<CommonPrefixes><Prefix>${escapeXml(enc(e.prefix))}</Prefix></CommonPrefixes>`;
      continue;
    }
    const o = e.object;
    contents += `<Contents><Key>${escapeXml(enc(o.key))}</Key><LastModified>${isoTime(o.lastModified)}</LastModified><ETag>${etagXml(o.etag)}</ETag><Size>${o.size}</Size><StorageClass>${escapeXml(o.storageClass)}</StorageClass>`;
    if (o.checksum) contents += `<ChecksumAlgorithm>${o.checksum.algorithm}</ChecksumAlgorithm><ChecksumType>${o.checksum.type}</ChecksumType>`;
    if (withOwner) {
      const name = await ownerDisplayName(ctx, o.ownerId, names);
      contents += `<Owner><ID>${escapeXml(o.ownerId)}</ID><DisplayName>${escapeXml(name)}</DisplayName></Owner>`;
    }
    contents += '</Contents>';
  }
  return [['#text', new RawXml(contents + prefixes)]];
}

export async function ListObjects(ctx: S3Context): Promise<HttpResponse> {
  const page = await landingResponse(ctx);
  if (page) return page;
  const b = bucketOf(ctx);
  const q = ctx.query;
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const marker = q.get('marker') ?? '';
  const maxKeys = maxKeysOf(q);
  const enc = encodingOf(q);
  const r = await ctx.services.buckets.listObjects(b, { prefix, delimiter, startAfter: marker, maxKeys });
  const children: XmlNode = [
    ['Name', b.name],
    ['Prefix', enc(prefix)],
    ['Marker', enc(marker)],
    ['MaxKeys', maxKeys],
  ];
  if (delimiter) children.push(['Delimiter', enc(delimiter)]);
  children.push(['IsTruncated', r.isTruncated]);
  if (r.isTruncated && r.last !== undefined) children.push(['NextMarker', enc(r.last)]);
  if (q.get('encoding-type') === 'url') children.push(['EncodingType', 'url']);
  children.push(...(await entriesXml(ctx, r.entries, enc, true)));
  return xmlResponse('ListBucketResult', children);
}

/** Continuation tokens are opaque to clients: the position to start after, encoded. */
function encodeToken(last: string): string {
  return Buffer.from('1:' + last, 'utf8').toString('base64url');
}
function decodeToken(token: string): string {
  const s = Buffer.from(token, 'base64url').toString('utf8');
  if (!s.startsWith('1:') || Buffer.from(s, 'utf8').toString('base64url') !== token.replace(/=+$/, '')) {
    throw new S3Error('InvalidArgument', { message: 'The continuation token provided is incorrect', details: { ArgumentName: 'continuation-token' } });
  }
  return s.slice(2);
}

export async function ListObjectsV2(ctx: S3Context): Promise<HttpResponse> {
  const page = await landingResponse(ctx);
  if (page) return page;
  const b = bucketOf(ctx);
  const q = ctx.query;
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const maxKeys = maxKeysOf(q);
  const enc = encodingOf(q);
  // An empty token is no token (clients send `continuation-token=` on a first page).
  const token = q.get('continuation-token') || null;
  const startAfter = q.get('start-after') ?? '';
  const fetchOwner = q.get('fetch-owner') === 'true';
  const after = token !== null ? decodeToken(token) : startAfter;
  const r = await ctx.services.buckets.listObjects(b, { prefix, delimiter, startAfter: after, maxKeys });
  const children: XmlNode = [
    ['Name', b.name],
    ['Prefix', enc(prefix)],
    ['MaxKeys', maxKeys],
    ['KeyCount', r.entries.length],
  ];
  if (delimiter) children.push(['Delimiter', enc(delimiter)]);
  children.push(['IsTruncated', r.isTruncated]);
  if (token !== null) children.push(['ContinuationToken', token]);
  if (r.isTruncated && r.last !== undefined) children.push(['NextContinuationToken', encodeToken(r.last)]);
  if (startAfter) children.push(['StartAfter', enc(startAfter)]);
  if (q.get('encoding-type') === 'url') children.push(['EncodingType', 'url']);
  children.push(...(await entriesXml(ctx, r.entries, enc, fetchOwner)));
  return xmlResponse('ListBucketResult', children);
}
