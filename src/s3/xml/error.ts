/** The AWS XML error document: Code, Message, the error's details, Resource, RequestId. */
import type { S3Error } from '../../errors/s3-error.js';
import { xmlDocument, type XmlNode } from './write.js';

export function errorDocument(err: S3Error, resource: string, requestId: string): string {
  const children: XmlNode = [
    ['Code', err.code],
    ['Message', err.message],
  ];
  for (const [name, value] of Object.entries(err.details)) if (value !== undefined) children.push([name, value]);
  children.push(['Resource', resource], ['RequestId', requestId], ['HostId', requestId]);
  return xmlDocument('Error', children, '');
}
