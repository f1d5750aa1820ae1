/**
 * The IAM vocabulary a bucket policy may use: S3 action names, condition keys, and the naming rule for
 * condition keys. Kept apart from parsing so the lists can grow without touching the grammar.
 *
 * Sources: "Actions, resources, and condition keys for Amazon S3" and "AWS global condition context keys".
 */

/**
 * S3 action names (without the `s3:` prefix), lower-cased. A literal action must be one of these so that a
 * typo such as `s3:GetObjet` is rejected (AWS answers MalformedPolicy too) instead of silently never matching.
 * Wildcard actions (`s3:Get*`) are checked for syntax only, as AWS does.
 */
export const S3_ACTIONS: ReadonlySet<string> = new Set(
  [
    'AbortMultipartUpload', 'BypassGovernanceRetention', 'CreateAccessPoint', 'CreateBucket', 'CreateJob',
    'DeleteAccessPoint', 'DeleteAccessPointPolicy', 'DeleteBucket', 'DeleteBucketOwnershipControls',
    'DeleteBucketPolicy', 'DeleteBucketWebsite', 'DeleteObject', 'DeleteObjectTagging', 'DeleteObjectVersion',
    'DeleteObjectVersionTagging', 'GetAccelerateConfiguration', 'GetAccessPoint', 'GetAccessPointPolicy',
    'GetAnalyticsConfiguration', 'GetBucketAcl', 'GetBucketCORS', 'GetBucketLocation', 'GetBucketLogging',
    'GetBucketNotification', 'GetBucketObjectLockConfiguration', 'GetBucketOwnershipControls',
    'GetBucketPolicy', 'GetBucketPolicyStatus', 'GetBucketPublicAccessBlock', 'GetBucketRequestPayment',
    'GetBucketTagging', 'GetBucketVersioning', 'GetBucketWebsite', 'GetEncryptionConfiguration',
    'GetIntelligentTieringConfiguration', 'GetInventoryConfiguration', 'GetLifecycleConfiguration',
    'GetMetricsConfiguration', 'GetObject', 'GetObjectAcl', 'GetObjectAttributes', 'GetObjectLegalHold',
    'GetObjectRetention', 'GetObjectTagging', 'GetObjectTorrent', 'GetObjectVersion', 'GetObjectVersionAcl',
    'GetObjectVersionAttributes', 'GetObjectVersionForReplication', 'GetObjectVersionTagging',
    'GetObjectVersionTorrent', 'GetReplicationConfiguration', 'ListAllMyBuckets', 'ListBucket',
    'ListBucketMultipartUploads', 'ListBucketVersions', 'ListMultipartUploadParts',
    'ObjectOwnerOverrideToBucketOwner', 'PutAccelerateConfiguration', 'PutAnalyticsConfiguration',
    'PutBucketAcl', 'PutBucketCORS', 'PutBucketLogging', 'PutBucketNotification',
    'PutBucketObjectLockConfiguration', 'PutBucketOwnershipControls', 'PutBucketPolicy',
    'PutBucketPublicAccessBlock', 'PutBucketRequestPayment', 'PutBucketTagging', 'PutBucketVersioning',
    'PutBucketWebsite', 'PutEncryptionConfiguration', 'PutIntelligentTieringConfiguration',
    'PutInventoryConfiguration', 'PutLifecycleConfiguration', 'PutMetricsConfiguration', 'PutObject',
    'PutObjectAcl', 'PutObjectLegalHold', 'PutObjectRetention', 'PutObjectTagging', 'PutObjectVersionAcl',
    'PutObjectVersionTagging', 'PutReplicationConfiguration', 'ReplicateDelete', 'ReplicateObject',
    'ReplicateTags', 'RestoreObject',
  ].map((a) => a.toLowerCase()),
);

/** Condition keys taken literally (lower-case). */
const KNOWN_KEYS: ReadonlySet<string> = new Set([
  // Global keys
  'aws:calledvia', 'aws:calledviafirst', 'aws:calledvialast', 'aws:currenttime', 'aws:epochtime',
  'aws:federatedprovider', 'aws:multifactorauthage', 'aws:multifactorauthpresent', 'aws:principalaccount',
  'aws:principalarn', 'aws:principalisawsservice', 'aws:principalorgid', 'aws:principalorgpaths',
  'aws:principalservicename', 'aws:principalservicenameslist', 'aws:principaltype', 'aws:referer',
  'aws:requestedregion', 'aws:resourceaccount', 'aws:resourceorgid', 'aws:resourceorgpaths',
  'aws:securetransport', 'aws:sourceaccount', 'aws:sourcearn', 'aws:sourceidentity', 'aws:sourceip',
  'aws:sourceorgid', 'aws:sourceorgpaths', 'aws:sourcevpc', 'aws:sourcevpce', 'aws:tagkeys',
  'aws:tokenissuetime', 'aws:useragent', 'aws:userid', 'aws:username', 'aws:viaawsservice', 'aws:vpcsourceip',
  // S3 keys
  's3:accesspointnetworkorigin', 's3:authtype', 's3:dataaccesspointaccount', 's3:dataaccesspointarn',
  's3:delimiter', 's3:if-match', 's3:if-none-match', 's3:locationconstraint', 's3:max-keys',
  's3:object-lock-legal-hold', 's3:object-lock-mode', 's3:object-lock-remaining-retention-days',
  's3:object-lock-retain-until-date', 's3:prefix', 's3:requestobjecttagkeys', 's3:resourceaccount',
  's3:signatureage', 's3:signatureversion', 's3:tlsversion', 's3:versionid', 's3:x-amz-acl',
  's3:x-amz-content-sha256', 's3:x-amz-copy-source', 's3:x-amz-grant-full-control', 's3:x-amz-grant-read',
  's3:x-amz-grant-read-acp', 's3:x-amz-grant-write', 's3:x-amz-grant-write-acp', 's3:x-amz-metadata-directive',
  's3:x-amz-object-ownership', 's3:x-amz-server-side-encryption', 's3:x-amz-server-side-encryption-aws-kms-key-id',
  's3:x-amz-server-side-encryption-customer-algorithm', 's3:x-amz-storage-class',
  's3:x-amz-website-redirect-location',
]);

/** Condition keys that take a tag key after the slash, e.g. `s3:ExistingObjectTag/project`. */
const TAG_KEY_PREFIXES: readonly string[] = [
  'aws:principaltag/', 'aws:requesttag/', 'aws:resourcetag/', 's3:existingobjecttag/', 's3:requestobjecttag/',
];

/**
 * The one spelling of a condition key used for lookups: lower case, except the tag key after the `/` of
 * `…Tag/<TagKey>` keys, which keeps its case because S3 tag keys are case-sensitive.
 * Both the parser and evaluate() apply it, so callers may pass context keys in any case.
 */
export function normaliseConditionKey(key: string): string {
  const slash = key.indexOf('/');
  if (slash < 0) return key.toLowerCase();
  const prefix = key.slice(0, slash + 1).toLowerCase();
  return TAG_KEY_PREFIXES.includes(prefix) ? prefix + key.slice(slash + 1) : key.toLowerCase();
}

/** Whether a (normalised) condition key may appear in a bucket policy. */
export function isKnownConditionKey(key: string): boolean {
  if (KNOWN_KEYS.has(key)) return true;
  const slash = key.indexOf('/');
  return slash > 0 && slash < key.length - 1 && TAG_KEY_PREFIXES.includes(key.slice(0, slash + 1));
}
