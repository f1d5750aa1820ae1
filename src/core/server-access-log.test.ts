/** AWS server access log records: field order, quoting, `-` for none, operation names, no line breaks. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { logTime, operationName, serverAccessLogRecord } from './server-access-log.js';
import type { FinishedRequest } from '../lib/http-response.js';

const base: FinishedRequest = {
  requestId: 'REQ1', protocol: 's3', method: 'GET', operation: 'GetObject', tenancy: 'lab', principal: 'alice', accessKeyId: 'GK1',
  bucket: 'data', key: 'dir/a b.txt', status: 200, errorCode: undefined, bytesIn: 300, bytesOut: 1500, durationMs: 7.4, aborted: false,
  serverAccessLog: {
    bucketId: 'b1', bucketOwner: 'owner-id', receivedAt: Date.UTC(2019, 1, 6, 0, 0, 38), clientAddress: '192.0.2.3', requestLine: 'GET /data/dir/a%20b.txt HTTP/1.1',
    requester: 'arn:aws:iam:::user/alice', signatureVersion: 'SigV4', authType: 'AuthHeader', userAgent: 'S3Console/0.4', referrer: undefined, host: 'data.lab.s3.localhost',
    tls: undefined, bytesSent: 1200, objectSize: 1200,
  },
};

describe('server access log records', () => {
  it('writes AWS’s 26 fields in order', () => {
    assert.equal(
      serverAccessLogRecord(base),
      'owner-id data [06/Feb/2019:00:00:38 +0000] 192.0.2.3 arn:aws:iam:::user/alice REQ1 REST.GET.OBJECT dir/a%20b.txt "GET /data/dir/a%20b.txt HTTP/1.1" 200 - 1200 1200 7 - "-" "S3Console/0.4" - REQ1 SigV4 - AuthHeader data.lab.s3.localhost - - -',
    );
    assert.equal(serverAccessLogRecord({ ...base, serverAccessLog: undefined }), undefined, 'no record for a bucket without logging');
  });

  it('escapes quotes, backslashes and control characters; unquoted fields stay one token', () => {
    const r = serverAccessLogRecord({ ...base, status: 403, errorCode: 'AccessDenied', serverAccessLog: { ...base.serverAccessLog!, userAgent: 'a "b" \\ c\nd', host: 'evil host\r\n', requester: undefined, bytesSent: 0 } })!;
    assert.ok(!/[\r\n]/.test(r));
    assert.match(r, / "a \\"b\\" \\\\ c\\x0ad" /);
    assert.match(r, / evil%20host%0D%0A /);
    assert.match(r, / 192\.0\.2\.3 - REQ1 /, 'anonymous requester is -');
    assert.match(r, / 403 AccessDenied - 1200 /, 'no bytes sent is -');
  });

  it('operation names as AWS writes them', () => {
    assert.deepEqual(
      [['ListObjectsV2', 'GET'], ['PutObject', 'PUT'], ['CopyObject', 'PUT'], ['DeleteObjects', 'POST'], ['CompleteMultipartUpload', 'POST'], ['GetBucketCors', 'GET'], ['PutBucketOwnershipControls', 'PUT'], ['GetBucketLogging', 'GET'], [undefined, 'GET']].map(([o, m]) => operationName(o, m!)),
      ['REST.GET.BUCKET', 'REST.PUT.OBJECT', 'REST.COPY.OBJECT', 'REST.POST.MULTI_OBJECT_DELETE', 'REST.POST.UPLOAD', 'REST.GET.CORS', 'REST.PUT.OWNERSHIP_CONTROLS', 'REST.GET.LOGGING_STATUS', 'REST.GET.UNKNOWN'],
    );
    assert.equal(logTime(Date.UTC(2026, 11, 4, 9, 5, 1)), '[04/Dec/2026:09:05:01 +0000]');
  });
});
