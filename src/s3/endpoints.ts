/**
 * The operation table: every S3 operation Granary recognises, by its AWS name, with what the pipeline
 * (handler.ts) needs to know about it: the IAM action, how its body is consumed, how it counts for a full
 * quota, whether it adds data, reads a copy source, and how it is authorized. The pipeline reads this
 * table, never an operation's name. Operations listed without an implementation answer NotImplemented
 * (they are real S3 operations, so a client gets an honest "not yet", not a 404 or a wrong answer).
 */
import type { WriteKind } from '../core/quota.js';

export type BodyKind =
  /** No body expected (a body, if any, is drained). */
  | 'none'
  /** A small XML document, read whole and bounded (MAX_XML_BODY_BYTES). */
  | 'xml'
  /** Object bytes, streamed; a declared size reserves its quota before the body is read. */
  | 'stream'
  /** A browser form (multipart/form-data, PostObject): its fields name the key and the signer, then the file streams. */
  | 'form';

export type Scope = 'service' | 'bucket' | 'object';

/**
 * How the pipeline authorizes the request before its body is read (default: the action on the bucket or
 * key): 'key-read' also tells a missing key (404) to whoever may list it (AccessContext.requireRead);
 * 'some-object' names its objects in the body (DeleteObjects), so it must be able to act on some object,
 * and the operation authorizes each one.
 */
export type Authorization = 'key-read' | 'some-object';

/** The method and the query parameter that select an endpoint among those of its scope (`GET ?acl`). */
export type SelectingRequest = `${'GET' | 'PUT' | 'DELETE' | 'POST'} ?${string}`;

export interface EndpointSpec {
  scope: Scope;
  /**
   * The request that selects it, as AWS's API reference writes it (`GET /{Key+}?tagging`): the router
   * derives its subresource tables from these, in table order. Endpoints without one are chosen by the
   * router's own rules (the default of a method, or several parameters and headers: uploads and parts).
   */
  request?: SelectingRequest;
  /** IAM action as AWS writes it, used by authorization. */
  action: string;
  body: BodyKind;
  /** How it counts for a full tenancy's quota action (core/quota.ts); unlisted: 'read'. */
  quota?: WriteKind;
  /** It adds data: refused while free space is below the low-water mark (core/capacity.ts). */
  addsData?: true;
  /**
   * Its body carries object bytes whose room is reserved before a byte is read (a body of undeclared size,
   * reserving nothing, is refused while full): as an object (an overwrite gives back what it replaces) or
   * as a part of an upload (metadata/quota-rule.ts).
   */
  reserves?: 'object' | 'part';
  /** It reads `x-amz-copy-source`: the pipeline authorizes (s3:GetObject) and loads the source. */
  copySource?: true;
  authorize?: Authorization;
  /** It creates the bucket it names: none is loaded. */
  createsBucket?: true;
  /**
   * Keys over 1,024 bytes are accepted (object-key.ts). compat: earlier versions stored such PostObject
   * keys, and their objects must stay deletable.
   */
  anyKeyLength?: true;
}

export const ENDPOINTS = {
  // service
  ListBuckets: { scope: 'service', action: 's3:ListAllMyBuckets', body: 'none' },
  // buckets
  CreateBucket: { scope: 'bucket', action: 's3:CreateBucket', body: 'xml', createsBucket: true },
  HeadBucket: { scope: 'bucket', action: 's3:ListBucket', body: 'none' },
  DeleteBucket: { scope: 'bucket', action: 's3:DeleteBucket', body: 'none', quota: 'delete' },
  GetBucketLocation: { scope: 'bucket', request: 'GET ?location', action: 's3:GetBucketLocation', body: 'none' },
  GetBucketVersioning: { scope: 'bucket', request: 'GET ?versioning', action: 's3:GetBucketVersioning', body: 'none' },
  PutBucketVersioning: { scope: 'bucket', request: 'PUT ?versioning', action: 's3:PutBucketVersioning', body: 'xml' },
  ListObjects: { scope: 'bucket', action: 's3:ListBucket', body: 'none' },
  ListObjectsV2: { scope: 'bucket', action: 's3:ListBucket', body: 'none' },
  ListObjectVersions: { scope: 'bucket', request: 'GET ?versions', action: 's3:ListBucketVersions', body: 'none' },
  ListMultipartUploads: { scope: 'bucket', request: 'GET ?uploads', action: 's3:ListBucketMultipartUploads', body: 'none' },
  DeleteObjects: { scope: 'bucket', request: 'POST ?delete', action: 's3:DeleteObject', body: 'xml', quota: 'delete', authorize: 'some-object' },
  GetBucketAcl: { scope: 'bucket', request: 'GET ?acl', action: 's3:GetBucketAcl', body: 'none' },
  PutBucketAcl: { scope: 'bucket', request: 'PUT ?acl', action: 's3:PutBucketAcl', body: 'xml' },
  GetBucketPolicy: { scope: 'bucket', request: 'GET ?policy', action: 's3:GetBucketPolicy', body: 'none' },
  PutBucketPolicy: { scope: 'bucket', request: 'PUT ?policy', action: 's3:PutBucketPolicy', body: 'xml' },
  DeleteBucketPolicy: { scope: 'bucket', request: 'DELETE ?policy', action: 's3:DeleteBucketPolicy', body: 'none' },
  GetBucketPolicyStatus: { scope: 'bucket', request: 'GET ?policyStatus', action: 's3:GetBucketPolicyStatus', body: 'none' },
  GetBucketCors: { scope: 'bucket', request: 'GET ?cors', action: 's3:GetBucketCORS', body: 'none' },
  PutBucketCors: { scope: 'bucket', request: 'PUT ?cors', action: 's3:PutBucketCORS', body: 'xml' },
  DeleteBucketCors: { scope: 'bucket', request: 'DELETE ?cors', action: 's3:PutBucketCORS', body: 'none' },
  GetBucketLifecycleConfiguration: { scope: 'bucket', request: 'GET ?lifecycle', action: 's3:GetLifecycleConfiguration', body: 'none' },
  PutBucketLifecycleConfiguration: { scope: 'bucket', request: 'PUT ?lifecycle', action: 's3:PutLifecycleConfiguration', body: 'xml' },
  DeleteBucketLifecycle: { scope: 'bucket', request: 'DELETE ?lifecycle', action: 's3:PutLifecycleConfiguration', body: 'none' },
  GetBucketTagging: { scope: 'bucket', request: 'GET ?tagging', action: 's3:GetBucketTagging', body: 'none' },
  PutBucketTagging: { scope: 'bucket', request: 'PUT ?tagging', action: 's3:PutBucketTagging', body: 'xml' },
  DeleteBucketTagging: { scope: 'bucket', request: 'DELETE ?tagging', action: 's3:PutBucketTagging', body: 'none' },
  GetBucketEncryption: { scope: 'bucket', request: 'GET ?encryption', action: 's3:GetEncryptionConfiguration', body: 'none' },
  PutBucketEncryption: { scope: 'bucket', request: 'PUT ?encryption', action: 's3:PutEncryptionConfiguration', body: 'xml' },
  DeleteBucketEncryption: { scope: 'bucket', request: 'DELETE ?encryption', action: 's3:PutEncryptionConfiguration', body: 'none' },
  GetBucketWebsite: { scope: 'bucket', request: 'GET ?website', action: 's3:GetBucketWebsite', body: 'none' },
  PutBucketWebsite: { scope: 'bucket', request: 'PUT ?website', action: 's3:PutBucketWebsite', body: 'xml' },
  DeleteBucketWebsite: { scope: 'bucket', request: 'DELETE ?website', action: 's3:DeleteBucketWebsite', body: 'none' },
  GetBucketLogging: { scope: 'bucket', request: 'GET ?logging', action: 's3:GetBucketLogging', body: 'none' },
  PutBucketLogging: { scope: 'bucket', request: 'PUT ?logging', action: 's3:PutBucketLogging', body: 'xml' },
  GetBucketNotificationConfiguration: { scope: 'bucket', request: 'GET ?notification', action: 's3:GetBucketNotification', body: 'none' },
  PutBucketNotificationConfiguration: { scope: 'bucket', request: 'PUT ?notification', action: 's3:PutBucketNotification', body: 'xml' },
  GetBucketReplication: { scope: 'bucket', request: 'GET ?replication', action: 's3:GetReplicationConfiguration', body: 'none' },
  PutBucketReplication: { scope: 'bucket', request: 'PUT ?replication', action: 's3:PutReplicationConfiguration', body: 'xml' },
  DeleteBucketReplication: { scope: 'bucket', request: 'DELETE ?replication', action: 's3:PutReplicationConfiguration', body: 'none' },
  GetObjectLockConfiguration: { scope: 'bucket', request: 'GET ?object-lock', action: 's3:GetBucketObjectLockConfiguration', body: 'none' },
  PutObjectLockConfiguration: { scope: 'bucket', request: 'PUT ?object-lock', action: 's3:PutBucketObjectLockConfiguration', body: 'xml' },
  GetBucketOwnershipControls: { scope: 'bucket', request: 'GET ?ownershipControls', action: 's3:GetBucketOwnershipControls', body: 'none' },
  PutBucketOwnershipControls: { scope: 'bucket', request: 'PUT ?ownershipControls', action: 's3:PutBucketOwnershipControls', body: 'xml' },
  DeleteBucketOwnershipControls: { scope: 'bucket', request: 'DELETE ?ownershipControls', action: 's3:PutBucketOwnershipControls', body: 'none' },
  GetPublicAccessBlock: { scope: 'bucket', request: 'GET ?publicAccessBlock', action: 's3:GetBucketPublicAccessBlock', body: 'none' },
  PutPublicAccessBlock: { scope: 'bucket', request: 'PUT ?publicAccessBlock', action: 's3:PutBucketPublicAccessBlock', body: 'xml' },
  DeletePublicAccessBlock: { scope: 'bucket', request: 'DELETE ?publicAccessBlock', action: 's3:PutBucketPublicAccessBlock', body: 'none' },
  GetBucketAccelerateConfiguration: { scope: 'bucket', request: 'GET ?accelerate', action: 's3:GetAccelerateConfiguration', body: 'none' },
  PutBucketAccelerateConfiguration: { scope: 'bucket', request: 'PUT ?accelerate', action: 's3:PutAccelerateConfiguration', body: 'xml' },
  GetBucketRequestPayment: { scope: 'bucket', request: 'GET ?requestPayment', action: 's3:GetBucketRequestPayment', body: 'none' },
  PutBucketRequestPayment: { scope: 'bucket', request: 'PUT ?requestPayment', action: 's3:PutBucketRequestPayment', body: 'xml' },
  PostObject: { scope: 'bucket', action: 's3:PutObject', body: 'form', quota: 'charged', addsData: true, reserves: 'object' },
  // objects
  GetObject: { scope: 'object', action: 's3:GetObject', body: 'none', authorize: 'key-read' },
  HeadObject: { scope: 'object', action: 's3:GetObject', body: 'none', authorize: 'key-read' },
  PutObject: { scope: 'object', action: 's3:PutObject', body: 'stream', quota: 'charged', addsData: true, reserves: 'object' },
  CopyObject: { scope: 'object', action: 's3:PutObject', body: 'none', quota: 'charged', addsData: true, copySource: true },
  DeleteObject: { scope: 'object', action: 's3:DeleteObject', body: 'none', quota: 'delete', anyKeyLength: true },
  GetObjectAcl: { scope: 'object', request: 'GET ?acl', action: 's3:GetObjectAcl', body: 'none' },
  PutObjectAcl: { scope: 'object', request: 'PUT ?acl', action: 's3:PutObjectAcl', body: 'xml' },
  GetObjectTagging: { scope: 'object', request: 'GET ?tagging', action: 's3:GetObjectTagging', body: 'none' },
  PutObjectTagging: { scope: 'object', request: 'PUT ?tagging', action: 's3:PutObjectTagging', body: 'xml' },
  DeleteObjectTagging: { scope: 'object', request: 'DELETE ?tagging', action: 's3:DeleteObjectTagging', body: 'none' },
  GetObjectAttributes: { scope: 'object', request: 'GET ?attributes', action: 's3:GetObjectAttributes', body: 'none', authorize: 'key-read' },
  GetObjectRetention: { scope: 'object', request: 'GET ?retention', action: 's3:GetObjectRetention', body: 'none' },
  PutObjectRetention: { scope: 'object', request: 'PUT ?retention', action: 's3:PutObjectRetention', body: 'xml' },
  GetObjectLegalHold: { scope: 'object', request: 'GET ?legal-hold', action: 's3:GetObjectLegalHold', body: 'none' },
  PutObjectLegalHold: { scope: 'object', request: 'PUT ?legal-hold', action: 's3:PutObjectLegalHold', body: 'xml' },
  GetObjectTorrent: { scope: 'object', request: 'GET ?torrent', action: 's3:GetObject', body: 'none' },
  RestoreObject: { scope: 'object', request: 'POST ?restore', action: 's3:RestoreObject', body: 'xml' },
  SelectObjectContent: { scope: 'object', request: 'POST ?select', action: 's3:GetObject', body: 'xml' },
  // multipart. Charged writes are judged by what they add (an overwrite, a copy onto an existing object or a
  // part covered by the object its upload replaces passes a full tenancy); completing adds no bytes (the
  // parts are counted already), only the object count, checked exactly by the store at commit.
  CreateMultipartUpload: { scope: 'object', action: 's3:PutObject', body: 'none', quota: 'charged', addsData: true },
  UploadPart: { scope: 'object', action: 's3:PutObject', body: 'stream', quota: 'charged', addsData: true, reserves: 'part' },
  UploadPartCopy: { scope: 'object', action: 's3:PutObject', body: 'none', quota: 'charged', addsData: true, copySource: true },
  CompleteMultipartUpload: { scope: 'object', action: 's3:PutObject', body: 'xml', quota: 'complete' },
  AbortMultipartUpload: { scope: 'object', action: 's3:AbortMultipartUpload', body: 'none', quota: 'delete' },
  ListParts: { scope: 'object', action: 's3:ListMultipartUploadParts', body: 'none' },
} as const satisfies Record<string, EndpointSpec>;

export type EndpointName = keyof typeof ENDPOINTS;
