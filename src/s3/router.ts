/**
 * Turns (method, host, path, query, headers) into one S3 route: the endpoint, its bucket and key, and its
 * query parameters parsed (route-parameters.ts), as a typed union (`RouteOf<'UploadPart'>` has `bucket`,
 * `key`, `partNumber` and `uploadId`). Pure: no I/O, no registration order. Path-style always;
 * virtual-hosted style when the Host is `<label>.<configured domain>`.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html
 */
import { S3Error } from '../errors/s3-error.js';
import { ENDPOINTS, type EndpointName, type EndpointSpec } from './endpoints.js';
import { parseParameters, type ParametersOf, type RouteHeaders } from './route-parameters.js';

export interface RouteInput {
  method: string;
  /** The bucket named by the Host header (virtual-hosted style), resolved by the caller. */
  virtualBucket?: string;
  /** Raw request-target path, percent-encoded, without the query. */
  rawPath: string;
  query: URLSearchParams;
  headers: RouteHeaders;
}

/** The endpoint a request names and where it points, before its parameters are parsed. */
export interface Target {
  endpoint: EndpointName;
  /** Bucket as named in the request (from host or path); undefined for service operations. */
  bucket: string | undefined;
  /** Object key, decoded, exactly as the client named it; undefined for bucket/service operations. */
  key: string | undefined;
}

type ScopeOf<N extends EndpointName> = (typeof ENDPOINTS)[N]['scope'];
/** What the scope promises: a bucket for bucket and object operations, a key for object operations. */
type Location<N extends EndpointName> = ScopeOf<N> extends 'object'
  ? { readonly bucket: string; readonly key: string }
  : ScopeOf<N> extends 'bucket'
    ? { readonly bucket: string }
    : Record<never, never>;
/** The route of endpoint N: its name, bucket and key as its scope says, and its parsed parameters. */
export type RouteOf<N extends EndpointName> = { readonly name: N } & Location<N> & ParametersOf<N>;
/** Any route (or any of the endpoints N), discriminated by `name`. */
export type Route<N extends EndpointName = EndpointName> = { [K in N]: RouteOf<K> }[N];

/** Finds the part of the host in front of one of our domains (`mybucket` in `mybucket.s3.example.org:9000`). */
export function hostLabelOf(host: string | undefined, domains: readonly string[]): string | undefined {
  if (!host) return undefined;
  let h = host.toLowerCase();
  if (h.startsWith('[')) return undefined; // IPv6 literal: never virtual-hosted
  const colon = h.lastIndexOf(':');
  if (colon >= 0) h = h.slice(0, colon);
  if (h.endsWith('.')) h = h.slice(0, -1);
  for (const d of domains) {
    if (h.length > d.length + 1 && h.endsWith(d) && h[h.length - d.length - 1] === '.') {
      return h.slice(0, h.length - d.length - 1);
    }
  }
  return undefined;
}

/** Decodes a percent-encoded path piece; '+' stays '+' in paths. Invalid encodings are InvalidURI. */
export function decodePath(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new S3Error('InvalidURI');
  }
}

function has(q: URLSearchParams, name: string): boolean {
  return q.has(name);
}

type Method = 'GET' | 'PUT' | 'DELETE' | 'POST';
type SubresourceTable = Array<[string, EndpointName]>;

/**
 * The subresource tables per scope and method (`bucket GET` → [['acl', 'GetBucketAcl'], ...]), derived from
 * the endpoint table's `request` column in its order: a new subresource operation is its row, not a router edit.
 */
const SUBRESOURCES: ReadonlyMap<string, SubresourceTable> = (() => {
  const tables = new Map<string, SubresourceTable>();
  for (const [name, spec] of Object.entries(ENDPOINTS) as Array<[EndpointName, EndpointSpec]>) {
    if (!spec.request) continue;
    const [method, sub] = spec.request.split(' ?') as [Method, string];
    const id = `${spec.scope} ${method}`;
    const table = tables.get(id) ?? [];
    table.push([sub, name]);
    tables.set(id, table);
  }
  return tables;
})();

function subresource(scope: 'bucket' | 'object', method: Method, q: URLSearchParams): EndpointName | undefined {
  return firstMatch(q, SUBRESOURCES.get(`${scope} ${method}`) ?? []);
}

function firstMatch(q: URLSearchParams, table: SubresourceTable): EndpointName | undefined {
  for (const [sub, ep] of table) if (has(q, sub)) return ep;
  return undefined;
}

function header(h: RouteInput['headers'], name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

function pickEndpoint(method: string, bucket: string | undefined, key: string | undefined, q: URLSearchParams, h: RouteInput['headers']): EndpointName {
  if (bucket === undefined) {
    if (method === 'GET' || method === 'HEAD') return 'ListBuckets';
    throw new S3Error('MethodNotAllowed', { details: { Method: method, ResourceType: 'SERVICE' } });
  }
  if (key === undefined) {
    switch (method) {
      case 'GET':
        return subresource('bucket', 'GET', q) ?? (q.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects');
      case 'HEAD':
        return 'HeadBucket';
      case 'PUT':
        return subresource('bucket', 'PUT', q) ?? 'CreateBucket';
      case 'DELETE':
        return subresource('bucket', 'DELETE', q) ?? 'DeleteBucket';
      case 'POST':
        return subresource('bucket', 'POST', q) ?? 'PostObject';
      default:
        throw new S3Error('MethodNotAllowed', { details: { Method: method, ResourceType: 'BUCKET' } });
    }
  }
  switch (method) {
    case 'GET':
      if (has(q, 'uploadId')) return 'ListParts';
      return subresource('object', 'GET', q) ?? 'GetObject';
    case 'HEAD':
      return 'HeadObject';
    case 'PUT': {
      const copy = header(h, 'x-amz-copy-source') !== undefined;
      if (has(q, 'uploadId') && has(q, 'partNumber')) return copy ? 'UploadPartCopy' : 'UploadPart';
      const sub = subresource('object', 'PUT', q);
      if (sub) return sub;
      return copy ? 'CopyObject' : 'PutObject';
    }
    case 'POST':
      if (has(q, 'uploads')) return 'CreateMultipartUpload';
      if (has(q, 'uploadId')) return 'CompleteMultipartUpload';
      {
        const sub = subresource('object', 'POST', q);
        if (sub) return sub;
      }
      throw new S3Error('MethodNotAllowed', { details: { Method: method, ResourceType: 'OBJECT' } });
    case 'DELETE':
      if (has(q, 'uploadId')) return 'AbortMultipartUpload';
      return subresource('object', 'DELETE', q) ?? 'DeleteObject';
    default:
      throw new S3Error('MethodNotAllowed', { details: { Method: method, ResourceType: 'OBJECT' } });
  }
}

/** The endpoint, bucket and key: what authentication and authorization need, before any parameter is read. */
export function target(input: RouteInput): Target {
  const { bucket, key } = locate(input);
  return { endpoint: pickEndpoint(input.method, bucket, key, input.query, input.headers), bucket, key };
}

/**
 * The typed route of a target: its parameters parsed, or the AWS error of the first invalid one. The
 * pipeline asks for it once the request is authorized, where the operations answered these errors before
 * (who may not make the request learns nothing about its parameters).
 */
export function withParameters(t: Target, query: URLSearchParams, headers: RouteHeaders): Route {
  const r: Record<string, unknown> = { name: t.endpoint };
  if (t.bucket !== undefined) r.bucket = t.bucket;
  if (t.key !== undefined) r.key = t.key;
  parseParameters(t.endpoint, query, headers, r);
  // pickEndpoint chose an endpoint whose scope matches the bucket and key present; the row gave the rest.
  return r as unknown as Route;
}

export function route(input: RouteInput): Route {
  return withParameters(target(input), input.query, input.headers);
}

/** The bucket and key a request names, whatever its method (also for `OPTIONS` preflights, no S3 operation). */
export function locate(input: Pick<RouteInput, 'rawPath' | 'virtualBucket'>): { bucket: string | undefined; key: string | undefined } {
  const hostLabel = input.virtualBucket;
  const path = input.rawPath.startsWith('/') ? input.rawPath.slice(1) : input.rawPath;
  let bucket: string | undefined;
  let key: string | undefined;
  if (hostLabel !== undefined) {
    bucket = hostLabel;
    key = path === '' ? undefined : decodePath(path);
  } else if (path !== '') {
    const slash = path.indexOf('/');
    if (slash < 0) {
      bucket = decodePath(path);
    } else {
      bucket = decodePath(path.slice(0, slash));
      const rest = path.slice(slash + 1);
      key = rest === '' ? undefined : decodePath(rest);
    }
  }
  return { bucket, key };
}
