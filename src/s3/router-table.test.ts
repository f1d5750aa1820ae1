/**
 * Every endpoint of the operation table, routed from its request line as the AWS API reference writes it,
 * in path style and in virtual-hosted style: the router names the endpoint, the bucket and key its scope
 * calls for, and the table gives the IAM action the AWS docs name for it (issue 18). A new endpoint without
 * a row here fails the coverage check.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ENDPOINTS, type EndpointName } from './endpoints.js';
import { hostLabelOf, route } from './router.js';

const DOMAINS = ['s3.example.org'];
const COPY = { 'x-amz-copy-source': '/src/obj' };

/** [endpoint, method, "" (service) | "bucket" | "object", query, IAM action per the AWS docs, headers] */
type Row = [EndpointName, string, '' | 'bucket' | 'object', string, string, Record<string, string>?];
const ROWS: Row[] = [
  ['ListBuckets', 'GET', '', '', 's3:ListAllMyBuckets'],
  ['CreateBucket', 'PUT', 'bucket', '', 's3:CreateBucket'],
  ['HeadBucket', 'HEAD', 'bucket', '', 's3:ListBucket'],
  ['DeleteBucket', 'DELETE', 'bucket', '', 's3:DeleteBucket'],
  ['GetBucketLocation', 'GET', 'bucket', 'location', 's3:GetBucketLocation'],
  ['GetBucketVersioning', 'GET', 'bucket', 'versioning', 's3:GetBucketVersioning'],
  ['PutBucketVersioning', 'PUT', 'bucket', 'versioning', 's3:PutBucketVersioning'],
  ['ListObjects', 'GET', 'bucket', 'prefix=a', 's3:ListBucket'],
  ['ListObjectsV2', 'GET', 'bucket', 'list-type=2', 's3:ListBucket'],
  ['ListObjectVersions', 'GET', 'bucket', 'versions', 's3:ListBucketVersions'],
  ['ListMultipartUploads', 'GET', 'bucket', 'uploads', 's3:ListBucketMultipartUploads'],
  ['DeleteObjects', 'POST', 'bucket', 'delete', 's3:DeleteObject'],
  ['GetBucketAcl', 'GET', 'bucket', 'acl', 's3:GetBucketAcl'],
  ['PutBucketAcl', 'PUT', 'bucket', 'acl', 's3:PutBucketAcl'],
  ['GetBucketPolicy', 'GET', 'bucket', 'policy', 's3:GetBucketPolicy'],
  ['PutBucketPolicy', 'PUT', 'bucket', 'policy', 's3:PutBucketPolicy'],
  ['DeleteBucketPolicy', 'DELETE', 'bucket', 'policy', 's3:DeleteBucketPolicy'],
  ['GetBucketPolicyStatus', 'GET', 'bucket', 'policyStatus', 's3:GetBucketPolicyStatus'],
  ['GetBucketCors', 'GET', 'bucket', 'cors', 's3:GetBucketCORS'],
  ['PutBucketCors', 'PUT', 'bucket', 'cors', 's3:PutBucketCORS'],
  ['DeleteBucketCors', 'DELETE', 'bucket', 'cors', 's3:PutBucketCORS'],
  ['GetBucketLifecycleConfiguration', 'GET', 'bucket', 'lifecycle', 's3:GetLifecycleConfiguration'],
  ['PutBucketLifecycleConfiguration', 'PUT', 'bucket', 'lifecycle', 's3:PutLifecycleConfiguration'],
  ['DeleteBucketLifecycle', 'DELETE', 'bucket', 'lifecycle', 's3:PutLifecycleConfiguration'],
  ['GetBucketTagging', 'GET', 'bucket', 'tagging', 's3:GetBucketTagging'],
  ['PutBucketTagging', 'PUT', 'bucket', 'tagging', 's3:PutBucketTagging'],
  ['DeleteBucketTagging', 'DELETE', 'bucket', 'tagging', 's3:PutBucketTagging'],
  ['GetBucketEncryption', 'GET', 'bucket', 'encryption', 's3:GetEncryptionConfiguration'],
  ['PutBucketEncryption', 'PUT', 'bucket', 'encryption', 's3:PutEncryptionConfiguration'],
  ['DeleteBucketEncryption', 'DELETE', 'bucket', 'encryption', 's3:PutEncryptionConfiguration'],
  ['GetBucketWebsite', 'GET', 'bucket', 'website', 's3:GetBucketWebsite'],
  ['PutBucketWebsite', 'PUT', 'bucket', 'website', 's3:PutBucketWebsite'],
  ['DeleteBucketWebsite', 'DELETE', 'bucket', 'website', 's3:DeleteBucketWebsite'],
  ['GetBucketLogging', 'GET', 'bucket', 'logging', 's3:GetBucketLogging'],
  ['PutBucketLogging', 'PUT', 'bucket', 'logging', 's3:PutBucketLogging'],
  ['GetBucketNotificationConfiguration', 'GET', 'bucket', 'notification', 's3:GetBucketNotification'],
  ['PutBucketNotificationConfiguration', 'PUT', 'bucket', 'notification', 's3:PutBucketNotification'],
  ['GetBucketReplication', 'GET', 'bucket', 'replication', 's3:GetReplicationConfiguration'],
  ['PutBucketReplication', 'PUT', 'bucket', 'replication', 's3:PutReplicationConfiguration'],
  ['DeleteBucketReplication', 'DELETE', 'bucket', 'replication', 's3:PutReplicationConfiguration'],
  ['GetObjectLockConfiguration', 'GET', 'bucket', 'object-lock', 's3:GetBucketObjectLockConfiguration'],
  ['PutObjectLockConfiguration', 'PUT', 'bucket', 'object-lock', 's3:PutBucketObjectLockConfiguration'],
  ['GetBucketOwnershipControls', 'GET', 'bucket', 'ownershipControls', 's3:GetBucketOwnershipControls'],
  ['PutBucketOwnershipControls', 'PUT', 'bucket', 'ownershipControls', 's3:PutBucketOwnershipControls'],
  ['DeleteBucketOwnershipControls', 'DELETE', 'bucket', 'ownershipControls', 's3:PutBucketOwnershipControls'],
  ['GetPublicAccessBlock', 'GET', 'bucket', 'publicAccessBlock', 's3:GetBucketPublicAccessBlock'],
  ['PutPublicAccessBlock', 'PUT', 'bucket', 'publicAccessBlock', 's3:PutBucketPublicAccessBlock'],
  ['DeletePublicAccessBlock', 'DELETE', 'bucket', 'publicAccessBlock', 's3:PutBucketPublicAccessBlock'],
  ['GetBucketAccelerateConfiguration', 'GET', 'bucket', 'accelerate', 's3:GetAccelerateConfiguration'],
  ['PutBucketAccelerateConfiguration', 'PUT', 'bucket', 'accelerate', 's3:PutAccelerateConfiguration'],
  ['GetBucketRequestPayment', 'GET', 'bucket', 'requestPayment', 's3:GetBucketRequestPayment'],
  ['PutBucketRequestPayment', 'PUT', 'bucket', 'requestPayment', 's3:PutBucketRequestPayment'],
  ['PostObject', 'POST', 'bucket', '', 's3:PutObject', { 'content-type': 'multipart/form-data; boundary=x' }],
  ['GetObject', 'GET', 'object', '', 's3:GetObject'],
  ['HeadObject', 'HEAD', 'object', '', 's3:GetObject'],
  ['PutObject', 'PUT', 'object', '', 's3:PutObject'],
  ['CopyObject', 'PUT', 'object', '', 's3:PutObject', COPY],
  ['DeleteObject', 'DELETE', 'object', '', 's3:DeleteObject'],
  ['GetObjectAcl', 'GET', 'object', 'acl', 's3:GetObjectAcl'],
  ['PutObjectAcl', 'PUT', 'object', 'acl', 's3:PutObjectAcl'],
  ['GetObjectTagging', 'GET', 'object', 'tagging', 's3:GetObjectTagging'],
  ['PutObjectTagging', 'PUT', 'object', 'tagging', 's3:PutObjectTagging'],
  ['DeleteObjectTagging', 'DELETE', 'object', 'tagging', 's3:DeleteObjectTagging'],
  ['GetObjectAttributes', 'GET', 'object', 'attributes', 's3:GetObjectAttributes'],
  ['GetObjectRetention', 'GET', 'object', 'retention', 's3:GetObjectRetention'],
  ['PutObjectRetention', 'PUT', 'object', 'retention', 's3:PutObjectRetention'],
  ['GetObjectLegalHold', 'GET', 'object', 'legal-hold', 's3:GetObjectLegalHold'],
  ['PutObjectLegalHold', 'PUT', 'object', 'legal-hold', 's3:PutObjectLegalHold'],
  ['GetObjectTorrent', 'GET', 'object', 'torrent', 's3:GetObject'],
  ['RestoreObject', 'POST', 'object', 'restore', 's3:RestoreObject'],
  ['SelectObjectContent', 'POST', 'object', 'select&select-type=2', 's3:GetObject'],
  ['CreateMultipartUpload', 'POST', 'object', 'uploads', 's3:PutObject'],
  ['UploadPart', 'PUT', 'object', 'partNumber=1&uploadId=U1', 's3:PutObject'],
  ['UploadPartCopy', 'PUT', 'object', 'partNumber=1&uploadId=U1', 's3:PutObject', COPY],
  ['CompleteMultipartUpload', 'POST', 'object', 'uploadId=U1', 's3:PutObject'],
  ['AbortMultipartUpload', 'DELETE', 'object', 'uploadId=U1', 's3:AbortMultipartUpload'],
  ['ListParts', 'GET', 'object', 'uploadId=U1', 's3:ListMultipartUploadParts'],
];

const KEY = 'photos/2026/a b+c.jpg';
const RAW_KEY = 'photos/2026/a%20b%2Bc.jpg';

function routed(method: string, rawPath: string, query: string, headers: Record<string, string>, host: string) {
  return route({ method, rawPath, query: new URLSearchParams(query), headers, virtualBucket: hostLabelOf(host, DOMAINS) });
}

describe('router table: every endpoint, path style and virtual-hosted style', () => {
  it('covers every endpoint of ENDPOINTS exactly once', () => {
    assert.deepEqual(ROWS.map(([n]) => n).sort(), Object.keys(ENDPOINTS).sort());
  });
  for (const [name, method, scope, query, action, headers = {}] of ROWS) {
    it(`${method} ${scope === '' ? '/' : scope === 'bucket' ? '/bkt' : '/bkt/key'}${query ? '?' + query : ''} → ${name}`, () => {
      const spec = ENDPOINTS[name];
      assert.equal(spec.scope, scope === '' ? 'service' : scope, 'scope in the table');
      assert.equal(spec.action, action, 'IAM action in the table');
      const pathStyle = scope === '' ? '/' : scope === 'bucket' ? '/bkt' : `/bkt/${RAW_KEY}`;
      const hosted = scope === 'object' ? `/${RAW_KEY}` : '/';
      const want = { endpoint: name, bucket: scope === '' ? undefined : 'bkt', key: scope === 'object' ? KEY : undefined };
      assert.deepEqual(routed(method, pathStyle, query, headers, '127.0.0.1:9000'), want, 'path style');
      if (scope !== '') assert.deepEqual(routed(method, hosted, query, headers, 'bkt.s3.example.org:9000'), want, 'virtual-hosted style');
    });
  }
});
