/**
 * Bucket and object ACLs:
 * GetBucketAcl https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketAcl.html
 * PutBucketAcl https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketAcl.html
 * GetObjectAcl https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAcl.html
 * PutObjectAcl https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectAcl.html
 */
import type { HttpResponse } from '../../../lib/http-response.js';
import { S3Error } from '../../../errors/s3-error.js';
import { isPermission, parseStoredAcl, serialiseAcl, type Acl, type Grant } from '../../../iam/acl.js';
import { bucketOf, keyOf, type S3Context } from '../../context.js';
import { asObject, children, parseXml, text } from '../../xml/read.js';
import type { XmlNode } from '../../xml/write.js';
import { emptyResponse, ownerNode, xmlResponse } from '../common.js';
import { aclFromHeaders, hasAclHeaders } from './acl-headers.js';

const XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';

async function aclDocument(ctx: S3Context, ownerId: string, acl: Acl): Promise<HttpResponse> {
  const names = new Map<string, string>();
  const owner = await ownerNode(ctx, ownerId, names);
  const grants: XmlNode = [['Grant', [[`Grantee ${XSI} xsi:type="CanonicalUser"`, owner], ['Permission', 'FULL_CONTROL']]]];
  for (const g of acl.grants) {
    const grantee: XmlNode[number] =
      g.grantee.type === 'user'
        ? [`Grantee ${XSI} xsi:type="CanonicalUser"`, await ownerNode(ctx, g.grantee.id, names)]
        : [`Grantee ${XSI} xsi:type="Group"`, [['URI', g.grantee.uri]]];
    grants.push(['Grant', [grantee, ['Permission', g.permission]]]);
  }
  return xmlResponse('AccessControlPolicy', [
    ['Owner', owner],
    ['AccessControlList', grants],
  ]);
}

/** The ACL a Put*Acl request sets: from headers, or from an AccessControlPolicy document. */
async function requestedAcl(ctx: S3Context, ownerId: string): Promise<string | null> {
  if (hasAclHeaders(ctx)) return aclFromHeaders(ctx, ownerId);
  const body = await ctx.body.readAll();
  if (body.length === 0) throw new S3Error('MissingRequestBodyError', { message: 'Request Body is empty' });
  const doc = parseXml(body, 'AccessControlPolicy');
  const list = doc.AccessControlList;
  if (list === undefined) throw new S3Error('MalformedACLError');
  const grants: Grant[] = [];
  for (const g of children(asObject(Array.isArray(list) ? list[0]! : list), 'Grant')) {
    const grant = asObject(g);
    const permission = text(grant, 'Permission');
    const granteeEl = grant.Grantee;
    if (!permission || !isPermission(permission) || granteeEl === undefined) throw new S3Error('MalformedACLError');
    const grantee = asObject(Array.isArray(granteeEl) ? granteeEl[0]! : granteeEl);
    const uri = text(grantee, 'URI');
    const id = text(grantee, 'ID');
    if (uri !== undefined) grants.push({ grantee: { type: 'group', uri: uri.trim() }, permission });
    else if (id !== undefined) {
      // The owner's own FULL_CONTROL is implicit; other users must exist.
      if (id === ownerId && permission === 'FULL_CONTROL') continue;
      if (!(await ctx.services.metadata.getUserById(id.trim()))) throw new S3Error('InvalidArgument', { message: 'Invalid id', details: { ArgumentName: 'CanonicalUser/ID', ArgumentValue: id } });
      grants.push({ grantee: { type: 'user', id: id.trim() }, permission });
    } else throw new S3Error('MalformedACLError');
  }
  return serialiseAcl({ grants });
}

export async function GetBucketAcl(ctx: S3Context): Promise<HttpResponse> {
  const b = bucketOf(ctx);
  return aclDocument(ctx, b.ownerId, parseStoredAcl(b.acl));
}

export async function PutBucketAcl(ctx: S3Context): Promise<HttpResponse> {
  const b = bucketOf(ctx);
  await ctx.services.metadata.setBucketAcl(b.id, await requestedAcl(ctx, b.ownerId));
  return emptyResponse(200);
}

export async function GetObjectAcl(ctx: S3Context): Promise<HttpResponse> {
  const o = await ctx.services.objects.get(bucketOf(ctx), keyOf(ctx));
  return aclDocument(ctx, o.ownerId, parseStoredAcl(o.acl));
}

export async function PutObjectAcl(ctx: S3Context): Promise<HttpResponse> {
  const b = bucketOf(ctx);
  const key = keyOf(ctx);
  const o = await ctx.services.objects.get(b, key);
  if (!(await ctx.services.metadata.setObjectAcl(b.id, key, await requestedAcl(ctx, o.ownerId)))) {
    throw new S3Error('NoSuchKey', { details: { Key: key } });
  }
  return emptyResponse(200);
}
