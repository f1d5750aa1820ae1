import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY, aclGrants, aclIsPublic, cannedAcl, explicitAcl, ownerPermissions, serialiseAcl, type Acl } from './acl.js';
import { bucketIsPublic, policyIsPublic } from './public-access.js';
import { parsePolicy } from './policy/parse.js';

const owners = { owner: 'writer', bucketOwner: 'bucket-owner' };
const own = { owner: 'bucket-owner', bucketOwner: 'bucket-owner' };

describe('canned ACLs (acl-overview "Canned ACL")', () => {
  it('bucket-owner-* grant the bucket owner when someone else owns the resource, nothing otherwise', () => {
    assert.deepEqual(cannedAcl('bucket-owner-read', owners), { grants: [{ grantee: { type: 'user', id: 'bucket-owner' }, permission: 'READ' }] });
    assert.deepEqual(cannedAcl('bucket-owner-full-control', owners).grants[0]?.permission, 'FULL_CONTROL');
    assert.deepEqual(cannedAcl('bucket-owner-read', own), { grants: [] });
    assert.deepEqual(cannedAcl('bucket-owner-full-control', own), { grants: [] });
  });
  it('groups: public-read-write, authenticated-read, log-delivery-write; aws-exec-read is NotImplemented', () => {
    assert.deepEqual(cannedAcl('public-read-write', own).grants.map((g) => g.permission), ['READ', 'WRITE']);
    assert.deepEqual(cannedAcl('authenticated-read', own).grants, [{ grantee: { type: 'group', uri: AUTHENTICATED_USERS }, permission: 'READ' }]);
    assert.deepEqual(cannedAcl('log-delivery-write', own).grants.map((g) => [g.grantee, g.permission]), [[{ type: 'group', uri: LOG_DELIVERY }, 'WRITE'], [{ type: 'group', uri: LOG_DELIVERY }, 'READ_ACP']]);
    assert.throws(() => cannedAcl('aws-exec-read', own), (e: { code?: string }) => e.code === 'NotImplemented');
    assert.throws(() => cannedAcl('world-writable', own), (e: { code?: string }) => e.code === 'InvalidArgument');
  });
});

describe('explicit ACLs (grant headers, AccessControlPolicy documents)', () => {
  it('the owner has exactly the grants that name them; duplicates count once', () => {
    const read = { grantee: { type: 'group' as const, uri: ALL_USERS }, permission: 'READ' as const };
    assert.deepEqual(explicitAcl([read, read], 'o'), { grants: [read], owner: [] });
    assert.deepEqual(explicitAcl([{ grantee: { type: 'user', id: 'o' }, permission: 'FULL_CONTROL' }, read], 'o'), { grants: [read] });
    assert.deepEqual(explicitAcl([{ grantee: { type: 'user', id: 'o' }, permission: 'READ' }], 'o'), { grants: [], owner: ['READ'] });
    assert.equal(serialiseAcl(explicitAcl([{ grantee: { type: 'user', id: 'o' }, permission: 'FULL_CONTROL' }], 'o')), null, 'the same as private');
    assert.equal(serialiseAcl(explicitAcl([], 'o')), '{"grants":[],"owner":[]}', 'everything revoked');
    assert.deepEqual(ownerPermissions({ grants: [] }), ['FULL_CONTROL']);
  });
  it('the owner holds their grants, and always READ_ACP/WRITE_ACP', () => {
    const revoked: Acl = { grants: [], owner: [] };
    const who = { userId: 'o', authenticated: true };
    assert.equal(aclGrants(revoked, 'READ', who, 'o'), false);
    assert.equal(aclGrants(revoked, 'READ_ACP', who, 'o'), true);
    assert.equal(aclGrants(revoked, 'WRITE_ACP', who, 'o'), true);
    assert.equal(aclGrants({ grants: [] }, 'READ', who, 'o'), true);
    assert.equal(aclGrants({ grants: [] }, 'READ', who), false, 'without an owner to speak for');
    assert.equal(aclGrants({ grants: [], owner: ['READ'] }, 'WRITE', who, 'o'), false);
  });
});

describe('"The meaning of public"', () => {
  const policy = (statement: unknown) => parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement: [statement] }), 'b');
  const anyone = { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' };
  it('ACLs: AllUsers and AuthenticatedUsers grants are public, others not', () => {
    assert.equal(aclIsPublic(cannedAcl('public-read', own)), true);
    assert.equal(aclIsPublic(cannedAcl('authenticated-read', own)), true);
    assert.equal(aclIsPublic(cannedAcl('log-delivery-write', own)), false);
    assert.equal(aclIsPublic(cannedAcl('bucket-owner-read', owners)), false);
  });
  it('policies: everyone without a pinning condition is public', () => {
    assert.equal(policyIsPublic(policy(anyone)), true);
    assert.equal(policyIsPublic(policy({ ...anyone, Effect: 'Deny' })), false);
    assert.equal(policyIsPublic(policy({ ...anyone, Principal: { AWS: 'arn:aws:iam:::user/alice' } })), false);
    assert.equal(policyIsPublic(policy({ ...anyone, Principal: undefined, NotPrincipal: { AWS: 'arn:aws:iam:::user/alice' } })), true);
    assert.equal(policyIsPublic(policy({ ...anyone, Condition: { IpAddress: { 'aws:SourceIp': ['192.0.2.0/24', '2001:db8::/32'] } } })), false);
    assert.equal(policyIsPublic(policy({ ...anyone, Condition: { IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } } })), true);
    assert.equal(policyIsPublic(policy({ ...anyone, Condition: { NotIpAddress: { 'aws:SourceIp': '192.0.2.0/24' } } })), true);
    assert.equal(policyIsPublic(policy({ ...anyone, Condition: { StringEquals: { 'aws:username': 'alice' } } })), false);
    assert.equal(policyIsPublic(policy({ ...anyone, Condition: { StringLike: { 'aws:username': 'a*' } } })), true, 'a wildcard pins nobody');
    assert.equal(policyIsPublic(policy({ ...anyone, Condition: { StringLike: { 'aws:UserAgent': 'curl/*' } } })), true);
    assert.equal(policyIsPublic(policy({ ...anyone, Condition: { StringEqualsIfExists: { 'aws:SourceArn': 'arn:aws:s3:::x' } } })), true, 'IfExists holds without the key');
  });
  it('a bucket is public through either', () => {
    assert.equal(bucketIsPublic(undefined, cannedAcl('public-read', own)), true);
    assert.equal(bucketIsPublic(policy({ ...anyone, Principal: { AWS: 'arn:aws:iam:::user/alice' } }), { grants: [] }), false);
    assert.equal(bucketIsPublic(policy(anyone), { grants: [] }), true);
  });
});
