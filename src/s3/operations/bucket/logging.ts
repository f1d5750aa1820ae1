/**
 * Bucket server access logging configuration:
 * PutBucketLogging https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketLogging.html
 * GetBucketLogging https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLogging.html
 * The configuration, the log object keys and the target checks are core/bucket-logging.ts's; delivery is
 * core/log-delivery.ts's. An empty BucketLoggingStatus turns logging off.
 */
import type { HttpResponse } from '../../../lib/http-response.js';
import { S3Error } from '../../../errors/s3-error.js';
import { deliveryPermitted, logObjectKey, loggingOf, serialiseLogging, type LoggingConfiguration } from '../../../core/bucket-logging.js';
import type { S3Context } from '../../context.js';
import { emptyResponse, xmlResponse } from '../common.js';
import { asObject, children, parseXml, readXmlBody, text, type XmlObject } from '../../xml/read.js';
import type { XmlNode } from '../../xml/write.js';

const ENABLED_FIELDS = new Set(['TargetBucket', 'TargetPrefix', 'TargetGrants', 'TargetObjectKeyFormat']);
const MAX_KEY_BYTES = 1024;

/** The configuration a BucketLoggingStatus document sets; undefined: logging off. */
export function parseBucketLoggingStatus(body: Buffer): LoggingConfiguration | undefined {
  const root = parseXml(body, 'BucketLoggingStatus');
  const enabled = children(root, 'LoggingEnabled');
  if (Object.keys(root).some((k) => k !== 'LoggingEnabled') || enabled.length > 1) throw new S3Error('MalformedXML');
  if (enabled.length === 0) return undefined;
  const e = asObject(enabled[0]!);
  for (const k of Object.keys(e)) if (!ENABLED_FIELDS.has(k) || children(e, k).length > 1) throw new S3Error('MalformedXML');
  const targetBucket = text(e, 'TargetBucket');
  const targetPrefix = text(e, 'TargetPrefix');
  if (targetBucket === undefined || targetBucket === '' || targetPrefix === undefined) throw new S3Error('MalformedXML');
  // compat: grants on log objects (TargetGrants) are not built; the bucket owner reads them, and bucket
  // policies share them. An empty TargetGrants asks for nothing.
  const grants = e.TargetGrants === undefined ? [] : children(asObject(e.TargetGrants), 'Grant');
  if (grants.length > 0) throw new S3Error('NotImplemented', { message: 'TargetGrants are not implemented: grant access to log objects with the target bucket policy.' });
  return { targetBucket, targetPrefix, keyFormat: keyFormatOf(e.TargetObjectKeyFormat) };
}

function keyFormatOf(node: XmlObject[string] | undefined): LoggingConfiguration['keyFormat'] {
  if (node === undefined) return { kind: 'simple' };
  const f = asObject(node);
  const keys = Object.keys(f);
  if (keys.length !== 1 || children(f, keys[0]!).length !== 1) throw new S3Error('MalformedXML');
  if (keys[0] === 'SimplePrefix') {
    if (Object.keys(asObject(f.SimplePrefix!)).length > 0) throw new S3Error('MalformedXML');
    return { kind: 'simple' };
  }
  if (keys[0] !== 'PartitionedPrefix') throw new S3Error('MalformedXML');
  const p = asObject(f.PartitionedPrefix!);
  if (Object.keys(p).some((k) => k !== 'PartitionDateSource')) throw new S3Error('MalformedXML');
  // AWS: "PartitionedPrefix defaults to EventTime delivery".
  const source = text(p, 'PartitionDateSource') ?? 'EventTime';
  if (source !== 'EventTime' && source !== 'DeliveryTime') throw new S3Error('MalformedXML', { message: `PartitionDateSource must be EventTime or DeliveryTime, not "${source}".` });
  return { kind: 'partitioned', dateSource: source };
}

export function loggingStatusXml(c: LoggingConfiguration | undefined): XmlNode {
  if (!c) return [];
  const format: XmlNode =
    c.keyFormat.kind === 'simple' ? [['SimplePrefix', []]] : [['PartitionedPrefix', [['PartitionDateSource', c.keyFormat.dateSource]]]];
  return [
    [
      'LoggingEnabled',
      [
        ['TargetBucket', c.targetBucket],
        ['TargetPrefix', c.targetPrefix],
        ['TargetObjectKeyFormat', format],
      ],
    ],
  ];
}

export async function PutBucketLogging(ctx: S3Context<'PutBucketLogging'>): Promise<HttpResponse> {
  const b = ctx.bucket;
  const c = parseBucketLoggingStatus(await readXmlBody(ctx.body, 'BucketLoggingStatus'));
  if (!c) {
    await ctx.services.buckets.setLogging(b, null);
    return emptyResponse(200);
  }
  // The target is a bucket of the source bucket's tenancy (core/bucket-logging.ts).
  const target = await ctx.services.buckets.find(b.tenancyId, c.targetBucket);
  if (!target) throw new S3Error('InvalidTargetBucketForLogging', { message: 'The target bucket for logging does not exist', details: { TargetBucket: c.targetBucket } });
  const now = Date.now();
  const key = logObjectKey(c, { tenancy: ctx.tenancy.name, region: b.region, bucket: b.name }, { delivery: now, eventDay: now });
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw new S3Error('InvalidArgument', { message: 'The TargetPrefix is too long: log object keys would exceed 1024 bytes.', details: { ArgumentName: 'TargetPrefix' } });
  if (!deliveryPermitted({ source: b, sourceTenancy: ctx.tenancy.name, target, targetPolicy: ctx.services.policies.parsedOf(target), key })) {
    throw new S3Error('InvalidTargetBucketForLogging', {
      message: 'You must either provide the necessary permissions to the logging service using a bucket policy or give the log-delivery group WRITE and READ_ACP permissions to the target bucket',
      details: { TargetBucket: c.targetBucket },
    });
  }
  await ctx.services.buckets.setLogging(b, serialiseLogging(c));
  return emptyResponse(200);
}

export async function GetBucketLogging(ctx: S3Context<'GetBucketLogging'>): Promise<HttpResponse> {
  return xmlResponse('BucketLoggingStatus', loggingStatusXml(loggingOf(ctx.bucket)));
}
