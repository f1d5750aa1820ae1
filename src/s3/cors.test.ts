import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { matchRule, parseCorsConfiguration, preflight, wildcardMatch } from './cors.js';
import type { BucketRecord } from '../metadata/store.js';

const xml = (rules: string): Buffer => Buffer.from(`<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${rules}</CORSConfiguration>`);

describe('CORS configuration', () => {
  it('parses rules with every element', () => {
    const rules = parseCorsConfiguration(
      xml('<CORSRule><ID>r1</ID><AllowedOrigin>https://*.example.org</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>HEAD</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>300</MaxAgeSeconds></CORSRule>'),
    );
    assert.deepEqual(rules, [{ id: 'r1', allowedOrigins: ['https://*.example.org'], allowedMethods: ['GET', 'HEAD'], allowedHeaders: ['*'], exposeHeaders: ['ETag'], maxAgeSeconds: 300 }]);
  });

  for (const [name, body, code] of [
    ['no rules', '', 'MalformedXML'],
    ['no origin', '<CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule>', 'MalformedXML'],
    ['no method', '<CORSRule><AllowedOrigin>*</AllowedOrigin></CORSRule>', 'MalformedXML'],
    ['bad method', '<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod></CORSRule>', 'InvalidRequest'],
    ['two wildcards', '<CORSRule><AllowedOrigin>*.*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>', 'InvalidRequest'],
    ['wildcard expose', '<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><ExposeHeader>x-*</ExposeHeader></CORSRule>', 'InvalidRequest'],
    ['bad max age', '<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>soon</MaxAgeSeconds></CORSRule>', 'MalformedXML'],
  ] as const) {
    it(`refuses ${name} (${code})`, () => {
      assert.throws(() => parseCorsConfiguration(xml(body)), (e: { code?: string }) => e.code === code);
    });
  }

  it('matches one wildcard and headers case-insensitively', () => {
    assert.equal(wildcardMatch('https://*.example.org', 'https://a.b.example.org'), true);
    assert.equal(wildcardMatch('https://*.example.org', 'http://a.example.org'), false);
    assert.equal(wildcardMatch('*', ''), true);
    assert.equal(wildcardMatch('a*a', 'a'), false);
    const rules = parseCorsConfiguration(xml('<CORSRule><AllowedOrigin>https://x.org</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedHeader>X-Amz-*</AllowedHeader></CORSRule>'));
    assert.ok(matchRule(rules, 'https://x.org', 'PUT', ['x-amz-date']));
    assert.equal(matchRule(rules, 'https://x.org', 'PUT', ['content-md5']), undefined);
    assert.equal(matchRule(rules, 'https://x.org', 'GET'), undefined);
  });

  it('answers a preflight from the first matching rule', () => {
    const bucket = { cors: JSON.stringify(parseCorsConfiguration(xml('<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>'))) } as BucketRecord;
    const r = preflight(bucket, { origin: 'https://a.org', 'access-control-request-method': 'GET' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['access-control-allow-origin'], '*');
    assert.throws(() => preflight(bucket, { origin: 'https://a.org', 'access-control-request-method': 'DELETE' }), (e: { code?: string }) => e.code === 'AccessForbidden');
  });
});
