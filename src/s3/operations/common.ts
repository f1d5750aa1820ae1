/** Small helpers shared by operations: XML responses, owners, HTTP dates, ETags. */
import type { HttpResponse } from '../../lib/http-response.js';
import { xmlDocument, type XmlNode } from '../xml/write.js';
import type { S3Context } from '../context.js';

export function xmlResponse(root: string, children: XmlNode, status = 200, headers: HttpResponse['headers'] = {}): HttpResponse {
  return { status, headers: { 'content-type': 'application/xml', ...headers }, body: xmlDocument(root, children) };
}

export function emptyResponse(status = 200, headers: HttpResponse['headers'] = {}): HttpResponse {
  return { status, headers: { ...headers, 'content-length': 0 } };
}

/** <Owner><ID/><DisplayName/></Owner> for a user id, looking names up once per request. */
export async function ownerNode(ctx: S3Context, userId: string, cache: Map<string, string> = new Map()): Promise<XmlNode> {
  return [
    ['ID', userId],
    ['DisplayName', await ownerDisplayName(ctx, userId, cache)],
  ];
}

/** The username shown as an owner's DisplayName (the id if the user is gone), looked up once per request. */
export async function ownerDisplayName(ctx: S3Context, userId: string, cache: Map<string, string>): Promise<string> {
  let name = cache.get(userId);
  if (name === undefined) {
    name = await ctx.services.owners.displayName(userId);
    cache.set(userId, name);
  }
  return name;
}

export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

/** Strips the quotes of an entity tag (and a weak prefix) for comparisons. */
export function bareEtag(etag: string): string {
  let e = etag.trim();
  if (e.startsWith('W/')) e = e.slice(2);
  if (e.length >= 2 && e.startsWith('"') && e.endsWith('"')) e = e.slice(1, -1);
  return e;
}
