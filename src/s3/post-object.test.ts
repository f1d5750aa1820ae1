import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { checkPostPolicy, parsePostPolicy, postSignatureOf, verifyPostSignature } from './post-object.js';
import { deriveSigningKey } from '../iam/sigv4/signing-key.js';

const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64');
const future = new Date(Date.now() + 3600_000).toISOString();

describe('PostObject policy', () => {
  it('checks eq, starts-with, bucket and content-length-range; every field covered', () => {
    const p = parsePostPolicy(b64({ expiration: future, conditions: [{ bucket: 'b' }, ['starts-with', '$key', 'up/'], ['eq', '$Content-Type', 'text/plain'], ['content-length-range', 1, 10]] }));
    const fields = new Map([['key', 'up/${filename}'], ['content-type', 'text/plain'], ['policy', 'x']]);
    assert.deepEqual(checkPostPolicy(p, fields, 'b'), { min: 1, max: 10 });
    assert.throws(() => checkPostPolicy(p, fields, 'other'), /Policy Condition failed/);
    assert.throws(() => checkPostPolicy(p, new Map([...fields, ['key', 'down/x']]), 'b'), /Policy Condition failed/);
    assert.throws(() => checkPostPolicy(p, new Map([...fields, ['x-amz-meta-a', '1']]), 'b'), /Extra input fields: x-amz-meta-a/);
    assert.doesNotThrow(() => checkPostPolicy(p, new Map([...fields, ['x-ignore-me', '1']]), 'b'));
  });

  it('expired policies are AccessDenied; malformed ones InvalidPolicyDocument', () => {
    const p = parsePostPolicy(b64({ expiration: '2000-01-01T00:00:00Z', conditions: [] }));
    assert.throws(() => checkPostPolicy(p, new Map(), 'b'), (e: { code?: string }) => e.code === 'AccessDenied');
    for (const bad of ['%%%', b64([]), b64({ conditions: [] }), b64({ expiration: future }), b64({ expiration: future, conditions: [['gt', '$key', 'a']] })]) {
      assert.throws(() => parsePostPolicy(bad), (e: { code?: string }) => e.code === 'InvalidPolicyDocument', bad);
    }
  });

  it('reads AWS\'s escapes (\\$, \\v) besides JSON\'s; operators are case-sensitive, field names not', () => {
    const raw = (text: string): string => Buffer.from(text).toString('base64');
    const p = parsePostPolicy(raw(`{"expiration": "${future}", "conditions": [["starts-with", "$KEY", "\\$x\\v"], {"x-amz-meta-a": "\\\\$"}]}`));
    assert.deepEqual(p.conditions, [
      { kind: 'starts-with', field: 'key', value: '$x\u000b' },
      { kind: 'eq', field: 'x-amz-meta-a', value: '\\$' },
    ]);
    assert.throws(() => parsePostPolicy(b64({ expiration: future, conditions: [['StArTs-WiTh', '$key', '']] })), (e: { code?: string }) => e.code === 'InvalidPolicyDocument');
    assert.throws(() => parsePostPolicy(b64({ expiration: future, conditions: [['EQ', '$key', 'k']] })), (e: { code?: string }) => e.code === 'InvalidPolicyDocument');
  });

  it('wants the expiration in ISO 8601 UTC', () => {
    assert.doesNotThrow(() => parsePostPolicy(b64({ expiration: '2030-01-01T00:00:00Z', conditions: [] })));
    assert.doesNotThrow(() => parsePostPolicy(b64({ expiration: '2030-01-01T00:00:00.123Z', conditions: [] })));
    for (const bad of ['2030-01-01 00:00:00', '2030-01-01T00:00:00', 'Tue, 01 Jan 2030 00:00:00 GMT', '2030-01-01']) {
      assert.throws(() => parsePostPolicy(b64({ expiration: bad, conditions: [] })), (e: { code?: string }) => e.code === 'InvalidPolicyDocument', bad);
    }
  });

  it('applies every content-length-range condition (the tightest bounds)', () => {
    const p = parsePostPolicy(b64({ expiration: future, conditions: [['content-length-range', 2, 100], ['content-length-range', 0, 10]] }));
    assert.deepEqual(checkPostPolicy(p, new Map(), 'b'), { min: 2, max: 10 });
    for (const bad of [['content-length-range', 0], ['content-length-range', -1, 0], ['content-length-range', 5, 1], ['content-length-range', 'a', 2]]) {
      assert.throws(() => parsePostPolicy(b64({ expiration: future, conditions: [bad] })), (e: { code?: string }) => e.code === 'InvalidPolicyDocument', JSON.stringify(bad));
    }
  });

  it('verifies SigV4 and SigV2 form signatures', () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const policy = b64({ expiration: future, conditions: [] });
    const v4 = createHmac('sha256', deriveSigningKey(secret, '20250101', 'us-east-1', 's3')).update(policy).digest('hex');
    const sig = postSignatureOf(new Map([['policy', policy], ['x-amz-algorithm', 'AWS4-HMAC-SHA256'], ['x-amz-credential', 'AKID/20250101/us-east-1/s3/aws4_request'], ['x-amz-signature', v4]]));
    if (sig.kind !== 'v4') throw new Error('expected v4');
    assert.doesNotThrow(() => verifyPostSignature(sig, secret));
    assert.throws(() => verifyPostSignature(sig, 'wrong'), (e: { code?: string }) => e.code === 'AccessDenied');
    const v2 = createHmac('sha1', secret).update(policy).digest('base64');
    const sig2 = postSignatureOf(new Map([['policy', policy], ['awsaccesskeyid', 'AKID'], ['signature', v2]]));
    if (sig2.kind === 'anonymous') throw new Error('expected v2');
    assert.doesNotThrow(() => verifyPostSignature(sig2, secret));
    assert.equal(postSignatureOf(new Map([['key', 'k']])).kind, 'anonymous');
  });
});
