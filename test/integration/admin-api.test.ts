/**
 * The admin API against the real server: every role boundary (site admin, MANAGER, DEPUTY, USER,
 * non-member, wrong password), access keys whose secret works at once with the AWS SDK and never appears
 * again, key deletion and expiry limits, join requests, the derived members group, bucket policies with
 * the parser's message, the audit trail, and that the OpenAPI document lists exactly the router's routes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateBucketCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { startServer, type TestServer } from '../helpers/server.js';
import { sdkClient } from '../helpers/clients.js';
import { ADMIN, api } from './admin-client.js';
import { ADMIN_ROUTES } from '../../src/admin/routes.js';
import { ADMIN_API_ROUTES } from '../../src/admin/contract.js';
import { parsePolicy, PolicyError } from '../../src/iam/policy/parse.js';

const T = 'proj-a';
const pw = (user: string) => ({ user, password: `${user}-password-123` });
const alice = pw('alice'); // MANAGER of proj-a
const dave = pw('dave'); // DEPUTY of proj-a
const ursula = pw('ursula'); // USER of proj-a
const nora = pw('nora'); // member of nothing
const rita = pw('rita'); // member of nothing
const DAY = 86_400_000;

function keyClient(s: TestServer, id: string, secret: string): S3Client {
  return new S3Client({ endpoint: s.url, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: id, secretAccessKey: secret } });
}

describe('admin API', () => {
  let s: TestServer;
  const secrets: string[] = [];

  before(async () => {
    s = await startServer();
    for (const u of [alice, dave, ursula, nora, rita]) {
      const r = await api(s, ADMIN, 'POST', '/users', { username: u.user, password: u.password, displayName: u.user.toUpperCase() });
      assert.equal(r.status, 201, r.text);
    }
    assert.equal((await api(s, ADMIN, 'POST', '/tenancies', { name: T })).status, 201);
    assert.equal((await api(s, ADMIN, 'POST', `/tenancies/${T}/members`, { username: 'alice', role: 'MANAGER' })).status, 201);
    assert.equal((await api(s, alice, 'POST', `/tenancies/${T}/members`, { username: 'dave', role: 'DEPUTY' })).status, 201);
  });
  after(async () => {
    await s.stop();
    s.cleanup();
  });

  test('authentication: none and wrong password are 401 problems with a Basic challenge', async () => {
    const none = await api(s, undefined, 'GET', '/me');
    assert.equal(none.status, 401);
    assert.match(none.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Basic /);
    assert.deepEqual(Object.keys(none.json).sort(), ['detail', 'status', 'title', 'type']);
    const wrong = await api(s, { user: 'alice', password: 'not-her-password' }, 'GET', '/me');
    assert.equal(wrong.status, 401);
    assert.equal(wrong.json.detail, 'wrong username or password');
    assert.equal((await api(s, { user: 'nobody', password: 'whatever-123' }, 'GET', '/me')).status, 401);
  });

  test('tenancy names and creation are for site administrators', async () => {
    assert.equal((await api(s, ADMIN, 'POST', '/tenancies', { name: 'Bad_Name' })).status, 400);
    assert.equal((await api(s, ADMIN, 'POST', '/tenancies', { name: 'ab' })).status, 400);
    assert.equal((await api(s, ADMIN, 'POST', '/tenancies', { name: T })).status, 409);
    assert.equal((await api(s, alice, 'POST', '/tenancies', { name: 'alice-own' })).status, 403);
    assert.equal((await api(s, alice, 'GET', '/tenancies')).status, 403);
    const list = await api(s, ADMIN, 'GET', '/tenancies');
    assert.deepEqual(list.json.items.map((t: { name: string }) => t.name).sort(), ['default', T]);
  });

  test('adding members: deputy may add users but not managers', async () => {
    assert.equal((await api(s, dave, 'POST', `/tenancies/${T}/members`, { username: 'ursula', role: 'MANAGER' })).status, 403);
    const r = await api(s, dave, 'POST', `/tenancies/${T}/members`, { username: 'ursula' });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.role, 'USER');
    assert.equal((await api(s, dave, 'POST', `/tenancies/${T}/members`, { username: 'ursula' })).status, 409);
    assert.equal((await api(s, ursula, 'POST', `/tenancies/${T}/members`, { username: 'nora' })).status, 403);
    assert.equal((await api(s, dave, 'POST', `/tenancies/${T}/members`, { username: 'ghost' })).status, 404);
  });

  test('role matrix on tenancy resources', async () => {
    const cases: Array<[string, string, { user: string; password: string }, number]> = [
      ['GET', `/tenancies/${T}`, ADMIN, 200],
      ['GET', `/tenancies/${T}`, alice, 200],
      ['GET', `/tenancies/${T}`, dave, 200],
      // Any member sees the tenancy's usage and endpoints (the client docs tell users to run `tenancy show`).
      ['GET', `/tenancies/${T}`, ursula, 200],
      ['GET', `/tenancies/${T}/usage/breakdown`, ursula, 403],
      ['GET', `/tenancies/${T}/usage/breakdown`, dave, 200],
      ['GET', `/tenancies/${T}/uploads`, ursula, 403],
      ['GET', `/tenancies/${T}/keys`, ursula, 403],
      ['GET', `/tenancies/${T}/keys`, dave, 200],
      ['PATCH', `/tenancies/${T}`, dave, 403],
      ['GET', `/tenancies/${T}`, nora, 403],
      ['GET', '/tenancies/no-such-tenancy', alice, 404],
      ['GET', `/tenancies/${T}/members`, dave, 200],
      ['GET', `/tenancies/${T}/members`, ursula, 403],
      ['GET', `/tenancies/${T}/requests`, dave, 200],
      ['GET', `/tenancies/${T}/requests`, ursula, 403],
      ['GET', `/tenancies/${T}/quota`, dave, 200],
      ['GET', `/tenancies/${T}/quota`, nora, 403],
      ['GET', `/tenancies/${T}/usage`, alice, 200],
      ['GET', `/tenancies/${T}/usage/history?days=7`, alice, 200],
      ['GET', `/tenancies/${T}/usage/history`, dave, 200],
      ['GET', `/tenancies/${T}/usage/history`, ADMIN, 200],
      ['GET', `/tenancies/${T}/usage/history`, ursula, 403],
      ['GET', `/tenancies/${T}/usage/history?days=-1`, alice, 400],
      ['GET', `/tenancies/${T}/audit`, alice, 200],
      ['GET', `/tenancies/${T}/audit`, ursula, 403],
      ['POST', `/tenancies/${T}/usage/repair`, alice, 403],
      ['POST', `/tenancies/${T}/usage/repair`, ADMIN, 200],
      ['DELETE', `/tenancies/${T}`, alice, 403],
      ['GET', '/users', alice, 403],
      ['GET', '/users', ADMIN, 200],
      ['GET', '/groups', ursula, 403],
      ['GET', '/audit', alice, 403],
      ['GET', '/audit', ADMIN, 200],
      ['GET', '/me', nora, 200],
    ];
    for (const [method, path, who, status] of cases) {
      const r = await api(s, who, method, path);
      assert.equal(r.status, status, `${who.user} ${method} ${path}: ${r.text}`);
      if (status >= 400) assert.equal(r.json.status, status);
    }
    const q = await api(s, alice, 'PUT', `/tenancies/${T}/quota`, { bytes: '1GiB' });
    assert.equal(q.status, 403, 'quota is sold by the site: only a site administrator sets it');
  });

  test('roles: set-role and remove; a deputy cannot touch a manager; the last manager stays', async () => {
    assert.equal((await api(s, dave, 'PUT', `/tenancies/${T}/members/alice`, { role: 'USER' })).status, 403);
    assert.equal((await api(s, dave, 'DELETE', `/tenancies/${T}/members/alice`)).status, 403);
    assert.equal((await api(s, alice, 'PUT', `/tenancies/${T}/members/alice`, { role: 'USER' })).status, 409);
    assert.equal((await api(s, alice, 'PUT', `/tenancies/${T}/members/ursula`, { role: 'wizard' })).status, 400);
    const up = await api(s, alice, 'PUT', `/tenancies/${T}/members/ursula`, { role: 'DEPUTY' });
    assert.equal(up.status, 200, up.text);
    assert.equal(up.json.role, 'DEPUTY');
    assert.equal((await api(s, alice, 'PUT', `/tenancies/${T}/members/ursula`, { role: 'USER' })).status, 200);
    const members = await api(s, alice, 'GET', `/tenancies/${T}/members`);
    assert.deepEqual(members.json.items.map((m: { username: string; role: string }) => `${m.username}:${m.role}`).sort(), ['alice:MANAGER', 'dave:DEPUTY', 'ursula:USER']);
  });

  test('quota: set with a size string; show reports usage, status, thresholds and endpoints', async () => {
    const q = await api(s, ADMIN, 'PUT', `/tenancies/${T}/quota`, { bytes: '10GiB', objects: 1000, action: 'read-only' });
    assert.equal(q.status, 200, q.text);
    assert.deepEqual(q.json.quota, { bytes: 10 * 1024 ** 3, objects: 1000, action: 'read-only' });
    assert.deepEqual(q.json.status, { percent: 0, level: 'ok' });
    assert.equal((await api(s, ADMIN, 'PUT', `/tenancies/${T}/quota`, { bytes: '10 parsecs' })).status, 400);
    assert.equal((await api(s, ADMIN, 'PUT', `/tenancies/${T}/quota`, { bytes: 5, action: 'explode' })).status, 400);
    const show = await api(s, alice, 'GET', `/tenancies/${T}`);
    assert.equal(show.json.endpoints.internal, `http://${T}.s3.localhost:${s.port}`);
    assert.equal(show.json.endpoints.external, `https://${T}.s3-ext.localhost`);
    assert.deepEqual(show.json.thresholds, { warning: 80, critical: 95 });
    assert.deepEqual(show.json.usage, { bytes: 0, objects: 0 });
    const h = await api(s, alice, 'GET', `/tenancies/${T}/usage/history?days=1`);
    assert.equal(h.status, 200, h.text);
    assert.equal(h.json.days, 1);
    assert.ok(Array.isArray(h.json.samples));
    assert.deepEqual([h.json.current.bytes, h.json.current.objects], [0, 0]);
    assert.deepEqual(h.json.quota, { bytes: 10 * 1024 ** 3, objects: 1000 });
  });

  test('the <tenancy>-members group mirrors membership and cannot be edited as a group', async () => {
    const groups = await api(s, ADMIN, 'GET', '/groups');
    assert.ok(groups.json.items.some((g: { name: string; source: string }) => g.name === `${T}-members` && g.source === 'tenancy'));
    const members = await api(s, ADMIN, 'GET', `/groups/${T}-members/members`);
    assert.deepEqual(members.json.items.map((u: { username: string }) => u.username).sort(), ['alice', 'dave', 'ursula']);
    assert.equal((await api(s, ADMIN, 'POST', `/groups/${T}-members/members`, { username: 'nora' })).status, 409);
    assert.equal((await api(s, ADMIN, 'POST', '/groups', { name: 'x-members' })).status, 400);
    assert.equal((await api(s, ADMIN, 'POST', '/groups', { name: 'climate' })).status, 201);
    assert.equal((await api(s, ADMIN, 'POST', '/groups/climate/members', { username: 'ursula' })).status, 204);
    const me = await api(s, ursula, 'GET', '/me');
    assert.deepEqual(me.json.groups, ['climate', `${T}-members`]);
    assert.deepEqual(me.json.tenancies.map((t: { name: string; role: string }) => `${t.name}:${t.role}`), [`${T}:USER`]);
    assert.equal((await api(s, ADMIN, 'DELETE', '/groups/climate/members/ursula')).status, 204);
    assert.equal((await api(s, ADMIN, 'DELETE', '/groups/climate/members/ursula')).status, 404);
  });

  test('access keys: secret once, works at once, never again; deletion stops it', async () => {
    const expiresAt = new Date(Date.now() + 30 * DAY).toISOString();
    const created = await api(s, ursula, 'POST', '/me/keys', { tenancy: T, name: 'laptop', expiresAt, readOnly: true, scopes: ['data/raw'] });
    assert.equal(created.status, 201, created.text);
    const { accessKeyId, secretAccessKey } = created.json;
    assert.ok(accessKeyId && secretAccessKey);
    secrets.push(secretAccessKey);
    assert.deepEqual(created.json.restriction, { readOnly: true, scopes: [{ bucket: 'data', prefix: 'raw' }] });

    const full = await api(s, ursula, 'POST', '/me/keys', { tenancy: T, name: 'workstation', expiresAt });
    assert.equal(full.status, 201, full.text);
    secrets.push(full.json.secretAccessKey);
    const client = keyClient(s, full.json.accessKeyId, full.json.secretAccessKey);
    const listed = await client.send(new ListBucketsCommand({}));
    assert.equal(listed.$metadata.httpStatusCode, 200);

    const mine = await api(s, ursula, 'GET', '/me/keys');
    assert.equal(mine.status, 200);
    const ids = mine.json.items.map((k: { accessKeyId: string }) => k.accessKeyId).sort();
    assert.deepEqual(ids, [accessKeyId, full.json.accessKeyId].sort());
    for (const k of mine.json.items) {
      assert.equal(k.tenancy, T);
      assert.ok(k.createdAt && k.expiresAt);
      assert.ok('lastUsedAt' in k);
      assert.ok(!('secretAccessKey' in k));
    }
    for (const secret of secrets) assert.ok(!mine.text.includes(secret), 'a listing never holds a secret');

    assert.equal((await api(s, dave, 'DELETE', `/me/keys/${full.json.accessKeyId}`)).status, 404, "someone else's key is not yours to delete");
    assert.equal((await api(s, ursula, 'DELETE', `/me/keys/${full.json.accessKeyId}`)).status, 204);
    await assert.rejects(client.send(new ListBucketsCommand({})), (e: Error) => e.name === 'InvalidAccessKeyId');
  });

  test('access keys: expiry is required, in the future and within the site maximum; only for own tenancies', async () => {
    const cases: Array<[object, number, RegExp]> = [
      [{ tenancy: T, name: 'k' }, 400, /expiresAt/],
      [{ tenancy: T, name: 'k', expiresAt: new Date(Date.now() + 366 * DAY).toISOString() }, 400, /365 days/],
      [{ tenancy: T, name: 'k', expiresAt: new Date(Date.now() - DAY).toISOString() }, 400, /future/],
      [{ tenancy: T, name: 'k', expiresAt: 'tomorrow' }, 400, /ISO 8601/],
      [{ tenancy: 'no-such', name: 'k', expiresAt: new Date(Date.now() + DAY).toISOString() }, 404, /no tenancy/],
    ];
    for (const [body, status, detail] of cases) {
      const r = await api(s, ursula, 'POST', '/me/keys', body);
      assert.equal(r.status, status, r.text);
      assert.match(r.json.detail, detail);
    }
    const foreign = await api(s, nora, 'POST', '/me/keys', { tenancy: T, name: 'k', expiresAt: new Date(Date.now() + DAY).toISOString() });
    assert.equal(foreign.status, 403);
  });

  test('join requests: create, approve with a role, reject; the requester sees the outcome', async () => {
    const r = await api(s, nora, 'POST', '/me/requests', { tenancy: T, message: 'I work on the CEDA dev data' });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.status, 'pending');
    assert.equal((await api(s, nora, 'POST', '/me/requests', { tenancy: T, message: 'again' })).status, 409);
    assert.equal((await api(s, alice, 'POST', '/me/requests', { tenancy: T })).status, 409, 'members need not ask');
    assert.equal((await api(s, ursula, 'POST', `/tenancies/${T}/requests/${r.json.id}/approve`, {})).status, 403);
    const pending = await api(s, dave, 'GET', `/tenancies/${T}/requests?status=pending`);
    assert.deepEqual(pending.json.items.map((i: { id: string }) => i.id), [r.json.id]);
    assert.equal(pending.json.items[0].message, 'I work on the CEDA dev data');
    assert.equal((await api(s, dave, 'POST', `/tenancies/${T}/requests/${r.json.id}/approve`, { role: 'MANAGER' })).status, 403, 'a deputy cannot make a manager');
    const ok = await api(s, dave, 'POST', `/tenancies/${T}/requests/${r.json.id}/approve`, {});
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.status, 'approved');
    assert.equal(ok.json.role, 'USER');
    assert.equal(ok.json.decidedBy, 'dave');
    assert.equal((await api(s, dave, 'POST', `/tenancies/${T}/requests/${r.json.id}/reject`, {})).status, 409);
    const mine = await api(s, nora, 'GET', '/me/requests');
    assert.equal(mine.json.items[0].status, 'approved');
    assert.deepEqual((await api(s, nora, 'GET', '/me')).json.tenancies.map((t: { name: string }) => t.name), [T]);

    const rr = await api(s, rita, 'POST', '/me/requests', { tenancy: T, message: 'please' });
    const no = await api(s, alice, 'POST', `/tenancies/${T}/requests/${rr.json.id}/reject`, {});
    assert.equal(no.status, 200);
    assert.equal((await api(s, rita, 'GET', '/me/requests')).json.items[0].status, 'rejected');
    assert.deepEqual((await api(s, rita, 'GET', '/me')).json.tenancies, []);
    assert.equal((await api(s, alice, 'POST', `/tenancies/${T}/requests/not-an-id/approve`, {})).status, 404);
  });

  test('bucket policies: malformed → 400 with the parser message; set, get, delete; role bound', async () => {
    await sdkClient(s).send(new CreateBucketCommand({ Bucket: 'policy-test' }));
    const path = '/tenancies/default/buckets/policy-test/policy';
    const bad = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Perhaps', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::policy-test/*' }] });
    let expected = '';
    try {
      parsePolicy(bad, 'policy-test');
    } catch (e) {
      assert.ok(e instanceof PolicyError);
      expected = e.message;
    }
    assert.ok(expected);
    const r = await api(s, ADMIN, 'PUT', path, bad);
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.detail, expected);
    assert.match(r.json.type, /malformed-policy$/);
    assert.equal((await api(s, ADMIN, 'PUT', path, '{not json')).status, 400);

    const good = { Version: '2012-10-17', Statement: [{ Sid: 'members-read', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam:::group/default-members' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::policy-test/*' }] };
    assert.equal((await api(s, ursula, 'PUT', path, good)).status, 403, 'not a member of default');
    assert.equal((await api(s, ADMIN, 'GET', path)).status, 404);
    assert.equal((await api(s, ADMIN, 'PUT', path, good)).status, 200);
    assert.deepEqual((await api(s, ADMIN, 'GET', path)).json.policy, good);
    assert.equal((await api(s, ADMIN, 'DELETE', path)).status, 204);
    assert.equal((await api(s, ADMIN, 'GET', path)).status, 404);
    assert.equal((await api(s, ADMIN, 'GET', '/tenancies/default/buckets/no-such-bucket/policy')).status, 404);
  });

  test('passwords: self or site admin only', async () => {
    assert.equal((await api(s, ursula, 'PUT', '/users/alice/password', { password: 'hijacked-password' })).status, 403);
    assert.equal((await api(s, rita, 'PUT', '/users/rita/password', { password: 'short' })).status, 400);
    assert.equal((await api(s, rita, 'PUT', '/users/rita/password', { password: 'rita-new-password' })).status, 204);
    assert.equal((await api(s, rita, 'GET', '/me')).status, 401);
    assert.equal((await api(s, { user: 'rita', password: 'rita-new-password' }, 'GET', '/me')).status, 200);
    assert.equal((await api(s, ADMIN, 'PUT', '/users/rita/password', { password: rita.password })).status, 204);
    assert.equal((await api(s, rita, 'GET', '/me')).status, 200);
  });

  test('tenancy deletion: only empty ones, never default', async () => {
    assert.equal((await api(s, ADMIN, 'POST', '/tenancies', { name: 'short-lived' })).status, 201);
    assert.equal((await api(s, ADMIN, 'DELETE', '/tenancies/short-lived')).status, 204);
    assert.equal((await api(s, ADMIN, 'GET', '/tenancies/short-lived')).status, 404);
    const d = await api(s, ADMIN, 'DELETE', '/tenancies/default');
    assert.equal(d.status, 409);
  });

  test('the audit trail records who changed what, without secrets', async () => {
    const a = await api(s, alice, 'GET', `/tenancies/${T}/audit?limit=500`);
    assert.equal(a.status, 200);
    const seen = a.json.items.map((e: { actor: string; action: string; target: string }) => `${e.actor} ${e.action} ${e.target}`);
    for (const line of ['admin tenancy.create proj-a', 'admin member.add alice', 'alice member.add dave', 'dave member.add ursula', 'alice member.set-role ursula', 'admin quota.set proj-a', 'dave request.approve nora', 'alice request.reject rita', 'nora request.create nora']) {
      assert.ok(seen.includes(line), `audit has "${line}"`);
    }
    assert.ok(a.json.items.some((e: { action: string; actor: string }) => e.action === 'key.create' && e.actor === 'ursula'));
    assert.ok(a.json.items.some((e: { action: string; actor: string }) => e.action === 'key.delete' && e.actor === 'ursula'));
    const site = await api(s, ADMIN, 'GET', '/audit?limit=1000');
    assert.ok(site.json.items.some((e: { action: string; target: string }) => e.action === 'policy.put' && e.target === 'policy-test'));
    assert.ok(site.json.items.some((e: { action: string; target: string }) => e.action === 'user.password' && e.target === 'rita'));
    for (const secret of secrets) {
      assert.ok(!a.text.includes(secret) && !site.text.includes(secret), 'no secret in the audit');
    }
    for (const u of [alice, dave, ursula, nora, rita]) assert.ok(!site.text.includes(u.password), 'no password in the audit');
  });

  test('routing: unknown resource 404, wrong method 405, health still served', async () => {
    const r = await api(s, ADMIN, 'GET', '/nothing-here');
    assert.equal(r.status, 404);
    assert.match(r.headers.get('content-type') ?? '', /problem\+json/);
    const m = await api(s, ADMIN, 'PATCH', '/me');
    assert.equal(m.status, 405);
    assert.equal(m.headers.get('allow'), 'GET');
    const h = await fetch(`${s.url}/_admin/health`);
    assert.deepEqual(await h.json(), { status: 'ok' });
  });

  test('the OpenAPI document lists exactly the routes the router serves', async () => {
    const r = await api(s, undefined, 'GET', '/openapi.json');
    assert.equal(r.status, 200);
    const doc = r.json as { openapi: string; paths: Record<string, Record<string, unknown>> };
    assert.match(doc.openapi, /^3\./);
    const methods = new Set(['get', 'put', 'post', 'patch', 'delete']);
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).filter((m) => methods.has(m)).map((m) => `${m.toUpperCase()} ${p}`));
    const routed = ADMIN_ROUTES.map((x) => `${x.method} ${x.path}`);
    assert.deepEqual([...documented].sort(), [...routed].sort());
  });

  test('the route contract the portal and the CLI are typed by (admin/contract.ts) is exactly the router\'s routes', () => {
    const routed = ADMIN_ROUTES.map((x) => `${x.method} ${x.path}`);
    assert.deepEqual([...ADMIN_API_ROUTES].sort(), [...routed].sort());
  });

  test('no secret ever reaches the server log', () => {
    const out = s.output();
    assert.ok(secrets.length >= 2);
    for (const secret of secrets) assert.ok(!out.includes(secret), 'secret found in server output');
    for (const u of [alice, dave, ursula, nora, rita]) assert.ok(!out.includes(u.password), 'password found in server output');
  });
});
