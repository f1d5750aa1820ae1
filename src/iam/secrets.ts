/**
 * Encryption of S3 secret keys at rest. SigV4 needs the plain secret to verify a signature, so secrets
 * cannot be hashed like passwords; they are sealed with AES-256-GCM under the site master key instead.
 * The master key lives outside the metadata database (a file in the data directory with mode 0600, or
 * GRANARY_MASTER_KEY), so a copy of the database alone does not reveal any secret.
 */
import { createCipheriv, createDecipheriv, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export class SecretBox {
  readonly #key: Buffer;

  constructor(masterKey: Buffer) {
    if (masterKey.length !== 32) throw new Error('master key must be 32 bytes');
    this.#key = masterKey;
  }

  /** "v1.<iv>.<tag>.<ciphertext>" in base64url. */
  seal(plain: string): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.#key, iv);
    const ct = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return ['v1', iv.toString('base64url'), c.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
  }

  open(sealed: string): string {
    const [v, iv, tag, ct] = sealed.split('.');
    if (v !== 'v1' || iv === undefined || tag === undefined || ct === undefined) throw new Error('sealed secret has an unknown format');
    const d = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'));
    d.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([d.update(Buffer.from(ct, 'base64url')), d.final()]).toString('utf8');
  }
}

/**
 * Loads the master key from GRANARY_MASTER_KEY (64 hex chars) or `<file>`, creating the file with a new
 * random key (mode 0600) on first start.
 */
export function loadMasterKey(file: string, env: NodeJS.ProcessEnv = process.env): Buffer {
  const fromEnv = env.GRANARY_MASTER_KEY;
  if (fromEnv) {
    if (!/^[0-9a-fA-F]{64}$/.test(fromEnv)) throw new Error('GRANARY_MASTER_KEY must be 64 hex characters (32 bytes)');
    return Buffer.from(fromEnv, 'hex');
  }
  if (existsSync(file)) {
    const hex = readFileSync(file, 'utf8').trim();
    if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error(`master key file ${file} is corrupt`);
    return Buffer.from(hex, 'hex');
  }
  return createMasterKeyFile(file);
}

/**
 * Creates the master key file with a new random key, or — when another gateway starting on the same fresh
 * shared data directory got there first — returns the key that won. The file appears whole or not at all:
 * written aside, synced, then hard-linked into place (which fails if the name exists).
 */
export function createMasterKeyFile(file: string): Buffer {
  mkdirSync(dirname(file), { recursive: true });
  const key = randomBytes(32);
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, key.toString('hex') + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return loadMasterKey(file, {});
  } finally {
    unlinkSync(tmp);
  }
  return key;
}

/** Constant-time string comparison for secrets and signatures. */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
