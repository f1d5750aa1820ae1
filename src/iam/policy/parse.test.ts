/**
 * parsePolicy: the normalised form, and malformed policies with the exact message a client will see in
 * `MalformedPolicy`. Documents come from the S3 "Examples of Amazon S3 bucket policies" page and the IAM
 * grammar / condition-operator pages, with the bucket renamed to `photos`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parsePolicy, PolicyError } from './parse.js';

const doc = (statement: unknown, extra: Record<string, unknown> = { Version: '2012-10-17' }): string =>
  JSON.stringify({ ...extra, Statement: statement });
const base = { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::photos/*' };

describe('parsePolicy accepts', () => {
  it('the public-read example and keeps the original JSON', () => {
    // S3 examples: "Granting read-only permission to a public anonymous user"
    const json = doc([{ Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: ['arn:aws:s3:::photos/*'] }]);
    const p = parsePolicy(json, 'photos');
    assert.equal(p.json, json);
    assert.equal(p.version, '2012-10-17');
    assert.equal(p.statements[0]!.sid, 'PublicRead');
    assert.deepEqual(p.statements[0]!.principal, { negated: false, matchers: [{ kind: 'any' }] });
    assert.equal(p.statements[0]!.action.patterns.length, 2);
  });

  it('{"AWS": [...]} principals with users and groups, and a lone statement object', () => {
    // S3 examples: "Granting permissions to multiple accounts" (accounts become Granary users/groups)
    const p = parsePolicy(doc({ ...base, Principal: { AWS: ['arn:aws:iam:::user/alice', 'arn:aws:iam:::group/cedadev-o-members'] } }), 'photos');
    assert.deepEqual(p.statements[0]!.principal.matchers, [{ kind: 'user', name: 'alice' }, { kind: 'group', name: 'cedadev-o-members' }]);
  });

  it('NotPrincipal, NotAction, NotResource as negated elements', () => {
    // IAM docs: "NotPrincipal", "NotAction", "NotResource" element pages
    const p = parsePolicy(doc([{ Effect: 'Deny', NotPrincipal: { AWS: 'arn:aws:iam:::user/admin' }, NotAction: 's3:Get*', NotResource: 'arn:aws:s3:::photos/public/*' }]), 'photos');
    const s = p.statements[0]!;
    assert.equal(s.principal.negated && s.action.negated && s.resource.negated, true);
  });

  it('condition keys are normalised to lower case, keeping a tag key as written', () => {
    // S3 examples: "Restricting access based on object tags" (s3:ExistingObjectTag/<key>)
    const p = parsePolicy(doc({ ...base, Condition: { StringEquals: { 's3:ExistingObjectTag/Environment': 'Production', 'AWS:SourceIp': '1' } } }), 'photos');
    assert.deepEqual(p.statements[0]!.conditions.map((c) => c.key), ['s3:existingobjecttag/Environment', 'aws:sourceip']);
  });

  it('a policy without Version treats ${…} as literal text', () => {
    // IAM docs "Policy variables": variables need "Version": "2012-10-17"
    const p = parsePolicy(doc({ ...base, Resource: 'arn:aws:s3:::photos/${aws:username}/*' }, {}), 'photos');
    assert.equal(p.version, undefined);
    assert.equal(p.statements[0]!.resource.patterns[0]!.hasVariables, false);
  });

  it('JSON booleans and numbers as condition values; date and CIDR values', () => {
    // IAM condition operators page: Bool, NumericLessThanEquals, DateGreaterThan, IpAddress examples
    const p = parsePolicy(doc({ ...base, Condition: {
      Bool: { 'aws:SecureTransport': false }, NumericLessThanEquals: { 's3:max-keys': 10 },
      DateGreaterThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' }, IpAddress: { 'aws:SourceIp': ['192.0.2.0/24', '2001:DB8:1234:5678::/64'] },
    } }), 'photos');
    assert.equal(p.statements[0]!.conditions.length, 4);
  });

  it('a bucket-wide wildcard resource that covers this bucket', () => {
    // IAM docs "Resource": wildcards in the resource ARN
    assert.doesNotThrow(() => parsePolicy(doc({ ...base, Resource: ['arn:aws:s3:::phot?s', 'arn:aws:s3:::*/*'] }), 'photos'));
  });
});

// 2-byte characters: 10,300 characters but over 20,480 bytes.
const oversized = doc({ ...base, Sid: 'é'.repeat(10_300) });

// [doc example it comes from, policy JSON, exact message]
const malformed: [string, string, string][] = [
  ['S3 PutBucketPolicy: body is not JSON', '{"Statement": [', "Policies must be valid JSON and the first byte must be '{'"],
  ['S3 PutBucketPolicy: body is a JSON array', '[]', "Policies must be valid JSON and the first byte must be '{'"],
  ['IAM grammar: Version values', doc(base, { Version: '2012-10-18' }), 'Version must be "2012-10-17" or "2008-10-17"'],
  ['IAM grammar: top-level fields', JSON.stringify({ Version: '2012-10-17', Statement: base, Condition: {} }), 'Policy has an unknown field: Condition'],
  ['IAM grammar: Statement is required', JSON.stringify({ Version: '2012-10-17' }), 'Policy is missing required field Statement'],
  ['IAM grammar: Statement list', doc([]), 'Statement must contain at least one statement'],
  ['IAM grammar: Effect', doc([base, base, { ...base, Effect: 'allow' }]), 'Statement[2].Effect must be "Allow" or "Deny"'],
  ['IAM grammar: Effect is required', doc({ ...base, Effect: undefined }), 'Statement[0].Effect must be "Allow" or "Deny"'],
  ['IAM grammar: statement fields', doc({ ...base, Actions: 's3:GetObject' }), 'Statement[0] has an unknown field: Actions'],
  ['IAM grammar: unique Sid', doc([{ ...base, Sid: 'a' }, { ...base, Sid: 'a' }]), 'Statement IDs (SID) in a single policy must be unique: "a"'],
  ['S3 bucket policies: Principal required', doc({ ...base, Principal: undefined }), 'Statement[0] is missing required field Principal or NotPrincipal'],
  ['IAM NotPrincipal page', doc({ ...base, NotPrincipal: '*' }), 'Statement[0] cannot have both Principal and NotPrincipal'],
  ['IAM Principal page: account principals', doc({ ...base, Principal: { AWS: 'arn:aws:iam::111122223333:root' } }),
    'Invalid principal in policy: Statement[0].Principal has "arn:aws:iam::111122223333:root"; expected "*", arn:aws:iam:::user/<name> or arn:aws:iam:::group/<name>'],
  ['IAM Principal page: service principals other than log delivery', doc({ ...base, Principal: { Service: 'cloudtrail.amazonaws.com' } }),
    'Invalid principal in policy: Statement[0].Principal has service "cloudtrail.amazonaws.com"; the only service is logging.s3.amazonaws.com'],
  ['IAM Principal page: other principal types', doc({ ...base, Principal: { CanonicalUser: 'abc' } }),
    'Invalid principal in policy: Statement[0].Principal has "CanonicalUser"; only "AWS" and "Service" are supported'],
  ['IAM Principal page: no wildcards inside ARNs', doc({ ...base, Principal: 'arn:aws:iam:::user/*' }),
    'Invalid principal in policy: Statement[0].Principal has "arn:aws:iam:::user/*"; expected "*", arn:aws:iam:::user/<name> or arn:aws:iam:::group/<name>'],
  ['IAM Principal page: empty list', doc({ ...base, Principal: { AWS: [] } }), 'Invalid principal in policy: Statement[0].Principal must be "*", an ARN, or a list of ARNs'],
  ['S3 actions list: misspelt action', doc({ ...base, Action: 's3:GetObjet' }), 'Policy has an invalid action: Statement[0].Action "s3:GetObjet"'],
  ['S3 bucket policies: only s3 actions', doc({ ...base, Action: ['s3:GetObject', 'iam:CreateUser'] }), 'Policy has an invalid action: Statement[0].Action "iam:CreateUser"'],
  ['IAM NotAction page', doc({ ...base, Action: undefined, NotAction: 7 }), 'Policy has an invalid action: Statement[0].NotAction must be a string or a list of strings'],
  ['S3 bucket policies: resource in another bucket', doc({ ...base, Resource: 'arn:aws:s3:::other-bucket/*' }), 'Policy has invalid resource: arn:aws:s3:::other-bucket/*'],
  ['S3 bucket policies: resource of another service', doc({ ...base, Resource: 'arn:aws:iam:::user/alice' }), 'Policy has invalid resource: arn:aws:iam:::user/alice'],
  ['IAM variables: variable in the bucket name', doc({ ...base, Resource: 'arn:aws:s3:::${aws:username}/*' }), 'Policy has invalid resource: arn:aws:s3:::${aws:username}/*'],
  ['IAM variables: unterminated variable', doc({ ...base, Resource: 'arn:aws:s3:::photos/${aws:username/*' }),
    'Statement[0].Resource has an unterminated policy variable in "arn:aws:s3:::photos/${aws:username/*"'],
  ['IAM condition operators: names', doc({ ...base, Condition: { StringEqualz: { 's3:prefix': 'a' } } }), 'Unknown condition operator StringEqualz'],
  ['IAM multivalued keys: set qualifiers', doc({ ...base, Condition: { 'ForSomeValues:StringEquals': { 's3:prefix': 'a' } } }), 'Unknown condition operator ForSomeValues:StringEquals'],
  ['IAM condition operators: Null has no IfExists', doc({ ...base, Condition: { NullIfExists: { 's3:prefix': 'true' } } }), 'Unknown condition operator NullIfExists'],
  ['IAM global condition keys: misspelt key', doc({ ...base, Condition: { IpAddress: { 'aws:SourceIpp': '192.0.2.0/24' } } }), 'Policy has an invalid condition key: aws:SourceIpp'],
  ['IAM condition operators: Numeric', doc({ ...base, Condition: { NumericLessThanEquals: { 's3:max-keys': 'ten' } } }),
    'Statement[0].Condition.NumericLessThanEquals["s3:max-keys"]: "ten" is not a number'],
  ['IAM condition operators: Date', doc({ ...base, Condition: { DateGreaterThan: { 'aws:CurrentTime': '30/06/2020' } } }),
    'Statement[0].Condition.DateGreaterThan["aws:CurrentTime"]: "30/06/2020" is not an ISO 8601 date or epoch time'],
  ['IAM condition operators: Bool', doc({ ...base, Condition: { Bool: { 'aws:SecureTransport': 'yes' } } }),
    'Statement[0].Condition.Bool["aws:SecureTransport"]: "yes" must be "true" or "false"'],
  ['IAM condition operators: IpAddress', doc({ ...base, Condition: { NotIpAddress: { 'aws:SourceIp': '192.0.2.0/33' } } }),
    'Statement[0].Condition.NotIpAddress["aws:SourceIp"]: "192.0.2.0/33" is not an IP address or CIDR block'],
  ['IAM condition operators: ARN', doc({ ...base, Condition: { ArnLike: { 'aws:SourceArn': 'photos' } } }),
    'Statement[0].Condition.ArnLike["aws:SourceArn"]: "photos" is not an ARN'],
  ['IAM multivalued keys: empty value list', doc({ ...base, Condition: { StringLike: { 's3:prefix': [] } } }),
    'Statement[0].Condition.StringLike["s3:prefix"] must have at least one value'],
  ['S3 bucket policies: 20 KB limit, counted in UTF-8 bytes', oversized, `Policy is ${Buffer.byteLength(oversized)} bytes; a bucket policy may be at most 20480 bytes (20 KB)`],
];

describe('parsePolicy rejects', () => {
  for (const [source, json, message] of malformed) {
    it(`${source}`, () => {
      assert.throws(() => parsePolicy(json, 'photos'), (e: unknown) => {
        assert.ok(e instanceof PolicyError);
        assert.equal(e.message, message);
        return true;
      });
    });
  }
});
