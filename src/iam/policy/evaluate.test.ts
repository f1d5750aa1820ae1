/**
 * evaluate(): table-driven cases built from the AWS documentation examples (S3 "Examples of Amazon S3 bucket
 * policies"; IAM "Condition operators", "Conditions with multiple context keys or values", "Policy variables",
 * "NotPrincipal", "NotAction", "NotResource", "Policy evaluation logic"), with the bucket renamed `photos`.
 * Every row names the example it comes from.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parsePolicy } from './parse.js';
import { evaluate } from './evaluate.js';
import type { Policy, PolicyDecision, PolicyRequest } from './types.js';

const B = 'arn:aws:s3:::photos';
const policy = (statement: unknown, version: string | undefined = '2012-10-17'): Policy =>
  parsePolicy(JSON.stringify(version ? { Version: version, Statement: statement } : { Statement: statement }), 'photos');

const anonymous = { kind: 'anonymous' } as const;
const user = (username: string, groups: string[] = []): PolicyRequest['principal'] => ({ kind: 'user', username, groups });
const alice = user('alice', ['cedadev-o-members']);
const bob = user('bob');

const P = {
  // S3 examples: "Granting read-only permission to a public anonymous user"
  publicRead: policy([{ Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: `${B}/*` }]),
  // S3 examples: "Granting permissions to multiple accounts with added conditions" (accounts → users, groups)
  namedPrincipals: policy([{ Effect: 'Allow', Principal: { AWS: ['arn:aws:iam:::user/alice', 'arn:aws:iam:::group/editors'] }, Action: ['s3:PutObject', 's3:PutObjectAcl'], Resource: `${B}/*` }]),
  // S3 examples: "Managing access based on specific IP addresses" (IPv4 and IPv6 ranges, deny outside them)
  ipRestricted: policy([
    { Sid: 'AllowAll', Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: [B, `${B}/*`] },
    { Sid: 'IPAllow', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: [B, `${B}/*`],
      Condition: { NotIpAddress: { 'aws:SourceIp': ['192.0.2.0/24', '2001:DB8:1234:5678::/64'] } } },
  ]),
  // S3 examples: "Managing access based on HTTP or HTTPS requests" (deny when aws:SecureTransport is false)
  httpsOnly: policy([
    { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `${B}/*` },
    { Sid: 'RestrictToTLSRequestsOnly', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: [B, `${B}/*`], Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
  ]),
  // S3 examples: "Managing user access to specific folders"; IAM "Policy variables": ${aws:username} home folders
  homeFolders: policy([
    { Sid: 'AllowListingOfUserFolder', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam:::group/cedadev-o-members' }, Action: 's3:ListBucket', Resource: B,
      Condition: { StringLike: { 's3:prefix': ['', 'home/', 'home/${aws:username}/*'] } } },
    { Sid: 'AllowAllS3ActionsInUserFolder', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam:::group/cedadev-o-members' }, Action: 's3:*Object', Resource: `${B}/home/\${aws:username}/*` },
  ]),
  // IAM "Policy variables": without Version 2012-10-17, ${aws:username} is literal text
  homeFolders2008: policy([{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `${B}/home/\${aws:username}/*` }], '2008-10-17'),
  // IAM "Policy variables with no value": public area plus per-user area; anonymous has no aws:username
  publicAndHome: policy([{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: [`${B}/public/*`, `${B}/home/\${aws:username}/*`] }]),
  // IAM "Specifying default values": ${aws:username, 'anonymous'}
  withDefault: policy([{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `${B}/home/\${aws:username, 'anonymous'}/*` }]),
  // IAM "Special characters": ${*} is a literal asterisk
  literalStar: policy([{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `${B}/literal-\${*}` }]),
  // IAM "Conditions with multiple context keys or values": ForAllValues with aws:TagKeys
  forAllValues: policy([{ Effect: 'Allow', Principal: '*', Action: 's3:PutObject', Resource: `${B}/*`, Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['environment', 'cost-center'] } } }]),
  // Same page: ForAnyValue with aws:TagKeys
  forAnyValue: policy([{ Effect: 'Allow', Principal: '*', Action: 's3:PutObject', Resource: `${B}/*`, Condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['environment', 'cost-center'] } } }]),
  // Same page, negated set operators: ForAnyValue:StringNotEquals / ForAllValues:StringNotLike
  forAnyValueNot: policy([{ Effect: 'Allow', Principal: '*', Action: 's3:PutObject', Resource: `${B}/*`, Condition: { 'ForAnyValue:StringNotEquals': { 'aws:TagKeys': ['environment'] } } }]),
  forAllValuesNotLike: policy([{ Effect: 'Allow', Principal: '*', Action: 's3:PutObject', Resource: `${B}/*`, Condition: { 'ForAllValues:StringNotLike': { 'aws:TagKeys': ['secret*'] } } }]),
  // S3 examples: "Require SSE" — deny PutObject when the encryption header is absent (Null condition)
  requireSse: policy([
    { Effect: 'Allow', Principal: '*', Action: 's3:PutObject', Resource: `${B}/*` },
    { Sid: 'DenyUnencrypted', Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource: `${B}/*`, Condition: { Null: { 's3:x-amz-server-side-encryption': 'true' } } },
  ]),
  // IAM condition operators, Date: "Allows access based on date and time" (aws:CurrentTime window)
  dateWindow: policy([{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `${B}/*`,
    Condition: { DateGreaterThan: { 'aws:CurrentTime': '2020-04-01T00:00:00Z' }, DateLessThan: { 'aws:CurrentTime': '2020-06-30T23:59:59Z' } } }]),
  // Same, with epoch seconds on aws:EpochTime (2020-05-01T00:00:00Z = 1588291200)
  epochWindow: policy([{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `${B}/*`, Condition: { DateLessThanEquals: { 'aws:EpochTime': '1588291200' } } }]),
  // IAM "NotPrincipal": Deny everyone except the named user (and a group), alongside an Allow
  notPrincipal: policy([
    { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `${B}/*` },
    { Sid: 'OnlyAdmins', Effect: 'Deny', NotPrincipal: { AWS: ['arn:aws:iam:::user/admin', 'arn:aws:iam:::group/auditors'] }, Action: 's3:*', Resource: [B, `${B}/*`] },
  ]),
  // IAM "NotAction": allow every S3 action except DeleteBucket
  notAction: policy([{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam:::user/alice' }, NotAction: 's3:DeleteBucket', Resource: [B, `${B}/*`] }]),
  // IAM "NotResource": deny everything outside public/ for anonymous users (with a broad Allow)
  notResource: policy([
    { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `${B}/*` },
    { Sid: 'OnlyPublic', Effect: 'Deny', Principal: '*', Action: 's3:GetObject', NotResource: `${B}/public/*` },
  ]),
  // S3 examples: "Restricting access to a specific HTTP referer" (StringLike aws:Referer)
  referer: policy([{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `${B}/*`, Condition: { StringLike: { 'aws:Referer': ['https://www.example.com/*', 'https://example.com/*'] } } }]),
  // IAM condition operators, StringEqualsIgnoreCase
  ignoreCase: policy([{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `${B}/*`, Condition: { StringEqualsIgnoreCase: { 'aws:Referer': 'HTTPS://Example.com/' } } }]),
  // S3 examples: "Limiting the number of keys returned" (s3:max-keys with NumericGreaterThan deny)
  maxKeys: policy([
    { Effect: 'Allow', Principal: '*', Action: 's3:ListBucket', Resource: B },
    { Effect: 'Deny', Principal: '*', Action: 's3:ListBucket', Resource: B, Condition: { NumericGreaterThan: { 's3:max-keys': '100' } } },
  ]),
  // IAM condition operators, "…IfExists": the condition holds when the key is absent
  ifExists: policy([{ Effect: 'Allow', Principal: '*', Action: 's3:ListBucket', Resource: B, Condition: { NumericLessThanEqualsIfExists: { 's3:max-keys': '100' } } }]),
  // IAM condition operators: negated operator with a missing key evaluates true
  stringNotEquals: policy([{ Effect: 'Deny', Principal: '*', Action: 's3:ListBucket', Resource: B, Condition: { StringNotEquals: { 's3:delimiter': ['/', '|'] } } }]),
  // S3 examples: "Restricting access based on object tags" (s3:ExistingObjectTag/<key>)
  objectTag: policy([{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `${B}/*`, Condition: { StringEquals: { 's3:ExistingObjectTag/environment': 'production' } } }]),
  // IAM condition operators, ARN: ArnLike matches each colon-separated component separately
  arnLike: policy([{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `${B}/*`, Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:s3:::photo*' } } }]),
  // IAM "Conditions with multiple context keys or values": two keys under one operator are ANDed
  twoKeys: policy([{ Effect: 'Allow', Principal: '*', Action: 's3:ListBucket', Resource: B, Condition: { StringEquals: { 's3:prefix': 'data/', 's3:delimiter': '/' } } }]),
  // IAM "Policy variables" in condition values: ${aws:username} in StringLike
  conditionVariable: policy([{ Effect: 'Allow', Principal: '*', Action: 's3:ListBucket', Resource: B, Condition: { StringLike: { 's3:prefix': 'home/${aws:username}/*' } } }]),
  // IAM "Policy variables": a negated operator with an unresolvable variable does not apply
  negatedVariable: policy([{ Effect: 'Deny', Principal: '*', Action: 's3:ListBucket', Resource: B, Condition: { StringNotLike: { 's3:prefix': 'home/${aws:username}/*' } } }]),
  // IAM "Policy evaluation logic": a Deny in one policy overrides an Allow in another
  allowOnly: policy([{ Sid: 'AllowGet', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `${B}/*` }]),
  denyOnly: policy([{ Sid: 'DenySecret', Effect: 'Deny', Principal: '*', Action: 's3:GetObject', Resource: `${B}/secret/*` }]),
};

type Expect = PolicyDecision['effect'] | [PolicyDecision['effect'], number, number?];
interface Case {
  /** Doc example the case comes from. */ source: string;
  policies: Policy[];
  principal?: PolicyRequest['principal'];
  action?: string;
  resource?: string;
  context?: PolicyRequest['context'];
  /** Effect, or [effect, statement index, policy index]. */ expect: Expect;
}

const obj = (key: string): string => `${B}/${key}`;
const cases: Case[] = [
  // S3 examples: public anonymous read
  { source: 'S3: public read, anonymous GetObject', policies: [P.publicRead], principal: anonymous, expect: ['Allow', 0] },
  { source: 'S3: public read, action names are case-insensitive', policies: [P.publicRead], principal: anonymous, action: 's3:getobject', expect: 'Allow' },
  { source: 'S3: public read does not grant PutObject', policies: [P.publicRead], principal: anonymous, action: 's3:PutObject', expect: 'NoMatch' },
  { source: 'S3: public read covers objects, not the bucket (ListBucket)', policies: [P.publicRead], action: 's3:ListBucket', resource: B, expect: 'NoMatch' },
  { source: 'S3: public read, resources are case-sensitive', policies: [P.publicRead], resource: 'arn:aws:s3:::Photos/a.jpg', expect: 'NoMatch' },
  // S3 examples: granting to specific principals
  { source: 'S3: named user may PutObject', policies: [P.namedPrincipals], principal: alice, action: 's3:PutObject', expect: 'Allow' },
  { source: 'S3: member of a named group may PutObject', policies: [P.namedPrincipals], principal: user('carol', ['editors']), action: 's3:PutObject', expect: 'Allow' },
  { source: 'S3: a user not named gets no match', policies: [P.namedPrincipals], principal: bob, action: 's3:PutObject', expect: 'NoMatch' },
  { source: 'S3: anonymous is not a named principal', policies: [P.namedPrincipals], principal: anonymous, action: 's3:PutObject', expect: 'NoMatch' },
  // S3 examples: IP restriction
  { source: 'S3 IP example: inside the IPv4 range', policies: [P.ipRestricted], context: { 'aws:sourceip': '192.0.2.10' }, expect: ['Allow', 0] },
  { source: 'S3 IP example: outside every range is denied', policies: [P.ipRestricted], context: { 'aws:sourceip': '203.0.113.5' }, expect: ['Deny', 1] },
  { source: 'S3 IP example: inside the IPv6 range', policies: [P.ipRestricted], context: { 'aws:sourceip': '2001:db8:1234:5678::1' }, expect: 'Allow' },
  { source: 'S3 IP example: outside the IPv6 range', policies: [P.ipRestricted], context: { 'aws:sourceip': '2001:db8:1234:5679::1' }, expect: 'Deny' },
  { source: 'S3 IP example: IPv4-mapped IPv6 client address (dual-stack socket)', policies: [P.ipRestricted], context: { 'aws:sourceip': '::ffff:192.0.2.10' }, expect: 'Allow' },
  { source: 'S3 IP example: no source IP → NotIpAddress is true → denied', policies: [P.ipRestricted], expect: 'Deny' },
  // S3 examples: HTTPS only
  { source: 'S3 HTTPS example: aws:SecureTransport false is denied', policies: [P.httpsOnly], context: { 'aws:securetransport': 'false' }, expect: ['Deny', 1] },
  { source: 'S3 HTTPS example: over TLS is allowed', policies: [P.httpsOnly], context: { 'aws:securetransport': 'true' }, expect: ['Allow', 0] },
  { source: 'S3 HTTPS example: Bool with the key absent is false, so the Deny does not apply', policies: [P.httpsOnly], expect: 'Allow' },
  // S3 examples / IAM policy variables: home folders
  { source: 'S3 folders: list own home folder', policies: [P.homeFolders], principal: alice, action: 's3:ListBucket', resource: B, context: { 's3:prefix': 'home/alice/', 'aws:username': 'alice' }, expect: ['Allow', 0] },
  { source: 'S3 folders: list the root (empty prefix)', policies: [P.homeFolders], principal: alice, action: 's3:ListBucket', resource: B, context: { 's3:prefix': '', 'aws:username': 'alice' }, expect: 'Allow' },
  { source: "S3 folders: cannot list another user's folder", policies: [P.homeFolders], principal: alice, action: 's3:ListBucket', resource: B, context: { 's3:prefix': 'home/bob/', 'aws:username': 'alice' }, expect: 'NoMatch' },
  { source: 'S3 folders: StringLike with s3:prefix absent is false', policies: [P.homeFolders], principal: alice, action: 's3:ListBucket', resource: B, context: { 'aws:username': 'alice' }, expect: 'NoMatch' },
  { source: 'S3 folders: read own object', policies: [P.homeFolders], principal: alice, resource: obj('home/alice/a.txt'), context: { 'aws:username': 'alice' }, expect: ['Allow', 1] },
  { source: 'S3 folders: s3:*Object wildcard action covers PutObject', policies: [P.homeFolders], principal: alice, action: 's3:PutObject', resource: obj('home/alice/a.txt'), context: { 'aws:username': 'alice' }, expect: 'Allow' },
  { source: "S3 folders: cannot read another user's object", policies: [P.homeFolders], principal: alice, resource: obj('home/bob/a.txt'), context: { 'aws:username': 'alice' }, expect: 'NoMatch' },
  { source: 'IAM variables: a substituted value is literal, "*" in a username is no wildcard', policies: [P.homeFolders], principal: user('a*', ['cedadev-o-members']), resource: obj('home/abc/x'), context: { 'aws:username': 'a*' }, expect: 'NoMatch' },
  { source: 'IAM variables: the literal match for a username with "*"', policies: [P.homeFolders], principal: user('a*', ['cedadev-o-members']), resource: obj('home/a*/x'), context: { 'aws:username': 'a*' }, expect: 'Allow' },
  { source: 'IAM variables: Version 2008-10-17 does not substitute', policies: [P.homeFolders2008], principal: alice, resource: obj('home/alice/x'), context: { 'aws:username': 'alice' }, expect: 'NoMatch' },
  { source: 'IAM variables: Version 2008-10-17 matches ${…} literally', policies: [P.homeFolders2008], principal: alice, resource: obj('home/${aws:username}/x'), context: { 'aws:username': 'alice' }, expect: 'Allow' },
  { source: 'IAM variables with no value: anonymous still reaches the other resource', policies: [P.publicAndHome], principal: anonymous, resource: obj('public/a'), expect: 'Allow' },
  { source: 'IAM variables with no value: the unresolvable resource matches nothing', policies: [P.publicAndHome], principal: anonymous, resource: obj('home/undefined/a'), expect: 'NoMatch' },
  { source: 'IAM variables: default value when the key is absent', policies: [P.withDefault], principal: anonymous, resource: obj('home/anonymous/a'), expect: 'Allow' },
  { source: 'IAM variables: the key wins over the default', policies: [P.withDefault], principal: alice, resource: obj('home/anonymous/a'), context: { 'aws:username': 'alice' }, expect: 'NoMatch' },
  { source: 'IAM special characters: ${*} is a literal "*"', policies: [P.literalStar], resource: obj('literal-*'), expect: 'Allow' },
  { source: 'IAM special characters: ${*} is not a wildcard', policies: [P.literalStar], resource: obj('literal-x'), expect: 'NoMatch' },
  { source: 'IAM variables in conditions: own prefix', policies: [P.conditionVariable], action: 's3:ListBucket', resource: B, context: { 's3:prefix': 'home/alice/x', 'aws:username': 'alice' }, expect: 'Allow' },
  { source: 'IAM variables in conditions: no username → no match', policies: [P.conditionVariable], principal: anonymous, action: 's3:ListBucket', resource: B, context: { 's3:prefix': 'home/alice/x' }, expect: 'NoMatch' },
  { source: 'IAM variables: negated operator, unresolvable variable → statement does not apply', policies: [P.negatedVariable], principal: anonymous, action: 's3:ListBucket', resource: B, context: { 's3:prefix': 'x' }, expect: 'NoMatch' },
  { source: 'IAM variables: negated operator, resolved, other prefix → Deny', policies: [P.negatedVariable], action: 's3:ListBucket', resource: B, context: { 's3:prefix': 'x', 'aws:username': 'alice' }, expect: 'Deny' },
  // IAM multivalued keys
  { source: 'IAM ForAllValues: every request tag key is allowed', policies: [P.forAllValues], action: 's3:PutObject', context: { 'aws:tagkeys': ['environment'] }, expect: 'Allow' },
  { source: 'IAM ForAllValues: one request tag key is not allowed', policies: [P.forAllValues], action: 's3:PutObject', context: { 'aws:tagkeys': ['environment', 'owner'] }, expect: 'NoMatch' },
  { source: 'IAM ForAllValues: missing key evaluates true', policies: [P.forAllValues], action: 's3:PutObject', expect: 'Allow' },
  { source: 'IAM ForAnyValue: one request value matches', policies: [P.forAnyValue], action: 's3:PutObject', context: { 'aws:tagkeys': ['owner', 'cost-center'] }, expect: 'Allow' },
  { source: 'IAM ForAnyValue: no request value matches', policies: [P.forAnyValue], action: 's3:PutObject', context: { 'aws:tagkeys': ['owner'] }, expect: 'NoMatch' },
  { source: 'IAM ForAnyValue: missing key evaluates false', policies: [P.forAnyValue], action: 's3:PutObject', expect: 'NoMatch' },
  { source: 'IAM ForAnyValue:StringNotEquals: some value is not "environment"', policies: [P.forAnyValueNot], action: 's3:PutObject', context: { 'aws:tagkeys': ['environment', 'owner'] }, expect: 'Allow' },
  { source: 'IAM ForAnyValue:StringNotEquals: every value is "environment"', policies: [P.forAnyValueNot], action: 's3:PutObject', context: { 'aws:tagkeys': ['environment'] }, expect: 'NoMatch' },
  { source: 'IAM ForAllValues:StringNotLike: no value is secret*', policies: [P.forAllValuesNotLike], action: 's3:PutObject', context: { 'aws:tagkeys': ['a', 'b'] }, expect: 'Allow' },
  { source: 'IAM ForAllValues:StringNotLike: one value is secret*', policies: [P.forAllValuesNotLike], action: 's3:PutObject', context: { 'aws:tagkeys': ['a', 'secret-x'] }, expect: 'NoMatch' },
  // Null
  { source: 'S3 require SSE: header absent → Null true → Deny', policies: [P.requireSse], action: 's3:PutObject', expect: ['Deny', 1] },
  { source: 'S3 require SSE: header present → allowed', policies: [P.requireSse], action: 's3:PutObject', context: { 's3:x-amz-server-side-encryption': 'AES256' }, expect: ['Allow', 0] },
  // Date
  { source: 'IAM Date example: inside the window', policies: [P.dateWindow], context: { 'aws:currenttime': '2020-05-01T12:00:00Z' }, expect: 'Allow' },
  { source: 'IAM Date example: after the window', policies: [P.dateWindow], context: { 'aws:currenttime': '2020-07-01T00:00:00Z' }, expect: 'NoMatch' },
  { source: 'IAM Date example: aws:CurrentTime absent', policies: [P.dateWindow], expect: 'NoMatch' },
  { source: 'IAM Date example: epoch seconds on aws:EpochTime (boundary is inclusive)', policies: [P.epochWindow], context: { 'aws:epochtime': '1588291200' }, expect: 'Allow' },
  { source: 'IAM Date example: epoch one second later', policies: [P.epochWindow], context: { 'aws:epochtime': '1588291201' }, expect: 'NoMatch' },
  // NotPrincipal
  { source: 'IAM NotPrincipal: other users are denied', policies: [P.notPrincipal], principal: bob, expect: ['Deny', 1] },
  { source: 'IAM NotPrincipal: anonymous is denied', policies: [P.notPrincipal], principal: anonymous, expect: 'Deny' },
  { source: 'IAM NotPrincipal: the named user is not denied', policies: [P.notPrincipal], principal: user('admin'), expect: ['Allow', 0] },
  { source: 'IAM NotPrincipal: a member of the named group is not denied', policies: [P.notPrincipal], principal: user('eve', ['auditors']), expect: 'Allow' },
  // NotAction
  { source: 'IAM NotAction: any other action is allowed', policies: [P.notAction], principal: alice, action: 's3:PutObject', expect: 'Allow' },
  { source: 'IAM NotAction: the excluded action is not', policies: [P.notAction], principal: alice, action: 's3:DeleteBucket', resource: B, expect: 'NoMatch' },
  // NotResource
  { source: 'IAM NotResource: inside public/ is allowed', policies: [P.notResource], principal: anonymous, resource: obj('public/a'), expect: ['Allow', 0] },
  { source: 'IAM NotResource: outside public/ is denied', policies: [P.notResource], principal: anonymous, resource: obj('private/a'), expect: ['Deny', 1] },
  // String operators
  { source: 'S3 referer example: matching referer', policies: [P.referer], context: { 'aws:referer': 'https://www.example.com/page' }, expect: 'Allow' },
  { source: 'S3 referer example: other referer', policies: [P.referer], context: { 'aws:referer': 'https://evil.example.net/' }, expect: 'NoMatch' },
  { source: 'IAM StringEqualsIgnoreCase', policies: [P.ignoreCase], context: { 'aws:referer': 'https://example.COM/' }, expect: 'Allow' },
  { source: 'IAM StringNotEquals: value in the list → NOR false → no Deny', policies: [P.stringNotEquals], action: 's3:ListBucket', resource: B, context: { 's3:delimiter': '|' }, expect: 'NoMatch' },
  { source: 'IAM StringNotEquals: value outside the list → Deny', policies: [P.stringNotEquals], action: 's3:ListBucket', resource: B, context: { 's3:delimiter': ',' }, expect: 'Deny' },
  { source: 'IAM condition operators: negated operator with the key absent → true → Deny', policies: [P.stringNotEquals], action: 's3:ListBucket', resource: B, expect: 'Deny' },
  { source: 'IAM multiple keys: both keys match (AND)', policies: [P.twoKeys], action: 's3:ListBucket', resource: B, context: { 's3:prefix': 'data/', 's3:delimiter': '/' }, expect: 'Allow' },
  { source: 'IAM multiple keys: one key differs', policies: [P.twoKeys], action: 's3:ListBucket', resource: B, context: { 's3:prefix': 'data/', 's3:delimiter': '|' }, expect: 'NoMatch' },
  // Numeric
  { source: 'S3 max-keys example: above the limit is denied', policies: [P.maxKeys], action: 's3:ListBucket', resource: B, context: { 's3:max-keys': '1000' }, expect: ['Deny', 1] },
  { source: 'S3 max-keys example: within the limit', policies: [P.maxKeys], action: 's3:ListBucket', resource: B, context: { 's3:max-keys': '100' }, expect: ['Allow', 0] },
  { source: 'S3 max-keys example: key absent → NumericGreaterThan false', policies: [P.maxKeys], action: 's3:ListBucket', resource: B, expect: 'Allow' },
  { source: 'IAM …IfExists: key absent → true', policies: [P.ifExists], action: 's3:ListBucket', resource: B, expect: 'Allow' },
  { source: 'IAM …IfExists: key present and too large', policies: [P.ifExists], action: 's3:ListBucket', resource: B, context: { 's3:max-keys': '101' }, expect: 'NoMatch' },
  // Tags and ARNs
  { source: 'S3 object tags example: tag matches', policies: [P.objectTag], context: { 's3:existingobjecttag/environment': 'production' }, expect: 'Allow' },
  { source: 'S3 object tags example: tag differs', policies: [P.objectTag], context: { 's3:existingobjecttag/environment': 'dev' }, expect: 'NoMatch' },
  { source: 'IAM ArnLike: component wildcard matches', policies: [P.arnLike], context: { 'aws:sourcearn': 'arn:aws:s3:::photos' }, expect: 'Allow' },
  { source: 'IAM ArnLike: a different service component does not', policies: [P.arnLike], context: { 'aws:sourcearn': 'arn:aws:sqs:::photos' }, expect: 'NoMatch' },
  // Evaluation logic
  { source: 'IAM evaluation logic: explicit Deny in a later policy overrides an Allow', policies: [P.allowOnly, P.denyOnly], resource: obj('secret/a'), expect: ['Deny', 0, 1] },
  { source: 'IAM evaluation logic: Allow when no Deny applies', policies: [P.allowOnly, P.denyOnly], resource: obj('open/a'), expect: ['Allow', 0, 0] },
  { source: 'IAM evaluation logic: no policies → implicit deny', policies: [], expect: 'NoMatch' },
];

describe('evaluate', () => {
  for (const c of cases) {
    it(c.source, () => {
      const request: PolicyRequest = {
        principal: c.principal ?? alice,
        action: c.action ?? 's3:GetObject',
        resource: c.resource ?? obj('a.jpg'),
        context: c.context ?? {},
      };
      const decision = evaluate(c.policies, request);
      const [effect, index, policyIndex] = Array.isArray(c.expect) ? c.expect : [c.expect];
      assert.equal(decision.effect, effect);
      if (effect === 'NoMatch') assert.equal(decision.statement, undefined);
      if (index !== undefined) assert.equal(decision.statement?.index, index);
      if (policyIndex !== undefined) assert.equal(decision.statement?.policyIndex, policyIndex);
    });
  }

  it('returns the Sid of the deciding statement (S3 public read example)', () => {
    assert.deepEqual(evaluate([P.publicRead], { principal: anonymous, action: 's3:GetObject', resource: obj('x'), context: {} }),
      { effect: 'Allow', statement: { policyIndex: 0, index: 0, sid: 'PublicRead' } });
  });
});
