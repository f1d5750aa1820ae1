/**
 * Requests for protection Granary does not provide yet are refused, never silently ignored: a client
 * that asks for server-side encryption (SSE-S3, SSE-KMS, SSE-C) or for object lock (WORM) must not be
 * told "done" while its data is stored unencrypted and deletable. Until those features exist, every
 * operation that takes such a header (or PostObject form field) answers NotImplemented.
 *
 * No client sends these unasked: the AWS CLI and SDKs, boto3, rclone, s3cmd, minio-js/-go and s3fs-fuse
 * send `x-amz-server-side-encryption*` only when the user configures encryption, and
 * `x-amz-bucket-object-lock-enabled` only when asked to create a lock-enabled bucket (some send `false`,
 * which asks for nothing and is accepted).
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html#API_PutObject_RequestSyntax
 */
import { S3Error } from '../errors/s3-error.js';
import type { EndpointName } from './endpoints.js';

interface Family {
  /** Header (or form field) names are matched by this prefix, lowercase. */
  prefix: string;
  what: string;
  endpoints: ReadonlySet<EndpointName>;
}

/**
 * SSE-S3 and SSE-C are built for PutObject, PostObject, CopyObject (both sides), GetObject, HeadObject and
 * GetObjectAttributes
 * (see operations/object/sse.ts, which refuses SSE-KMS itself); multipart uploads do not have them yet.
 */
const SSE_OBJECT_WRITES: EndpointName[] = ['CreateMultipartUpload'];
/** SSE-C headers also go with every later request that reads or adds to the object. */
const SSE_C_TOO: EndpointName[] = ['UploadPart', 'UploadPartCopy', 'CompleteMultipartUpload', 'SelectObjectContent'];

const FAMILIES: Family[] = [
  {
    prefix: 'x-amz-server-side-encryption',
    what: 'Server-side encryption (SSE-S3, SSE-KMS, SSE-C)',
    endpoints: new Set([...SSE_OBJECT_WRITES, ...SSE_C_TOO]),
  },
  {
    prefix: 'x-amz-copy-source-server-side-encryption',
    what: 'Server-side encryption with customer-provided keys (SSE-C) of a copy source',
    endpoints: new Set<EndpointName>(['UploadPartCopy']),
  },
  {
    prefix: 'x-amz-object-lock-',
    what: 'Object lock (retention and legal hold)',
    endpoints: new Set<EndpointName>(['PutObject', 'CopyObject', 'CreateMultipartUpload', 'PostObject']),
  },
];

function notImplemented(what: string, header: string): S3Error {
  return new S3Error('NotImplemented', {
    message: `${what} is not implemented by Granary yet; the request was not carried out.`,
    details: { Header: header },
  });
}

/**
 * Throws NotImplemented when the request asks for a feature listed above. `fields` are a PostObject
 * form's fields (lowercase names), which carry the same names as the headers.
 */
export function refuseUnimplementedFeatures(
  endpoint: EndpointName,
  headers: Record<string, string | string[] | undefined>,
  fields?: ReadonlyMap<string, string>,
): void {
  const names = [...Object.keys(headers).filter((n) => headers[n] !== undefined), ...(fields?.keys() ?? [])];
  for (const f of FAMILIES) {
    if (!f.endpoints.has(endpoint)) continue;
    const hit = names.find((n) => n.toLowerCase().startsWith(f.prefix));
    if (hit !== undefined) throw notImplemented(f.what, hit.toLowerCase());
  }
  if (endpoint === 'CreateBucket') {
    const v = headers['x-amz-bucket-object-lock-enabled'];
    const value = (Array.isArray(v) ? v.join(',') : v)?.trim().toLowerCase();
    if (value !== undefined && value !== 'false') throw notImplemented('Object lock', 'x-amz-bucket-object-lock-enabled');
  }
}
