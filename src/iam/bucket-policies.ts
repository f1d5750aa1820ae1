/**
 * Bucket policies: validated once when stored (parsePolicy), kept as the client's JSON (GetBucketPolicy
 * returns it as sent), and parsed forms cached by the stored text, so a changed policy is never served
 * stale: the cache key is the policy itself, read with the bucket on every request.
 */
import { S3Error } from '../errors/s3-error.js';
import type { BucketRecord, BucketRepository, GroupRepository, TenancyRepository, UserRepository } from '../metadata/store.js';
import { principalExists } from './groups.js';
import { parsePolicy, PolicyError } from './policy/parse.js';
import type { Policy } from './policy/types.js';

export class BucketPolicies {
  readonly #parsed = new Map<string, Policy>();

  constructor(private readonly metadata: BucketRepository & GroupRepository & TenancyRepository & UserRepository) {}

  /** Validates a policy document for this bucket; MalformedPolicy with the parser's reason otherwise. */
  validate(bucket: BucketRecord, json: string): Policy {
    try {
      return parsePolicy(json, bucket.name);
    } catch (e) {
      // S3 answers AWS's message; the cause keeps the precise reason for the admin API.
      if (e instanceof PolicyError) throw new S3Error('MalformedPolicy', { message: e.awsMessage, cause: e });
      throw e;
    }
  }

  /**
   * Validates and stores a policy. Every user and group it names must exist (AWS refuses a principal it
   * does not know with MalformedPolicy "Invalid principal in policy"): S3, the admin API and the portal's
   * grants all store policies through here.
   */
  async put(bucket: BucketRecord, json: string): Promise<void> {
    const policy = this.validate(bucket, json);
    for (const s of policy.statements) {
      for (const m of s.principal.matchers) {
        if (m.kind === 'any' || m.kind === 'service' || (await principalExists(this.metadata, m.kind, m.name))) continue;
        const e = new PolicyError(`Invalid principal in policy: no such ${m.kind} "${m.name}"`, 'Invalid principal in policy');
        throw new S3Error('MalformedPolicy', { message: e.awsMessage, cause: e });
      }
    }
    if (!(await this.metadata.setBucketConfiguration(bucket.id, 'policy', json))) throw new S3Error('NoSuchBucket', { details: { BucketName: bucket.name } });
  }

  async delete(bucket: BucketRecord): Promise<void> {
    await this.metadata.setBucketConfiguration(bucket.id, 'policy', null);
  }

  /** The parsed policy of a bucket as just read from the store (undefined when it has none). */
  parsedOf(bucket: BucketRecord): Policy | undefined {
    if (bucket.policy === null) return undefined;
    const key = bucket.id + '\n' + bucket.policy;
    let p = this.#parsed.get(key);
    if (!p) {
      // A stored policy was valid when stored; if the parser grew stricter since, fail closed (no grants).
      try {
        p = parsePolicy(bucket.policy, bucket.name);
      } catch {
        return undefined;
      }
      if (this.#parsed.size > 10_000) this.#parsed.clear();
      this.#parsed.set(key, p);
    }
    return p;
  }
}
