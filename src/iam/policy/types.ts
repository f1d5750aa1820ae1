/**
 * The validated, normalised form of an S3 bucket policy.
 *
 * `parse.ts` turns the JSON a client PUTs into this form once, when the policy is stored (DESIGN.md §3);
 * `evaluate.ts` decides requests against it without re-validating anything. Everything here is plain
 * data (no RegExp, no classes) so a parsed policy can be cached, cloned or logged freely.
 *
 * Names follow the IAM policy grammar: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
 */

/** The two policy language versions AWS accepts. Policy variables exist only in 2012-10-17. */
export type PolicyVersion = '2012-10-17' | '2008-10-17';

export type Effect = 'Allow' | 'Deny';

/**
 * One piece of a pattern written in a policy: literal text, a wildcard, or a policy variable.
 * Variables are kept unresolved because their values come from each request; when resolved they
 * become literal text, so a username containing `*` can never act as a wildcard.
 */
export type PatternToken =
  | { kind: 'literal'; text: string }
  /** `*`: any run of characters, including none and including `/`. */
  | { kind: 'anyRun' }
  /** `?`: exactly one character (one Unicode code point). */
  | { kind: 'anyChar' }
  /** `${key}` or `${key, 'default'}`; `key` is normalised like a condition key. */
  | { kind: 'variable'; key: string; default?: string };

/** A pattern as written (`source`) and as tokens. `hasVariables` lets evaluation skip substitution. */
export interface Pattern {
  source: string;
  tokens: PatternToken[];
  hasVariables: boolean;
}

/** Who a Principal/NotPrincipal entry names (DESIGN.md §4: users and groups are site-wide ARNs). */
export type PrincipalMatcher =
  | { kind: 'any' } // "*" or {"AWS": "*"}: everyone, including anonymous requests
  | { kind: 'user'; name: string } // arn:aws:iam:::user/<name>
  | { kind: 'group'; name: string } // arn:aws:iam:::group/<name>: any member of the group
  | { kind: 'service'; name: string }; // {"Service": "logging.s3.amazonaws.com"}: the server's log delivery

/** Principal (negated false) or NotPrincipal (negated true). */
export interface PrincipalElement {
  negated: boolean;
  matchers: PrincipalMatcher[];
}

/** Action or NotAction. Patterns are lower-cased: IAM action names compare case-insensitively. */
export interface ActionElement {
  negated: boolean;
  patterns: Pattern[];
}

/** Resource or NotResource: case-sensitive ARN patterns, possibly with policy variables. */
export interface ResourceElement {
  negated: boolean;
  patterns: Pattern[];
}

/** `ForAnyValue:` / `ForAllValues:` prefixes, for context keys that carry several values. */
export type SetQualifier = 'ForAnyValue' | 'ForAllValues';

/** How a numeric or date operator compares the request value (left) with the policy value (right). */
export type Comparison = 'eq' | 'lt' | 'le' | 'gt' | 'ge';

/** An IPv4 or IPv6 network, from `IpAddress`/`NotIpAddress` values. */
export interface Cidr {
  source: string;
  family: 4 | 6;
  /** The network address as an unsigned integer (host bits cleared). */
  network: bigint;
  prefixLength: number;
}

/** What one condition operator tests, with its values already parsed to the operator's type. */
export type ConditionTest =
  | { family: 'String'; match: 'equals' | 'equalsIgnoreCase' | 'like'; values: Pattern[] }
  | { family: 'Numeric'; comparison: Comparison; values: number[] }
  /** Date values are milliseconds since the epoch. */
  | { family: 'Date'; comparison: Comparison; values: number[] }
  | { family: 'Bool'; values: boolean[] }
  | { family: 'IpAddress'; values: Cidr[] }
  /** `Null: true` means "the key is absent"; `false` means "the key is present". */
  | { family: 'Null'; values: boolean[] }
  | { family: 'Arn'; values: Pattern[] };

/**
 * One (operator, key, values) triple from a Condition block. A block with several operators or
 * several keys under one operator becomes several Conditions, all of which must hold (logical AND).
 */
export interface Condition {
  /** The operator exactly as written, e.g. `ForAnyValue:StringNotLikeIfExists`, for messages. */
  operator: string;
  /** The condition key as written, e.g. `aws:SourceIp`, for messages. */
  keyAsWritten: string;
  /** The key normalised for lookup in `PolicyRequest.context` (see `normaliseConditionKey`). */
  key: string;
  qualifier?: SetQualifier;
  /** `…IfExists`: the condition holds when the key is absent from the request. */
  ifExists: boolean;
  /** StringNot…, NumericNotEquals, DateNotEquals, NotIpAddress, ArnNot…: NOR over the values. */
  negated: boolean;
  test: ConditionTest;
}

export interface Statement {
  sid?: string;
  effect: Effect;
  principal: PrincipalElement;
  action: ActionElement;
  resource: ResourceElement;
  /** Empty when the statement has no Condition block. */
  conditions: Condition[];
}

/** A bucket policy as stored: the parsed form plus the original text GetBucketPolicy returns verbatim. */
export interface Policy {
  /** Absent when the document had no Version; AWS then applies the 2008-10-17 rules. */
  version?: PolicyVersion;
  id?: string;
  /** The bucket this policy was validated against: every Resource is inside it. */
  bucket: string;
  statements: Statement[];
  /** The document exactly as the client sent it. */
  json: string;
}

/** Who is asking. Mirrors iam/principal.ts, reduced to what policies can name. */
export type RequestPrincipal =
  | { kind: 'anonymous' }
  | { kind: 'user'; username: string; groups: string[] }
  /** A service of the server itself acting on a bucket: log delivery (core/bucket-logging.ts). */
  | { kind: 'service'; name: string };

/** Everything evaluation needs about one request. */
export interface PolicyRequest {
  principal: RequestPrincipal;
  /** The IAM action, e.g. `s3:GetObject`. */
  action: string;
  /** The resource ARN: `arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/key`. */
  resource: string;
  /**
   * Condition keys present in the request, named as `normaliseConditionKey` names them
   * (`aws:sourceip`, `aws:securetransport` = 'true'|'false', `aws:username`, `aws:currenttime` (ISO 8601),
   * `aws:epochtime`, `aws:referer`, `s3:prefix`, `s3:delimiter`, `s3:max-keys`,
   * `s3:existingobjecttag/<TagKey>`). `undefined` or an empty array means the key is absent.
   */
  context: Record<string, string | string[] | undefined>;
}

/** Which statement decided: indexes into `policies` and into that policy's statements. */
export interface DecidingStatement {
  policyIndex: number;
  index: number;
  sid?: string;
}

/** `NoMatch` is the implicit deny: no statement applied, so the caller falls back to its default rules. */
export interface PolicyDecision {
  effect: 'Allow' | 'Deny' | 'NoMatch';
  statement?: DecidingStatement;
}
