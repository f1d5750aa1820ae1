import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { encryptionRequestFrom } from './sse.js';

const key = randomBytes(32);
const md5 = (b: Buffer) => createHash('md5').update(b).digest('base64');
const sseC = { 'x-amz-server-side-encryption-customer-algorithm': 'AES256', 'x-amz-server-side-encryption-customer-key': key.toString('base64'), 'x-amz-server-side-encryption-customer-key-md5': md5(key) };
const ask = (h: Record<string, string>, secure = true, allowHttp = false) => encryptionRequestFrom((n) => h[n], secure, allowHttp);
const code = (h: Record<string, string>, secure = true, allowHttp = false): string => {
  try {
    ask(h, secure, allowHttp);
    return 'OK';
  } catch (e) {
    return (e as { code: string }).code;
  }
};

test('SSE request headers: what each combination asks for, and AWS\'s refusals', () => {
  assert.equal(ask({}), undefined);
  assert.deepEqual(ask({ 'x-amz-server-side-encryption': 'AES256' }), { mode: 'AES256' });
  assert.deepEqual(ask(sseC), { mode: 'SSE-C', customerKey: key, keyMd5: md5(key) });
  const cases: Array<[Record<string, string>, string]> = [
    [{ ...sseC, 'x-amz-server-side-encryption-customer-key-md5': md5(randomBytes(32)) }, 'InvalidArgument'],
    [{ ...sseC, 'x-amz-server-side-encryption-customer-key': randomBytes(16).toString('base64') }, 'InvalidArgument'],
    [{ ...sseC, 'x-amz-server-side-encryption-customer-key': 'not base64!' }, 'InvalidArgument'],
    [{ ...sseC, 'x-amz-server-side-encryption-customer-algorithm': 'AES128' }, 'InvalidArgument'],
    [{ 'x-amz-server-side-encryption-customer-algorithm': 'AES256' }, 'InvalidArgument'],
    [{ 'x-amz-server-side-encryption-customer-algorithm': 'AES256', 'x-amz-server-side-encryption-customer-key': key.toString('base64') }, 'InvalidArgument'],
    [{ ...sseC, 'x-amz-server-side-encryption': 'AES256' }, 'InvalidArgument'],
    [{ 'x-amz-server-side-encryption': 'AES256', 'x-amz-server-side-encryption-aws-kms-key-id': 'k' }, 'InvalidArgument'],
    [{ 'x-amz-server-side-encryption-bucket-key-enabled': 'true' }, 'InvalidArgument'],
    [{ 'x-amz-server-side-encryption': 'aes256' }, 'InvalidArgument'],
    [{ 'x-amz-server-side-encryption': 'aws:kms' }, 'NotImplemented'],
    [{ 'x-amz-server-side-encryption': 'aws:kms:dsse' }, 'NotImplemented'],
  ];
  for (const [h, want] of cases) assert.equal(code(h), want, JSON.stringify(h));
});

test('SSE-C keys over plain HTTP are refused unless the operator allows them', () => {
  assert.equal(code(sseC, false), 'InvalidRequest');
  assert.equal(code(sseC, false, true), 'OK');
  assert.equal(code({ 'x-amz-server-side-encryption': 'AES256' }, false), 'OK');
});
