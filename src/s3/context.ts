/** What an S3 operation receives: the parsed request, who made it, where it points, and the services. */
import type { IncomingHttpHeaders } from 'node:http';
import type { GranaryConfig } from '../config/config.js';
import type { Buckets } from '../core/buckets.js';
import type { Objects } from '../core/objects.js';
import type { Multipart } from '../core/multipart.js';
import type { QuotaGuard } from '../core/quota.js';
import type { Owners } from '../core/owners.js';
import type { BucketPolicies } from '../iam/bucket-policies.js';
import type { AccessContext } from './access.js';
import type { Principal } from '../iam/principal.js';
import type { BucketRecord, MetadataStore, TenancyRecord, WriteQuota } from '../metadata/store.js';
import type { RequestBody } from './body.js';
import type { EndpointName } from './endpoints.js';
import type { Logger } from '../lib/log.js';
import type { AccessKeys } from '../iam/access-keys.js';
import type { PostForm } from './post-object.js';

export interface S3Services {
  config: GranaryConfig;
  metadata: MetadataStore;
  buckets: Buckets;
  objects: Objects;
  multipart: Multipart;
  quota: QuotaGuard;
  policies: BucketPolicies;
  log: Logger;
  accessKeys: AccessKeys;
  owners: Owners;
}

/**
 * What operations may use: everything but the metadata store, so an operation reaches storage only
 * through core/ (which turns "not found" and conditional results into S3 errors).
 */
export type OperationServices = Omit<S3Services, 'metadata'>;

export interface S3Context {
  requestId: string;
  endpoint: EndpointName;
  method: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  principal: Principal;
  tenancy: TenancyRecord;
  /** Bucket name as the client wrote it (undefined for service operations). */
  bucketName: string | undefined;
  /** The resolved bucket (undefined for service operations and CreateBucket). */
  bucket: BucketRecord | undefined;
  key: string | undefined;
  /** For CopyObject/UploadPartCopy: the source, resolved and authorised (s3:GetObject) by the pipeline. */
  copySource: { bucket: BucketRecord; key: string } | undefined;
  body: RequestBody;
  /** Room reserved for this write's declared size (PutObject/UploadPart), to hand to the store write. */
  quota: WriteQuota | undefined;
  /** PostObject: the form fields and the file stream, read and authenticated by the pipeline. */
  post?: PostForm;
  /** Authorization for further checks an operation needs (e.g. ListBuckets filtering). */
  access: AccessContext;
  services: OperationServices;
  /** The request path as sent (percent-encoded, no query): where links on HTML pages are relative to. */
  rawPath: string;
  /** The request came over TLS. */
  secure: boolean;
}

export function headerOf(ctx: { headers: IncomingHttpHeaders }, name: string): string | undefined {
  const v = ctx.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** The resolved bucket; operations of bucket/object scope can rely on it. */
export function bucketOf(ctx: S3Context): BucketRecord {
  if (!ctx.bucket) throw new Error(`endpoint ${ctx.endpoint} ran without a bucket`);
  return ctx.bucket;
}

export function keyOf(ctx: S3Context): string {
  if (ctx.key === undefined) throw new Error(`endpoint ${ctx.endpoint} ran without a key`);
  return ctx.key;
}

/** The id of the signed-in user (operations other than anonymous reads need one). */
export function userIdOf(ctx: S3Context): string {
  return ctx.principal.kind === 'user' ? ctx.principal.user.id : '';
}
