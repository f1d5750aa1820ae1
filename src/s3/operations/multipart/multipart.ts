/**
 * Multipart upload operations:
 * CreateMultipartUpload   https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html
 * UploadPart              https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html
 * UploadPartCopy          https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html
 * CompleteMultipartUpload https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
 * AbortMultipartUpload    https://docs.aws.amazon.com/AmazonS3/latest/API/API_AbortMultipartUpload.html
 * ListParts               https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListParts.html
 */
import type { HttpResponse } from '../../../lib/http-response.js';
import { S3Error } from '../../../errors/s3-error.js';
import { headerOf, userIdOf, type S3Context } from '../../context.js';
import { asObject, children, parseXml, readXmlBody, text, type XmlObject } from '../../xml/read.js';
import { isoTime, type XmlNode } from '../../xml/write.js';
import { emptyResponse, ownerNode, xmlResponse } from '../common.js';
import { objectHeadersFrom, storageClassFrom } from '../object/headers.js';
import { parseTagging } from '../object/tagging-header.js';
import { writeCondition } from '../object/put-object.js';
import { aclFromHeaders } from '../acl/acl-headers.js';
import { requestChecksum } from '../object/checksum-request.js';
import { checkCopySourceConditions } from '../object/copy-object.js';
import { CHECKSUM_ALGORITHMS, checksumDigester, checksumHeaderName, parseAlgorithm, type ChecksumAlgorithm } from '../../../core/checksums.js';
import { type CompletedPartRequest, type CompleteExpectations } from '../../../core/multipart.js';
import type { BucketRecord, MultipartUploadRecord, ObjectChecksum, ObjectRecord } from '../../../metadata/store.js';

function checksumTypeOf(ctx: S3Context, alg: ChecksumAlgorithm | null): ObjectChecksum['type'] | null {
  const v = headerOf(ctx, 'x-amz-checksum-type');
  if (v === undefined) return null;
  const t = v.toUpperCase();
  if (t !== 'COMPOSITE' && t !== 'FULL_OBJECT') throw new S3Error('InvalidRequest', { message: 'Value for x-amz-checksum-type header is invalid.' });
  if (alg === null) throw new S3Error('InvalidRequest', { message: 'The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.' });
  if (t === 'COMPOSITE' && alg === 'CRC64NVME') throw new S3Error('InvalidRequest', { message: 'The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.' });
  if (t === 'FULL_OBJECT' && (alg === 'SHA1' || alg === 'SHA256')) throw new S3Error('InvalidRequest', { message: `The FULL_OBJECT checksum type cannot be used with the ${alg.toLowerCase()} checksum algorithm.` });
  return t;
}

export async function CreateMultipartUpload(ctx: S3Context<'CreateMultipartUpload'>): Promise<HttpResponse> {
  const bucket = ctx.bucket;
  const key = ctx.key;
  const algHeader = headerOf(ctx, 'x-amz-checksum-algorithm');
  const alg = algHeader !== undefined ? parseAlgorithm(algHeader, 'x-amz-checksum-algorithm') : null;
  const type = checksumTypeOf(ctx, alg);
  const u = await ctx.services.multipart.create({
    bucketId: bucket.id,
    key,
    ownerId: userIdOf(ctx),
    contentType: headerOf(ctx, 'content-type') ?? 'binary/octet-stream',
    headers: objectHeadersFrom(ctx.headers),
    tagging: parseTagging(headerOf(ctx, 'x-amz-tagging')),
    storageClass: storageClassFrom(ctx.headers),
    checksumAlgorithm: alg,
    checksumType: alg ? (type ?? (alg === 'CRC64NVME' ? 'FULL_OBJECT' : 'COMPOSITE')) : null,
    acl: await aclFromHeaders(ctx, { owner: userIdOf(ctx), bucketOwner: bucket.ownerId }),
  });
  const headers: HttpResponse['headers'] = {};
  if (u.checksumAlgorithm) {
    headers['x-amz-checksum-algorithm'] = u.checksumAlgorithm;
    headers['x-amz-checksum-type'] = u.checksumType ?? 'COMPOSITE';
  }
  return xmlResponse(
    'InitiateMultipartUploadResult',
    [
      ['Bucket', bucket.name],
      ['Key', key],
      ['UploadId', u.uploadId],
    ],
    200,
    headers,
  );
}

export async function UploadPart(ctx: S3Context<'UploadPart'>): Promise<HttpResponse> {
  const bucket = ctx.bucket;
  const { partNumber } = ctx.route;
  const upload = await ctx.services.multipart.get(bucket, ctx.key, ctx.route.uploadId);
  if (ctx.body.size === undefined && headerOf(ctx, 'transfer-encoding') === undefined) throw new S3Error('MissingContentLength');
  const sent = requestChecksum(ctx);
  if (sent && upload.checksumAlgorithm && sent.algorithm !== upload.checksumAlgorithm) {
    throw new S3Error('InvalidRequest', { message: `Checksum Type mismatch occurred, expected checksum Type: ${upload.checksumAlgorithm.toLowerCase()}, actual checksum Type: ${sent.algorithm.toLowerCase()}` });
  }
  // The upload's algorithm is computed even when the part did not carry it, so completion can combine.
  const computed = sent ?? (upload.checksumAlgorithm ? requestChecksumFor(upload.checksumAlgorithm) : undefined);
  const part = await ctx.services.multipart.uploadPart({
    bucket,
    quota: ctx.quota,
    upload,
    partNumber,
    body: ctx.body.stream(),
    size: ctx.body.size,
    contentMd5: headerOf(ctx, 'content-md5'),
    digesters: computed ? [computed.digester] : [],
    checksum: computed ? () => computed.digester.value() : undefined,
  });
  const headers: HttpResponse['headers'] = { etag: part.etag };
  if (computed && part.checksum) headers[checksumHeaderName(computed.algorithm)] = part.checksum;
  return emptyResponse(200, headers);
}

/** Computes the upload's algorithm for a part that did not carry a checksum itself. */
function requestChecksumFor(alg: ChecksumAlgorithm): { algorithm: ChecksumAlgorithm; digester: ReturnType<typeof checksumDigester> } {
  return { algorithm: alg, digester: checksumDigester(alg, () => undefined) };
}

export async function UploadPartCopy(ctx: S3Context<'UploadPartCopy'>): Promise<HttpResponse> {
  const bucket = ctx.bucket;
  const { partNumber } = ctx.route;
  const upload = await ctx.services.multipart.get(bucket, ctx.key, ctx.route.uploadId);
  const source = ctx.copySource;
  const src = await ctx.services.objects.get(source.bucket, source.key);
  checkCopySourceConditions(ctx, src);
  let range: { start: number; end: number } | undefined;
  const rangeHeader = headerOf(ctx, 'x-amz-copy-source-range');
  if (rangeHeader !== undefined) {
    const m = /^bytes=(\d+)-(\d+)$/.exec(rangeHeader.trim());
    if (!m) {
      throw new S3Error('InvalidArgument', {
        message: 'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy',
        details: { ArgumentName: 'x-amz-copy-source-range', ArgumentValue: rangeHeader },
      });
    }
    if (Number(m[1]) > Number(m[2]) || Number(m[2]) >= src.size) {
      throw new S3Error('InvalidRange', { message: `The requested range is not valid for a source object of size ${src.size}.`, details: { RangeRequested: rangeHeader.trim(), ActualObjectSize: src.size } });
    }
    range = { start: Number(m[1]), end: Number(m[2]) };
  }
  const size = range ? range.end - range.start + 1 : src.size;
  const computed = upload.checksumAlgorithm ? requestChecksumFor(upload.checksumAlgorithm) : undefined;
  // Charged for what it adds, as an UploadPart of this size would be.
  const quota = await ctx.services.quota.reservePart(ctx.tenancy, bucket, upload.key, upload, partNumber, size);
  const part = await ctx.services.quota.during(quota, () => ctx.services.multipart.uploadPart({
    bucket,
    quota,
    upload,
    partNumber,
    body: ctx.services.objects.read(src, range),
    size,
    digesters: computed ? [computed.digester] : [],
    checksum: computed ? () => computed.digester.value() : undefined,
  }));
  const result: XmlNode = [
    ['LastModified', isoTime(part.lastModified)],
    ['ETag', part.etag],
  ];
  if (computed && part.checksum) result.push(['Checksum' + computed.algorithm, part.checksum]);
  return xmlResponse('CopyPartResult', result);
}

/** The <Part> list of a CompleteMultipartUpload document, with every checksum each part states. */
function requestedParts(doc: XmlObject): CompletedPartRequest[] {
  return children(doc, 'Part').map((e) => {
    const p = asObject(e);
    const n = text(p, 'PartNumber');
    const etag = text(p, 'ETag');
    if (n === undefined || etag === undefined || !/^\d+$/.test(n.trim())) throw new S3Error('MalformedXML');
    const checksums: Partial<Record<ChecksumAlgorithm, string>> = {};
    for (const alg of CHECKSUM_ALGORITHMS) {
      const v = text(p, 'Checksum' + alg);
      if (v !== undefined) checksums[alg] = v.trim();
    }
    return { partNumber: Number(n.trim()), etag, checksums };
  });
}

/** What the completion request states about the whole object: x-amz-checksum-type, -<alg>, x-amz-mp-object-size. */
function completeExpectations(ctx: S3Context): CompleteExpectations {
  const expect: CompleteExpectations = {};
  const type = headerOf(ctx, 'x-amz-checksum-type');
  if (type !== undefined) {
    const t = type.trim().toUpperCase();
    if (t !== 'COMPOSITE' && t !== 'FULL_OBJECT') throw new S3Error('InvalidRequest', { message: 'Value for x-amz-checksum-type header is invalid.' });
    expect.checksumType = t;
  }
  const sent = CHECKSUM_ALGORITHMS.filter((a) => headerOf(ctx, checksumHeaderName(a)) !== undefined);
  if (sent.length > 1) throw new S3Error('InvalidRequest', { message: 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.' });
  if (sent.length === 1) expect.checksum = { algorithm: sent[0]!, value: headerOf(ctx, checksumHeaderName(sent[0]!))!.trim() };
  const size = headerOf(ctx, 'x-amz-mp-object-size');
  if (size !== undefined) {
    const v = size.trim();
    if (/^-\d+$/.test(v)) throw new S3Error('InvalidRequest', { message: `Value for x-amz-mp-object-size header is less than zero: '${v}'` });
    if (!/^\d{1,16}$/.test(v)) throw new S3Error('InvalidRequest', { message: `Value for x-amz-mp-object-size header is invalid: '${v}'` });
    expect.objectSize = Number(v);
  }
  return expect;
}

function completeResponse(bucket: BucketRecord, key: string, o: ObjectRecord): HttpResponse {
  const result: XmlNode = [
    ['Location', `/${bucket.name}/${encodeURIComponent(key).replace(/%2F/g, '/')}`],
    ['Bucket', bucket.name],
    ['Key', key],
    ['ETag', o.etag],
  ];
  const headers: HttpResponse['headers'] = {};
  if (o.checksum) {
    result.push(['Checksum' + o.checksum.algorithm, o.checksum.value], ['ChecksumType', o.checksum.type]);
    headers['x-amz-checksum-type'] = o.checksum.type;
  }
  return xmlResponse('CompleteMultipartUploadResult', result, 200, headers);
}

export async function CompleteMultipartUpload(ctx: S3Context<'CompleteMultipartUpload'>): Promise<HttpResponse> {
  const bucket = ctx.bucket;
  const key = ctx.key;
  const { uploadId } = ctx.route;
  let upload: MultipartUploadRecord;
  try {
    upload = await ctx.services.multipart.get(bucket, key, uploadId);
  } catch (e) {
    // A retry of a completion whose response was lost: AWS answers as it did, while the object is unchanged.
    const requested = await readXmlBody(ctx.body, 'CompleteMultipartUpload').then((b) => requestedParts(parseXml(b, 'CompleteMultipartUpload')), () => undefined);
    const done = requested && (await ctx.services.multipart.completedInto(bucket, key, uploadId, requested));
    if (done) return completeResponse(bucket, key, done);
    throw e;
  }
  const condition = writeCondition(ctx);
  const expect = completeExpectations(ctx);
  const requested = requestedParts(parseXml(await readXmlBody(ctx.body, 'CompleteMultipartUpload'), 'CompleteMultipartUpload'));
  // Completing adds no bytes, and no object over an existing one (the store decides exactly at commit).
  const quota = await ctx.services.quota.reserveCompletion(ctx.tenancy, bucket, key);
  const o = await ctx.services.quota.during(quota, () => ctx.services.multipart.complete(bucket, upload, requested, condition, quota, expect));
  return completeResponse(bucket, key, o);
}

export async function AbortMultipartUpload(ctx: S3Context<'AbortMultipartUpload'>): Promise<HttpResponse> {
  const upload = await ctx.services.multipart.get(ctx.bucket, ctx.key, ctx.route.uploadId);
  await ctx.services.multipart.abort(upload);
  return emptyResponse(204);
}

export async function ListParts(ctx: S3Context<'ListParts'>): Promise<HttpResponse> {
  const bucket = ctx.bucket;
  const key = ctx.key;
  const { uploadId, maxParts, partNumberMarker: marker } = ctx.route;
  const upload = await ctx.services.multipart.get(bucket, key, uploadId);
  const page = await ctx.services.multipart.listParts(upload, marker, maxParts + 1);
  const truncated = page.length > maxParts;
  const parts = page.slice(0, maxParts);
  const owner = await ownerNode(ctx, upload.ownerId);
  const children: XmlNode = [
    ['Bucket', bucket.name],
    ['Key', key],
    ['UploadId', upload.uploadId],
    ['Initiator', owner],
    ['Owner', owner],
    ['StorageClass', upload.storageClass],
    ['PartNumberMarker', marker],
    ['NextPartNumberMarker', parts.length ? parts[parts.length - 1]!.partNumber : marker],
    ['MaxParts', maxParts],
    ['IsTruncated', truncated],
  ];
  if (upload.checksumAlgorithm) children.push(['ChecksumAlgorithm', upload.checksumAlgorithm], ['ChecksumType', upload.checksumType ?? 'COMPOSITE']);
  for (const p of parts) {
    const part: XmlNode = [
      ['PartNumber', p.partNumber],
      ['LastModified', isoTime(p.lastModified)],
      ['ETag', p.etag],
      ['Size', p.size],
    ];
    if (p.checksum && upload.checksumAlgorithm) part.push(['Checksum' + upload.checksumAlgorithm, p.checksum]);
    children.push(['Part', part]);
  }
  return xmlResponse('ListPartsResult', children);
}

export async function ListMultipartUploads(ctx: S3Context<'ListMultipartUploads'>): Promise<HttpResponse> {
  const bucket = ctx.bucket;
  const { prefix, delimiter, keyMarker, uploadIdMarker, maxUploads, encodingType } = ctx.route;
  const enc = encodingType === 'url' ? (s: string) => encodeURIComponent(s).replace(/%2F/g, '/') : (s: string) => s;

  // Seeks past each common prefix (core/upload-listing.ts): a page costs about its entries, not every upload under them.
  const page = await ctx.services.multipart.list(bucket, { prefix, delimiter, keyMarker, uploadIdMarker, maxUploads });
  const entries: XmlNode = [];
  const prefixes: string[] = [];
  const names = new Map<string, string>();
  for (const e of page.entries) {
    if (e.kind === 'prefix') {
      prefixes.push(e.prefix);
      continue;
    }
    const u = e.upload;
    const owner = await ownerNode(ctx, u.ownerId, names);
    entries.push([
      'Upload',
      [
        ['Key', enc(u.key)],
        ['UploadId', u.uploadId],
        ['Initiator', owner],
        ['Owner', owner],
        ['StorageClass', u.storageClass],
        ['Initiated', isoTime(u.initiatedAt)],
        ...(u.checksumAlgorithm ? ([['ChecksumAlgorithm', u.checksumAlgorithm], ['ChecksumType', u.checksumType ?? 'COMPOSITE']] as XmlNode) : []),
      ],
    ]);
  }
  const children: XmlNode = [
    ['Bucket', bucket.name],
    ['KeyMarker', enc(keyMarker)],
    ['UploadIdMarker', uploadIdMarker],
    ['NextKeyMarker', enc(page.nextKeyMarker)],
    ['NextUploadIdMarker', page.nextUploadIdMarker],
    ['Prefix', enc(prefix)],
  ];
  if (delimiter) children.push(['Delimiter', enc(delimiter)]);
  children.push(['MaxUploads', maxUploads], ['IsTruncated', page.isTruncated], ...entries);
  for (const p of prefixes) children.push(['CommonPrefixes', [['Prefix', enc(p)]]]);
  if (encodingType === 'url') children.push(['EncodingType', 'url']);
  return xmlResponse('ListMultipartUploadsResult', children);
}

