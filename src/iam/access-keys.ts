/**
 * Access keys: creation (the secret is returned once and stored sealed), lookup for authentication.
 * Lookups read the store on every request (a primary-key read), so a deleted key stops working at once;
 * only the decrypted secret is memoised, keyed by the sealed value, so a cache hit can never outlive or
 * outrank what the store says.
 */
import { randomBytes } from 'node:crypto';
import type { AccessKeyRecord, AccessKeyRepository, UserRecord, UserRepository } from '../metadata/store.js';
import type { SecretBox } from './secrets.js';

const ACCESS_KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** 20 characters like AWS access key ids ("GR" + 18 base32 characters). */
export function newAccessKeyId(): string {
  const bytes = randomBytes(18);
  let s = 'GR';
  for (const b of bytes) s += ACCESS_KEY_ALPHABET[b & 31];
  return s;
}

/** 40 characters of base64-ish text like AWS secrets (no '/' or '+', which some config files mangle). */
export function newSecretKey(): string {
  return randomBytes(30).toString('base64url');
}

export interface ResolvedKey {
  key: AccessKeyRecord;
  user: UserRecord;
  secret: string;
}

/** The one rule for a key's expiry: it stops working at `expiresAt` (null: never, the bootstrap key only). */
export function keyIsExpired(key: Pick<AccessKeyRecord, 'expiresAt'>, now = Date.now()): boolean {
  return key.expiresAt !== null && key.expiresAt <= now;
}

export class AccessKeys {
  readonly #secrets = new Map<string, string>();

  constructor(
    private readonly metadata: AccessKeyRepository & UserRepository,
    private readonly box: SecretBox,
  ) {}

  async create(input: {
    userId: string;
    tenancyId: string;
    name: string;
    expiresAt: number | null;
    restriction?: string | null;
    accessKeyId?: string;
    secret?: string;
  }): Promise<{ record: AccessKeyRecord; secret: string }> {
    const secret = input.secret ?? newSecretKey();
    const record = await this.metadata.createAccessKey({
      accessKeyId: input.accessKeyId ?? newAccessKeyId(),
      userId: input.userId,
      tenancyId: input.tenancyId,
      name: input.name,
      secretEncrypted: this.box.seal(secret),
      expiresAt: input.expiresAt,
      restriction: input.restriction ?? null,
    });
    return { record, secret };
  }

  /** True when the key exists but its expiry has passed (so the client hears ExpiredToken, not "unknown"). */
  async isExpired(accessKeyId: string, now = Date.now()): Promise<boolean> {
    const key = await this.metadata.getAccessKey(accessKeyId);
    return key !== undefined && keyIsExpired(key, now);
  }

  /** Notes the key's use (its last-used time): best effort, never awaited by a request, never its failure. */
  touch(accessKeyId: string, now = Date.now()): void {
    void this.metadata.touchAccessKey(accessKeyId, now).catch(() => undefined);
  }

  /** The live key with its user and plain secret, or undefined if unknown or expired. */
  async resolve(accessKeyId: string, now = Date.now()): Promise<ResolvedKey | undefined> {
    const key = await this.metadata.getAccessKey(accessKeyId);
    if (!key) return undefined;
    if (keyIsExpired(key, now)) return undefined;
    const user = await this.metadata.getUserById(key.userId);
    if (!user) return undefined;
    let secret = this.#secrets.get(key.secretEncrypted);
    if (secret === undefined) {
      secret = this.box.open(key.secretEncrypted);
      if (this.#secrets.size > 10_000) this.#secrets.clear();
      this.#secrets.set(key.secretEncrypted, secret);
    }
    return { key, user, secret };
  }
}
