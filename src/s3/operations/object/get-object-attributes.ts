/** GetObjectAttributes — https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html */
import type { HttpResponse } from '../../../lib/http-response.js';
import { S3Error } from '../../../errors/s3-error.js';
import { headerOf, type S3Context } from '../../context.js';
import type { XmlNode } from '../../xml/write.js';
import { bareEtag, httpDate, xmlResponse } from '../common.js';
import { checkCustomerKeyApplies, customerKey } from './sse.js';

const KNOWN = new Set(['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize']);

export async function GetObjectAttributes(ctx: S3Context<'GetObjectAttributes'>): Promise<HttpResponse> {
  const key = customerKey(ctx);
  const o = await ctx.services.objects.get(ctx.bucket, ctx.key);
  // As GetObject: an SSE-C object's attributes are told only to a request with its key.
  checkCustomerKeyApplies(o, key);
  ctx.services.objects.dataKeys(o, key);
  const wanted = new Set(
    (headerOf(ctx, 'x-amz-object-attributes') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  if (wanted.size === 0) throw new S3Error('InvalidArgument', { message: 'Invalid attribute name specified.', details: { ArgumentName: 'x-amz-object-attributes' } });
  for (const w of wanted) if (!KNOWN.has(w)) throw new S3Error('InvalidArgument', { message: 'Invalid attribute name specified.', details: { ArgumentName: 'x-amz-object-attributes', ArgumentValue: w } });

  const out: XmlNode = [];
  if (wanted.has('ETag')) out.push(['ETag', bareEtag(o.etag)]);
  if (wanted.has('Checksum') && o.checksum) {
    out.push(['Checksum', [['Checksum' + o.checksum.algorithm, o.checksum.value], ['ChecksumType', o.checksum.type]]]);
  }
  const multipart = o.parts.length > 0 && o.parts[0]!.etag !== undefined;
  if (wanted.has('ObjectParts') && multipart) {
    const maxParts = Math.min(Number(headerOf(ctx, 'x-amz-max-parts') ?? 1000) || 1000, 1000);
    const marker = Number(headerOf(ctx, 'x-amz-part-number-marker') ?? 0) || 0;
    const shown = o.parts.map((p, i) => ({ ...p, n: i + 1 })).filter((p) => p.n > marker);
    const page = shown.slice(0, maxParts);
    const parts: XmlNode = [
      // The XML element is PartsCount (the SDKs' TotalPartsCount field is serialized under that name).
      ['PartsCount', o.parts.length],
      ['PartNumberMarker', marker],
      ['NextPartNumberMarker', page.length ? page[page.length - 1]!.n : marker],
      ['MaxParts', maxParts],
      ['IsTruncated', shown.length > page.length],
    ];
    for (const p of page) {
      const part: XmlNode = [
        ['PartNumber', p.n],
        ['Size', p.size],
      ];
      if (p.checksum && o.checksum) part.push(['Checksum' + o.checksum.algorithm, p.checksum]);
      parts.push(['Part', part]);
    }
    out.push(['ObjectParts', parts]);
  }
  if (wanted.has('StorageClass')) out.push(['StorageClass', o.storageClass]);
  if (wanted.has('ObjectSize')) out.push(['ObjectSize', o.size]);
  return xmlResponse('GetObjectAttributesResponse', out, 200, { 'last-modified': httpDate(o.lastModified) });
}
