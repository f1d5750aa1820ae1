/**
 * Bucket and object ACLs:
 * GetBucketAcl https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketAcl.html
 * PutBucketAcl https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketAcl.html
 * GetObjectAcl https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAcl.html
 * PutObjectAcl https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectAcl.html
 */
import type { HttpResponse } from '../../../lib/http-response.js';
import { S3Error } from '../../../errors/s3-error.js';
import { explicitAcl, isPermission, ownerPermissions, parseStoredAcl, serialiseAcl, type Acl, type AclOwners, type Grant } from '../../../iam/acl.js';
import { type S3Context } from '../../context.js';
import { asObject, children, parseXml, readXmlBody, text, type XmlObject } from '../../xml/read.js';
import type { XmlNode } from '../../xml/write.js';
import { emptyResponse, ownerNode, xmlResponse } from '../common.js';
import { aclFromHeaders, hasAclHeaders, resolveGrantee, type GranteeRef } from './acl-headers.js';

const XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';

/** The AccessControlPolicy document: the owner, the owner's own grants, then the others, as AWS lists them. */
async function aclDocument(ctx: S3Context, ownerId: string, acl: Acl): Promise<HttpResponse> {
  const names = new Map<string, string>();
  const owner = await ownerNode(ctx, ownerId, names);
  const grants: XmlNode = ownerPermissions(acl).map((p) => ['Grant', [[`Grantee ${XSI} xsi:type="CanonicalUser"`, owner], ['Permission', p]]]);
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

const one = (v: XmlObject[string]): XmlObject => asObject(Array.isArray(v) ? v[0]! : v);

/** Who a <Grantee> names: by ID (CanonicalUser), URI (Group) or EmailAddress (AmazonCustomerByEmail). */
function granteeRef(grantee: XmlObject): GranteeRef {
  const id = text(grantee, 'ID');
  const uri = text(grantee, 'URI');
  const email = text(grantee, 'EmailAddress');
  if ([id, uri, email].filter((v) => v !== undefined).length !== 1) throw new S3Error('MalformedACLError');
  return id !== undefined ? { kind: 'id', value: id } : uri !== undefined ? { kind: 'uri', value: uri } : { kind: 'emailAddress', value: email! };
}

/**
 * The ACL a Put*Acl request sets: from headers, or from an AccessControlPolicy document. A document
 * grants exactly what it lists, the owner included (an empty list revokes everything).
 */
async function requestedAcl(ctx: S3Context, owners: AclOwners): Promise<string | null> {
  if (hasAclHeaders(ctx)) {
    // Headers or a document, not both (AWS): the document would otherwise be silently dropped.
    if (ctx.body.present && (await readXmlBody(ctx.body, 'AccessControlPolicy')).length > 0) throw new S3Error('UnexpectedContent');
    return aclFromHeaders(ctx, owners);
  }
  const body = await readXmlBody(ctx.body, 'AccessControlPolicy');
  if (body.length === 0) throw new S3Error('MissingRequestBodyError', { message: 'Request Body is empty' });
  const doc = parseXml(body, 'AccessControlPolicy');
  const list = doc.AccessControlList;
  if (list === undefined) throw new S3Error('MalformedACLError');
  const grants: Grant[] = [];
  for (const g of list === '' ? [] : children(one(list), 'Grant')) {
    const grant = asObject(g);
    const permission = text(grant, 'Permission')?.trim();
    if (!permission || !isPermission(permission) || grant.Grantee === undefined) throw new S3Error('MalformedACLError');
    grants.push({ grantee: await resolveGrantee(ctx.services.owners, granteeRef(one(grant.Grantee))), permission });
  }
  return serialiseAcl(explicitAcl(grants, owners.owner));
}

export async function GetBucketAcl(ctx: S3Context<'GetBucketAcl'>): Promise<HttpResponse> {
  const b = ctx.bucket;
  return aclDocument(ctx, b.ownerId, parseStoredAcl(b.acl));
}

export async function PutBucketAcl(ctx: S3Context<'PutBucketAcl'>): Promise<HttpResponse> {
  const b = ctx.bucket;
  await ctx.services.buckets.setAcl(b, await requestedAcl(ctx, { owner: b.ownerId, bucketOwner: b.ownerId }));
  return emptyResponse(200);
}

export async function GetObjectAcl(ctx: S3Context<'GetObjectAcl'>): Promise<HttpResponse> {
  const o = await ctx.services.objects.get(ctx.bucket, ctx.key);
  return aclDocument(ctx, o.ownerId, parseStoredAcl(o.acl));
}

export async function PutObjectAcl(ctx: S3Context<'PutObjectAcl'>): Promise<HttpResponse> {
  const b = ctx.bucket;
  const key = ctx.key;
  const o = await ctx.services.objects.get(b, key);
  await ctx.services.objects.setAcl(b, key, await requestedAcl(ctx, { owner: o.ownerId, bucketOwner: b.ownerId }));
  return emptyResponse(200);
}
