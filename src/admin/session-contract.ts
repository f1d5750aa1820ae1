/**
 * Request/response bodies of the portal's session endpoints (`/_admin/api/v1/session…`), kept beside
 * contract.ts so the portal imports types only. Sign-in and elevation bodies are `{ username, password }`
 * and `{ password }`.
 */

export interface SignInRequest {
  username: string;
  password: string;
}
export interface ElevateRequest {
  password: string;
}
export interface SessionInfo {
  signedIn: boolean;
  username: string | null;
  /** Send as X-CSRF-Token on every POST/PUT/PATCH/DELETE made with the session cookie. */
  csrfToken: string | null;
  /** Until when key management is unlocked (ISO 8601), or null. */
  elevatedUntil: string | null;
}

/** POST /tenancies/{t}/buckets/{b}/policy-check */
export interface PolicyCheckRequest {
  /** Username; omitted = anonymous. */
  user?: string;
  action: string;
  key?: string;
}
export interface PolicyCheckResponse {
  allowed: boolean;
  /** What allowed it ("bucket policy", "bucket owner", …) or why not. */
  decidedBy: string;
  /** The bucket-policy statement that decided, if one did. */
  statement: { index: number; sid: string | null; effect: 'Allow' | 'Deny'; document: unknown } | null;
}

/** A bucket as the portal lists it. */
export interface PortalBucket {
  name: string;
  owner: string;
  createdAt: string;
  usage: { bytes: number; objects: number };
  hasPolicy: boolean;
  /** The bucket policy (or ACL) lets anyone read. */
  public: boolean;
  /** The caller may share it (its owner, MANAGER, DEPUTY: who S3 lets set its policy). */
  mayShare: boolean;
}

/** POST /tenancies/{t}/presign: a presigned S3 URL for the caller (the browser never holds a secret). */
export interface PresignRequest {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'HEAD';
  /** Omitted: the service (ListBuckets); bucket only: a bucket operation. */
  bucket?: string;
  /** The bucket's tenancy when it is another one (a bucket shared with the caller): `tenancy:bucket` in the path. */
  bucketTenancy?: string;
  key?: string;
  /** Extra query parameters to sign (uploads, uploadId, partNumber, list-type, prefix, delimiter, …). */
  query?: Record<string, string>;
  /** Seconds, 1 … 604800 (7 days); default 900. */
  expiresIn?: number;
}
export interface PresignResponse {
  url: string;
  expiresAt: string;
}
