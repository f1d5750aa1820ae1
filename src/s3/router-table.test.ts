/**
 * Every endpoint of the operation table, routed from its request line as the AWS API reference writes it,
 * in path style and in virtual-hosted style: the router names the endpoint, the bucket and key its scope
 * calls for, and the table gives the IAM action the AWS docs name for it (issue 18). A new endpoint without
 * a row here fails the coverage check. Then the parameters: each route's parsed values, and the AWS error
 * (code and message) of each invalid one, as the operations answered them before the router parsed them.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ENDPOINTS, type EndpointName, type EndpointSpec } from './endpoints.js';
import { hostLabelOf, route } from './router.js';
import { ROUTE_PARAMETERS } from './route-parameters.js';
import { BUCKETS_TOKEN, OBJECTS_TOKEN } from './continuation-token.js';
import { S3Error } from '../errors/s3-error.js';

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

/** The parameters each row's request line parses to (endpoints without parameters: none). */
const LISTING = { prefix: '', delimiter: '', maxKeys: 1000, encodingType: undefined };
const PARSED: Partial<Record<EndpointName, Record<string, unknown>>> = {
  ListBuckets: { prefix: undefined, bucketRegion: undefined, continuationToken: undefined, paged: false, maxBuckets: undefined },
  ListObjects: { ...LISTING, landingQuery: true, prefix: 'a', marker: '' },
  ListObjectsV2: { ...LISTING, share: undefined, continuationToken: undefined, startAfter: '', fetchOwner: false },
  ListMultipartUploads: { prefix: '', delimiter: '', keyMarker: '', uploadIdMarker: '', maxUploads: 1000, encodingType: undefined },
  GetObject: { partNumber: undefined, responseHeaders: [] },
  HeadObject: { partNumber: undefined, responseHeaders: [] },
  UploadPart: { partNumber: 1, uploadId: 'U1' },
  UploadPartCopy: { partNumber: 1, uploadId: 'U1' },
  CompleteMultipartUpload: { uploadId: 'U1' },
  AbortMultipartUpload: { uploadId: 'U1' },
  ListParts: { uploadId: 'U1', maxParts: 1000, partNumberMarker: 0 },
};

const KEY = 'photos/2026/a b+c.jpg';
const RAW_KEY = 'photos/2026/a%20b%2Bc.jpg';

function routed(method: string, rawPath: string, query: string, headers: Record<string, string>, host: string) {
  return route({ method, rawPath, query: new URLSearchParams(query), headers, virtualBucket: hostLabelOf(host, DOMAINS) });
}

describe('router table: every endpoint, path style and virtual-hosted style', () => {
  it('covers every endpoint of ENDPOINTS exactly once, and every endpoint with parameters', () => {
    assert.deepEqual(ROWS.map(([n]) => n).sort(), Object.keys(ENDPOINTS).sort());
    assert.deepEqual(Object.keys(PARSED).sort(), Object.keys(ROUTE_PARAMETERS).sort());
  });
  it("each endpoint's selecting request (ENDPOINTS' `request`, from which the router builds its subresource tables) is its request line, and none is shadowed by another", () => {
    const seen = new Map<string, EndpointName>();
    for (const [name, method, , query] of ROWS) {
      const spec: EndpointSpec = ENDPOINTS[name];
      if (!spec.request) continue;
      const [m, sub] = spec.request.split(' ?');
      assert.equal(m, method, `${name}: method`);
      assert.equal(new URLSearchParams(query).has(sub!), true, `${name}: ?${sub} in its request line`);
      const id = `${spec.scope} ${spec.request}`;
      assert.equal(seen.get(id), undefined, `${name} and ${seen.get(id)} both claim ${id}`);
      seen.set(id, name);
    }
    assert.ok(seen.size >= 59, 'subresource endpoints carry their request');
  });
  for (const [name, method, scope, query, action, headers = {}] of ROWS) {
    it(`${method} ${scope === '' ? '/' : scope === 'bucket' ? '/bkt' : '/bkt/key'}${query ? '?' + query : ''} → ${name}`, () => {
      const spec = ENDPOINTS[name];
      assert.equal(spec.scope, scope === '' ? 'service' : scope, 'scope in the table');
      assert.equal(spec.action, action, 'IAM action in the table');
      const pathStyle = scope === '' ? '/' : scope === 'bucket' ? '/bkt' : `/bkt/${RAW_KEY}`;
      const hosted = scope === 'object' ? `/${RAW_KEY}` : '/';
      const want = { name, ...(scope === '' ? {} : { bucket: 'bkt' }), ...(scope === 'object' ? { key: KEY } : {}), ...PARSED[name] };
      assert.deepEqual(routed(method, pathStyle, query, headers, '127.0.0.1:9000'), want, 'path style');
      if (scope !== '') assert.deepEqual(routed(method, hosted, query, headers, 'bkt.s3.example.org:9000'), want, 'virtual-hosted style');
    });
  }
});

/** A request line's route (path style); `headers` as sent. */
function parsed(method: string, line: string, headers: Record<string, string> = {}): Record<string, unknown> {
  const q = line.indexOf('?');
  return route({ method, rawPath: q < 0 ? line : line.slice(0, q), query: new URLSearchParams(q < 0 ? '' : line.slice(q + 1)), headers }) as unknown as Record<string, unknown>;
}

/** The AWS error of an invalid parameter: code, message and the argument it names. */
function refused(method: string, line: string, code: string, message: string, headers: Record<string, string> = {}): void {
  assert.throws(
    () => parsed(method, line, headers),
    (e: unknown) => e instanceof S3Error && e.code === code && e.message === message,
    `${method} ${line} → ${code}: ${message}`,
  );
}

describe('router table: parameters', () => {
  it('ListObjectsV2: every parameter, max-keys capped at 1,000, an empty token is no token', () => {
    const token = OBJECTS_TOKEN.encode('k/9');
    const r = parsed('GET', `/bkt?list-type=2&prefix=p%2F&delimiter=%2F&max-keys=5000&encoding-type=url&continuation-token=${token}&start-after=s&fetch-owner=true`);
    assert.deepEqual(r, {
      name: 'ListObjectsV2',
      bucket: 'bkt',
      share: undefined,
      prefix: 'p/',
      delimiter: '/',
      maxKeys: 1000,
      encodingType: 'url',
      continuationToken: { token, after: 'k/9' },
      startAfter: 's',
      fetchOwner: true,
    });
    assert.equal(parsed('GET', '/bkt?list-type=2&continuation-token=&max-keys=').continuationToken, undefined);
    assert.equal(parsed('GET', '/bkt?list-type=2&max-keys=').maxKeys, 1000);
    assert.deepEqual(parsed('GET', '/bkt?list-type=2&x-granary-share=1&X-Amz-Signature=s&X-Amz-Date=20260101T000000Z&X-Amz-Expires=60').share, { date: '20260101T000000Z', expires: '60' });
    assert.equal(parsed('GET', '/bkt?list-type=2&x-granary-share=1').share, undefined, 'a share link is presigned');
  });

  it('ListObjects: marker, and whether the query is a landing page link', () => {
    assert.deepEqual(parsed('GET', '/bkt?marker=m&max-keys=7'), { name: 'ListObjects', bucket: 'bkt', landingQuery: false, prefix: '', delimiter: '', marker: 'm', maxKeys: 7, encodingType: undefined });
    assert.equal(parsed('GET', '/bkt').landingQuery, true);
    assert.equal(parsed('GET', '/bkt?prefix=a/&marker=a/b').landingQuery, true);
  });

  it('ListObjects(V2): AWS errors for max-keys, encoding-type and continuation-token', () => {
    for (const line of ['/bkt?max-keys=abc', '/bkt?list-type=2&max-keys=-1', '/bkt?list-type=2&max-keys=1.5']) {
      refused('GET', line, 'InvalidArgument', 'Provided max-keys not an integer or within integer range');
    }
    refused('GET', '/bkt?encoding-type=xml', 'InvalidArgument', 'Invalid Encoding Method specified in Request');
    refused('GET', '/bkt?list-type=2&encoding-type=URL', 'InvalidArgument', 'Invalid Encoding Method specified in Request');
    refused('GET', '/bkt?list-type=2&continuation-token=bogus', 'InvalidArgument', 'The continuation token provided is incorrect');
    // A ListBuckets token is no ListObjectsV2 token.
    refused('GET', `/bkt?list-type=2&continuation-token=${BUCKETS_TOKEN.encode('k')}`, 'InvalidArgument', 'The continuation token provided is incorrect');
    // The first invalid parameter of the row answers (max-keys before encoding-type, as before).
    refused('GET', '/bkt?list-type=2&max-keys=x&encoding-type=xml', 'InvalidArgument', 'Provided max-keys not an integer or within integer range');
  });

  it('ListBuckets: pagination parameters and their errors', () => {
    const token = BUCKETS_TOKEN.encode('b2');
    assert.deepEqual(parsed('GET', `/?max-buckets=2&prefix=b&continuation-token=${token}&bucket-region=eu-central-1`), {
      name: 'ListBuckets',
      prefix: 'b',
      bucketRegion: 'eu-central-1',
      continuationToken: { token, after: 'b2' },
      paged: true,
      maxBuckets: 2,
    });
    assert.equal(parsed('GET', '/?bucket-region=').paged, true, 'any pagination parameter asks for pages');
    for (const bad of ['0', '10001', 'x', '-1', '']) refused('GET', `/?max-buckets=${bad}`, 'InvalidArgument', 'Argument max-buckets must be an integer between 1 and 10000.');
    refused('GET', `/?continuation-token=${OBJECTS_TOKEN.encode('k')}`, 'InvalidArgument', 'The continuation token provided is incorrect');
  });

  it('UploadPart(Copy): partNumber 1–10,000', () => {
    assert.deepEqual(parsed('PUT', '/bkt/k?partNumber=10000&uploadId=U'), { name: 'UploadPart', bucket: 'bkt', key: 'k', partNumber: 10000, uploadId: 'U' });
    for (const n of ['0', '10001', 'x', '', '1e3']) {
      refused('PUT', `/bkt/k?partNumber=${n}&uploadId=U`, 'InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive');
      refused('PUT', `/bkt/k?partNumber=${n}&uploadId=U`, 'InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive', COPY);
    }
  });

  it('GetObject/HeadObject: partNumber (never with a Range) and the response-* overrides', () => {
    assert.deepEqual(parsed('GET', '/bkt/k?partNumber=2&response-content-type=text%2Fplain&response-cache-control=no-cache'), {
      name: 'GetObject',
      bucket: 'bkt',
      key: 'k',
      partNumber: 2,
      responseHeaders: [
        ['content-type', 'text/plain'],
        ['cache-control', 'no-cache'],
      ],
    });
    for (const n of ['0', '10001', 'abc']) {
      refused('GET', `/bkt/k?partNumber=${n}`, 'InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive');
      refused('HEAD', `/bkt/k?partNumber=${n}`, 'InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive');
    }
    // Both asked: InvalidRequest, whatever the part number.
    refused('GET', '/bkt/k?partNumber=0', 'InvalidRequest', 'Cannot specify both Range header and partNumber query parameter', { range: 'bytes=0-1' });
  });

  it('ListParts and ListMultipartUploads: counts capped, AWS errors, what AWS ignores', () => {
    assert.deepEqual(parsed('GET', '/bkt/k?uploadId=U&max-parts=5000&part-number-marker=20000'), { name: 'ListParts', bucket: 'bkt', key: 'k', uploadId: 'U', maxParts: 1000, partNumberMarker: 10000 });
    refused('GET', '/bkt/k?uploadId=U&max-parts=x', 'InvalidArgument', 'Provided max-parts not an integer or within integer range');
    refused('GET', '/bkt/k?uploadId=U&part-number-marker=-1', 'InvalidArgument', 'Provided part-number-marker not an integer or within integer range');
    assert.deepEqual(parsed('GET', '/bkt?uploads&prefix=p&delimiter=%2F&key-marker=k&upload-id-marker=u&max-uploads=3&encoding-type=url'), {
      name: 'ListMultipartUploads',
      bucket: 'bkt',
      prefix: 'p',
      delimiter: '/',
      keyMarker: 'k',
      uploadIdMarker: 'u',
      maxUploads: 3,
      encodingType: 'url',
    });
    // upload-id-marker means nothing without key-marker; an unknown encoding-type was always ignored here.
    const r = parsed('GET', '/bkt?uploads&upload-id-marker=u&encoding-type=xml');
    assert.equal(r.uploadIdMarker, '');
    assert.equal(r.encodingType, undefined);
    refused('GET', '/bkt?uploads&max-uploads=many', 'InvalidArgument', 'Provided max-uploads not an integer or within integer range');
  });
});
