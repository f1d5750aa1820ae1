/**
 * The `x-amz-server-side-encryption*` request headers, decoded and checked as AWS checks them, and the ones
 * every response about an encrypted object carries.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/specifying-s3-encryption.html
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerSideEncryptionCustomerKeys.html
 *
 * SSE-S3 (`AES256`) and SSE-C are built; SSE-KMS (`aws:kms`, `aws:kms:dsse`) answers NotImplemented.
 */
import { createHash } from 'node:crypto';
import type { HttpResponse } from '../../../lib/http-response.js';
import { S3Error } from '../../../errors/s3-error.js';
import type { CustomerKey, EncryptionRequest } from '../../../core/encryption.js';
import type { ObjectRecord } from '../../../metadata/store.js';
import type { S3Context } from '../../context.js';

const SSE = 'x-amz-server-side-encryption';
const KMS_HEADERS = [`${SSE}-aws-kms-key-id`, `${SSE}-context`, `${SSE}-bucket-key-enabled`];

type Fields = (name: string) => string | undefined;

function fieldsOf(ctx: S3Context): Fields {
  return (name) => {
    const v = ctx.headers[name];
    return Array.isArray(v) ? v.join(',') : v;
  };
}

function invalid(message: string, name: string, value?: string): S3Error {
  return new S3Error('InvalidArgument', { message, details: { ArgumentName: name, ...(value !== undefined ? { ArgumentValue: value } : {}) } });
}

/**
 * The SSE-C key under `prefix` (`x-amz-server-side-encryption-customer-` or, for a copy source,
 * `x-amz-copy-source-server-side-encryption-customer-`), or undefined when none of its headers is present.
 */
function customerKeyFrom(get: Fields, prefix: string, secure: boolean, allowHttp: boolean): CustomerKey | undefined {
  const algorithm = get(`${prefix}algorithm`);
  const key = get(`${prefix}key`);
  const keyMd5 = get(`${prefix}key-md5`);
  if (algorithm === undefined && key === undefined && keyMd5 === undefined) return undefined;
  if (!secure && !allowHttp) {
    throw new S3Error('InvalidRequest', { message: 'Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.' });
  }
  if (algorithm === undefined) throw invalid('Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.', `${prefix}algorithm`);
  if (algorithm !== 'AES256') throw invalid('The encryption method specified is not supported', `${prefix}algorithm`, algorithm);
  if (key === undefined) throw invalid('Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.', `${prefix}key`);
  if (keyMd5 === undefined) throw invalid('Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.', `${prefix}key-MD5`);
  const raw = /^[A-Za-z0-9+/]*={0,2}$/.test(key) ? Buffer.from(key, 'base64') : Buffer.alloc(0);
  if (raw.length !== 32) throw invalid('The secret key was invalid for the specified algorithm.', `${prefix}key`);
  if (createHash('md5').update(raw).digest('base64') !== keyMd5) {
    throw invalid('The calculated MD5 hash of the key did not match the hash that was provided.', `${prefix}key-MD5`);
  }
  return { key: raw, keyMd5 };
}

/**
 * What a write (PutObject, CopyObject's destination, PostObject) asks for; undefined: no encryption asked.
 * `get` reads a header (or a PostObject form field) by its lowercase name.
 */
export function encryptionRequestFrom(get: Fields, secure: boolean, allowHttp: boolean): EncryptionRequest | undefined {
  const sse = get(SSE);
  const customer = customerKeyFrom(get, `${SSE}-customer-`, secure, allowHttp);
  const kms = KMS_HEADERS.find((h) => get(h) !== undefined);
  if (sse !== undefined && customer) {
    throw invalid('Server Side Encryption with Customer provided key is incompatible with the encryption method specified', SSE, sse);
  }
  if (sse === 'aws:kms' || sse === 'aws:kms:dsse') {
    throw new S3Error('NotImplemented', { message: 'Server-side encryption with KMS keys (SSE-KMS) is not implemented by Granary yet; the request was not carried out.', details: { Header: SSE } });
  }
  if (sse !== undefined && sse !== 'AES256') throw invalid('The encryption method specified is not supported', SSE, sse);
  if (kms !== undefined) {
    // AWS: the KMS headers are valid only with aws:kms.
    throw invalid(`Server Side Encryption with AWS KMS managed key requires HTTP header ${SSE} : aws:kms`, kms);
  }
  if (customer) return { mode: 'SSE-C', customerKey: customer.key, keyMd5: customer.keyMd5 };
  return sse === 'AES256' ? { mode: 'AES256' } : undefined;
}

/** The encryption a PutObject or CopyObject request asks for its (destination) object. */
export function encryptionRequest(ctx: S3Context): EncryptionRequest | undefined {
  return encryptionRequestFrom(fieldsOf(ctx), ctx.secure, ctx.services.config.sseCustomerKeysOverHttp);
}

/**
 * The SSE-C key a read presents (GetObject, HeadObject; `copySource` for CopyObject's source). Headers that
 * choose an encryption (`x-amz-server-side-encryption`, the KMS ones) belong to writes and are refused here.
 */
export function customerKey(ctx: S3Context, copySource = false): CustomerKey | undefined {
  const get = fieldsOf(ctx);
  if (!copySource) {
    const chooser = [SSE, ...KMS_HEADERS].find((h) => get(h) !== undefined);
    if (chooser !== undefined) throw invalid(`The ${chooser} header is not supported for this operation.`, chooser);
  }
  const prefix = copySource ? 'x-amz-copy-source-server-side-encryption-customer-' : `${SSE}-customer-`;
  return customerKeyFrom(get, prefix, ctx.secure, ctx.services.config.sseCustomerKeysOverHttp);
}

/** A read presenting an SSE-C key for an object not stored with one: AWS refuses it. */
export function checkCustomerKeyApplies(o: ObjectRecord, key: CustomerKey | undefined): void {
  if (key && o.parts[0]?.sse?.mode !== 'SSE-C') {
    throw new S3Error('InvalidRequest', { message: 'The encryption parameters are not applicable to this object.' });
  }
}

/** The headers every response about `o` carries for its encryption (none for an object stored in clear). */
export function sseResponseHeaders(o: ObjectRecord): HttpResponse['headers'] {
  const sse = o.parts[0]?.sse;
  if (!sse) return {};
  if (sse.mode === 'AES256') return { [SSE]: 'AES256' };
  return { [`${SSE}-customer-algorithm`]: 'AES256', [`${SSE}-customer-key-md5`]: sse.keyMd5! };
}
