/** Implemented operations by AWS name. Endpoints missing here answer NotImplemented. */
import type { HttpResponse } from '../../lib/http-response.js';
import type { S3Context } from '../context.js';
import type { EndpointName } from '../endpoints.js';
import { ListBuckets } from './service/list-buckets.js';
import { CreateBucket, DeleteBucket, GetBucketLocation, GetBucketVersioning, HeadBucket } from './bucket/buckets.js';
import { GetBucketAcl, GetObjectAcl, PutBucketAcl, PutObjectAcl } from './acl/acl.js';
import { DeleteBucketPolicy, GetBucketPolicy, GetBucketPolicyStatus, PutBucketPolicy } from './policy/bucket-policy.js';
import { ListObjects, ListObjectsV2 } from './bucket/list-objects.js';
import { GetObject, HeadObject } from './object/get-object.js';
import { PutObject } from './object/put-object.js';
import { DeleteObject, DeleteObjects } from './object/delete-object.js';
import { CopyObject } from './object/copy-object.js';
import { DeleteObjectTagging, GetObjectTagging, PutObjectTagging } from './object/tagging.js';
import { GetObjectAttributes } from './object/get-object-attributes.js';
import { DeleteBucketCors, GetBucketCors, PutBucketCors } from './bucket/cors.js';
import { GetBucketLogging, PutBucketLogging } from './bucket/logging.js';
import { PostObject } from './object/post-object.js';
import {
  AbortMultipartUpload,
  CompleteMultipartUpload,
  CreateMultipartUpload,
  ListMultipartUploads,
  ListParts,
  UploadPart,
  UploadPartCopy,
} from './multipart/multipart.js';

/** The operation of endpoint N, typed by its route (Operation: any of them). */
export type Operation<N extends EndpointName = EndpointName> = (ctx: S3Context<N>) => Promise<HttpResponse>;

export const OPERATIONS: { [N in EndpointName]?: Operation<N> } = {
  ListBuckets,
  CreateBucket,
  HeadBucket,
  DeleteBucket,
  GetBucketLocation,
  GetBucketVersioning,
  GetBucketAcl,
  ListObjects,
  ListObjectsV2,
  GetObject,
  HeadObject,
  PutObject,
  DeleteObject,
  DeleteObjects,
  GetObjectAcl,
  PutObjectAcl,
  PutBucketAcl,
  GetBucketPolicy,
  PutBucketPolicy,
  DeleteBucketPolicy,
  GetBucketPolicyStatus,
  CopyObject,
  GetObjectTagging,
  PutObjectTagging,
  DeleteObjectTagging,
  GetObjectAttributes,
  CreateMultipartUpload,
  UploadPart,
  UploadPartCopy,
  CompleteMultipartUpload,
  AbortMultipartUpload,
  ListParts,
  ListMultipartUploads,
  GetBucketCors,
  PutBucketCors,
  DeleteBucketCors,
  GetBucketLogging,
  PutBucketLogging,
  PostObject,
};
