/**
 * The signer (sign.ts) against the independent test oracle (test/helpers/sign.ts) and the verifier
 * (authenticate.ts): the same inputs give the oracle's signature, and the verifier accepts what is signed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { presign, signHeaders } from '../../../test/helpers/sign.js';
import { authenticateSigV4 } from './authenticate.js';
import { encodePath, HeaderSigner, presignUrl } from './sign.js';

const now = new Date('2026-03-01T12:34:56Z');
const creds = { accessKeyId: 'AKIDEXAMPLE', secretKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', region: 'eu-west-1' };
const lookup = async (id: string) => (id === creds.accessKeyId ? creds.secretKey : undefined);
const awkward = ['plain', 'with space', 'a+b%c', 'unicodé/ключ', 'tilde~star*paren()', ' lead/trail '];

describe('presignUrl', () => {
  for (const key of awkward) {
    it(`matches the oracle and verifies, key ${JSON.stringify(key)}`, async () => {
      const path = `/bkt/${key}`;
      const query = { 'response-content-disposition': 'attachment; filename="x y.txt"', uploadId: 'a/b=c' };
      const url = presignUrl({ origin: 'https://s3.example', host: 's3.example', method: 'PUT', path, query, accessKeyId: creds.accessKeyId, secret: creds.secretKey, region: creds.region, expiresIn: 300, now });
      const target = presign({ method: 'PUT', path, query, host: 's3.example', accessKey: creds.accessKeyId, secretKey: creds.secretKey, region: creds.region, date: now, expires: 300 });
      const sig = (u: string) => /X-Amz-Signature=([0-9a-f]{64})/.exec(u)?.[1];
      assert.equal(sig(url), sig(target));
      const { pathname, search } = new URL(url);
      assert.equal(pathname, encodePath(path));
      const auth = await authenticateSigV4({ method: 'PUT', rawPath: pathname, rawQuery: search.slice(1), headers: { host: 's3.example' } }, lookup, now.getTime() + 1000, { region: creds.region });
      assert.equal(auth.kind, 'signed');
    });
  }
});

describe('HeaderSigner', () => {
  it('matches the oracle and verifies (with a query)', async () => {
    const path = '/bkt/some key+ü';
    const query: Array<[string, string]> = [['uploadId', 'x y'], ['partNumber', '3']];
    const h = new HeaderSigner(creds).sign('PUT', '127.0.0.1:9000', encodePath(path), query, now);
    const oracle = signHeaders({ method: 'PUT', path, query: Object.fromEntries(query), host: '127.0.0.1:9000', accessKey: creds.accessKeyId, secretKey: creds.secretKey, region: creds.region, date: now });
    assert.equal(h.authorization, oracle.headers.authorization);
    const [rawPath, rawQuery = ''] = oracle.target.split('?');
    const auth = await authenticateSigV4({ method: 'PUT', rawPath: rawPath!, rawQuery, headers: { host: '127.0.0.1:9000', ...h } }, lookup, now.getTime(), { region: creds.region });
    assert.equal(auth.kind, 'signed');
  });
});
