import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addGrant, readGrants, removeGrant, setPublicStatement } from './grants.js';
import { parsePolicy } from './policy/parse.js';
import { evaluate } from './policy/evaluate.js';
import { policyIsPublic } from './public-access.js';

const user = (username: string, groups: string[] = []) => ({ kind: 'user' as const, username, groups });
const decide = (json: string, principal: ReturnType<typeof user>, action: string, resource: string, prefix?: string) =>
  evaluate([parsePolicy(json, 'b')], { principal, action, resource, context: prefix === undefined ? {} : { 's3:prefix': prefix } }).effect;

describe('grants as policy statements', () => {
  test('a grant reads back as written, is enforced by the policy evaluator, and is replaced, not doubled', () => {
    const a = addGrant(null, 'b', { principal: { kind: 'group', name: 'climate' }, access: 'read', prefix: 'raw/' });
    assert.deepEqual(readGrants(a.policy, 'b').grants, [{ id: a.grant.id, principal: { kind: 'group', name: 'climate' }, access: 'read', prefix: 'raw/' }]);
    const uma = user('uma', ['climate']);
    assert.equal(decide(a.policy, uma, 's3:getobject', 'arn:aws:s3:::b/raw/x.nc'), 'Allow');
    assert.equal(decide(a.policy, uma, 's3:getobject', 'arn:aws:s3:::b/other.nc'), 'NoMatch');
    assert.equal(decide(a.policy, uma, 's3:putobject', 'arn:aws:s3:::b/raw/x.nc'), 'NoMatch');
    assert.equal(decide(a.policy, uma, 's3:listbucket', 'arn:aws:s3:::b', 'raw/'), 'Allow');
    assert.equal(decide(a.policy, uma, 's3:listbucket', 'arn:aws:s3:::b', ''), 'NoMatch', 'listing outside the prefix is not granted');
    assert.equal(decide(a.policy, user('nick'), 's3:getobject', 'arn:aws:s3:::b/raw/x.nc'), 'NoMatch');
    const b = addGrant(a.policy, 'b', { principal: { kind: 'group', name: 'climate' }, access: 'read-write', prefix: 'raw/' });
    assert.equal(b.grant.id, a.grant.id);
    assert.equal(readGrants(b.policy, 'b').grants.length, 1);
    assert.equal(decide(b.policy, uma, 's3:putobject', 'arn:aws:s3:::b/raw/x.nc'), 'Allow');
  });

  test('hand-written statements are kept and counted; removing the last grant leaves no policy', () => {
    const hand = JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'Mine', Effect: 'Deny', Principal: '*', Action: 's3:DeleteObject', Resource: 'arn:aws:s3:::b/keep/*' }] });
    const a = addGrant(hand, 'b', { principal: { kind: 'user', name: 'alice' }, access: 'full', prefix: '' });
    const r = readGrants(a.policy, 'b');
    assert.equal(r.otherStatements, 1);
    assert.equal(r.grants[0]!.access, 'full');
    const removed = removeGrant(a.policy, 'b', a.grant.id)!;
    assert.equal(JSON.parse(removed.policy!).Statement[0].Sid, 'Mine');
    assert.equal(removeGrant(a.policy, 'b', 'ffffffffffff'), undefined);
    const only = addGrant(null, 'b', { principal: { kind: 'user', name: 'alice' }, access: 'read', prefix: '' });
    assert.equal(removeGrant(only.policy, 'b', only.grant.id)!.policy, null);
  });

  test('"make public" is public by the one rule (public-access.ts), and undone', () => {
    const on = setPublicStatement(null, 'b', true)!;
    assert.equal(policyIsPublic(parsePolicy(on, 'b')), true);
    assert.equal(readGrants(on, 'b').publicStatement, true);
    const withGrant = addGrant(on, 'b', { principal: { kind: 'user', name: 'alice' }, access: 'read', prefix: '' }).policy;
    const off = setPublicStatement(withGrant, 'b', false)!;
    assert.equal(policyIsPublic(parsePolicy(off, 'b')), false);
    assert.equal(readGrants(off, 'b').grants.length, 1);
    assert.equal(setPublicStatement(on, 'b', false), null);
  });

  test('wildcards in a prefix and full control on a prefix are refused', () => {
    assert.throws(() => addGrant(null, 'b', { principal: { kind: 'user', name: 'a' }, access: 'read', prefix: 'r*' }), /may not contain/);
    assert.throws(() => addGrant(null, 'b', { principal: { kind: 'user', name: 'a' }, access: 'full', prefix: 'raw/' }), /whole bucket/);
  });
});
