/**
 * ListObjects (v1)  https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjects.html
 * ListObjectsV2     https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
 */
import type { HttpResponse } from '../../../lib/http-response.js';
import { type ListEntry } from '../../../core/listing.js';
import { type S3Context } from '../../context.js';
import { escapeXml, isoTime, RawXml, type XmlNode } from '../../xml/write.js';
import { ownerDisplayName, xmlResponse } from '../common.js';
import { landingResponse } from './landing.js';
import { OBJECTS_TOKEN } from '../../continuation-token.js';

/** Keys as listed: as stored, or URL-encoded for `encoding-type=url`. */
function encoder(encodingType: 'url' | undefined): (s: string) => string {
  if (encodingType === undefined) return (s) => s;
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

export async function ListObjects(ctx: S3Context<'ListObjects'>): Promise<HttpResponse> {
  const page = await landingResponse(ctx);
  if (page) return page;
  const b = ctx.bucket;
  const { prefix, delimiter, marker, maxKeys, encodingType } = ctx.route;
  const enc = encoder(encodingType);
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
  if (encodingType) children.push(['EncodingType', encodingType]);
  children.push(...(await entriesXml(ctx, r.entries, enc, true)));
  return xmlResponse('ListBucketResult', children);
}

export async function ListObjectsV2(ctx: S3Context<'ListObjectsV2'>): Promise<HttpResponse> {
  const page = await landingResponse(ctx);
  if (page) return page;
  const b = ctx.bucket;
  const { prefix, delimiter, maxKeys, encodingType, continuationToken, startAfter, fetchOwner } = ctx.route;
  const enc = encoder(encodingType);
  const after = continuationToken !== undefined ? continuationToken.after : startAfter;
  const r = await ctx.services.buckets.listObjects(b, { prefix, delimiter, startAfter: after, maxKeys });
  const children: XmlNode = [
    ['Name', b.name],
    ['Prefix', enc(prefix)],
    ['MaxKeys', maxKeys],
    ['KeyCount', r.entries.length],
  ];
  if (delimiter) children.push(['Delimiter', enc(delimiter)]);
  children.push(['IsTruncated', r.isTruncated]);
  if (continuationToken !== undefined) children.push(['ContinuationToken', continuationToken.token]);
  if (r.isTruncated && r.last !== undefined) children.push(['NextContinuationToken', OBJECTS_TOKEN.encode(r.last)]);
  if (startAfter) children.push(['StartAfter', enc(startAfter)]);
  if (encodingType) children.push(['EncodingType', encodingType]);
  children.push(...(await entriesXml(ctx, r.entries, enc, fetchOwner)));
  return xmlResponse('ListBucketResult', children);
}
