/**
 * Grants: sharing a bucket (or a prefix of it) with a user or a group at one of three levels, written as
 * ordinary bucket-policy statements so that S3 enforces them like any policy, and read back from the
 * stored policy as a list (who, what access, which prefix). The one definition of what a grant and
 * "make public" are: the admin API, `granary admin policy grant|revoke|public` and the portal all go
 * through here; whether a bucket *is* public is judged by public-access.ts alone.
 *
 * A grant is two statements with Sids `Grant-<id>-objects` and `Grant-<id>-bucket` (object actions on
 * `bucket/prefix*`, bucket actions on the bucket, listing limited to the prefix with `s3:prefix`).
 * Statements written by hand stay as they are and are counted as "other statements".
 */
import { randomBytes } from 'node:crypto';

export type GrantAccess = 'read' | 'read-write' | 'full';
export const GRANT_ACCESS: readonly GrantAccess[] = ['read', 'read-write', 'full'];
export type GrantPrincipalKind = 'user' | 'group';

export interface Grant {
  id: string;
  principal: { kind: GrantPrincipalKind; name: string };
  access: GrantAccess;
  /** '' = the whole bucket; otherwise a key prefix such as `raw/`. */
  prefix: string;
}

/** The statement Sid that makes a bucket public (anyone may read and list). */
export const PUBLIC_SID = 'PublicRead';

const OBJECT_ACTIONS: Record<GrantAccess, string[]> = {
  read: ['s3:GetObject'],
  'read-write': ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
  full: ['s3:*'],
};
const BUCKET_ACTIONS: Record<GrantAccess, string[]> = {
  read: ['s3:ListBucket'],
  'read-write': ['s3:ListBucket', 's3:ListBucketMultipartUploads'],
  full: ['s3:*'],
};

interface StatementJson {
  Sid?: string;
  Effect?: string;
  Principal?: unknown;
  Action?: unknown;
  Resource?: unknown;
  Condition?: unknown;
  [k: string]: unknown;
}
interface PolicyJson {
  Version?: string;
  Statement?: StatementJson | StatementJson[];
  [k: string]: unknown;
}

export class GrantError extends Error {
  override readonly name = 'GrantError';
}

export function isGrantAccess(v: unknown): v is GrantAccess {
  return typeof v === 'string' && (GRANT_ACCESS as readonly string[]).includes(v);
}

/** `user:NAME` / `group:NAME` (the CLI's and the portal's spelling) → a principal. */
export function parseGrantPrincipal(s: string): Grant['principal'] {
  const m = /^(user|group):(.+)$/.exec(s.trim());
  if (!m) throw new GrantError(`"${s}" must be user:NAME or group:NAME`);
  return { kind: m[1] as GrantPrincipalKind, name: m[2]! };
}

function checkPrefix(prefix: string, access: GrantAccess): void {
  if (prefix.includes('*') || prefix.includes('?') || prefix.includes('$')) throw new GrantError('a prefix may not contain *, ? or $');
  if (access === 'full' && prefix !== '') throw new GrantError('full control is for the whole bucket; give a prefix read or read-write access');
}

const arn = (kind: GrantPrincipalKind, name: string): string => `arn:aws:iam:::${kind}/${name}`;

function statementsOf(doc: PolicyJson): StatementJson[] {
  const st = doc.Statement;
  return Array.isArray(st) ? [...st] : st ? [st] : [];
}

function parseDoc(json: string | null): PolicyJson {
  if (json === null || json.trim() === '') return { Version: '2012-10-17', Statement: [] };
  const doc = JSON.parse(json) as PolicyJson;
  return doc;
}

const sameList = (a: unknown, b: string[]): boolean => {
  const list = Array.isArray(a) ? a : [a];
  return list.length === b.length && b.every((x) => list.includes(x));
};

/** The grants, whether the public statement is there, and how many statements are neither. */
export function readGrants(policyJson: string | null, bucket: string): { grants: Grant[]; publicStatement: boolean; otherStatements: number } {
  const statements = statementsOf(parseDoc(policyJson));
  const byId = new Map<string, { objects?: StatementJson; bucket?: StatementJson }>();
  let other = 0;
  let publicStatement = false;
  for (const s of statements) {
    const m = typeof s.Sid === 'string' ? /^Grant-([0-9a-f]{8,32})-(objects|bucket)$/.exec(s.Sid) : null;
    if (m) {
      const e = byId.get(m[1]!) ?? {};
      e[m[2] as 'objects' | 'bucket'] = s;
      byId.set(m[1]!, e);
    } else if (s.Sid === PUBLIC_SID) publicStatement = true;
    else other++;
  }
  const grants: Grant[] = [];
  for (const [id, e] of byId) {
    const g = e.objects && grantOf(id, e.objects, bucket);
    if (g && e.bucket) grants.push(g);
    else other += (e.objects ? 1 : 0) + (e.bucket ? 1 : 0);
  }
  grants.sort((a, b) => (a.principal.name + a.prefix < b.principal.name + b.prefix ? -1 : 1));
  return { grants, publicStatement, otherStatements: other };
}

function grantOf(id: string, s: StatementJson, bucket: string): Grant | undefined {
  if (s.Effect !== 'Allow') return undefined;
  const aws = (s.Principal as { AWS?: unknown } | undefined)?.AWS;
  const who = Array.isArray(aws) ? aws[0] : aws;
  const pm = typeof who === 'string' ? /^arn:aws:iam:::(user|group)\/(.+)$/.exec(who) : null;
  if (!pm) return undefined;
  const access = GRANT_ACCESS.find((a) => sameList(s.Action, OBJECT_ACTIONS[a]));
  if (!access) return undefined;
  const res = Array.isArray(s.Resource) ? s.Resource[0] : s.Resource;
  const base = `arn:aws:s3:::${bucket}/`;
  if (typeof res !== 'string' || !res.startsWith(base) || !res.endsWith('*')) return undefined;
  return { id, principal: { kind: pm[1] as GrantPrincipalKind, name: pm[2]! }, access, prefix: res.slice(base.length, -1) };
}

function grantStatements(bucket: string, g: Grant): StatementJson[] {
  const principal = { AWS: [arn(g.principal.kind, g.principal.name)] };
  const list: StatementJson = { Sid: `Grant-${g.id}-bucket`, Effect: 'Allow', Principal: principal, Action: BUCKET_ACTIONS[g.access], Resource: [`arn:aws:s3:::${bucket}`] };
  if (g.prefix !== '') list.Condition = { StringLike: { 's3:prefix': [`${g.prefix}*`] } };
  return [
    { Sid: `Grant-${g.id}-objects`, Effect: 'Allow', Principal: principal, Action: OBJECT_ACTIONS[g.access], Resource: [`arn:aws:s3:::${bucket}/${g.prefix}*`] },
    list,
  ];
}

function write(doc: PolicyJson, statements: StatementJson[]): string | null {
  if (statements.length === 0) return null;
  return JSON.stringify({ ...doc, Version: doc.Version ?? '2012-10-17', Statement: statements }, null, 2);
}

/**
 * The policy with a grant added; a grant to the same principal and prefix is replaced (its access
 * changes). Returns the new policy text and the grant.
 */
export function addGrant(policyJson: string | null, bucket: string, input: Omit<Grant, 'id'>): { policy: string; grant: Grant } {
  const prefix = input.prefix ?? '';
  checkPrefix(prefix, input.access);
  if (!isGrantAccess(input.access)) throw new GrantError('access must be read, read-write or full');
  const doc = parseDoc(policyJson);
  const existing = readGrants(policyJson, bucket).grants.find((g) => g.principal.kind === input.principal.kind && g.principal.name === input.principal.name && g.prefix === prefix);
  const grant: Grant = { id: existing?.id ?? randomBytes(6).toString('hex'), principal: input.principal, access: input.access, prefix };
  const kept = statementsOf(doc).filter((s) => !(existing && (s.Sid === `Grant-${existing.id}-objects` || s.Sid === `Grant-${existing.id}-bucket`)));
  return { policy: write(doc, [...kept, ...grantStatements(bucket, grant)])!, grant };
}

/** The policy without the grant `id` (null when nothing is left); undefined when there is no such grant. */
export function removeGrant(policyJson: string | null, bucket: string, id: string): { policy: string | null } | undefined {
  if (!readGrants(policyJson, bucket).grants.some((g) => g.id === id)) return undefined;
  const doc = parseDoc(policyJson);
  return { policy: write(doc, statementsOf(doc).filter((s) => s.Sid !== `Grant-${id}-objects` && s.Sid !== `Grant-${id}-bucket`)) };
}

/** The policy with (or without) the statement that lets anyone read and list the bucket. */
export function setPublicStatement(policyJson: string | null, bucket: string, on: boolean): string | null {
  const doc = parseDoc(policyJson);
  const kept = statementsOf(doc).filter((s) => s.Sid !== PUBLIC_SID);
  if (on) kept.push({ Sid: PUBLIC_SID, Effect: 'Allow', Principal: '*', Action: ['s3:GetObject', 's3:ListBucket'], Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`] });
  return write(doc, kept);
}
