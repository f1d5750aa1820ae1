/**
 * Whether a bucket is public, as AWS defines it in "The meaning of public" (Blocking public access): its
 * ACL grants anything to AllUsers or AuthenticatedUsers, or its policy allows everyone something without
 * a condition that pins the request to fixed values (source addresses, a fixed principal and the like).
 * One home for the rule: GetBucketPolicyStatus and the portal both ask here.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status
 */
import { aclIsPublic, type Acl } from './acl.js';
import type { Condition, Policy, Statement } from './policy/types.js';

/**
 * Condition keys that, held to fixed values, keep an Allow for everyone from being public (AWS's list, plus
 * the keys that name the principal in Granary: its users are named by username and ARN).
 */
const PINNING_KEYS = new Set([
  'aws:sourcearn', 'aws:sourcevpc', 'aws:sourcevpce', 'aws:sourceowner', 'aws:sourceaccount', 'aws:userid',
  'aws:principalorgid', 'aws:principalaccount', 'aws:principalarn', 's3:x-amz-server-side-encryption-aws-kms-key-id',
  's3:dataaccesspointarn', 's3:dataaccesspointaccount', 'aws:username',
]);

/** A condition that limits who can match to fixed values. */
function pins(c: Condition): boolean {
  if (c.negated || c.ifExists || c.qualifier === 'ForAllValues') return false;
  const t = c.test;
  if (c.key === 'aws:sourceip') return t.family === 'IpAddress' && t.values.every((cidr) => cidr.prefixLength > 0);
  if (!PINNING_KEYS.has(c.key)) return false;
  // Fixed values: no wildcards, no policy variables.
  if (t.family !== 'String' && t.family !== 'Arn') return false;
  return t.values.every((p) => p.tokens.every((tok) => tok.kind === 'literal'));
}

/** An Allow that applies to everyone (`*`, or all but some via NotPrincipal) with nothing pinning it. */
function statementIsPublic(s: Statement): boolean {
  if (s.effect !== 'Allow') return false;
  const everyone = s.principal.negated || s.principal.matchers.some((m) => m.kind === 'any');
  return everyone && !s.conditions.some(pins);
}

export function policyIsPublic(policy: Policy): boolean {
  return policy.statements.some(statementIsPublic);
}

/** Public through its policy or its ACL. */
export function bucketIsPublic(policy: Policy | undefined, acl: Acl): boolean {
  return (policy !== undefined && policyIsPublic(policy)) || aclIsPublic(acl);
}
