/**
 * Bucket CORS: the CORSConfiguration document (parse, validate as AWS does, store as normalised JSON),
 * rule matching, the `OPTIONS` preflight answer and the headers added to actual cross-origin requests.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/RESTOPTIONSobject.html
 */
import type { IncomingHttpHeaders } from 'node:http';
import { S3Error } from '../errors/s3-error.js';
import type { HttpResponse } from '../lib/http-response.js';
import type { BucketRecord } from '../metadata/store.js';
import { asObject, children, parseXml, text } from './xml/read.js';
import type { XmlNode } from './xml/write.js';

export interface CorsRule {
  id?: string;
  allowedOrigins: string[];
  allowedMethods: string[];
  allowedHeaders: string[];
  exposeHeaders: string[];
  maxAgeSeconds?: number;
}

const METHODS = new Set(['GET', 'PUT', 'POST', 'DELETE', 'HEAD']);
const MAX_RULES = 100;
const VARY = 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method';

function invalid(message: string): S3Error {
  return new S3Error('InvalidRequest', { message });
}

function texts(node: ReturnType<typeof asObject>, name: string): string[] {
  return children(node, name).map((e) => {
    if (typeof e === 'string') return text({ v: e }, 'v')!;
    if (typeof e === 'object' && !Array.isArray(e) && Object.keys(e).length === 0) return '';
    throw new S3Error('MalformedXML');
  });
}

/** Parses and validates a PutBucketCors body into rules (MalformedXML / InvalidRequest as AWS answers). */
export function parseCorsConfiguration(body: Buffer): CorsRule[] {
  const root = parseXml(body, 'CORSConfiguration');
  const ruleNodes = children(root, 'CORSRule');
  if (ruleNodes.length === 0 || ruleNodes.length > MAX_RULES) throw new S3Error('MalformedXML');
  return ruleNodes.map((e) => {
    const n = asObject(e);
    const allowedOrigins = texts(n, 'AllowedOrigin');
    const allowedMethods = texts(n, 'AllowedMethod');
    if (allowedOrigins.length === 0 || allowedMethods.length === 0) throw new S3Error('MalformedXML');
    for (const m of allowedMethods) if (!METHODS.has(m)) throw invalid(`Found unsupported HTTP method in CORS config. Unsupported method is ${m}`);
    for (const o of allowedOrigins) {
      if ((o.match(/\*/g) ?? []).length > 1) throw invalid(`AllowedOrigin "${o}" can not have more than one wildcard.`);
    }
    const allowedHeaders = texts(n, 'AllowedHeader');
    for (const h of allowedHeaders) {
      if ((h.match(/\*/g) ?? []).length > 1) throw invalid(`AllowedHeader "${h}" can not have more than one wildcard.`);
    }
    const exposeHeaders = texts(n, 'ExposeHeader');
    for (const h of exposeHeaders) if (h.includes('*')) throw invalid(`ExposeHeader "${h}" contains wildcard. We currently do not support wildcard for ExposeHeader.`);
    const rule: CorsRule = { allowedOrigins, allowedMethods, allowedHeaders, exposeHeaders };
    const id = text(n, 'ID');
    if (id !== undefined) {
      if (id.length > 255) throw invalid('The ID of a CORS rule must be at most 255 characters');
      rule.id = id;
    }
    const maxAge = text(n, 'MaxAgeSeconds');
    if (maxAge !== undefined) {
      if (!/^\d{1,10}$/.test(maxAge.trim())) throw new S3Error('MalformedXML');
      rule.maxAgeSeconds = Number(maxAge.trim());
    }
    return rule;
  });
}

/** The stored form (BucketRecord.cors) of validated rules. */
export function serialiseCors(rules: CorsRule[]): string {
  return JSON.stringify(rules);
}

export function corsRulesOf(bucket: BucketRecord | undefined): CorsRule[] | undefined {
  if (!bucket?.cors) return undefined;
  return JSON.parse(bucket.cors) as CorsRule[];
}

/** The <CORSConfiguration> children for GetBucketCors. */
export function corsXml(rules: CorsRule[]): XmlNode {
  return rules.map((r): [string, XmlNode] => [
    'CORSRule',
    [
      ...(r.id !== undefined ? [['ID', r.id] as [string, string]] : []),
      ...r.allowedHeaders.map((h): [string, string] => ['AllowedHeader', h]),
      ...r.allowedMethods.map((m): [string, string] => ['AllowedMethod', m]),
      ...r.allowedOrigins.map((o): [string, string] => ['AllowedOrigin', o]),
      ...r.exposeHeaders.map((h): [string, string] => ['ExposeHeader', h]),
      ...(r.maxAgeSeconds !== undefined ? [['MaxAgeSeconds', r.maxAgeSeconds] as [string, number]] : []),
    ],
  ]);
}

/** Matches `value` against a pattern with at most one `*` (which matches any run of characters). */
export function wildcardMatch(pattern: string, value: string): boolean {
  const star = pattern.indexOf('*');
  if (star < 0) return pattern === value;
  const head = pattern.slice(0, star);
  const tail = pattern.slice(star + 1);
  return value.length >= head.length + tail.length && value.startsWith(head) && value.endsWith(tail);
}

function originAllowed(rule: CorsRule, origin: string): boolean {
  return rule.allowedOrigins.some((p) => wildcardMatch(p, origin));
}

function headerAllowed(rule: CorsRule, header: string): boolean {
  return rule.allowedHeaders.some((p) => wildcardMatch(p.toLowerCase(), header));
}

/** The first rule allowing this origin, method and (lowercase) request headers, as AWS evaluates them. */
export function matchRule(rules: CorsRule[], origin: string, method: string, headers: string[] = []): CorsRule | undefined {
  return rules.find((r) => originAllowed(r, origin) && r.allowedMethods.includes(method) && headers.every((h) => headerAllowed(r, h)));
}

function one(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

function allowHeaders(rule: CorsRule, origin: string): Record<string, string> {
  const wildcard = rule.allowedOrigins.includes('*');
  const out: Record<string, string> = {
    'access-control-allow-origin': wildcard ? '*' : origin,
    'access-control-allow-methods': rule.allowedMethods.join(', '),
  };
  // compat: like S3, credentials are allowed only for a rule naming origins (a "*" rule answers "*").
  if (!wildcard) out['access-control-allow-credentials'] = 'true';
  if (rule.exposeHeaders.length) out['access-control-expose-headers'] = rule.exposeHeaders.join(', ');
  if (rule.maxAgeSeconds !== undefined) out['access-control-max-age'] = String(rule.maxAgeSeconds);
  return out;
}

/**
 * The answer to an `OPTIONS` preflight for a bucket (anonymous: a browser sends no credentials). 200 with
 * the Access-Control-Allow-* headers of the first matching rule, else 403 as S3 answers.
 */
export function preflight(bucket: BucketRecord, headers: IncomingHttpHeaders): HttpResponse {
  const origin = one(headers, 'origin');
  const method = one(headers, 'access-control-request-method');
  if (origin === undefined || origin === '') {
    throw new S3Error('BadRequest', { message: 'Insufficient information. Origin request header needed.' });
  }
  if (method === undefined || method === '') {
    throw new S3Error('BadRequest', { message: 'Invalid Access-Control-Request-Method: null' });
  }
  const rules = corsRulesOf(bucket);
  if (!rules) throw new S3Error('AccessForbidden', { message: 'CORSResponse: CORS is not enabled for this bucket.', details: { Method: method, ResourceType: 'BUCKET' } });
  const requested = (one(headers, 'access-control-request-headers') ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const rule = matchRule(rules, origin, method, requested);
  if (!rule) {
    throw new S3Error('AccessForbidden', { details: { Method: method, ResourceType: 'OBJECT' }, headers: { vary: VARY } });
  }
  const out: Record<string, string> = { ...allowHeaders(rule, origin), vary: VARY, 'content-length': '0' };
  if (requested.length) out['access-control-allow-headers'] = requested.join(', ');
  return { status: 200, headers: out };
}

/**
 * Headers for an actual (non-preflight) request carrying `Origin` to a bucket with CORS rules: the
 * matching rule's Allow-Origin/Expose-Headers, and always `Vary` so caches keep per-origin answers.
 */
export function actualRequestHeaders(bucket: BucketRecord | undefined, method: string, headers: IncomingHttpHeaders): Record<string, string> {
  const origin = one(headers, 'origin');
  if (origin === undefined) return {};
  const rules = corsRulesOf(bucket);
  if (!rules) return {};
  const rule = matchRule(rules, origin, method);
  return rule ? { ...allowHeaders(rule, origin), vary: VARY } : { vary: VARY };
}
