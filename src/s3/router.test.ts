/** Table-driven router tests: request lines as the AWS API reference writes them → one endpoint. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { target, hostLabelOf } from './router.js';
import { checkObjectKey } from './object-key.js';
import { S3Error } from '../errors/s3-error.js';

const DOMAINS = ['s3.localhost', 's3-ext.localhost'];

function r(method: string, line: string, headers: Record<string, string> = {}, host = '127.0.0.1:9000') {
  const q = line.indexOf('?');
  const rawPath = q < 0 ? line : line.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : line.slice(q + 1));
  return target({ method, rawPath, query, headers, virtualBucket: hostLabelOf(host, DOMAINS) });
}

describe('router', () => {
  const cases: Array<[string, string, string, Record<string, string>?]> = [
    ['GET', '/', 'ListBuckets'],
    ['PUT', '/bucket', 'CreateBucket'],
    ['HEAD', '/bucket', 'HeadBucket'],
    ['DELETE', '/bucket', 'DeleteBucket'],
    ['GET', '/bucket?location', 'GetBucketLocation'],
    ['GET', '/bucket?versioning', 'GetBucketVersioning'],
    ['GET', '/bucket', 'ListObjects'],
    ['GET', '/bucket?list-type=2&prefix=a', 'ListObjectsV2'],
    ['GET', '/bucket?uploads', 'ListMultipartUploads'],
    ['POST', '/bucket?delete', 'DeleteObjects'],
    ['GET', '/bucket?policy', 'GetBucketPolicy'],
    ['PUT', '/bucket?cors', 'PutBucketCors'],
    ['DELETE', '/bucket?lifecycle', 'DeleteBucketLifecycle'],
    ['GET', '/bucket/key', 'GetObject'],
    ['HEAD', '/bucket/key', 'HeadObject'],
    ['PUT', '/bucket/key', 'PutObject'],
    ['PUT', '/bucket/key', 'CopyObject', { 'x-amz-copy-source': '/src/key' }],
    ['DELETE', '/bucket/key', 'DeleteObject'],
    ['POST', '/bucket/key?uploads', 'CreateMultipartUpload'],
    ['PUT', '/bucket/key?partNumber=1&uploadId=u', 'UploadPart'],
    ['PUT', '/bucket/key?partNumber=1&uploadId=u', 'UploadPartCopy', { 'x-amz-copy-source': 'src/key' }],
    ['POST', '/bucket/key?uploadId=u', 'CompleteMultipartUpload'],
    ['DELETE', '/bucket/key?uploadId=u', 'AbortMultipartUpload'],
    ['GET', '/bucket/key?uploadId=u', 'ListParts'],
    ['GET', '/bucket/key?tagging', 'GetObjectTagging'],
    ['PUT', '/bucket/key?tagging', 'PutObjectTagging'],
    ['DELETE', '/bucket/key?tagging', 'DeleteObjectTagging'],
    ['GET', '/bucket/key?attributes', 'GetObjectAttributes'],
    ['GET', '/bucket/key?acl', 'GetObjectAcl'],
    ['POST', '/bucket/key?restore', 'RestoreObject'],
  ];
  for (const [method, line, endpoint, headers] of cases) {
    it(`${method} ${line} → ${endpoint}`, () => {
      assert.equal(r(method, line, headers).endpoint, endpoint);
    });
  }

  it('decodes keys exactly, keeping +, //, leading / and ../', () => {
    assert.equal(r('GET', '/b/a+b%20c').key, 'a+b c');
    assert.equal(r('GET', '/b//lead').key, '/lead');
    assert.equal(r('GET', '/b/x//y/../z').key, 'x//y/../z');
    assert.equal(r('GET', '/b/%E6%97%A5%2F%25').key, '日/%');
    assert.equal(r('GET', '/b/').key, undefined);
  });

  it('takes the bucket from a virtual host under a configured domain', () => {
    const v = r('GET', '/some/key', {}, 'mybucket.s3.localhost:9000');
    assert.equal(v.bucket, 'mybucket');
    assert.equal(v.key, 'some/key');
    assert.equal(r('GET', '/', {}, 'mybucket.s3.localhost').endpoint, 'ListObjects');
    assert.equal(hostLabelOf('s3.localhost:9000', DOMAINS), undefined);
    assert.equal(hostLabelOf('a.b.s3-ext.localhost', DOMAINS), 'a.b');
    assert.equal(hostLabelOf('[::1]:9000', DOMAINS), undefined);
  });

  it('rejects keys over 1024 bytes and broken percent-encoding', () => {
    assert.equal(r('PUT', '/b/' + 'k'.repeat(1024)).key?.length, 1024);
    // The length rule has one home for every way a key arrives (s3/object-key.ts, called by the pipeline).
    assert.throws(() => checkObjectKey(r('PUT', '/b/' + 'k'.repeat(1025)).key!), (e: unknown) => e instanceof S3Error && e.code === 'KeyTooLongError');
    assert.throws(() => r('GET', '/b/%E6%97'), (e: unknown) => e instanceof S3Error && e.code === 'InvalidURI');
  });

  it('answers MethodNotAllowed for methods S3 does not have', () => {
    assert.throws(() => r('PATCH', '/b/k'), (e: unknown) => e instanceof S3Error && e.code === 'MethodNotAllowed');
  });
});
