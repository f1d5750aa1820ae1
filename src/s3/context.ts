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
import type { BucketRecord, TenancyRecord, WriteQuota } from '../metadata/store.js';
import type { AccessFactsRepositories } from '../iam/access-facts.js';
import type { RequestBody } from './body.js';
import type { ENDPOINTS, EndpointName } from './endpoints.js';
import type { Route } from './router.js';
import type { Logger } from '../lib/log.js';
import type { AccessKeys } from '../iam/access-keys.js';
import type { PostForm } from './post-object.js';

export interface S3Services {
  config: GranaryConfig;
  /** What authorization reads (memberships, groups, an object's ACL and tags): s3/access.ts, not operations. */
  accessFacts: AccessFactsRepositories;
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
 * What operations may use: everything but authorization's repositories, so an operation reaches storage
 * only through core/ (which turns "not found" and conditional results into S3 errors).
 */
export type OperationServices = Omit<S3Services, 'accessFacts'>;

type Spec<N extends EndpointName> = (typeof ENDPOINTS)[N];
// Each of these distributes over N, so S3Context (all endpoints) is the union of what each one gets.
/** The bucket the pipeline loaded: for every bucket and object operation but CreateBucket. */
type BucketFor<N extends EndpointName> = N extends EndpointName
  ? Spec<N>['scope'] extends 'service'
    ? undefined
    : Spec<N> extends { createsBucket: true }
      ? undefined
      : BucketRecord
  : never;
/** The object key: from the path for object operations, from the form for PostObject. */
type KeyFor<N extends EndpointName> = N extends EndpointName ? (Spec<N>['scope'] extends 'object' ? string : Spec<N>['body'] extends 'form' ? string : undefined) : never;
type BucketNameFor<N extends EndpointName> = N extends EndpointName ? (Spec<N>['scope'] extends 'service' ? undefined : string) : never;
export interface CopySource {
  bucket: BucketRecord;
  key: string;
}
type CopySourceFor<N extends EndpointName> = N extends EndpointName ? (Spec<N> extends { copySource: true } ? CopySource : undefined) : never;
type PostFor<N extends EndpointName> = N extends EndpointName ? (Spec<N>['body'] extends 'form' ? PostForm : undefined) : never;

/**
 * What operation N receives (S3Context: any operation). The pipeline establishes what the endpoint's row
 * promises (its bucket loaded, its key named, its copy source authorized), so an operation relies on
 * the types, never on a runtime check.
 */
export interface S3Context<N extends EndpointName = EndpointName> {
  requestId: string;
  /** The endpoint with its bucket, key and parsed query parameters (router.ts): operations read these, not the query. */
  route: Route<N>;
  method: string;
  headers: IncomingHttpHeaders;
  principal: Principal;
  tenancy: TenancyRecord;
  /** Bucket name as the client wrote it, without a `tenancy:` prefix. */
  bucketName: BucketNameFor<N>;
  /** The resolved bucket. */
  bucket: BucketFor<N>;
  key: KeyFor<N>;
  /** For CopyObject/UploadPartCopy: the source, resolved and authorised (s3:GetObject) by the pipeline. */
  copySource: CopySourceFor<N>;
  body: RequestBody;
  /** Room reserved for this write's declared size (PutObject/UploadPart), to hand to the store write. */
  quota: WriteQuota | undefined;
  /** PostObject: the form fields and the file stream, read and authenticated by the pipeline. */
  post: PostFor<N>;
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

/** The id of the signed-in user (operations other than anonymous reads need one). */
export function userIdOf(ctx: S3Context): string {
  return ctx.principal.kind === 'user' ? ctx.principal.user.id : '';
}
