/** The built-in directory: users and their scrypt password hashes live in the metadata store. */
import type { UserRecord, UserRepository } from '../../metadata/store.js';
import { hashPassword, verifyPassword } from '../passwords.js';
import type { Directory } from './directory.js';

/** Verifying against this keeps the time of an unknown-user answer close to a wrong-password answer. */
let dummyHash: Promise<string> | undefined;

export class BuiltinDirectory implements Directory {
  readonly kind = 'builtin';
  readonly managesPasswords = true;

  constructor(private readonly metadata: UserRepository) {}

  async authenticate(username: string, password: string): Promise<UserRecord | undefined> {
    const user = await this.metadata.getUserByName(username);
    if (!user || !user.passwordHash) {
      await verifyPassword(password, await (dummyHash ??= hashPassword('not-a-real-password')));
      return undefined;
    }
    return (await verifyPassword(password, user.passwordHash)) ? user : undefined;
  }

  async close(): Promise<void> {}
}
