/**
 * Browser form uploads (PostObject): reading the multipart/form-data fields that precede the file,
 * authenticating the form (the signature covers the base64 policy, not the request), and checking the
 * policy's expiration and conditions. The file itself is never buffered: the form resolves as soon as
 * the file part starts, with the file as a stream.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/HTTPPOSTForms.html (Signature Version 2)
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import type { IncomingHttpHeaders } from 'node:http';
import { Busboy } from '@fastify/busboy';
import { S3Error, isS3Error } from '../errors/s3-error.js';
import { cachedSigningKey, signHex, signaturesEqual } from '../iam/sigv4/signing-key.js';
import { tagsFromDocument } from './operations/object/tagging.js';

/** AWS limits the form fields before the file to 20 KB ("MaxPostPreDataLengthExceeded"). */
const MAX_FIELD_BYTES = 20 * 1024;
const MAX_FIELDS = 200;
/** A refused form up to this size is read to its end before the error is sent (see PostForm.discard). */
const MAX_DISCARD_BYTES = 1024 * 1024;

export interface PostForm {
  /** Form fields before the file, by lowercase name (field names are case-insensitive). */
  fields: Map<string, string>;
  /** The object key: the `key` field with `${filename}` replaced by the file's name. */
  key: string;
  filename: string;
  /** The file's bytes, streamed. */
  file: Readable;
  /** Resolves when the whole request body has been parsed (fields after the file are ignored). */
  done: Promise<void>;
  /**
   * After a refusal: reads and drops the rest of a small form so the client, still sending, gets the
   * error response instead of a reset connection (a large one is cut instead, as for other uploads).
   */
  discard(): Promise<void>;
  /** `scheme://host` the form was posted to, for the Location of the new object (set by the pipeline). */
  baseUrl: string;
}

function malformed(message?: string, cause?: unknown): S3Error {
  return new S3Error('MalformedPOSTRequest', { ...(message ? { message } : {}), cause });
}

/**
 * Which part is the upload: the one named `file` (any case), whether or not it carries a filename or a
 * content type (`curl -F file=<data.txt` sends a plain field). Every other part is a form field, even
 * one sent with a filename (Python's `requests` sends each entry of `files=` that way).
 */
function isTheFile(name: string | undefined): boolean {
  return name !== undefined && name.toLowerCase() === 'file';
}

/**
 * Reads the form up to the start of the file part. `body` is the request body (after any
 * `Expect: 100-continue`); `headers` give the multipart boundary.
 */
export function readPostForm(headers: IncomingHttpHeaders, body: AsyncIterable<Buffer>): Promise<PostForm> {
  const type = headers['content-type'];
  if (typeof type !== 'string' || !/^\s*multipart\/form-data\s*;/i.test(type)) {
    throw malformed('The body of your POST request is not well-formed multipart/form-data.');
  }
  let bb: InstanceType<typeof Busboy>;
  try {
    bb = new Busboy({
      headers: headers as IncomingHttpHeaders & { 'content-type': string },
      isPartAFile: isTheFile,
      limits: { fieldSize: MAX_FIELD_BYTES, fields: MAX_FIELDS, files: 1, parts: MAX_FIELDS + 1 },
    });
  } catch (e) {
    throw malformed('The body of your POST request is not well-formed multipart/form-data.', e);
  }
  const fields = new Map<string, string>();
  let preData = 0;
  return new Promise<PostForm>((resolve, reject) => {
    let settled = false;
    // A form that breaks after the file began (truncated, bad boundary) is the client's error, not ours.
    const done = new Promise<void>((res, rej) => {
      bb.on('finish', () => res());
      bb.on('error', (e) => rej(isS3Error(e) ? e : malformed(undefined, e)));
    });
    done.catch(() => undefined);
    const tooLarge = (): void => {
      settled = true;
      reject(new S3Error('MaxMessageLengthExceeded', { message: 'Your POST request fields preceeding the upload file was too large.' }));
    };
    bb.on('field', (name: string | undefined, value: string, _nameTruncated: boolean, valueTruncated: boolean) => {
      if (settled) return; // after the file (or a refusal): ignored, as S3 does
      // A part without a name (`Content-Disposition: form-data` alone) is no form field. Unchecked, its
      // undefined name threw inside busboy's event and ended the process (found by fuzzing, post-form).
      if (typeof name !== 'string') {
        settled = true;
        reject(malformed('Every part of the form must have a name.'));
        return;
      }
      preData += Buffer.byteLength(name) + Buffer.byteLength(value ?? '');
      if (valueTruncated || preData > MAX_FIELD_BYTES) return tooLarge();
      fields.set(name.toLowerCase(), value);
    });
    bb.on('file', (_name: string, file: Readable, sentFilename: string | undefined) => {
      // busboy destroys the file stream with an error when the body ends inside it (a truncated form). Its
      // reader sees that error through iteration, but when nobody reads it (the form was refused: access
      // denied, bad key, no such bucket) an 'error' event without a listener would end the process. Found
      // by fuzzing (test/fuzz, post-form): one anonymous request took the server down.
      file.on('error', () => {});
      if (settled) {
        file.resume();
        return;
      }
      settled = true;
      const rawKey = fields.get('key');
      if (rawKey === undefined) {
        file.resume();
        reject(new S3Error('InvalidArgument', { message: 'Bucket POST must contain a field named \'key\'.  If it is specified, please check the order of the fields.', details: { ArgumentName: 'key', ArgumentValue: '' } }));
        return;
      }
      const filename = sentFilename ?? '';
      const key = rawKey.split('${filename}').join(filename);
      if (key === '') {
        file.resume();
        reject(new S3Error('InvalidArgument', { message: 'User key must have a length greater than 0.', details: { ArgumentName: 'key' } }));
        return;
      }
      const discard = async (): Promise<void> => {
        const length = Number(headers['content-length']);
        if (file.destroyed || !(length <= MAX_DISCARD_BYTES)) return;
        file.resume();
        await Promise.race([done.catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
      };
      // Fields after the file are ignored (as S3 does): the form is what preceded it.
      resolve({ fields: new Map(fields), key, filename, file, done, discard, baseUrl: '' });
    });
    // More parts than any form needs: refused rather than silently cut (a dropped field could be one the
    // policy names).
    for (const limit of ['fieldsLimit', 'partsLimit'] as const) bb.on(limit, () => settled || tooLarge());
    bb.on('error', (e: unknown) => {
      if (!settled) {
        settled = true;
        reject(malformed(undefined, e));
      }
    });
    bb.on('finish', () => {
      if (!settled) {
        settled = true;
        reject(new S3Error('IncorrectNumberOfFilesInPostRequest'));
      }
    });
    const src = Readable.from(body, { objectMode: false });
    src.on('error', (e) => bb.destroy(e));
    src.pipe(bb);
  });
}

/** How the form was signed. `anonymous`: no policy signature at all (a public-write bucket). */
export type PostSignature =
  | { kind: 'anonymous' }
  | { kind: 'v4'; accessKeyId: string; date: string; region: string; service: string; signature: string; policy: string }
  | { kind: 'v2'; accessKeyId: string; signature: string; policy: string };

function denied(message: string): S3Error {
  return new S3Error('AccessDenied', { message });
}

/** Which signature the form carries (fields only; nothing verified yet). */
export function postSignatureOf(fields: Map<string, string>): PostSignature {
  const policy = fields.get('policy');
  const v4sig = fields.get('x-amz-signature');
  const v2key = fields.get('awsaccesskeyid');
  if (v4sig !== undefined) {
    const algorithm = fields.get('x-amz-algorithm');
    if (algorithm !== 'AWS4-HMAC-SHA256') throw new S3Error('InvalidArgument', { message: 'Unsupported x-amz-algorithm', details: { ArgumentName: 'x-amz-algorithm', ArgumentValue: algorithm ?? '' } });
    const credential = fields.get('x-amz-credential') ?? '';
    const m = /^([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request$/.exec(credential);
    if (!m) throw new S3Error('InvalidArgument', { message: 'Invalid x-amz-credential', details: { ArgumentName: 'x-amz-credential', ArgumentValue: credential } });
    if (policy === undefined) throw new S3Error('InvalidArgument', { message: 'Bucket POST must contain a field named \'policy\'.', details: { ArgumentName: 'policy' } });
    return { kind: 'v4', accessKeyId: m[1]!, date: m[2]!, region: m[3]!, service: m[4]!, signature: v4sig, policy };
  }
  if (v2key !== undefined) {
    const signature = fields.get('signature');
    if (signature === undefined || policy === undefined) {
      throw new S3Error('InvalidArgument', { message: 'Bucket POST must contain fields named \'policy\' and \'signature\'.', details: { ArgumentName: 'signature' } });
    }
    return { kind: 'v2', accessKeyId: v2key, signature, policy };
  }
  return { kind: 'anonymous' };
}

// compat: a form whose signature does not match is AccessDenied (the form is refused as a whole).
function badSignature(): S3Error {
  return denied('Invalid according to Policy: the policy signature does not match.');
}

/** Verifies the policy signature with the key's secret; AccessDenied when it does not match. */
export function verifyPostSignature(sig: Exclude<PostSignature, { kind: 'anonymous' }>, secret: string): void {
  if (sig.kind === 'v4') {
    const key = cachedSigningKey(secret, sig.date, sig.region, sig.service);
    if (!signaturesEqual(signHex(key, sig.policy), sig.signature.toLowerCase())) throw badSignature();
    return;
  }
  const expected = Buffer.from(createHmac('sha1', secret).update(sig.policy, 'utf8').digest('base64'));
  const given = Buffer.from(sig.signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw badSignature();
}

type Condition =
  | { kind: 'eq' | 'starts-with'; field: string; value: string }
  | { kind: 'content-length-range'; min: number; max: number };

export interface PostPolicy {
  expiration: number;
  conditions: Condition[];
}

function invalidPolicy(message: string): S3Error {
  return new S3Error('InvalidPolicyDocument', { message: `Invalid Policy: ${message}` });
}

/**
 * The policy's JSON with the escapes the POST policy documentation allows beyond JSON's own (`\$` for a
 * literal dollar sign, `\v`) rewritten into JSON, inside string literals only; everything else is left to
 * JSON.parse.
 */
function policyJson(text: string): string {
  if (!text.includes('\\')) return text;
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (!inString) {
      if (c === '"') inString = true;
      out += c;
      continue;
    }
    if (c === '"') inString = false;
    if (c === '\\' && i + 1 < text.length) {
      const next = text[++i]!;
      out += next === '$' ? '$' : next === 'v' ? '\\u000b' : c + next;
      continue;
    }
    out += c;
  }
  return out;
}

/** The expiration as the documentation requires it: ISO 8601 in UTC (`2013-08-01T12:00:00.000Z`). */
const EXPIRATION = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

function lengthBound(v: unknown): number {
  const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : NaN;
}

/** Decodes and validates the base64 JSON policy document. */
export function parsePostPolicy(base64: string): PostPolicy {
  let doc: unknown;
  try {
    doc = JSON.parse(policyJson(Buffer.from(base64, 'base64').toString('utf8')));
  } catch {
    throw invalidPolicy('Invalid JSON.');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw invalidPolicy('Invalid JSON.');
  const d = doc as Record<string, unknown>;
  if (typeof d.expiration !== 'string') throw invalidPolicy('Policy missing expiration.');
  const expiration = EXPIRATION.test(d.expiration) ? Date.parse(d.expiration) : NaN;
  if (Number.isNaN(expiration)) throw invalidPolicy('Invalid \'expiration\' value: \'' + d.expiration + '\'');
  if (!Array.isArray(d.conditions)) throw invalidPolicy('Policy missing conditions.');
  const conditions: Condition[] = [];
  for (const c of d.conditions as unknown[]) {
    if (Array.isArray(c)) {
      // Operator names are case-sensitive; the field names they test are not.
      const op = c[0];
      if (op === 'content-length-range') {
        const [min, max] = [lengthBound(c[1]), lengthBound(c[2])];
        if (c.length !== 3 || Number.isNaN(min) || Number.isNaN(max) || max < min) throw invalidPolicy('Invalid content-length-range condition.');
        conditions.push({ kind: 'content-length-range', min, max });
        continue;
      }
      if ((op !== 'eq' && op !== 'starts-with') || c.length !== 3 || typeof c[1] !== 'string' || typeof c[2] !== 'string' || !c[1].startsWith('$')) {
        throw invalidPolicy(`Invalid condition: ${JSON.stringify(c)}`);
      }
      conditions.push({ kind: op, field: c[1].slice(1).toLowerCase(), value: c[2] });
    } else if (typeof c === 'object' && c !== null) {
      const entries = Object.entries(c as Record<string, unknown>);
      if (entries.length !== 1 || typeof entries[0]![1] !== 'string') throw invalidPolicy(`Invalid condition: ${JSON.stringify(c)}`);
      conditions.push({ kind: 'eq', field: entries[0]![0].toLowerCase(), value: entries[0]![1] as string });
    } else {
      throw invalidPolicy(`Invalid condition: ${JSON.stringify(c)}`);
    }
  }
  return { expiration, conditions };
}

/** Fields that need no condition (AWS: the signature fields, the policy, the file and x-ignore-*). */
function exempt(name: string): boolean {
  return ['policy', 'x-amz-signature', 'signature', 'awsaccesskeyid', 'file'].includes(name) || name.startsWith('x-ignore-');
}

function conditionFailed(c: { kind: string; field: string; value: string }): S3Error {
  return denied(`Invalid according to Policy: Policy Condition failed: ["${c.kind}", "$${c.field}", "${c.value}"]`);
}

/**
 * Checks a signed policy against the form: not expired, every condition met and every field covered by a
 * condition (all AccessDenied, as AWS answers a form its policy does not allow). Returns the allowed
 * content length range: every content-length-range condition holds, so the tightest bounds apply.
 */
export function checkPostPolicy(policy: PostPolicy, fields: Map<string, string>, bucketName: string, now = Date.now()): { min: number; max: number } | undefined {
  if (policy.expiration <= now) throw denied('Invalid according to Policy: Policy expired.');
  let range: { min: number; max: number } | undefined;
  const covered = new Set<string>();
  for (const c of policy.conditions) {
    if (c.kind === 'content-length-range') {
      range = range ? { min: Math.max(range.min, c.min), max: Math.min(range.max, c.max) } : { min: c.min, max: c.max };
      continue;
    }
    covered.add(c.field);
    const actual = c.field === 'bucket' ? bucketName : fields.get(c.field);
    if (actual === undefined) throw conditionFailed(c);
    // starts-with on Content-Type holds for a comma-separated list when every type in it starts so.
    const ok = c.kind === 'eq' ? actual === c.value : actual.startsWith(c.value) || (c.field === 'content-type' && actual.split(',').every((v) => v.trim().startsWith(c.value)));
    if (!ok) throw conditionFailed(c);
  }
  const extra = [...fields.keys()].filter((f) => !exempt(f) && !covered.has(f));
  if (extra.length) throw denied(`Invalid according to Policy: Extra input fields: ${extra.join(', ')}`);
  return range;
}

/** Form fields that set the object's headers, as the same-named request headers of PutObject do. */
const HEADER_FIELDS = ['content-type', 'cache-control', 'content-disposition', 'content-encoding', 'content-language', 'expires', 'x-amz-storage-class', 'x-amz-website-redirect-location'];

/**
 * The request headers a form stands for: its header-like fields (`x-amz-meta-*`, `x-amz-grant-*`,
 * `x-amz-checksum-*`, Content-Type…), `acl` as `x-amz-acl` and `tagging` (a Tagging document) as `x-amz-tagging`. Used to write
 * the object and for the policy condition keys (`s3:x-amz-acl`, `s3:RequestObjectTag/…`) the upload is
 * authorized with.
 */
export function formHeaders(fields: Map<string, string>): IncomingHttpHeaders {
  const h: IncomingHttpHeaders = {};
  for (const [name, value] of fields) {
    if (HEADER_FIELDS.includes(name) || name.startsWith('x-amz-meta-') || name.startsWith('x-amz-grant-') || name.startsWith('x-amz-checksum-')) h[name] = value;
  }
  if (fields.has('acl')) h['x-amz-acl'] = fields.get('acl');
  const tagging = fields.get('tagging');
  if (tagging !== undefined && tagging.trim() !== '') {
    const tags = tagsFromDocument(Buffer.from(tagging, 'utf8'));
    if (tags.length) h['x-amz-tagging'] = new URLSearchParams(tags).toString();
  }
  return h;
}
