/**
 * The `x-amz-copy-source` header: "/bucket/key" or "bucket/key", URL-encoded, optionally with
 * "?versionId=…". Granary buckets are unversioned, so only versionId "null" (the null version AWS
 * gives objects in unversioned buckets) is accepted, as AWS does.
 */
import { S3Error } from '../errors/s3-error.js';
import { checkObjectKey } from './object-key.js';

export interface CopySource {
  bucket: string;
  key: string;
}

export function parseCopySource(header: string): CopySource {
  let v = header.trim();
  let query = '';
  const q = v.indexOf('?');
  if (q >= 0) {
    query = v.slice(q + 1);
    v = v.slice(0, q);
  }
  if (v.startsWith('/')) v = v.slice(1);
  const slash = v.indexOf('/');
  if (slash <= 0 || slash === v.length - 1) {
    throw new S3Error('InvalidArgument', { message: 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey', details: { ArgumentName: 'x-amz-copy-source', ArgumentValue: header } });
  }
  let bucket: string;
  let key: string;
  try {
    bucket = decodeURIComponent(v.slice(0, slash));
    key = decodeURIComponent(v.slice(slash + 1));
  } catch {
    throw new S3Error('InvalidArgument', { message: 'Invalid copy source encoding', details: { ArgumentName: 'x-amz-copy-source', ArgumentValue: header } });
  }
  if (query) {
    const versionId = new URLSearchParams(query).get('versionId');
    if (versionId !== null && versionId !== 'null') {
      throw new S3Error('InvalidArgument', { message: 'Invalid version id specified', details: { ArgumentName: 'versionId', ArgumentValue: versionId } });
    }
  }
  checkObjectKey(key);
  return { bucket, key };
}
