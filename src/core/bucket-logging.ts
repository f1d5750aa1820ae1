/**
 * Server access logging of a bucket (PutBucketLogging / GetBucketLogging): the stored configuration, the
 * names of the log objects, and the checks AWS makes of the target bucket, which Granary makes when the
 * configuration is set and again before every delivery.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerLogs.html
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
 *
 * What Granary requires of the target bucket (docs/bucket-logging.md):
 * - it is a bucket of the source bucket's tenancy (compat: AWS allows any bucket of the same region; a
 *   tenancy is Granary's account, and logs count against the target tenancy's quota);
 * - delivery is permitted: its bucket policy allows the logging service principal
 *   (`{"Service": "logging.s3.amazonaws.com"}`, or `"*"`) `s3:PutObject` on the log object's key, with
 *   `aws:SourceArn` = `arn:aws:s3:::<source bucket>` and `aws:SourceAccount` = the source tenancy's name as
 *   the conditions may test; or its ACL grants the LogDelivery group WRITE (the legacy way); or it has the
 *   same owner as the source bucket. An explicit Deny for the service in its policy refuses in every case.
 */
import { randomBytes } from 'node:crypto';
import { LOG_DELIVERY, parseStoredAcl } from '../iam/acl.js';
import { evaluate } from '../iam/policy/evaluate.js';
import type { Policy } from '../iam/policy/types.js';
import type { BucketRecord } from '../metadata/store.js';

/** The service principal a target bucket's policy names to allow delivery (as AWS names it). */
export const LOG_DELIVERY_SERVICE = 'logging.s3.amazonaws.com';

export type PartitionDateSource = 'EventTime' | 'DeliveryTime';

/** How log object keys are made (TargetObjectKeyFormat). */
export type LogKeyFormat = { kind: 'simple' } | { kind: 'partitioned'; dateSource: PartitionDateSource };

/** A bucket's logging configuration as stored (the `logging` bucket configuration kind, JSON). */
export interface LoggingConfiguration {
  /** A bucket of the source bucket's tenancy. */
  targetBucket: string;
  targetPrefix: string;
  keyFormat: LogKeyFormat;
}

/** The bucket's logging configuration, undefined when logging is off. */
export function loggingOf(bucket: Pick<BucketRecord, 'logging'>): LoggingConfiguration | undefined {
  if (bucket.logging === null) return undefined;
  const v = JSON.parse(bucket.logging) as LoggingConfiguration;
  if (typeof v?.targetBucket !== 'string' || typeof v.targetPrefix !== 'string' || (v.keyFormat?.kind !== 'simple' && v.keyFormat?.kind !== 'partitioned')) {
    throw new Error(`bucket logging configuration of the wrong shape: ${bucket.logging}`);
  }
  return v;
}

export function serialiseLogging(c: LoggingConfiguration): string {
  return JSON.stringify({ targetBucket: c.targetBucket, targetPrefix: c.targetPrefix, keyFormat: c.keyFormat });
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/**
 * The key of a log object, as AWS names them:
 * simple      `<prefix>YYYY-MM-DD-hh-mm-ss-<UniqueString>` (the delivery time);
 * partitioned `<prefix><SourceAccountId>/<SourceRegion>/<SourceBucket>/YYYY/MM/DD/YYYY-MM-DD-hh-mm-ss-<UniqueString>`,
 * where the account is the source bucket's tenancy's name. With DeliveryTime the dates are the delivery's;
 * with EventTime (AWS's default) an object holds the records of one day, `eventDay` (UTC), and the key
 * carries that day with hours, minutes and seconds 00. `unique` is 16 upper-case hex digits.
 */
export function logObjectKey(
  c: LoggingConfiguration,
  source: { tenancy: string; region: string; bucket: string },
  times: { delivery: number; eventDay: number },
  unique: string = randomBytes(8).toString('hex').toUpperCase(),
): string {
  const byEvent = c.keyFormat.kind === 'partitioned' && c.keyFormat.dateSource === 'EventTime';
  const d = new Date(byEvent ? dayOf(times.eventDay) : times.delivery);
  const day = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const stamp = `${day}-${pad(d.getUTCHours())}-${pad(d.getUTCMinutes())}-${pad(d.getUTCSeconds())}-${unique}`;
  if (c.keyFormat.kind === 'simple') return c.targetPrefix + stamp;
  return `${c.targetPrefix}${source.tenancy}/${source.region}/${source.bucket}/${day.replaceAll('-', '/')}/${stamp}`;
}

/** Midnight (UTC) of the day of `ms`. */
export function dayOf(ms: number): number {
  return ms - (((ms % 86_400_000) + 86_400_000) % 86_400_000);
}

/**
 * Whether log objects of `source` may be written to `key` in `target` (see the module comment): the
 * target's policy as the logging service, then its ACL, then the owners.
 */
export function deliveryPermitted(args: { source: BucketRecord; sourceTenancy: string; target: BucketRecord; targetPolicy: Policy | undefined; key: string }): boolean {
  const { source, target, targetPolicy } = args;
  const decision = targetPolicy
    ? evaluate([targetPolicy], {
        principal: { kind: 'service', name: LOG_DELIVERY_SERVICE },
        action: 's3:PutObject',
        resource: `arn:aws:s3:::${target.name}/${args.key}`,
        context: { 'aws:SourceArn': `arn:aws:s3:::${source.name}`, 'aws:SourceAccount': args.sourceTenancy },
      }).effect
    : 'NoMatch';
  if (decision === 'Deny') return false;
  if (decision === 'Allow') return true;
  const acl = parseStoredAcl(target.acl);
  if (acl.grants.some((g) => g.grantee.type === 'group' && g.grantee.uri === LOG_DELIVERY && (g.permission === 'WRITE' || g.permission === 'FULL_CONTROL'))) return true;
  return source.ownerId === target.ownerId;
}
