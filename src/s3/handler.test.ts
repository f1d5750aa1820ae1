/**
 * The pipeline against fakes (issue 18, as versitygw tests each controller): access refused, a backend
 * error, an unreachable metadata store and success, each answered as S3 answers, with the request's facts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { S3Handler, type S3HandlerDeps } from './handler.js';
import { DEFAULTS } from '../config/config.js';
import { QuotaGuard } from '../core/quota.js';
import { BucketPolicies } from '../iam/bucket-policies.js';
import { S3Error } from '../errors/s3-error.js';
import type { AccessKeyRecord, BucketRecord, MetadataStore, TenancyRecord, UserRecord } from '../metadata/store.js';
import type { RequestFacts } from '../lib/http-response.js';
import { signHeaders } from '../../test/helpers/sign.js';

const tenancy: TenancyRecord = { id: 't1', name: 'lab', createdAt: 0, defaultAccess: 'owner', quotaBytes: null, quotaObjects: null, quotaAction: 'read-delete', listed: false };
const alice: UserRecord = { id: 'u1', username: 'alice', displayName: 'Alice', email: '', passwordHash: '', isSiteAdmin: false, createdAt: 0 };
const key: AccessKeyRecord = { accessKeyId: 'GKALICE', userId: 'u1', tenancyId: 't1', name: 'k', secretEncrypted: '', createdAt: 0, expiresAt: null, lastUsedAt: null, restriction: null };
const SECRET = 'alice-secret-0123456789';
const bucket: BucketRecord = { id: 'b1', tenancyId: 't1', name: 'data', ownerId: 'u1', region: 'eu-central-1', createdAt: 0, policy: null, acl: null, quotaBytes: null, quotaObjects: null, cors: null, landing: null, logging: null, versioning: null };

function fixture(getBucket: (name: string) => Promise<BucketRecord>) {
  const logged: Array<[string, string]> = [];
  const metadata = {
    getMembership: async (_t: string, u: string) => (u === 'u1' ? { tenancyId: 't1', userId: 'u1', role: 'USER', createdAt: 0 } : undefined),
    getObject: async () => undefined, // the object's ACL, read by iam/access-facts.ts
  } as unknown as MetadataStore;
  const deps = {
    config: { ...DEFAULTS, region: 'eu-central-1' },
    accessFacts: metadata,
    tenancies: { named: async () => undefined, byId: async (id: string) => (id === 't1' ? tenancy : undefined) },
    objects: { find: async () => undefined },
    buckets: { get: async (_t: string, name: string) => getBucket(name) },
    quota: new QuotaGuard(metadata),
    policies: new BucketPolicies(metadata),
    log: { debug: () => {}, info: () => {}, warn: (m: string) => logged.push(['warn', m]), error: (m: string) => logged.push(['error', m]) },
    accessKeys: { resolve: async (id: string) => (id === key.accessKeyId ? { key, user: alice, secret: SECRET } : undefined), isExpired: async () => false, touch: () => undefined },
    defaultTenancy: async () => tenancy,
  } as unknown as S3HandlerDeps;
  return { handler: new S3Handler(deps), logged };
}

function request(method: string, target: string, headers: Record<string, string> = {}): { req: IncomingMessage; res: ServerResponse } {
  const req = Object.assign(Readable.from([]), { method, url: target, headers: { host: '127.0.0.1:9000', ...headers }, socket: { remoteAddress: '127.0.0.1' }, complete: true });
  const set = new Map<string, unknown>();
  const res = { headersSent: false, setHeader: (n: string, v: unknown) => set.set(n.toLowerCase(), v), hasHeader: (n: string) => set.has(n.toLowerCase()), getHeader: (n: string) => set.get(n.toLowerCase()) };
  return { req: req as unknown as IncomingMessage, res: res as unknown as ServerResponse };
}

const signed = (method: string, path: string, query: Record<string, string> = {}) =>
  signHeaders({ method, path, query, host: '127.0.0.1:9000', accessKey: key.accessKeyId, secretKey: SECRET, region: 'eu-central-1' });

describe('S3Handler pipeline', () => {
  it('access refused: an anonymous read of a private bucket is AccessDenied, before any operation runs', async () => {
    const { handler } = fixture(async () => bucket);
    const facts: RequestFacts = {};
    const { req, res } = request('GET', '/data/secret.txt');
    const a = await handler.handle(req, res, 'req-1', facts);
    assert.equal(a.response.status, 403);
    assert.match(String(a.response.body), /<Code>AccessDenied<\/Code>/);
    assert.match(String(a.response.body), /<RequestId>req-1<\/RequestId>/);
    assert.deepEqual(facts, { operation: 'GetObject', bucket: 'data', key: 'secret.txt', tenancy: 'lab', errorCode: 'AccessDenied' });
  });

  it('a backend error is InternalError (logged), an unreachable metadata store a retryable 503', async () => {
    const broken = fixture(async () => {
      throw new Error('disk on fire');
    });
    const s = signed('GET', '/data', { location: '' });
    const { req, res } = request('GET', s.target, s.headers);
    const a = await broken.handler.handle(req, res, 'req-2');
    assert.equal(a.response.status, 500);
    assert.match(String(a.response.body), /<Code>InternalError<\/Code>/);
    assert.doesNotMatch(String(a.response.body), /disk on fire/, 'no internals in the answer');
    assert.deepEqual(broken.logged, [['error', 'request failed']]);

    const away = fixture(async () => {
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    });
    const r2 = request('GET', s.target, s.headers);
    const b = await away.handler.handle(r2.req, r2.res, 'req-3');
    assert.equal(b.response.status, 503);
    assert.match(String(b.response.body), /<Code>ServiceUnavailable<\/Code>/);
  });

  it('a missing bucket is the store\'s "not found" turned into NoSuchBucket by core', async () => {
    const { handler } = fixture(async (name) => {
      throw new S3Error('NoSuchBucket', { details: { BucketName: name } });
    });
    const s = signed('GET', '/nope', { location: '' });
    const { req, res } = request('GET', s.target, s.headers);
    const a = await handler.handle(req, res, 'req-4');
    assert.equal(a.response.status, 404);
    assert.match(String(a.response.body), /<Code>NoSuchBucket<\/Code>/);
  });

  it('success: the owner reads the bucket location, the facts name who and what', async () => {
    const { handler } = fixture(async () => bucket);
    const facts: RequestFacts = {};
    const s = signed('GET', '/data', { location: '' });
    const { req, res } = request('GET', s.target, s.headers);
    const a = await handler.handle(req, res, 'req-5', facts);
    assert.equal(a.response.status, 200);
    assert.match(String(a.response.body), /<LocationConstraint[^>]*>eu-central-1<\/LocationConstraint>/);
    assert.equal(a.headersOnly, false);
    assert.deepEqual(facts, { operation: 'GetBucketLocation', bucket: 'data', key: undefined, principal: 'alice', accessKeyId: 'GKALICE', tenancy: 'lab' });
  });

  it("a route's invalid parameter is answered once the request is authorized: 403 to a stranger, the AWS error to the owner", async () => {
    const { handler } = fixture(async () => bucket);
    const anon = request('GET', '/data?list-type=2&max-keys=many');
    const a = await handler.handle(anon.req, anon.res, 'req-6');
    assert.equal(a.response.status, 403);
    assert.match(String(a.response.body), /<Code>AccessDenied<\/Code>/);

    const s = signed('GET', '/data', { 'list-type': '2', 'max-keys': 'many' });
    const owner = request('GET', s.target, s.headers);
    const b = await handler.handle(owner.req, owner.res, 'req-7');
    assert.equal(b.response.status, 400);
    assert.match(String(b.response.body), /<Code>InvalidArgument<\/Code>/);
    assert.match(String(b.response.body), /<Message>Provided max-keys not an integer or within integer range<\/Message>/);
  });
});
