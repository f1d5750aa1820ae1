/**
 * The query parameters of each endpoint, parsed once by the router into the route (as Garage's `Endpoint`
 * carries them): a row per endpoint, a parser per parameter, run in the row's order, so the first invalid
 * parameter answers the AWS error it always did. An operation reads `ctx.route.maxKeys`, never the query
 * string. Adding a parameter to a route is one entry in its row: the route's type follows from it.
 */
import { S3Error } from '../errors/s3-error.js';
import { validPartNumber } from '../core/multipart.js';
import type { EndpointName } from './endpoints.js';
import { BUCKETS_TOKEN, OBJECTS_TOKEN, type TokenCodec } from './continuation-token.js';

export type RouteHeaders = Record<string, string | string[] | undefined>;
/** One parameter: the query (and headers, for a parameter whose meaning depends on one) → its value or the AWS error. */
type Parser<T> = (q: URLSearchParams, h: RouteHeaders) => T;

/** The value, '' when absent. */
const text =
  (name: string): Parser<string> =>
  (q) =>
    q.get(name) ?? '';
/** The value, undefined when absent. */
const optional =
  (name: string): Parser<string | undefined> =>
  (q) =>
    q.get(name) ?? undefined;
/** The value, undefined when absent or empty (clients send `continuation-token=` on a first page). */
const nonEmpty =
  (name: string): Parser<string | undefined> =>
  (q) =>
    q.get(name) || undefined;
/** `?name=true`. */
const isTrue =
  (name: string): Parser<boolean> =>
  (q) =>
    q.get(name) === 'true';

/** A count: `dflt` when absent or empty, capped at `max`; anything but digits is InvalidArgument. */
const count =
  (name: string, dflt: number, max: number): Parser<number> =>
  (q) => {
    const v = q.get(name);
    if (v === null || v === '') return dflt;
    if (!/^\d+$/.test(v)) throw new S3Error('InvalidArgument', { message: `Provided ${name} not an integer or within integer range`, details: { ArgumentName: name, ArgumentValue: v } });
    return Math.min(Number(v), max);
  };

/** `encoding-type`: only `url` exists; anything else is InvalidArgument. */
const encodingType: Parser<'url' | undefined> = (q) => {
  const e = q.get('encoding-type');
  if (e === null) return undefined;
  if (e !== 'url') throw new S3Error('InvalidArgument', { message: 'Invalid Encoding Method specified in Request', details: { ArgumentName: 'encoding-type', ArgumentValue: e } });
  return 'url';
};
/** compat: ListMultipartUploads has always ignored an `encoding-type` other than `url`. */
const lenientEncodingType: Parser<'url' | undefined> = (q) => (q.get('encoding-type') === 'url' ? 'url' : undefined);

export interface ContinuationToken {
  /** As the client sent it (ListObjectsV2 echoes it). */
  token: string;
  /** The position it names: the listing starts after it. */
  after: string;
}
const continuationToken =
  (codec: TokenCodec): Parser<ContinuationToken | undefined> =>
  (q) => {
    const token = q.get('continuation-token') || undefined;
    return token === undefined ? undefined : { token, after: codec.decode(token) };
  };

const uploadId: Parser<string> = text('uploadId');
const partNumber: Parser<number> = (q) => validPartNumber(q.get('partNumber'));

function header(h: RouteHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** GetObject/HeadObject `?partNumber`: one part of the object, never together with a Range. */
const partToRead: Parser<number | undefined> = (q, h) => {
  const v = q.get('partNumber');
  if (v === null) return undefined;
  if (header(h, 'range') !== undefined) throw new S3Error('InvalidRequest', { message: 'Cannot specify both Range header and partNumber query parameter' });
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 10000) {
    throw new S3Error('InvalidArgument', { message: 'Part number must be an integer between 1 and 10000, inclusive', details: { ArgumentName: 'partNumber', ArgumentValue: v } });
  }
  return Number(v);
};

/** `response-*` overrides of a GET's response headers, as [header, value]. */
const RESPONSE_OVERRIDES: Array<[string, string]> = [
  ['response-content-type', 'content-type'],
  ['response-content-language', 'content-language'],
  ['response-expires', 'expires'],
  ['response-cache-control', 'cache-control'],
  ['response-content-disposition', 'content-disposition'],
  ['response-content-encoding', 'content-encoding'],
];
const responseHeaders: Parser<Array<[string, string]>> = (q) =>
  RESPONSE_OVERRIDES.flatMap(([param, name]): Array<[string, string]> => {
    const v = q.get(param);
    return v === null ? [] : [[name, v]];
  });

const MAX_BUCKETS = 10_000;
const maxBuckets: Parser<number | undefined> = (q) => {
  const v = q.get('max-buckets');
  if (v === null) return undefined;
  if (!/^\d{1,5}$/.test(v) || Number(v) < 1 || Number(v) > MAX_BUCKETS) {
    throw new S3Error('InvalidArgument', { message: `Argument max-buckets must be an integer between 1 and ${MAX_BUCKETS}.`, details: { ArgumentName: 'max-buckets', ArgumentValue: v } });
  }
  return Number(v);
};

/** Query parameters a landing page's own links use (any other asks for S3's XML): s3/landing-page.ts. */
const LANDING_QUERY = new Set(['prefix', 'marker']);
/** The query is one a landing page's links make: a browser may be answered with the page. */
const landingQuery: Parser<boolean> = (q) => [...q.keys()].every((k) => LANDING_QUERY.has(k));

export interface ShareLink {
  /** The presigned link's X-Amz-Date and X-Amz-Expires: how long the page's own links may last. */
  date: string;
  expires: string;
}
/** A presigned prefix share (`x-granary-share=1`): the listing is answered as a page. */
const share: Parser<ShareLink | undefined> = (q) =>
  q.get('x-granary-share') === '1' && q.has('X-Amz-Signature') ? { date: q.get('X-Amz-Date') ?? '', expires: q.get('X-Amz-Expires') ?? '0' } : undefined;

export const ROUTE_PARAMETERS = {
  ListBuckets: {
    prefix: optional('prefix'),
    bucketRegion: nonEmpty('bucket-region'),
    continuationToken: continuationToken(BUCKETS_TOKEN),
    /** AWS's pagination is asked for: a page holds at most maxBuckets (10,000 by default). */
    paged: (q: URLSearchParams) => q.has('max-buckets') || q.has('prefix') || q.has('continuation-token') || q.has('bucket-region'),
    maxBuckets,
  },
  ListObjects: {
    landingQuery,
    prefix: text('prefix'),
    delimiter: text('delimiter'),
    marker: text('marker'),
    maxKeys: count('max-keys', 1000, 1000),
    encodingType,
  },
  ListObjectsV2: {
    share,
    prefix: text('prefix'),
    delimiter: text('delimiter'),
    maxKeys: count('max-keys', 1000, 1000),
    encodingType,
    continuationToken: continuationToken(OBJECTS_TOKEN),
    startAfter: text('start-after'),
    fetchOwner: isTrue('fetch-owner'),
  },
  ListMultipartUploads: {
    prefix: text('prefix'),
    delimiter: text('delimiter'),
    keyMarker: text('key-marker'),
    /** Only with a key-marker, as AWS reads it. */
    uploadIdMarker: (q: URLSearchParams) => (q.get('key-marker') ? (q.get('upload-id-marker') ?? '') : ''),
    maxUploads: count('max-uploads', 1000, 1000),
    encodingType: lenientEncodingType,
  },
  GetObject: { partNumber: partToRead, responseHeaders },
  HeadObject: { partNumber: partToRead, responseHeaders },
  UploadPart: { partNumber, uploadId },
  UploadPartCopy: { partNumber, uploadId },
  CompleteMultipartUpload: { uploadId },
  AbortMultipartUpload: { uploadId },
  ListParts: {
    uploadId,
    maxParts: count('max-parts', 1000, 1000),
    partNumberMarker: count('part-number-marker', 0, 10000),
  },
} as const satisfies { [N in EndpointName]?: Record<string, Parser<unknown>> };

type Rows = typeof ROUTE_PARAMETERS;
/** The parsed parameters of endpoint N (none for an endpoint without a row). */
export type ParametersOf<N extends EndpointName> = N extends keyof Rows
  ? { readonly [P in keyof Rows[N]]: Rows[N][P] extends (...args: never[]) => infer T ? T : never }
  : Record<never, never>;

/** Runs the parsers of an endpoint's row, in order, into `into`. */
export function parseParameters(name: EndpointName, q: URLSearchParams, h: RouteHeaders, into: Record<string, unknown>): void {
  const row: Record<string, Parser<unknown>> | undefined = (ROUTE_PARAMETERS as { [N in EndpointName]?: Record<string, Parser<unknown>> })[name];
  if (row) for (const p in row) into[p] = row[p]!(q, h);
}
