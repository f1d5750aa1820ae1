/**
 * Bucket policy evaluation: a pure function from (policies, request) to Allow, Deny or NoMatch.
 *
 * Order, as "Policy evaluation logic" states it: an explicit Deny in any statement wins; otherwise any
 * Allow; otherwise NoMatch (the implicit deny, after which the caller applies its default rules).
 * The deciding statement is returned so the portal can answer "why was this denied?" (DESIGN.md §3).
 *
 * Condition semantics follow "IAM JSON policy elements: Condition operators" and "Conditions with
 * multiple context keys or values":
 *  - several operators, or several keys under one operator: AND;
 *  - several values for one key: OR, and NOR for negated operators (StringNot…, NotIpAddress, …);
 *  - a key absent from the request: false, except negated operators (true), …IfExists (true),
 *    ForAllValues (true), and Null (which tests exactly that).
 */
import type {
  Condition, DecidingStatement, PatternToken, Policy, PolicyDecision, PolicyRequest, RequestPrincipal, Statement,
  Pattern, Comparison,
} from './types.js';
import { matchArn, matchTokens, resolvePattern, type VariableLookup } from './pattern.js';
import { cidrContains } from './cidr.js';
import { normaliseConditionKey } from './vocabulary.js';
import { parseBool, parseDate, parseNumber } from './parse.js';

export { normaliseConditionKey };

/** Request values per normalised key; absent keys (undefined or empty list) are not in the map. */
type Context = ReadonlyMap<string, readonly string[]>;

/**
 * Three outcomes for a statement part: it matches, it does not, or it cannot be decided because a
 * policy variable has no value in this request. The last makes the whole statement not apply.
 */
type Outcome = boolean | 'unresolved';

export function evaluate(policies: readonly Policy[], request: PolicyRequest): PolicyDecision {
  const context = normaliseContext(request.context);
  const lookup: VariableLookup = (key) => {
    const values = context.get(key);
    // A multi-valued key cannot stand in for a variable (IAM docs): treat it as having no value.
    return values && values.length === 1 ? values[0] : undefined;
  };
  let allow: DecidingStatement | undefined;
  for (let p = 0; p < policies.length; p++) {
    const statements = policies[p]!.statements;
    for (let i = 0; i < statements.length; i++) {
      const statement = statements[i]!;
      // Once an Allow is found, only a Deny can change the answer: skip the other Allows.
      if (allow && statement.effect === 'Allow') continue;
      if (!statementApplies(statement, request, context, lookup)) continue;
      const decided: DecidingStatement = { policyIndex: p, index: i };
      if (statement.sid !== undefined) decided.sid = statement.sid;
      if (statement.effect === 'Deny') return { effect: 'Deny', statement: decided };
      allow = decided;
    }
  }
  return allow ? { effect: 'Allow', statement: allow } : { effect: 'NoMatch' };
}

/**
 * Whether some Allow statement could apply to this principal and action on *some* resource under some
 * conditions: resources and conditions are not looked at. An over-approximation used to refuse, before a
 * request body is read, a request every part of which would be denied (DeleteObjects names its keys in
 * the body); a `false` here means no statement can allow the action to this principal at all.
 */
export function mayAllow(policies: readonly Policy[], request: Pick<PolicyRequest, 'principal' | 'action'>): boolean {
  return policies.some((p) =>
    p.statements.some(
      (s) =>
        s.effect === 'Allow' &&
        principalMatches(s.principal.matchers, request.principal) !== s.principal.negated &&
        s.action.patterns.some((a) => matchTokens(a.tokens, request.action, true)) !== s.action.negated,
    ),
  );
}

function normaliseContext(raw: PolicyRequest['context']): Context {
  const context = new Map<string, string[]>();
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    if (values.length > 0) context.set(normaliseConditionKey(key), values);
  }
  return context;
}

function statementApplies(s: Statement, req: PolicyRequest, context: Context, lookup: VariableLookup): boolean {
  if (principalMatches(s.principal.matchers, req.principal) === s.principal.negated) return false;
  const actionMatches = s.action.patterns.some((p) => matchTokens(p.tokens, req.action, true));
  if (actionMatches === s.action.negated) return false;
  const resource = resourceMatches(s.resource.patterns, req.resource, s.resource.negated, lookup);
  if (resource !== true) return false;
  for (const c of s.conditions) {
    if (conditionHolds(c, context, lookup) !== true) return false;
  }
  return true;
}

/** Whether the principal is one the list names; a user is named by its own ARN or a group it belongs to. */
function principalMatches(matchers: Statement['principal']['matchers'], principal: RequestPrincipal): boolean {
  return matchers.some((m) => {
    if (m.kind === 'any') return true;
    if (m.kind === 'service' || principal.kind === 'service') return m.kind === 'service' && principal.kind === 'service' && m.name === principal.name;
    if (principal.kind === 'anonymous') return false;
    return m.kind === 'user' ? m.name === principal.username : principal.groups.includes(m.name);
  });
}

/**
 * Resource: a pattern whose variable has no value matches nothing ("Policy variables with no value"),
 * so other resources in the list still count. NotResource: such a pattern cannot be said *not* to match,
 * so the statement does not apply, rather than applying to everything.
 */
function resourceMatches(patterns: readonly Pattern[], arn: string, negated: boolean, lookup: VariableLookup): Outcome {
  let unresolved = false;
  for (const p of patterns) {
    const tokens = resolvePattern(p, lookup);
    if (!tokens) {
      unresolved = true;
      continue;
    }
    if (matchTokens(tokens, arn)) return !negated;
  }
  if (negated) return unresolved ? 'unresolved' : true;
  return false;
}

function conditionHolds(c: Condition, context: Context, lookup: VariableLookup): Outcome {
  const requestValues = context.get(c.key);
  if (c.test.family === 'Null') {
    const absent = requestValues === undefined;
    return c.test.values.some((wantAbsent) => wantAbsent === absent);
  }
  if (requestValues === undefined) {
    if (c.ifExists) return true;
    if (c.qualifier === 'ForAllValues') return true; // vacuously: no request value fails
    if (c.qualifier === 'ForAnyValue') return false; // no request value can match
    return c.negated; // "the key is not equal to any of these": true when there is no key
  }

  const matchesAny = valueMatcher(c, lookup);
  if (matchesAny === 'unresolved') return 'unresolved';
  // `matchesAny(v)` says whether v matches at least one policy value (OR); negated operators want none (NOR).
  const holdsFor = (v: string): boolean => matchesAny(v) !== c.negated;
  switch (c.qualifier) {
    case 'ForAllValues':
      return requestValues.every(holdsFor);
    case 'ForAnyValue':
      return requestValues.some(holdsFor);
    default:
      // compat: a multi-valued key without a set qualifier is not defined by the docs; we read it as
      // "some request value matches", negated as "no request value matches" (so a negated Deny fires).
      return c.negated ? !requestValues.some((v) => matchesAny(v)) : requestValues.some((v) => matchesAny(v));
  }
}

/**
 * Builds "does this request value match at least one of the policy's values?". Policy values with
 * variables are resolved first. An unresolvable one matches nothing for positive operators (other values
 * still count); for negated operators nothing can be concluded, so the statement does not apply.
 */
function valueMatcher(c: Condition, lookup: VariableLookup): ((v: string) => boolean) | 'unresolved' {
  const t = c.test;
  switch (t.family) {
    case 'String':
    case 'Arn': {
      const resolved: PatternToken[][] = [];
      for (const p of t.values) {
        const tokens = resolvePattern(p, lookup);
        if (tokens) resolved.push(tokens);
        else if (c.negated) return 'unresolved';
      }
      if (resolved.length === 0) return 'unresolved';
      if (t.family === 'Arn') return (v) => resolved.some((tokens) => matchArn(tokens, v));
      if (t.match === 'like') return (v) => resolved.some((tokens) => matchTokens(tokens, v));
      const texts = resolved.map(literalText);
      if (t.match === 'equalsIgnoreCase') {
        const folded = texts.map((s) => s.toLowerCase());
        return (v) => folded.includes(v.toLowerCase());
      }
      return (v) => texts.includes(v);
    }
    case 'Numeric':
      return (v) => {
        const n = parseNumber(v);
        return n !== undefined && t.values.some((want) => compare(n, want, t.comparison));
      };
    case 'Date':
      return (v) => {
        const d = parseDate(v);
        return d !== undefined && t.values.some((want) => compare(d, want, t.comparison));
      };
    case 'Bool':
      return (v) => {
        const b = parseBool(v);
        return b !== undefined && t.values.includes(b);
      };
    case 'IpAddress':
      return (v) => t.values.some((cidr) => cidrContains(cidr, v));
    case 'Null':
      throw new Error('Null is decided before values are compared');
  }
}

/** For StringEquals-style operators the pattern has no wildcards, so the tokens are all literal. */
function literalText(tokens: readonly PatternToken[]): string {
  return tokens.map((t) => (t.kind === 'literal' ? t.text : t.kind === 'anyRun' ? '*' : t.kind === 'anyChar' ? '?' : '')).join('');
}

function compare(request: number, policy: number, how: Comparison): boolean {
  switch (how) {
    case 'eq': return request === policy;
    case 'lt': return request < policy;
    case 'le': return request <= policy;
    case 'gt': return request > policy;
    case 'ge': return request >= policy;
  }
}
