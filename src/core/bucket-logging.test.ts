/** Log object keys as AWS names them, and the delivery permission checks of the target bucket. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deliveryPermitted, logObjectKey, type LoggingConfiguration } from './bucket-logging.js';
import { parsePolicy } from '../iam/policy/parse.js';
import type { BucketRecord } from '../metadata/store.js';

const source = { tenancy: 'lab', region: 'us-east-1', bucket: 'data' };
const at = Date.UTC(2026, 11, 4, 21, 7, 9);
const cfg = (keyFormat: LoggingConfiguration['keyFormat']): LoggingConfiguration => ({ targetBucket: 'logs', targetPrefix: 'p/', keyFormat });

describe('log object keys', () => {
  it('simple, partitioned by delivery time, partitioned by event day', () => {
    assert.equal(logObjectKey(cfg({ kind: 'simple' }), source, { delivery: at, eventDay: at }, 'ABCDEF0123456789'), 'p/2026-12-04-21-07-09-ABCDEF0123456789');
    assert.equal(logObjectKey(cfg({ kind: 'partitioned', dateSource: 'DeliveryTime' }), source, { delivery: at, eventDay: at - 86_400_000 }, 'U'), 'p/lab/us-east-1/data/2026/12/04/2026-12-04-21-07-09-U');
    assert.equal(logObjectKey(cfg({ kind: 'partitioned', dateSource: 'EventTime' }), source, { delivery: at, eventDay: at - 86_400_000 }, 'U'), 'p/lab/us-east-1/data/2026/12/03/2026-12-03-00-00-00-U');
    assert.match(logObjectKey(cfg({ kind: 'simple' }), source, { delivery: at, eventDay: at }), /-[0-9A-F]{16}$/);
  });
});

const bucket = (name: string, ownerId: string, extra: Partial<BucketRecord> = {}): BucketRecord => ({
  id: name, tenancyId: 't', name, ownerId, region: 'us-east-1', createdAt: 0, policy: null, acl: null, cors: null, landing: null, logging: null, versioning: null, quotaBytes: null, quotaObjects: null, ...extra,
});

describe('delivery permission', () => {
  const src = bucket('data', 'alice');
  const policy = (statement: object) => parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement: [statement] }), 'logs');
  const allow = { Effect: 'Allow', Principal: { Service: 'logging.s3.amazonaws.com' }, Action: 's3:PutObject', Resource: 'arn:aws:s3:::logs/p/*', Condition: { ArnEquals: { 'aws:SourceArn': 'arn:aws:s3:::data' }, StringEquals: { 'aws:SourceAccount': 'lab' } } };
  const check = (target: BucketRecord, p?: ReturnType<typeof policy>, key = 'p/x') => deliveryPermitted({ source: src, sourceTenancy: 'lab', target, targetPolicy: p, key });
  it('same owner; another owner only with a policy for the service or the LogDelivery group', () => {
    assert.equal(check(bucket('logs', 'alice')), true);
    assert.equal(check(bucket('logs', 'bob')), false);
    assert.equal(check(bucket('logs', 'bob'), policy(allow)), true);
    assert.equal(check(bucket('logs', 'bob'), policy(allow), 'q/x'), false, 'another prefix');
    assert.equal(check(bucket('logs', 'bob'), policy({ ...allow, Condition: { StringEquals: { 'aws:SourceAccount': 'other' } } })), false, 'another account');
    assert.equal(check(bucket('logs', 'bob'), policy({ ...allow, Principal: { AWS: 'arn:aws:iam:::user/alice' } })), false, 'a user principal is not the service');
    const acl = JSON.stringify({ grants: [{ grantee: { type: 'group', uri: 'http://acs.amazonaws.com/groups/s3/LogDelivery' }, permission: 'WRITE' }] });
    assert.equal(check(bucket('logs', 'bob', { acl })), true);
    assert.equal(check(bucket('logs', 'alice'), policy({ ...allow, Effect: 'Deny' })), false, 'an explicit Deny wins over the owner');
  });
});
