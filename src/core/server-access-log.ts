/**
 * One S3 server access log record in AWS's format: space-separated fields, `-` for none, the Request-URI,
 * Referer and User-Agent in double quotes, the time in brackets.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/LogFormat.html
 *
 * Fields, in AWS's order: bucket owner, bucket, [time], remote IP, requester, request id, operation, key,
 * "Request-URI", HTTP status, error code, bytes sent, object size, total time (ms), turn-around time,
 * "Referer", "User-Agent", version id, host id, signature version, cipher suite, authentication type, host
 * header, TLS version, access point ARN, ACL required.
 * compat: the bucket owner is the owner's user id and the requester the user's ARN
 * (`arn:aws:iam:::user/<name>`); turn-around time, version id, access point ARN and ACL required are `-`;
 * the host id is the request id (Granary's x-amz-id-2); signatures in the Request-URI are blanked.
 * No field can break the line: control characters, quotes and backslashes are escaped.
 */
import type { FinishedRequest } from '../lib/http-response.js';

/** AWS's operation names (`REST.<method>.<resource>`) where they are not the plain derivation below. */
const OPERATION_NAMES: Record<string, string> = {
  ListBuckets: 'REST.GET.SERVICE',
  CreateBucket: 'REST.PUT.BUCKET',
  HeadBucket: 'REST.HEAD.BUCKET',
  DeleteBucket: 'REST.DELETE.BUCKET',
  ListObjects: 'REST.GET.BUCKET',
  ListObjectsV2: 'REST.GET.BUCKET',
  ListObjectVersions: 'REST.GET.BUCKETVERSIONS',
  ListMultipartUploads: 'REST.GET.UPLOADS',
  DeleteObjects: 'REST.POST.MULTI_OBJECT_DELETE',
  GetBucketLocation: 'REST.GET.LOCATION',
  GetBucketAcl: 'REST.GET.ACL',
  PutBucketAcl: 'REST.PUT.ACL',
  GetObjectAcl: 'REST.GET.ACL',
  PutObjectAcl: 'REST.PUT.ACL',
  GetBucketPolicy: 'REST.GET.BUCKETPOLICY',
  PutBucketPolicy: 'REST.PUT.BUCKETPOLICY',
  DeleteBucketPolicy: 'REST.DELETE.BUCKETPOLICY',
  GetBucketPolicyStatus: 'REST.GET.POLICY_STATUS',
  GetBucketLogging: 'REST.GET.LOGGING_STATUS',
  PutBucketLogging: 'REST.PUT.LOGGING_STATUS',
  GetBucketLifecycleConfiguration: 'REST.GET.LIFECYCLE',
  PutBucketLifecycleConfiguration: 'REST.PUT.LIFECYCLE',
  DeleteBucketLifecycle: 'REST.DELETE.LIFECYCLE',
  GetBucketNotificationConfiguration: 'REST.GET.NOTIFICATION',
  PutBucketNotificationConfiguration: 'REST.PUT.NOTIFICATION',
  GetObjectLockConfiguration: 'REST.GET.OBJECT_LOCK_CONFIGURATION',
  PutObjectLockConfiguration: 'REST.PUT.OBJECT_LOCK_CONFIGURATION',
  GetPublicAccessBlock: 'REST.GET.PUBLIC_ACCESS_BLOCK',
  PutPublicAccessBlock: 'REST.PUT.PUBLIC_ACCESS_BLOCK',
  DeletePublicAccessBlock: 'REST.DELETE.PUBLIC_ACCESS_BLOCK',
  GetBucketAccelerateConfiguration: 'REST.GET.ACCELERATE',
  PutBucketAccelerateConfiguration: 'REST.PUT.ACCELERATE',
  GetBucketRequestPayment: 'REST.GET.REQUEST_PAYMENT',
  PutBucketRequestPayment: 'REST.PUT.REQUEST_PAYMENT',
  PostObject: 'REST.POST.OBJECT',
  GetObject: 'REST.GET.OBJECT',
  HeadObject: 'REST.HEAD.OBJECT',
  PutObject: 'REST.PUT.OBJECT',
  CopyObject: 'REST.COPY.OBJECT',
  DeleteObject: 'REST.DELETE.OBJECT',
  GetObjectTagging: 'REST.GET.OBJECT_TAGGING',
  PutObjectTagging: 'REST.PUT.OBJECT_TAGGING',
  DeleteObjectTagging: 'REST.DELETE.OBJECT_TAGGING',
  RestoreObject: 'REST.POST.RESTORE',
  CreateMultipartUpload: 'REST.POST.UPLOADS',
  UploadPart: 'REST.PUT.PART',
  UploadPartCopy: 'REST.COPY.PART',
  CompleteMultipartUpload: 'REST.POST.UPLOAD',
  AbortMultipartUpload: 'REST.DELETE.UPLOAD',
  ListParts: 'REST.GET.UPLOAD',
};

/** `GetBucketCors` → `REST.GET.CORS`, `PutBucketOwnershipControls` → `REST.PUT.OWNERSHIP_CONTROLS`. */
export function operationName(operation: string | undefined, method: string): string {
  if (operation === undefined) return `REST.${method}.UNKNOWN`;
  const known = OPERATION_NAMES[operation];
  if (known) return known;
  const resource = operation
    .replace(/^(Get|Put|Delete|List|Head)(Bucket|Object)?/, '')
    .replace(/Configuration$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toUpperCase();
  return `REST.${method}.${resource || 'UNKNOWN'}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** `[06/Feb/2019:00:00:38 +0000]` */
export function logTime(ms: number): string {
  const d = new Date(ms);
  return `[${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000]`;
}

const UNSAFE = /[^\x21-\x7e]/g;
const hex = (c: string): string => [...Buffer.from(c)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');

/** An unquoted field: one token of printable ASCII (anything else percent-encoded), `-` when empty. */
function token(v: string | number | undefined): string {
  if (v === undefined || v === '') return '-';
  const s = String(v);
  return UNSAFE.test(s) ? s.replace(UNSAFE, hex) : s;
}

/** A quoted field: `"…"` with `"` and `\` escaped and control characters as `\xHH`; `"-"` when empty. */
function quoted(v: string | undefined): string {
  if (v === undefined || v === '') return '"-"';
  return `"${v.replace(/[\\"]/g, '\\$&').replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}"`;
}

/** The key as AWS logs it: URL-encoded, `/` kept. */
function logKey(key: string | undefined): string {
  return key === undefined || key === '' ? '-' : encodeURIComponent(key).replace(/%2F/g, '/');
}

/** The record of a finished request to a bucket whose logging is on; undefined for any other request. */
export function serverAccessLogRecord(r: FinishedRequest): string | undefined {
  const a = r.serverAccessLog;
  if (!a) return undefined;
  const bytesSent = a.bytesSent && a.bytesSent > 0 ? a.bytesSent : undefined;
  return [
    token(a.bucketOwner),
    token(r.bucket),
    logTime(a.receivedAt),
    token(a.clientAddress),
    token(a.requester),
    token(r.requestId),
    token(operationName(r.operation, r.method)),
    logKey(r.key),
    quoted(a.requestLine),
    token(r.status),
    token(r.errorCode),
    token(bytesSent),
    token(a.objectSize),
    token(Math.round(r.durationMs)),
    '-',
    quoted(a.referrer),
    quoted(a.userAgent),
    '-',
    token(r.requestId),
    token(a.signatureVersion),
    token(a.tls?.cipher),
    token(a.authType),
    token(a.host),
    token(a.tls?.version),
    '-',
    '-',
  ].join(' ');
}
