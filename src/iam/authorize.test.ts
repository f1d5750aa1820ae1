/**
 * The decision point's rules that issue 15 added: bucket administration belongs to the bucket's
 * administrators whatever a policy allows (#7), they can always fix a policy that locks them out (#7), a
 * key's bucket scope names a bucket of the key's own tenancy (#8), and the before-the-body check of
 * requests that name their objects in the body (#5).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { authorize, mayAuthorizeSomeObject, BUCKET_ADMIN_ACTIONS, type AccessRequest } from './authorize.js';
import { parsePolicy } from './policy/parse.js';
import type { AccessKeyRecord, BucketRecord, MembershipRecord, Role, TenancyRecord, UserRecord } from '../metadata/store.js';
import type { Principal } from './principal.js';

const tenancyA: TenancyRecord = { id: 'ta', name: 'tena', createdAt: 0, defaultAccess: 'owner', quotaBytes: null, quotaObjects: null, quotaAction: 'read-delete', listed: false };
const tenancyB: TenancyRecord = { ...tenancyA, id: 'tb', name: 'tenb' };
const user = (id: string, isSiteAdmin = false): UserRecord => ({ id, username: id, displayName: id, email: '', passwordHash: '', isSiteAdmin, createdAt: 0 });
const keyOf = (u: UserRecord, tenancyId: string, restriction: object | null = null): AccessKeyRecord => ({
  accessKeyId: `AK${u.id}`, userId: u.id, tenancyId, name: 'k', secretEncrypted: '', createdAt: 0, expiresAt: null, lastUsedAt: null,
  restriction: restriction === null ? null : JSON.stringify(restriction),
});
const bucket = (name: string, tenancy: TenancyRecord, ownerId: string, policy: object | null = null): BucketRecord => ({
  id: `${tenancy.id}-${name}`, tenancyId: tenancy.id, name, ownerId, region: 'us-east-1', createdAt: 0,
  policy: policy === null ? null : JSON.stringify(policy), acl: null, quotaBytes: null, quotaObjects: null, cors: null, landing: null, logging: null, versioning: null,
});
const membership = (u: UserRecord, t: TenancyRecord, role: Role): MembershipRecord => ({ tenancyId: t.id, userId: u.id, role, createdAt: 0 });

const owner = user('owner');
const manager = user('manager');
const deputy = user('deputy');
const colleague = user('colleague');
const siteAdmin = user('root', true);
const stranger = user('stranger');

function request(p: { u?: UserRecord; key?: AccessKeyRecord; m?: MembershipRecord; t?: TenancyRecord }, action: string, b: BucketRecord, objectKey?: string): AccessRequest {
  const principal: Principal = p.u ? { kind: 'user', user: p.u, key: p.key ?? keyOf(p.u, (p.t ?? tenancyA).id) } : { kind: 'anonymous' };
  return {
    principal,
    groups: [],
    membership: p.m,
    tenancy: p.t ?? tenancyA,
    action,
    bucket: b,
    key: objectKey,
    policy: b.policy ? parsePolicy(b.policy, b.name) : undefined,
    bucketAcl: { grants: [] } as unknown as AccessRequest['bucketAcl'],
    context: {},
  };
}

const allowAll = (name: string) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: [`arn:aws:s3:::${name}`, `arn:aws:s3:::${name}/*`] }],
});
const denyAll = (name: string) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: [`arn:aws:s3:::${name}`, `arn:aws:s3:::${name}/*`] }],
});

describe('authorize: bucket administration (issue 15 #7)', () => {
  it('an Allow of s3:* to everyone grants data access but no bucket administration', async () => {
    const b = bucket('open', tenancyA, owner.id, allowAll('open'));
    for (const who of [{}, { u: stranger, t: tenancyA }, { u: colleague, m: membership(colleague, tenancyA, 'USER') }]) {
      assert.equal((await authorize(request(who, 's3:GetObject', b, 'k'))).allowed, true);
      assert.equal((await authorize(request(who, 's3:PutObject', b, 'k'))).allowed, true);
      for (const action of BUCKET_ADMIN_ACTIONS) {
        const d = await authorize(request(who, action, b));
        assert.equal(d.allowed, false, `${action} by ${'u' in who ? who.u!.username : 'anonymous'}`);
      }
    }
  });

  it('members default access does not reach administration; owner, manager, deputy and site admin do', async () => {
    const t: TenancyRecord = { ...tenancyA, defaultAccess: 'members' };
    const b = bucket('team', t, owner.id);
    assert.equal((await authorize(request({ u: colleague, m: membership(colleague, t, 'USER'), t }, 's3:PutObject', b, 'x'))).allowed, true);
    assert.equal((await authorize(request({ u: colleague, m: membership(colleague, t, 'USER'), t }, 's3:PutBucketPolicy', b))).allowed, false);
    for (const p of [
      { u: owner, m: membership(owner, t, 'USER'), t },
      { u: manager, m: membership(manager, t, 'MANAGER'), t },
      { u: deputy, m: membership(deputy, t, 'DEPUTY'), t },
      { u: siteAdmin, t },
    ]) {
      for (const action of BUCKET_ADMIN_ACTIONS) assert.equal((await authorize(request(p, action, b))).allowed, true, `${action} by ${p.u.username}`);
    }
    // An owner who left the tenancy no longer administers the bucket.
    assert.equal((await authorize(request({ u: owner, t }, 's3:PutBucketPolicy', b))).allowed, false);
  });

  it('a Deny-all policy cannot lock the administrators out of the policy itself', async () => {
    const b = bucket('locked', tenancyA, owner.id, denyAll('locked'));
    const admins = [
      { u: owner, m: membership(owner, tenancyA, 'USER') },
      { u: manager, m: membership(manager, tenancyA, 'MANAGER') },
      { u: deputy, m: membership(deputy, tenancyA, 'DEPUTY') },
      { u: siteAdmin },
    ];
    for (const p of admins) {
      for (const action of ['s3:GetBucketPolicy', 's3:PutBucketPolicy', 's3:DeleteBucketPolicy']) {
        assert.equal((await authorize(request(p, action, b))).allowed, true, `${action} by ${p.u.username}`);
      }
      // Everything else stays denied until they change the policy (a Deny protects against mistakes).
      assert.equal((await authorize(request(p, 's3:GetObject', b, 'k'))).allowed, false);
      assert.equal((await authorize(request(p, 's3:DeleteBucket', b))).allowed, false);
    }
    assert.equal((await authorize(request({}, 's3:DeleteBucketPolicy', b))).allowed, false);
    assert.equal((await authorize(request({ u: colleague, m: membership(colleague, tenancyA, 'USER') }, 's3:PutBucketPolicy', b))).allowed, false);
  });

  it('an unreadable stored policy fails closed, but its administrators can replace or delete it', async () => {
    const b = bucket('broken', tenancyA, owner.id);
    const base = (p: Parameters<typeof request>[0], action: string) => ({ ...request(p, action, b), policyUnreadable: true });
    const o = { u: owner, m: membership(owner, tenancyA, 'USER') };
    assert.equal((await authorize(base(o, 's3:GetObject'))).allowed, false);
    assert.equal((await authorize(base(o, 's3:DeleteBucketPolicy'))).allowed, true);
    assert.equal((await authorize(base(o, 's3:PutBucketPolicy'))).allowed, true);
    assert.equal((await authorize(base({ u: siteAdmin }, 's3:GetObject'))).allowed, true);
    assert.equal((await authorize(base({}, 's3:DeleteBucketPolicy'))).allowed, false);
  });
});

describe('authorize: key scopes name buckets of the key\'s tenancy (issue 15 #8)', () => {
  it('a key scoped to abkt/pub of tenancy A does not reach abkt/pub of tenancy B', async () => {
    const scoped = keyOf(stranger, tenancyA.id, { readOnly: true, scopes: [{ bucket: 'abkt', prefix: 'pub/' }] });
    const mine = bucket('abkt', tenancyA, owner.id, allowAll('abkt'));
    const theirs = bucket('abkt', tenancyB, 'someone', allowAll('abkt'));
    assert.equal((await authorize(request({ u: stranger, key: scoped, t: tenancyA }, 's3:GetObject', mine, 'pub/x'))).allowed, true);
    assert.equal((await authorize(request({ u: stranger, key: scoped, t: tenancyA }, 's3:GetObject', mine, 'priv/x'))).allowed, false);
    const d = await authorize(request({ u: stranger, key: scoped, t: tenancyB }, 's3:GetObject', theirs, 'pub/x'));
    assert.equal(d.allowed, false);
    assert.match((d as { reason: string }).reason, /restriction/);
  });
});

describe('mayAuthorizeSomeObject: before a DeleteObjects body is read (issue 15 #5)', () => {
  it('refuses anonymous and strangers when nothing could grant s3:DeleteObject, allows when something could', () => {
    const priv = bucket('priv', tenancyA, owner.id);
    const noBody = (r: AccessRequest) => mayAuthorizeSomeObject(r).allowed;
    assert.equal(noBody(request({}, 's3:DeleteObject', priv)), false);
    assert.equal(noBody(request({ u: stranger, t: tenancyA }, 's3:DeleteObject', priv)), false);
    assert.equal(noBody(request({ u: owner, m: membership(owner, tenancyA, 'USER') }, 's3:DeleteObject', priv)), true);
    // A policy letting anyone delete under one prefix: per-key decisions decide the rest.
    const drop = bucket('drop', tenancyA, owner.id, {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:DeleteObject', Resource: 'arn:aws:s3:::drop/tmp/*' }],
    });
    assert.equal(noBody(request({}, 's3:DeleteObject', drop)), true);
    // Read-only keys and keys scoped elsewhere cannot delete anything.
    const ro = keyOf(owner, tenancyA.id, { readOnly: true, scopes: null });
    assert.equal(noBody(request({ u: owner, key: ro, m: membership(owner, tenancyA, 'USER') }, 's3:DeleteObject', priv)), false);
    const elsewhere = keyOf(owner, tenancyA.id, { readOnly: false, scopes: [{ bucket: 'other' }] });
    assert.equal(noBody(request({ u: owner, key: elsewhere, m: membership(owner, tenancyA, 'USER') }, 's3:DeleteObject', priv)), false);
  });
});

describe('authorize: the matched policy statement, for Allow and Deny alike (issue 18)', () => {
  const policy = {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'ReadAll', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::shared/*' },
      { Sid: 'NoSecrets', Effect: 'Deny', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::shared/secret/*' },
    ],
  };
  const b = bucket('shared', tenancyA, owner.id, policy);

  it('an Allow names its statement, a Deny its own, no match names none', async () => {
    const allowed = await authorize(request({ u: stranger }, 's3:GetObject', b, 'data/x'));
    assert.deepEqual(allowed, { allowed: true, by: 'bucket policy', statement: { effect: 'Allow', index: 0, sid: 'ReadAll' } });
    const denied = await authorize(request({ u: stranger }, 's3:GetObject', b, 'secret/x'));
    assert.deepEqual(denied, { allowed: false, reason: 'explicitly denied by the bucket policy', statement: { effect: 'Deny', index: 1, sid: 'NoSecrets' } });
    const none = await authorize(request({ u: stranger }, 's3:PutObject', b, 'data/x'));
    assert.equal(none.allowed, false);
    assert.equal(none.statement, undefined);
  });

  it('the statement that matched is named even when something else decided (the owner)', async () => {
    const d = await authorize(request({ u: owner, m: membership(owner, tenancyA, 'USER') }, 's3:GetObject', b, 'data/x'));
    assert.deepEqual(d, { allowed: true, by: 'bucket owner', statement: { effect: 'Allow', index: 0, sid: 'ReadAll' } });
  });

  it('a user asked about as a person has no key: no restriction applies, no stand-in key is needed', async () => {
    const asPerson: AccessRequest = { ...request({ u: colleague, m: membership(colleague, tenancyA, 'USER') }, 's3:PutObject', b, 'data/x'), principal: { kind: 'user', user: colleague } };
    const viaKey = request({ u: colleague, m: membership(colleague, tenancyA, 'USER'), key: keyOf(colleague, tenancyA.id, { readOnly: true }) }, 's3:PutObject', b, 'data/x');
    const members = { ...tenancyA, defaultAccess: 'members' as const };
    assert.equal((await authorize({ ...asPerson, tenancy: members })).allowed, true);
    assert.equal((await authorize({ ...viaKey, tenancy: members })).allowed, false);
  });
});
