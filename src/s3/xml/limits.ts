/**
 * How large each request XML document may be, by its root element: what AWS allows for that operation,
 * with room for the markup. Bounding bytes alone is not enough (2 MiB of `<a/>` or of attributes takes the
 * tokenizer most of a second), so the element count, nesting depth and attributes per element are bounded
 * too, checked by a linear pre-scan before the document reaches the parser (read.ts).
 */

export interface XmlLimits {
  /** Largest body, in bytes (MaxMessageLengthExceeded beyond). */
  maxBytes: number;
  /** Most elements in the whole document (MalformedXML beyond). */
  maxElements: number;
}

/** Every S3 request document is shallow: the deepest (AccessControlPolicy/…/Grantee/ID) is 5 levels. */
export const MAX_XML_DEPTH = 16;
/** `xmlns`, `xmlns:xsi` and `xsi:type` are the attributes S3 documents carry; a few more are tolerated. */
export const MAX_XML_ATTRIBUTES = 8;

const KiB = 1024;
const MiB = 1024 * KiB;

export const XML_DOCUMENTS = {
  // LocationConstraint, plus the newer Location/Bucket blocks: a handful of elements.
  CreateBucketConfiguration: { maxBytes: 16 * KiB, maxElements: 64 },
  // DeleteObjects: at most 1,000 Object elements, each with Key (up to 1,024 bytes), VersionId, ETag,
  // LastModifiedTime, Size; 2 MiB holds 1,000 maximal keys even with some escaping.
  Delete: { maxBytes: 2 * MiB, maxElements: 1000 * 7 + 8 },
  // CompleteMultipartUpload: up to 10,000 parts, each PartNumber, ETag and up to five checksums.
  CompleteMultipartUpload: { maxBytes: 4 * MiB, maxElements: 10_000 * 8 + 8 },
  // Object tagging (10 tags) and bucket tagging (50 tags): keys ≤ 128 and values ≤ 256 characters.
  Tagging: { maxBytes: 64 * KiB, maxElements: 50 * 3 + 8 },
  // ACLs: at most 100 grants, each Grantee (ID, DisplayName, URI, EmailAddress) and Permission.
  AccessControlPolicy: { maxBytes: 64 * KiB, maxElements: 100 * 8 + 16 },
  // CORS: "the CORS configuration can be up to 64 KB", at most 100 rules.
  CORSConfiguration: { maxBytes: 64 * KiB, maxElements: 4096 },
  // Bucket logging: a target, a prefix (≤ 1,024 bytes), a key format, and up to 100 TargetGrants.
  BucketLoggingStatus: { maxBytes: 64 * KiB, maxElements: 100 * 8 + 16 },
} as const satisfies Record<string, XmlLimits>;

export type XmlDocumentName = keyof typeof XML_DOCUMENTS;

/** The largest of the bounds above: no request document may be bigger, whatever its root. */
export const MAX_XML_BODY_BYTES = Math.max(...Object.values(XML_DOCUMENTS).map((l) => l.maxBytes));
