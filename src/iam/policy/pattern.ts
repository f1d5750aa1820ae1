/**
 * Patterns as IAM writes them: `*` and `?` wildcards, and `${…}` policy variables.
 *
 * Parsing happens once (parse.ts); matching happens per request (evaluate.ts). Matching is a two-pointer
 * glob walk, not a RegExp, so no policy can make evaluation backtrack exponentially, and variable values
 * are substituted as literal text, so a value containing `*` never widens a pattern.
 *
 * See "IAM policy elements: Variables and tags": https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
 */
import type { Pattern, PatternToken } from './types.js';
import { normaliseConditionKey } from './vocabulary.js';

export interface PatternSyntax {
  /** `*` and `?` are wildcards (Resource, Action, StringLike, Arn…); otherwise they are literal. */
  wildcards: boolean;
  /** `${…}` is a policy variable (only in Version 2012-10-17 documents); otherwise literal. */
  variables: boolean;
}

/** Thrown by parsePattern; parse.ts turns it into a PolicyError naming the element. */
export class PatternSyntaxError extends Error {}

// `${key}` or `${key, 'default'}`; inside a default, '' stands for one quote.
const VARIABLE = /^\s*([A-Za-z0-9][A-Za-z0-9:/._+=@-]*)\s*(?:,\s*'((?:[^']|'')*)'\s*)?$/;

export function parsePattern(source: string, syntax: PatternSyntax): Pattern {
  const tokens: PatternToken[] = [];
  let literal = '';
  let hasVariables = false;
  const flush = (): void => {
    if (literal) tokens.push({ kind: 'literal', text: literal });
    literal = '';
  };
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (syntax.variables && c === '$' && source[i + 1] === '{') {
      const end = source.indexOf('}', i + 2);
      if (end < 0) throw new PatternSyntaxError(`unterminated policy variable in "${source}"`);
      const body = source.slice(i + 2, end);
      i = end;
      // ${*}, ${?} and ${$} are how a policy writes those characters literally.
      if (body === '*' || body === '?' || body === '$') {
        literal += body;
        continue;
      }
      const m = VARIABLE.exec(body);
      if (!m) throw new PatternSyntaxError(`invalid policy variable \${${body}} in "${source}"`);
      flush();
      const token: PatternToken = { kind: 'variable', key: normaliseConditionKey(m[1]!) };
      if (m[2] !== undefined) token.default = m[2].replaceAll("''", "'");
      tokens.push(token);
      hasVariables = true;
    } else if (syntax.wildcards && c === '*') {
      flush();
      tokens.push({ kind: 'anyRun' });
    } else if (syntax.wildcards && c === '?') {
      flush();
      tokens.push({ kind: 'anyChar' });
    } else {
      literal += c;
    }
  }
  flush();
  return { source, tokens, hasVariables };
}

/** Reads a single value for a variable; a multi-valued key cannot be a variable (IAM docs). */
export type VariableLookup = (key: string) => string | undefined;

/**
 * Replaces variables by their values (or defaults). Returns undefined when a variable has no value:
 * the caller decides what an unresolvable pattern means where it stands.
 */
export function resolvePattern(pattern: Pattern, lookup: VariableLookup): PatternToken[] | undefined {
  if (!pattern.hasVariables) return pattern.tokens;
  const out: PatternToken[] = [];
  for (const t of pattern.tokens) {
    if (t.kind !== 'variable') {
      out.push(t);
      continue;
    }
    const value = lookup(t.key) ?? t.default;
    if (value === undefined) return undefined;
    out.push({ kind: 'literal', text: value });
  }
  return out;
}

type Unit = string | typeof ANY_RUN | typeof ANY_CHAR;
const ANY_RUN = Symbol('*');
const ANY_CHAR = Symbol('?');

/** Tokens as one unit per code point, so `?` means one character even outside the BMP. */
function units(tokens: readonly PatternToken[], fold: boolean): Unit[] {
  const out: Unit[] = [];
  for (const t of tokens) {
    if (t.kind === 'anyRun') out.push(ANY_RUN);
    else if (t.kind === 'anyChar') out.push(ANY_CHAR);
    else if (t.kind === 'literal') for (const ch of fold ? t.text.toLowerCase() : t.text) out.push(ch);
    else throw new Error('unresolved policy variable reached the matcher'); // resolvePattern first
  }
  return out;
}

/**
 * Whole-string glob match. `fold` lower-cases both sides (IAM action names are case-insensitive).
 * Classic greedy walk with one backtrack point: O(pattern × text) at worst.
 */
export function matchTokens(tokens: readonly PatternToken[], text: string, fold = false): boolean {
  const p = units(tokens, fold);
  const s = Array.from(fold ? text.toLowerCase() : text);
  let pi = 0;
  let si = 0;
  let starP = -1;
  let starS = 0;
  while (si < s.length) {
    const u = p[pi];
    if (pi < p.length && (u === ANY_CHAR || u === s[si])) {
      pi++;
      si++;
    } else if (pi < p.length && u === ANY_RUN) {
      starP = pi++;
      starS = si;
    } else if (starP >= 0) {
      pi = starP + 1;
      si = ++starS;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === ANY_RUN) pi++;
  return pi === p.length;
}

/** Splits an ARN into its six colon-separated components; the last (resource) may contain colons. */
export function splitArn(arn: string): string[] | undefined {
  const parts: string[] = [];
  let rest = arn;
  for (let i = 0; i < 5; i++) {
    const colon = rest.indexOf(':');
    if (colon < 0) return undefined;
    parts.push(rest.slice(0, colon));
    rest = rest.slice(colon + 1);
  }
  parts.push(rest);
  return parts;
}

/** Splits resolved tokens the same way, at the first five literal colons. */
function splitArnTokens(tokens: readonly PatternToken[]): PatternToken[][] | undefined {
  const parts: PatternToken[][] = [[]];
  for (const t of tokens) {
    if (t.kind !== 'literal' || parts.length === 6) {
      parts[parts.length - 1]!.push(t);
      continue;
    }
    let text = t.text;
    let colon: number;
    while (parts.length < 6 && (colon = text.indexOf(':')) >= 0) {
      if (colon > 0) parts[parts.length - 1]!.push({ kind: 'literal', text: text.slice(0, colon) });
      parts.push([]);
      text = text.slice(colon + 1);
    }
    if (text) parts[parts.length - 1]!.push({ kind: 'literal', text });
  }
  return parts.length === 6 ? parts : undefined;
}

/**
 * ArnEquals / ArnLike: "each of the six colon-delimited components of the ARN is checked separately and
 * each can include wildcards" (condition operators page), so `*` never spans a colon before the resource.
 */
export function matchArn(tokens: readonly PatternToken[], arn: string): boolean {
  const want = splitArnTokens(tokens);
  const have = splitArn(arn);
  if (!want || !have) return false;
  return want.every((component, i) => matchTokens(component, have[i]!));
}

/** Whether a pattern could be an ARN at all (six components); used to validate Arn… condition values. */
export function looksLikeArn(source: string): boolean {
  return splitArn(source)?.[0] === 'arn';
}
