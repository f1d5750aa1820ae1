/**
 * Users as S3 shows and names them: the DisplayName of an owner (its username), and the grantees an ACL
 * names by canonical id or email address. The S3 operations ask here, not the metadata store.
 */
import type { UserRepository } from '../metadata/store.js';

export class Owners {
  constructor(private readonly metadata: Pick<UserRepository, 'getUserById' | 'listUsersByEmail'>) {}

  /** The username shown as an owner's DisplayName, or the id itself when the user is gone. */
  async displayName(userId: string): Promise<string> {
    return (await this.metadata.getUserById(userId))?.username ?? userId;
  }

  /** Whether a canonical user id names an existing user. */
  async exists(userId: string): Promise<boolean> {
    return (await this.metadata.getUserById(userId)) !== undefined;
  }

  /** The ids of the users with this email address (none, one, or — ambiguous — several). */
  async idsByEmail(email: string): Promise<string[]> {
    return (await this.metadata.listUsersByEmail(email)).map((u) => u.id);
  }
}
