/**
 * PutBucketLogging / GetBucketLogging (issue 22) with the AWS SDK and the AWS CLI: the configuration
 * round-trips (SimplePrefix, PartitionedPrefix with EventTime or DeliveryTime), the target must exist in the
 * tenancy and accept delivery (same owner, a bucket policy allowing logging.s3.amazonaws.com, or the
 * LogDelivery group's WRITE), bad documents are MalformedXML, TargetGrants NotImplemented, and only the
 * bucket's administrators may set it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateBucketCommand, GetBucketLoggingCommand, PutBucketAclCommand, PutBucketLoggingCommand, PutBucketPolicyCommand, type S3Client,
} from '@aws-sdk/client-s3';
import { startServer, type TestServer } from '../helpers/server.js';
import { AdminClient, creds, makeActor, outcome, rawRequest, s3For, type Actor } from '../helpers/admin.js';
import { awsEnv, run } from '../helpers/clients.js';
import { signHeaders } from '../helpers/sign.js';

describe('bucket logging configuration', () => {
  let server: TestServer;
  let alice: Actor;
  let bob: Actor;
  let a: S3Client;
  let b: S3Client;
  const T = 'logcfg';
  before(async () => {
    server = await startServer();
    const admin = AdminClient.site(server);
    await admin.createTenancy({ name: T });
    alice = await makeActor(admin, 'logcfg-alice', T, 'MANAGER');
    bob = await makeActor(admin, 'logcfg-bob', T, 'USER');
    a = s3For(server, creds(alice.key));
    b = s3For(server, creds(bob.key));
    for (const name of ['src', 'logs']) await a.send(new CreateBucketCommand({ Bucket: name }));
    for (const name of ['bob-logs', 'bob-src']) await b.send(new CreateBucketCommand({ Bucket: name }));
  });
  after(async () => {
    a?.destroy();
    b?.destroy();
    await server.stop();
    server.cleanup();
  });

  const put = (c: S3Client, Bucket: string, LoggingEnabled?: NonNullable<ConstructorParameters<typeof PutBucketLoggingCommand>[0]['BucketLoggingStatus']>['LoggingEnabled']) =>
    c.send(new PutBucketLoggingCommand({ Bucket, BucketLoggingStatus: LoggingEnabled ? { LoggingEnabled } : {} }));

  test('off by default; set, read back and turned off again (SDK)', async () => {
    assert.equal((await a.send(new GetBucketLoggingCommand({ Bucket: 'src' }))).LoggingEnabled, undefined);
    await put(a, 'src', { TargetBucket: 'logs', TargetPrefix: 'src/' });
    const got = await a.send(new GetBucketLoggingCommand({ Bucket: 'src' }));
    assert.deepEqual(got.LoggingEnabled, { TargetBucket: 'logs', TargetPrefix: 'src/', TargetObjectKeyFormat: { SimplePrefix: {} } });
    await put(a, 'src', { TargetBucket: 'logs', TargetPrefix: 'p/', TargetObjectKeyFormat: { PartitionedPrefix: { PartitionDateSource: 'DeliveryTime' } } });
    assert.deepEqual((await a.send(new GetBucketLoggingCommand({ Bucket: 'src' }))).LoggingEnabled?.TargetObjectKeyFormat, { PartitionedPrefix: { PartitionDateSource: 'DeliveryTime' } });
    // PartitionedPrefix without a date source is EventTime, AWS's default.
    await put(a, 'src', { TargetBucket: 'logs', TargetPrefix: '', TargetObjectKeyFormat: { PartitionedPrefix: {} } });
    const ev = await a.send(new GetBucketLoggingCommand({ Bucket: 'src' }));
    assert.deepEqual(ev.LoggingEnabled, { TargetBucket: 'logs', TargetPrefix: '', TargetObjectKeyFormat: { PartitionedPrefix: { PartitionDateSource: 'EventTime' } } });
    // A bucket may log into itself.
    await put(a, 'logs', { TargetBucket: 'logs', TargetPrefix: 'self/' });
    await put(a, 'logs');
    await put(a, 'src');
    assert.equal((await a.send(new GetBucketLoggingCommand({ Bucket: 'src' }))).LoggingEnabled, undefined);
  });

  test('the AWS CLI sets and reads it', () => {
    const env = awsEnv(server, { AWS_ACCESS_KEY_ID: alice.key.accessKeyId, AWS_SECRET_ACCESS_KEY: alice.key.secretAccessKey });
    // The CLI on the test machines predates TargetObjectKeyFormat (it refuses the parameter): the simple format.
    const status = JSON.stringify({ LoggingEnabled: { TargetBucket: 'logs', TargetPrefix: 'cli/' } });
    run('/usr/bin/aws', ['--endpoint-url', server.url, 's3api', 'put-bucket-logging', '--bucket', 'src', '--bucket-logging-status', status], { env });
    const got = JSON.parse(run('/usr/bin/aws', ['--endpoint-url', server.url, 's3api', 'get-bucket-logging', '--bucket', 'src'], { env }).stdout) as { LoggingEnabled: { TargetBucket: string; TargetPrefix: string } };
    assert.deepEqual([got.LoggingEnabled.TargetBucket, got.LoggingEnabled.TargetPrefix], ['logs', 'cli/']);
    run('/usr/bin/aws', ['--endpoint-url', server.url, 's3api', 'put-bucket-logging', '--bucket', 'src', '--bucket-logging-status', '{}'], { env });
    assert.equal(run('/usr/bin/aws', ['--endpoint-url', server.url, 's3api', 'get-bucket-logging', '--bucket', 'src'], { env }).stdout.trim(), '');
  });

  test('the target must exist in the tenancy and accept delivery', async () => {
    assert.equal(await outcome(put(a, 'src', { TargetBucket: 'no-such-bucket', TargetPrefix: '' })), 'InvalidTargetBucketForLogging');
    // Another owner's bucket: refused until it allows delivery.
    assert.equal(await outcome(put(a, 'src', { TargetBucket: 'bob-logs', TargetPrefix: 'alice/' })), 'InvalidTargetBucketForLogging');
    const policy = (sourceArn: string, effect = 'Allow') => ({
      Version: '2012-10-17',
      Statement: [{ Sid: 'S3ServerAccessLogsPolicy', Effect: effect, Principal: { Service: 'logging.s3.amazonaws.com' }, Action: 's3:PutObject', Resource: 'arn:aws:s3:::bob-logs/alice/*', Condition: { ArnLike: { 'aws:SourceArn': sourceArn }, StringEquals: { 'aws:SourceAccount': T } } }],
    });
    await b.send(new PutBucketPolicyCommand({ Bucket: 'bob-logs', Policy: JSON.stringify(policy('arn:aws:s3:::other-bucket')) }));
    assert.equal(await outcome(put(a, 'src', { TargetBucket: 'bob-logs', TargetPrefix: 'alice/' })), 'InvalidTargetBucketForLogging', 'the policy names another source');
    await b.send(new PutBucketPolicyCommand({ Bucket: 'bob-logs', Policy: JSON.stringify(policy('arn:aws:s3:::src')) }));
    assert.equal(await outcome(put(a, 'src', { TargetBucket: 'bob-logs', TargetPrefix: 'elsewhere/' })), 'InvalidTargetBucketForLogging', 'the policy allows another prefix');
    await put(a, 'src', { TargetBucket: 'bob-logs', TargetPrefix: 'alice/' });
    assert.equal((await a.send(new GetBucketLoggingCommand({ Bucket: 'src' }))).LoggingEnabled?.TargetBucket, 'bob-logs');
    // The legacy way: the LogDelivery group's WRITE on the target.
    assert.equal(await outcome(put(a, 'logs', { TargetBucket: 'bob-src', TargetPrefix: '' })), 'InvalidTargetBucketForLogging');
    await b.send(new PutBucketAclCommand({ Bucket: 'bob-src', ACL: 'log-delivery-write' as never }));
    await put(a, 'logs', { TargetBucket: 'bob-src', TargetPrefix: '' });
    // An explicit Deny for the service refuses even the owner's own bucket.
    await b.send(new PutBucketPolicyCommand({ Bucket: 'bob-logs', Policy: JSON.stringify(policy('arn:aws:s3:::bob-src', 'Deny')) }));
    assert.equal(await outcome(put(b, 'bob-src', { TargetBucket: 'bob-logs', TargetPrefix: 'alice/x' })), 'InvalidTargetBucketForLogging');
    await put(a, 'src');
    await put(a, 'logs');
  });

  test('bad documents: MalformedXML; TargetGrants: NotImplemented; a USER may not set another’s bucket', async () => {
    const send = async (bucket: string, xml: string): Promise<{ status: number; body: string }> => {
      const path = `/${bucket}`;
      const { target, headers } = signHeaders({ method: 'PUT', host: server.endpoint, path, query: { logging: '' }, accessKey: alice.key.accessKeyId, secretKey: alice.key.secretAccessKey });
      return rawRequest(server, 'PUT', target, { headers, body: xml });
    };
    const doc = (inner: string) => `<BucketLoggingStatus xmlns="http://doc.s3.amazonaws.com/2006-03-01"><LoggingEnabled>${inner}</LoggingEnabled></BucketLoggingStatus>`;
    for (const [what, xml, code] of [
      ['no TargetPrefix', doc('<TargetBucket>logs</TargetBucket>'), 'MalformedXML'],
      ['no TargetBucket', doc('<TargetPrefix>x</TargetPrefix>'), 'MalformedXML'],
      ['both key formats', doc('<TargetBucket>logs</TargetBucket><TargetPrefix>x</TargetPrefix><TargetObjectKeyFormat><SimplePrefix/><PartitionedPrefix/></TargetObjectKeyFormat>'), 'MalformedXML'],
      ['a bad date source', doc('<TargetBucket>logs</TargetBucket><TargetPrefix>x</TargetPrefix><TargetObjectKeyFormat><PartitionedPrefix><PartitionDateSource>Yesterday</PartitionDateSource></PartitionedPrefix></TargetObjectKeyFormat>'), 'MalformedXML'],
      ['an unknown element', doc('<TargetBucket>logs</TargetBucket><TargetPrefix>x</TargetPrefix><Colour>red</Colour>'), 'MalformedXML'],
      ['not XML', 'logging please', 'MalformedXML'],
      ['a prefix too long', doc(`<TargetBucket>logs</TargetBucket><TargetPrefix>${'p'.repeat(1020)}</TargetPrefix>`), 'InvalidArgument'],
      ['grants', doc('<TargetBucket>logs</TargetBucket><TargetPrefix>x</TargetPrefix><TargetGrants><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant></TargetGrants>'), 'NotImplemented'],
    ] as const) {
      const r = await send('src', xml);
      assert.match(r.body, new RegExp(`<Code>${code}</Code>`), `${what}: ${r.status} ${r.body}`);
    }
    assert.equal((await a.send(new GetBucketLoggingCommand({ Bucket: 'src' }))).LoggingEnabled, undefined, 'nothing was stored');
    // Bucket administration: bob (USER) cannot set logging on alice's bucket, nor read it without a grant.
    assert.equal(await outcome(put(b, 'src', { TargetBucket: 'bob-logs', TargetPrefix: '' })), 'AccessDenied');
  });
});
