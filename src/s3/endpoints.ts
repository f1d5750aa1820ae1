/**
 * The operation table: every S3 operation Granary recognises, by its AWS name, with the IAM action it
 * needs and how its request body is consumed. Operations listed without an implementation answer
 * NotImplemented (they are real S3 operations, so a client gets an honest "not yet", not a 404 or a
 * wrong answer).
 */

export type BodyKind =
  /** No body expected (a body, if any, is drained). */
  | 'none'
  /** A small XML document, read whole and bounded (MAX_XML_BODY_BYTES). */
  | 'xml'
  /** Object bytes, streamed. */
  | 'stream';

export type Scope = 'service' | 'bucket' | 'object';

export interface EndpointSpec {
  scope: Scope;
  /** IAM action as AWS writes it, used by authorization. */
  action: string;
  body: BodyKind;
}

export const ENDPOINTS = {
  // service
  ListBuckets: { scope: 'service', action: 's3:ListAllMyBuckets', body: 'none' },
  // buckets
  CreateBucket: { scope: 'bucket', action: 's3:CreateBucket', body: 'xml' },
  HeadBucket: { scope: 'bucket', action: 's3:ListBucket', body: 'none' },
  DeleteBucket: { scope: 'bucket', action: 's3:DeleteBucket', body: 'none' },
  GetBucketLocation: { scope: 'bucket', action: 's3:GetBucketLocation', body: 'none' },
  GetBucketVersioning: { scope: 'bucket', action: 's3:GetBucketVersioning', body: 'none' },
  PutBucketVersioning: { scope: 'bucket', action: 's3:PutBucketVersioning', body: 'xml' },
  ListObjects: { scope: 'bucket', action: 's3:ListBucket', body: 'none' },
  ListObjectsV2: { scope: 'bucket', action: 's3:ListBucket', body: 'none' },
  ListObjectVersions: { scope: 'bucket', action: 's3:ListBucketVersions', body: 'none' },
  ListMultipartUploads: { scope: 'bucket', action: 's3:ListBucketMultipartUploads', body: 'none' },
  DeleteObjects: { scope: 'bucket', action: 's3:DeleteObject', body: 'xml' },
  GetBucketAcl: { scope: 'bucket', action: 's3:GetBucketAcl', body: 'none' },
  PutBucketAcl: { scope: 'bucket', action: 's3:PutBucketAcl', body: 'xml' },
  GetBucketPolicy: { scope: 'bucket', action: 's3:GetBucketPolicy', body: 'none' },
  PutBucketPolicy: { scope: 'bucket', action: 's3:PutBucketPolicy', body: 'xml' },
  DeleteBucketPolicy: { scope: 'bucket', action: 's3:DeleteBucketPolicy', body: 'none' },
  GetBucketPolicyStatus: { scope: 'bucket', action: 's3:GetBucketPolicyStatus', body: 'none' },
  GetBucketCors: { scope: 'bucket', action: 's3:GetBucketCORS', body: 'none' },
  PutBucketCors: { scope: 'bucket', action: 's3:PutBucketCORS', body: 'xml' },
  DeleteBucketCors: { scope: 'bucket', action: 's3:PutBucketCORS', body: 'none' },
  GetBucketLifecycleConfiguration: { scope: 'bucket', action: 's3:GetLifecycleConfiguration', body: 'none' },
  PutBucketLifecycleConfiguration: { scope: 'bucket', action: 's3:PutLifecycleConfiguration', body: 'xml' },
  DeleteBucketLifecycle: { scope: 'bucket', action: 's3:PutLifecycleConfiguration', body: 'none' },
  GetBucketTagging: { scope: 'bucket', action: 's3:GetBucketTagging', body: 'none' },
  PutBucketTagging: { scope: 'bucket', action: 's3:PutBucketTagging', body: 'xml' },
  DeleteBucketTagging: { scope: 'bucket', action: 's3:PutBucketTagging', body: 'none' },
  GetBucketEncryption: { scope: 'bucket', action: 's3:GetEncryptionConfiguration', body: 'none' },
  PutBucketEncryption: { scope: 'bucket', action: 's3:PutEncryptionConfiguration', body: 'xml' },
  DeleteBucketEncryption: { scope: 'bucket', action: 's3:PutEncryptionConfiguration', body: 'none' },
  GetBucketWebsite: { scope: 'bucket', action: 's3:GetBucketWebsite', body: 'none' },
  PutBucketWebsite: { scope: 'bucket', action: 's3:PutBucketWebsite', body: 'xml' },
  DeleteBucketWebsite: { scope: 'bucket', action: 's3:DeleteBucketWebsite', body: 'none' },
  GetBucketLogging: { scope: 'bucket', action: 's3:GetBucketLogging', body: 'none' },
  PutBucketLogging: { scope: 'bucket', action: 's3:PutBucketLogging', body: 'xml' },
  GetBucketNotificationConfiguration: { scope: 'bucket', action: 's3:GetBucketNotification', body: 'none' },
  PutBucketNotificationConfiguration: { scope: 'bucket', action: 's3:PutBucketNotification', body: 'xml' },
  GetBucketReplication: { scope: 'bucket', action: 's3:GetReplicationConfiguration', body: 'none' },
  PutBucketReplication: { scope: 'bucket', action: 's3:PutReplicationConfiguration', body: 'xml' },
  DeleteBucketReplication: { scope: 'bucket', action: 's3:PutReplicationConfiguration', body: 'none' },
  GetObjectLockConfiguration: { scope: 'bucket', action: 's3:GetBucketObjectLockConfiguration', body: 'none' },
  PutObjectLockConfiguration: { scope: 'bucket', action: 's3:PutBucketObjectLockConfiguration', body: 'xml' },
  GetBucketOwnershipControls: { scope: 'bucket', action: 's3:GetBucketOwnershipControls', body: 'none' },
  PutBucketOwnershipControls: { scope: 'bucket', action: 's3:PutBucketOwnershipControls', body: 'xml' },
  DeleteBucketOwnershipControls: { scope: 'bucket', action: 's3:PutBucketOwnershipControls', body: 'none' },
  GetPublicAccessBlock: { scope: 'bucket', action: 's3:GetBucketPublicAccessBlock', body: 'none' },
  PutPublicAccessBlock: { scope: 'bucket', action: 's3:PutBucketPublicAccessBlock', body: 'xml' },
  DeletePublicAccessBlock: { scope: 'bucket', action: 's3:PutBucketPublicAccessBlock', body: 'none' },
  GetBucketAccelerateConfiguration: { scope: 'bucket', action: 's3:GetAccelerateConfiguration', body: 'none' },
  PutBucketAccelerateConfiguration: { scope: 'bucket', action: 's3:PutAccelerateConfiguration', body: 'xml' },
  GetBucketRequestPayment: { scope: 'bucket', action: 's3:GetBucketRequestPayment', body: 'none' },
  PutBucketRequestPayment: { scope: 'bucket', action: 's3:PutBucketRequestPayment', body: 'xml' },
  PostObject: { scope: 'bucket', action: 's3:PutObject', body: 'stream' },
  // objects
  GetObject: { scope: 'object', action: 's3:GetObject', body: 'none' },
  HeadObject: { scope: 'object', action: 's3:GetObject', body: 'none' },
  PutObject: { scope: 'object', action: 's3:PutObject', body: 'stream' },
  CopyObject: { scope: 'object', action: 's3:PutObject', body: 'none' },
  DeleteObject: { scope: 'object', action: 's3:DeleteObject', body: 'none' },
  GetObjectAcl: { scope: 'object', action: 's3:GetObjectAcl', body: 'none' },
  PutObjectAcl: { scope: 'object', action: 's3:PutObjectAcl', body: 'xml' },
  GetObjectTagging: { scope: 'object', action: 's3:GetObjectTagging', body: 'none' },
  PutObjectTagging: { scope: 'object', action: 's3:PutObjectTagging', body: 'xml' },
  DeleteObjectTagging: { scope: 'object', action: 's3:DeleteObjectTagging', body: 'none' },
  GetObjectAttributes: { scope: 'object', action: 's3:GetObjectAttributes', body: 'none' },
  GetObjectRetention: { scope: 'object', action: 's3:GetObjectRetention', body: 'none' },
  PutObjectRetention: { scope: 'object', action: 's3:PutObjectRetention', body: 'xml' },
  GetObjectLegalHold: { scope: 'object', action: 's3:GetObjectLegalHold', body: 'none' },
  PutObjectLegalHold: { scope: 'object', action: 's3:PutObjectLegalHold', body: 'xml' },
  GetObjectTorrent: { scope: 'object', action: 's3:GetObject', body: 'none' },
  RestoreObject: { scope: 'object', action: 's3:RestoreObject', body: 'xml' },
  SelectObjectContent: { scope: 'object', action: 's3:GetObject', body: 'xml' },
  // multipart
  CreateMultipartUpload: { scope: 'object', action: 's3:PutObject', body: 'none' },
  UploadPart: { scope: 'object', action: 's3:PutObject', body: 'stream' },
  UploadPartCopy: { scope: 'object', action: 's3:PutObject', body: 'none' },
  CompleteMultipartUpload: { scope: 'object', action: 's3:PutObject', body: 'xml' },
  AbortMultipartUpload: { scope: 'object', action: 's3:AbortMultipartUpload', body: 'none' },
  ListParts: { scope: 'object', action: 's3:ListMultipartUploadParts', body: 'none' },
} as const satisfies Record<string, EndpointSpec>;

export type EndpointName = keyof typeof ENDPOINTS;
