/**
 * The parsers an attacker reaches first, as fuzz targets (engine.ts): the router, SigV4 (header and
 * presigned query) and SigV2 authentication, aws-chunked decoding, request XML, bucket policies, PostObject
 * forms and Range headers. Each target expects S3Error (or PolicyError, for policies) as the answer to bad
 * input; anything else, or an invariant broken on success, is a crash. Inputs are text with a simple
 * framing (first line / first byte) so one byte string describes a whole request.
 */
import { Readable } from 'node:stream';
import { S3Error } from '../../src/errors/s3-error.js';
import { route, hostLabelOf } from '../../src/s3/router.js';
import { splitTarget } from '../../src/s3/handler.js';
import { checkObjectKey } from '../../src/s3/object-key.js';
import { parseCopySource } from '../../src/s3/copy-source.js';
import { authenticateSigV4, deriveSigningKey } from '../../src/iam/sigv4/authenticate.js';
import { authenticateSigV2 } from '../../src/s3/sigv2/authenticate.js';
import { createAwsChunkedDecoder } from '../../src/iam/sigv4/aws-chunked.js';
import { parseXml, children, asObject, text } from '../../src/s3/xml/read.js';
import { XML_DOCUMENTS, type XmlDocumentName } from '../../src/s3/xml/limits.js';
import { parseCorsConfiguration } from '../../src/s3/cors.js';
import { parsePolicy, PolicyError } from '../../src/iam/policy/parse.js';
import { evaluate } from '../../src/iam/policy/evaluate.js';
import { readPostForm, postSignatureOf, parsePostPolicy, checkPostPolicy } from '../../src/s3/post-object.js';
import { parseRange } from '../../src/s3/operations/object/range.js';
import { presign, signHeaders } from '../helpers/sign.js';
import type { FuzzTarget } from './engine.js';

/** Refusals are answers; anything else propagates as a crash. */
function expected(e: unknown): void {
  if (e instanceof S3Error || e instanceof PolicyError) return;
  throw e;
}

const AK = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const NOW = Date.UTC(2013, 4, 24, 0, 0, 0);
const lookup = async (id: string): Promise<string | undefined> => (id === AK ? SECRET : undefined);

/** `METHOD target\nname: value\n…` → method, raw path and query, headers (lowercase names). */
function requestOf(input: Buffer): { method: string; rawPath: string; rawQuery: string; headers: Record<string, string | string[]> } {
  const lines = input.toString('latin1').split('\n');
  const [method = 'GET', target = '/'] = (lines[0] ?? '').split(' ');
  const headers: Record<string, string | string[]> = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const name = line.slice(0, i).trim().toLowerCase();
    const value = line.slice(i + 1).trim();
    const prev = headers[name];
    headers[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  const { rawPath, rawQuery } = splitTarget(target);
  return { method, rawPath, rawQuery, headers };
}

const asText = (r: { target: string; headers: Record<string, string> }, method: string): string =>
  `${method} ${r.target}\n${Object.entries(r.headers).map(([k, v]) => `${k}: ${v}`).join('\n')}`;

const signed = (method: string, path: string, query: Record<string, string> = {}, headers: Record<string, string> = {}) =>
  asText(signHeaders({ method, path, query, headers, host: 'examplebucket.s3.amazonaws.com', accessKey: AK, secretKey: SECRET, date: new Date(NOW) }), method);

export const router: FuzzTarget = {
  name: 'router',
  seeds: [
    'GET /\nhost: s3.localhost',
    'PUT /bucket/key%20with%20space?uploadId=1&partNumber=2\nhost: t.s3.localhost:9000',
    'PUT /b/k\nx-amz-copy-source: /src/a%2Fb?versionId=null',
    'POST /bucket?delete\nhost: bucket.t.s3.localhost',
    'GET /bucket?list-type=2&prefix=a&delimiter=/',
    'DELETE /bucket/k?uploadId=x',
    'GET http://h.example/bucket/k?acl',
    'HEAD /tenancy:bucket/k',
  ],
  dictionary: ['?', '&', '=', '/', '%', '%2F', '%ZZ', '%C0%AF', 'uploadId', 'partNumber', 'acl', 'tagging', 'delete', 'uploads', 'x-amz-copy-source: ', 'host: ', '\n', ':', 'http://', '..', '.s3.localhost'],
  run(input) {
    const r = requestOf(input);
    const host = typeof r.headers.host === 'string' ? r.headers.host : undefined;
    try {
      const label = hostLabelOf(host, ['s3.localhost', 's3-ext.localhost']);
      const virtualBucket = label?.includes('.') ? label.slice(0, label.lastIndexOf('.')) : undefined;
      const rt = route({ method: r.method, rawPath: r.rawPath, query: new URLSearchParams(r.rawQuery), headers: r.headers, virtualBucket });
      if ('key' in rt) checkObjectKey(rt.key);
      const copy = r.headers['x-amz-copy-source'];
      if (typeof copy === 'string') parseCopySource(copy);
    } catch (e) {
      expected(e);
    }
  },
};

export const sigv4: FuzzTarget = {
  name: 'sigv4',
  seeds: [
    signed('GET', '/test.txt', {}, { range: 'bytes=0-9' }),
    signed('PUT', '/test$file.text', {}, { 'x-amz-storage-class': 'REDUCED_REDUNDANCY' }),
    signed('GET', '/', { 'max-keys': '2', prefix: 'J' }),
    `GET ${presign({ method: 'GET', path: '/test.txt', host: 'examplebucket.s3.amazonaws.com', accessKey: AK, secretKey: SECRET, date: new Date(NOW), expires: 86400 })}\nhost: examplebucket.s3.amazonaws.com`,
  ],
  dictionary: ['AWS4-HMAC-SHA256', 'Credential=', 'SignedHeaders=', 'Signature=', '/20130524/us-east-1/s3/aws4_request', 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Expires', 'X-Amz-Date', 'UNSIGNED-PAYLOAD', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'x-amz-content-sha256: ', 'x-amz-date: ', '20130524T000000Z', ',', ';', '=', '%', '+', '\n'],
  async run(input) {
    const r = requestOf(input);
    try {
      await authenticateSigV4(r, lookup, NOW, { region: 'us-east-1' });
    } catch (e) {
      expected(e);
    }
  },
};

export const sigv2: FuzzTarget = {
  name: 'sigv2',
  seeds: [
    'GET /photos/puppy.jpg\nhost: johnsmith.s3.amazonaws.com\ndate: Tue, 27 Mar 2007 19:36:42 +0000\nauthorization: AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU=',
    'GET /photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D\nhost: johnsmith.s3.amazonaws.com',
    'PUT /db-backup.dat.gz\nx-amz-meta-reviewedby: joe@johnsmith.net\nx-amz-meta-reviewedby: jane@johnsmith.net\ncontent-md5: 4gJE4saaMU4BqNR0kLY+lw==\ndate: Tue, 27 Mar 2007 21:06:08 +0000\nauthorization: AWS AKIAIOSFODNN7EXAMPLE:ilyl83RwaSoYIEdixDQcA4OnAnc=',
  ],
  dictionary: ['AWS ', ':', 'x-amz-date: ', 'date: ', 'Expires=', 'Signature=', 'AWSAccessKeyId=', '?acl', '?uploads', '&', '%2B', '\n'],
  async run(input) {
    const r = requestOf(input);
    try {
      await authenticateSigV2(r, lookup, undefined, Date.UTC(2007, 2, 27, 19, 36, 42));
    } catch (e) {
      expected(e);
    }
  },
};

const chunkSigning = {
  signingKey: deriveSigningKey(SECRET, '20130524', 'us-east-1', 's3'),
  scope: '20130524/us-east-1/s3/aws4_request',
  datetime: '20130524T000000Z',
  seedSignature: '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9',
};

export const awsChunked: FuzzTarget = {
  name: 'aws-chunked',
  seeds: [
    '\x00\x0510;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\naaaaaaaaaaaaaaaa\r\n0;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n\r\n',
    '\x01\x0310\r\naaaaaaaaaaaaaaaa\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n',
    '\x02\x07400;chunk-signature=1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7\r\n\r\n0;chunk-signature=2ca2\r\nx-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:d81f\r\n\r\n',
  ],
  dictionary: [';chunk-signature=', '\r\n', '0\r\n', 'x-amz-checksum-crc32:', 'x-amz-trailer-signature:', 'ffffffff', '10000', ';', ':'],
  maxLength: 8192,
  async run(input) {
    const mode = (input[0] ?? 0) % 3;
    const split = input[1] ?? 0;
    const body = input.subarray(2);
    const d = createAwsChunkedDecoder({
      signing: mode === 1 ? undefined : chunkSigning,
      expectTrailer: mode !== 0,
      trailerNames: mode === 0 ? [] : ['x-amz-checksum-crc32', 'x-amz-checksum-crc32c'],
    });
    const at = body.length ? split % (body.length + 1) : 0;
    try {
      for await (const chunk of Readable.from([body.subarray(0, at), body.subarray(at)]).pipe(d)) void chunk;
      d.trailers();
    } catch (e) {
      expected(e);
    }
  },
};

const ROOTS = Object.keys(XML_DOCUMENTS) as XmlDocumentName[];

export const xml: FuzzTarget = {
  name: 'xml',
  seeds: [
    '\x00<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>',
    '\x01<?xml version="1.0"?><Delete><Quiet>true</Quiet><Object><Key>a&amp;b</Key></Object><Object><Key>&#x1F600;</Key><VersionId>null</VersionId></Object></Delete>',
    '\x02<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&#34;abc&#34;</ETag></Part></CompleteMultipartUpload>',
    '\x03<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>',
    '\x04<AccessControlPolicy><Owner><ID>o</ID></Owner><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>',
    '\x05<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>*</AllowedHeader><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>',
  ],
  dictionary: ['<', '>', '</', '/>', '<![CDATA[', ']]>', '<!--', '-->', '<?', '?>', '<!DOCTYPE', '&amp;', '&#x', '&#', ';', '"', "'", '=', 'xmlns="x"', '<Object>', '<Key>', '</Key>', '\xff', '\xc0\xaf'],
  maxLength: 8192,
  run(input) {
    const root = ROOTS[(input[0] ?? 0) % ROOTS.length]!;
    const body = input.subarray(1);
    try {
      const doc = parseXml(body, root);
      if (root === 'Delete') for (const o of children(doc, 'Object')) text(asObject(o), 'Key');
      if (root === 'CORSConfiguration') parseCorsConfiguration(body);
    } catch (e) {
      expected(e);
    }
  },
};

export const policy: FuzzTarget = {
  name: 'policy',
  seeds: [
    JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'a', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/*' }] }),
    JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Principal: { AWS: ['arn:aws:iam:::user/u'] }, NotAction: ['s3:List*'], Resource: ['arn:aws:s3:::bucket', 'arn:aws:s3:::bucket/${aws:username}/*'], Condition: { IpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '::1/128'] }, StringLike: { 's3:prefix': ['home/${aws:username}/*'] }, Bool: { 'aws:SecureTransport': 'false' } } }] }),
    JSON.stringify({ Statement: [{ Effect: 'Allow', NotPrincipal: { AWS: 'arn:aws:iam:::group/g' }, Action: '*', NotResource: 'arn:aws:s3:::bucket/private/*', Condition: { DateGreaterThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' }, NumericLessThanEquals: { 's3:max-keys': '10' }, Null: { 's3:prefix': 'true' } } }] }),
  ],
  dictionary: ['"', '{', '}', '[', ']', ',', ':', '*', '?', '${', '}', '${aws:username}', 'ForAnyValue:', 'ForAllValues:', 'IfExists', 'StringNotLike', 'ArnLike', 'IpAddress', '/33', '::', '1e309', '-0', '\\u0000', '\\ud800'],
  maxLength: 8192,
  run(input) {
    try {
      const p = parsePolicy(input.toString('utf8'), 'bucket');
      for (const [action, resource] of [['s3:GetObject', 'arn:aws:s3:::bucket/home/u/x'], ['s3:ListBucket', 'arn:aws:s3:::bucket']]) {
        evaluate([p], {
          principal: { kind: 'user', username: 'u', groups: ['g'] },
          action: action!,
          resource: resource!,
          context: { 'aws:sourceip': '10.1.2.3', 'aws:username': 'u', 's3:prefix': 'home/u/', 'aws:currenttime': '2024-01-01T00:00:00Z', 'aws:securetransport': 'false', 's3:max-keys': '5' },
        });
      }
    } catch (e) {
      expected(e);
    }
  },
};

const BOUNDARY = 'XbX';
const postPolicy = Buffer.from(JSON.stringify({ expiration: '2030-01-01T00:00:00Z', conditions: [{ bucket: 'b' }, ['starts-with', '$key', 'u/'], ['content-length-range', 0, 100]] })).toString('base64');

export const postForm: FuzzTarget = {
  name: 'post-form',
  seeds: [
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="key"\r\n\r\nu/\${filename}\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; name="policy"\r\n\r\n${postPolicy}\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--${BOUNDARY}--\r\n`,
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="x-amz-signature"\r\n\r\nabc\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; name="x-amz-algorithm"\r\n\r\nAWS4-HMAC-SHA256\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; name="x-amz-credential"\r\n\r\nAK/20240101/us-east-1/s3/aws4_request\r\n--${BOUNDARY}--\r\n`,
  ],
  dictionary: [`--${BOUNDARY}`, '\r\n', 'Content-Disposition: form-data; name="', 'filename="', 'filename*=UTF-8\'\'', '"', ';', 'key', 'file', 'policy', 'AWSAccessKeyId', 'signature', '${filename}', '--'],
  maxLength: 8192,
  async run(input) {
    try {
      const form = await readPostForm({ 'content-type': `multipart/form-data; boundary=${BOUNDARY}` }, Readable.from([input]));
      form.file.resume();
      await form.done.catch(expected);
      checkObjectKey(form.key);
      const sig = postSignatureOf(form.fields);
      const p = form.fields.get('policy');
      if (p !== undefined) checkPostPolicy(parsePostPolicy(p), form.fields, 'b', Date.UTC(2024, 0, 1));
      void sig;
    } catch (e) {
      expected(e);
    }
  },
};

export const range: FuzzTarget = {
  name: 'range',
  seeds: ['100\nbytes=0-9', '100\nbytes=-5', '100\nbytes=90-', '0\nbytes=0-0', '5368709120\nbytes=5368709119-', '10\nbytes=5-3'],
  dictionary: ['bytes=', '-', ',', ' ', '0', '9007199254740993', '\n'],
  run(input) {
    const [sizeText = '0', header = ''] = input.toString('latin1').split('\n');
    const size = Math.min(Number.parseInt(sizeText, 10) || 0, 2 ** 53 - 1);
    try {
      const r = parseRange(header, Math.max(0, size));
      if (r && !(Number.isSafeInteger(r.start) && Number.isSafeInteger(r.end) && r.start >= 0 && r.start <= r.end && r.end < size)) {
        throw new Error(`parseRange(${JSON.stringify(header)}, ${size}) gave an impossible range ${JSON.stringify(r)}`);
      }
    } catch (e) {
      expected(e);
    }
  },
};

export const TARGETS: FuzzTarget[] = [router, sigv4, sigv2, awsChunked, xml, policy, postForm, range];
