/**
 * Bucket policy validation: JSON text in, a normalised `Policy` out, or a `PolicyError` that says
 * precisely what is wrong. Runs once, when PutBucketPolicy stores a policy (DESIGN.md §3); the S3 layer
 * answers a PolicyError as `MalformedPolicy` with its message.
 *
 * Grammar: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
 * Bucket policies: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-policies.html
 */
import type {
  ActionElement, Comparison, Condition, ConditionTest, Effect, Pattern, Policy, PolicyVersion,
  PrincipalElement, PrincipalMatcher, ResourceElement, SetQualifier, Statement,
} from './types.js';
import { PatternSyntaxError, looksLikeArn, matchTokens, parsePattern } from './pattern.js';
import { parseCidr } from './cidr.js';
import { S3_ACTIONS, isKnownConditionKey, normaliseConditionKey } from './vocabulary.js';

/**
 * A policy document that cannot be stored. The S3 layer maps it to `MalformedPolicy` with `awsMessage`,
 * which is `message` except where AWS answers one fixed text that clients compare ("Invalid principal in
 * policy"); the admin API always shows the detailed `message`.
 */
export class PolicyError extends Error {
  override readonly name = 'PolicyError';
  constructor(
    message: string,
    readonly awsMessage: string = message,
  ) {
    super(message);
  }
}

/** AWS limits bucket policies to 20 KB. */
export const MAX_POLICY_BYTES = 20 * 1024;

const VERSIONS: readonly PolicyVersion[] = ['2012-10-17', '2008-10-17'];
const POLICY_FIELDS = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_FIELDS = new Set([
  'Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition',
]);
const S3_ARN_PREFIX = 'arn:aws:s3:::';
// IAM user and group names: letters, digits and +=,.@_- (IAM quotas page). No paths, no wildcards.
const IAM_NAME = /^[A-Za-z0-9+=,.@_-]{1,128}$/;
const ACTION_PATTERN = /^s3:[A-Za-z*?]+$/i;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

const isObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Validates a bucket policy for `bucketName`. Every Resource must lie in that bucket (as AWS requires),
 * so a policy cannot be stored on one bucket to grant access to another.
 */
export function parsePolicy(json: string, bucketName: string): Policy {
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > MAX_POLICY_BYTES) {
    throw new PolicyError(`Policy is ${bytes} bytes; a bucket policy may be at most ${MAX_POLICY_BYTES} bytes (20 KB)`);
  }
  let doc: Json;
  try {
    doc = JSON.parse(json) as Json;
  } catch {
    doc = null;
  }
  if (!isObject(doc)) throw new PolicyError("Policies must be valid JSON and the first byte must be '{'");

  for (const field of Object.keys(doc)) {
    if (!POLICY_FIELDS.has(field)) throw new PolicyError(`Policy has an unknown field: ${field}`);
  }
  let version: PolicyVersion | undefined;
  if (doc.Version !== undefined) {
    if (typeof doc.Version !== 'string' || !VERSIONS.includes(doc.Version as PolicyVersion)) {
      throw new PolicyError('Version must be "2012-10-17" or "2008-10-17"');
    }
    version = doc.Version as PolicyVersion;
  }
  if (doc.Id !== undefined && typeof doc.Id !== 'string') throw new PolicyError('Id must be a string');

  if (doc.Statement === undefined) throw new PolicyError('Policy is missing required field Statement');
  // A lone statement object is allowed in place of an array (IAM grammar).
  const raw = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  if (raw.length === 0) throw new PolicyError('Statement must contain at least one statement');

  // Variables are a 2012-10-17 feature; in older documents `${…}` is literal text (IAM docs).
  const variables = version === '2012-10-17';
  const statements: Statement[] = [];
  const sids = new Set<string>();
  raw.forEach((s, i) => {
    const statement = parseStatement(s, `Statement[${i}]`, bucketName, variables);
    if (statement.sid !== undefined) {
      if (sids.has(statement.sid)) {
        throw new PolicyError(`Statement IDs (SID) in a single policy must be unique: "${statement.sid}"`);
      }
      sids.add(statement.sid);
    }
    statements.push(statement);
  });

  const policy: Policy = { bucket: bucketName, statements, json };
  if (version !== undefined) policy.version = version;
  if (typeof doc.Id === 'string') policy.id = doc.Id;
  return policy;
}

function parseStatement(s: Json, where: string, bucket: string, variables: boolean): Statement {
  if (!isObject(s)) throw new PolicyError(`${where} must be an object`);
  for (const field of Object.keys(s)) {
    if (!STATEMENT_FIELDS.has(field)) throw new PolicyError(`${where} has an unknown field: ${field}`);
  }
  if (s.Sid !== undefined && typeof s.Sid !== 'string') throw new PolicyError(`${where}.Sid must be a string`);
  if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw new PolicyError(`${where}.Effect must be "Allow" or "Deny"`);
  const effect: Effect = s.Effect;

  const statement: Statement = {
    effect,
    principal: parsePrincipal(s, where),
    action: parseAction(s, where),
    resource: parseResource(s, where, bucket, variables),
    conditions: s.Condition === undefined ? [] : parseConditionBlock(s.Condition, `${where}.Condition`, variables),
  };
  if (typeof s.Sid === 'string') statement.sid = s.Sid;
  return statement;
}

/** Exactly one of `name` / `Not<name>` must be present; returns which, and its value. */
function pickElement(s: JsonObject, name: string, where: string): { negated: boolean; value: Json; field: string } {
  const plain = s[name];
  const not = s[`Not${name}`];
  if (plain !== undefined && not !== undefined) throw new PolicyError(`${where} cannot have both ${name} and Not${name}`);
  if (plain === undefined && not === undefined) throw new PolicyError(`${where} is missing required field ${name} or Not${name}`);
  return plain !== undefined ? { negated: false, value: plain, field: name } : { negated: true, value: not!, field: `Not${name}` };
}

/** A string or a non-empty array of strings. */
function stringList(value: Json, onError: () => PolicyError): string[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || !list.every((v): v is string => typeof v === 'string')) throw onError();
  return list;
}

/** Service principals a policy may name: the server's own log delivery (core/bucket-logging.ts). */
export const SERVICE_PRINCIPALS: ReadonlySet<string> = new Set(['logging.s3.amazonaws.com']);

function parsePrincipal(s: JsonObject, where: string): PrincipalElement {
  const { negated, value, field } = pickElement(s, 'Principal', where);
  const invalid = (detail: string): PolicyError => new PolicyError(`Invalid principal in policy: ${where}.${field} ${detail}`, 'Invalid principal in policy');
  // {"AWS": …} is the AWS spelling; a bare string or array is accepted too. {"Service": …} names the one
  // service Granary has, server access log delivery (logging.s3.amazonaws.com, as AWS names it). Other
  // principal types (CanonicalUser, Federated) and services name things Granary does not have.
  let entries: Json = value;
  const services: PrincipalMatcher[] = [];
  if (isObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 0 || keys.some((k) => k !== 'AWS' && k !== 'Service')) throw invalid(`has ${keys.map((k) => `"${k}"`).join(', ') || 'no entries'}; only "AWS" and "Service" are supported`);
    if (value.Service !== undefined) {
      for (const name of stringList(value.Service, () => invalid('Service must be a service name or a list of them'))) {
        if (!SERVICE_PRINCIPALS.has(name)) throw invalid(`has service "${name}"; the only service is ${[...SERVICE_PRINCIPALS].join(', ')}`);
        services.push({ kind: 'service', name });
      }
    }
    if (value.AWS === undefined) return { negated, matchers: services };
    entries = value.AWS;
  }
  const names = stringList(entries, () => invalid('must be "*", an ARN, or a list of ARNs'));
  const matchers = names.map((name): PrincipalMatcher => {
    if (name === '*') return { kind: 'any' };
    const m = /^arn:aws:iam:::(user|group)\/(.*)$/.exec(name);
    if (!m || !IAM_NAME.test(m[2]!)) throw invalid(`has "${name}"; expected "*", arn:aws:iam:::user/<name> or arn:aws:iam:::group/<name>`);
    return { kind: m[1] as 'user' | 'group', name: m[2]! };
  });
  return { negated, matchers: [...matchers, ...services] };
}

function parseAction(s: JsonObject, where: string): ActionElement {
  const { negated, value, field } = pickElement(s, 'Action', where);
  const list = stringList(value, () => new PolicyError(`Policy has an invalid action: ${where}.${field} must be a string or a list of strings`));
  const patterns = list.map((action) => {
    const wild = /[*?]/.test(action);
    const valid = action === '*' || (ACTION_PATTERN.test(action) && (wild || S3_ACTIONS.has(action.slice(3).toLowerCase())));
    if (!valid) throw new PolicyError(`Policy has an invalid action: ${where}.${field} "${action}"`);
    // Lower-cased once here: action names compare case-insensitively.
    return parsePattern(action.toLowerCase(), { wildcards: true, variables: false });
  });
  return { negated, patterns };
}

function parseResource(s: JsonObject, where: string, bucket: string, variables: boolean): ResourceElement {
  const { negated, value, field } = pickElement(s, 'Resource', where);
  const list = stringList(value, () => new PolicyError(`${where}.${field} must be a string or a list of strings`));
  const patterns = list.map((resource) => {
    const invalid = (): PolicyError => new PolicyError(`Policy has invalid resource: ${resource}`);
    if (resource !== '*') {
      if (!resource.startsWith(S3_ARN_PREFIX)) throw invalid();
      // The bucket part must name this bucket, possibly by wildcard; a variable there could name any bucket.
      const path = resource.slice(S3_ARN_PREFIX.length);
      const bucketPart = path.split('/', 1)[0]!;
      if (bucketPart.includes('${')) throw invalid();
      const bucketPattern = parsePattern(bucketPart, { wildcards: true, variables: false });
      if (!matchTokens(bucketPattern.tokens, bucket)) throw invalid();
    }
    return pattern(resource, { wildcards: true, variables }, `${where}.${field}`);
  });
  return { negated, patterns };
}

function pattern(source: string, syntax: { wildcards: boolean; variables: boolean }, where: string): Pattern {
  try {
    return parsePattern(source, syntax);
  } catch (e) {
    if (e instanceof PatternSyntaxError) throw new PolicyError(`${where} has an ${e.message}`);
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Condition block

type Family = ConditionTest['family'];
interface OperatorSpec {
  family: Family;
  negated: boolean;
  comparison?: Comparison;
  match?: 'equals' | 'equalsIgnoreCase' | 'like';
}

const OPERATORS = new Map<string, OperatorSpec>([
  ['StringEquals', { family: 'String', negated: false, match: 'equals' }],
  ['StringNotEquals', { family: 'String', negated: true, match: 'equals' }],
  ['StringEqualsIgnoreCase', { family: 'String', negated: false, match: 'equalsIgnoreCase' }],
  ['StringNotEqualsIgnoreCase', { family: 'String', negated: true, match: 'equalsIgnoreCase' }],
  ['StringLike', { family: 'String', negated: false, match: 'like' }],
  ['StringNotLike', { family: 'String', negated: true, match: 'like' }],
  ...(['Numeric', 'Date'] as const).flatMap((family): [string, OperatorSpec][] => [
    [`${family}Equals`, { family, negated: false, comparison: 'eq' }],
    [`${family}NotEquals`, { family, negated: true, comparison: 'eq' }],
    [`${family}LessThan`, { family, negated: false, comparison: 'lt' }],
    [`${family}LessThanEquals`, { family, negated: false, comparison: 'le' }],
    [`${family}GreaterThan`, { family, negated: false, comparison: 'gt' }],
    [`${family}GreaterThanEquals`, { family, negated: false, comparison: 'ge' }],
  ]),
  ['Bool', { family: 'Bool', negated: false }],
  ['IpAddress', { family: 'IpAddress', negated: false }],
  ['NotIpAddress', { family: 'IpAddress', negated: true }],
  ['Null', { family: 'Null', negated: false }],
  // ArnEquals and ArnLike behave the same: both allow wildcards per ARN component (IAM docs).
  ['ArnEquals', { family: 'Arn', negated: false }],
  ['ArnLike', { family: 'Arn', negated: false }],
  ['ArnNotEquals', { family: 'Arn', negated: true }],
  ['ArnNotLike', { family: 'Arn', negated: true }],
]);

function parseOperator(written: string): { spec: OperatorSpec; qualifier?: SetQualifier; ifExists: boolean } {
  let name = written;
  let qualifier: SetQualifier | undefined;
  const colon = name.indexOf(':');
  if (colon >= 0) {
    const q = name.slice(0, colon);
    if (q !== 'ForAnyValue' && q !== 'ForAllValues') throw new PolicyError(`Unknown condition operator ${written}`);
    qualifier = q;
    name = name.slice(colon + 1);
  }
  const ifExists = name.endsWith('IfExists');
  if (ifExists) name = name.slice(0, -'IfExists'.length);
  const spec = OPERATORS.get(name);
  if (!spec) throw new PolicyError(`Unknown condition operator ${written}`);
  // Null is itself the existence test: IfExists or a set qualifier on it has no meaning.
  if (spec.family === 'Null' && (ifExists || qualifier)) throw new PolicyError(`Unknown condition operator ${written}`);
  const out: { spec: OperatorSpec; qualifier?: SetQualifier; ifExists: boolean } = { spec, ifExists };
  if (qualifier) out.qualifier = qualifier;
  return out;
}

function parseConditionBlock(block: Json, where: string, variables: boolean): Condition[] {
  if (!isObject(block)) throw new PolicyError(`${where} must be an object`);
  const conditions: Condition[] = [];
  for (const [operator, entries] of Object.entries(block)) {
    const { spec, qualifier, ifExists } = parseOperator(operator);
    if (!isObject(entries) || Object.keys(entries).length === 0) {
      throw new PolicyError(`${where}.${operator} must be an object mapping condition keys to values`);
    }
    for (const [keyAsWritten, rawValues] of Object.entries(entries)) {
      const key = normaliseConditionKey(keyAsWritten);
      if (!isKnownConditionKey(key)) throw new PolicyError(`Policy has an invalid condition key: ${keyAsWritten}`);
      const at = `${where}.${operator}["${keyAsWritten}"]`;
      const list = Array.isArray(rawValues) ? rawValues : [rawValues];
      if (list.length === 0) throw new PolicyError(`${at} must have at least one value`);
      const values = list.map((v) => {
        // JSON numbers and booleans are accepted and read as their text, as AWS does ("Bool": {"k": true}).
        if (typeof v === 'string') return v;
        if (typeof v === 'number' || typeof v === 'boolean') return String(v);
        throw new PolicyError(`${at} values must be strings, numbers or booleans`);
      });
      const condition: Condition = {
        operator, keyAsWritten, key, ifExists, negated: spec.negated,
        test: conditionTest(spec, values, at, variables),
      };
      if (qualifier) condition.qualifier = qualifier;
      conditions.push(condition);
    }
  }
  return conditions;
}

function conditionTest(spec: OperatorSpec, values: string[], at: string, variables: boolean): ConditionTest {
  switch (spec.family) {
    case 'String':
      return {
        family: 'String',
        match: spec.match!,
        values: values.map((v) => pattern(v, { wildcards: spec.match === 'like', variables }, at)),
      };
    case 'Arn':
      return {
        family: 'Arn',
        values: values.map((v) => {
          if (!looksLikeArn(v)) throw new PolicyError(`${at}: "${v}" is not an ARN`);
          return pattern(v, { wildcards: true, variables }, at);
        }),
      };
    case 'Numeric':
      return {
        family: 'Numeric',
        comparison: spec.comparison!,
        values: values.map((v) => {
          const n = parseNumber(v);
          if (n === undefined) throw new PolicyError(`${at}: "${v}" is not a number`);
          return n;
        }),
      };
    case 'Date':
      return {
        family: 'Date',
        comparison: spec.comparison!,
        values: values.map((v) => {
          const d = parseDate(v);
          if (d === undefined) throw new PolicyError(`${at}: "${v}" is not an ISO 8601 date or epoch time`);
          return d;
        }),
      };
    case 'Bool':
    case 'Null':
      return {
        family: spec.family,
        values: values.map((v) => {
          const b = parseBool(v);
          if (b === undefined) throw new PolicyError(`${at}: "${v}" must be "true" or "false"`);
          return b;
        }),
      };
    case 'IpAddress':
      return {
        family: 'IpAddress',
        values: values.map((v) => {
          const c = parseCidr(v);
          if (!c) throw new PolicyError(`${at}: "${v}" is not an IP address or CIDR block`);
          return c;
        }),
      };
  }
}

// Shared with evaluate.ts, which reads request values with the same rules.

export function parseNumber(text: string): number | undefined {
  if (!/^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** ISO 8601 (a time without a zone is UTC, never local time) or epoch seconds; milliseconds since the epoch. */
export function parseDate(text: string): number | undefined {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t) * 1000;
  const m = ISO_DATE.exec(t);
  if (!m) return undefined;
  let iso = t;
  if (m[4] !== undefined && m[7] === undefined) iso += 'Z';
  else if (m[7] && /^[+-]\d{4}$/.test(m[7])) iso = iso.slice(0, -2) + ':' + iso.slice(-2);
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}

export function parseBool(text: string): boolean | undefined {
  const t = text.toLowerCase();
  return t === 'true' ? true : t === 'false' ? false : undefined;
}
