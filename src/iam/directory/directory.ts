/**
 * Where users sign in: the built-in directory (users and password hashes in the metadata store) or an
 * LDAP directory (the user's directory password; their directory groups become Granary groups).
 * The admin API and the portal authenticate people through this; S3 requests use access keys instead.
 */
import type { UserRecord } from '../../metadata/store.js';

export interface Directory {
  /** 'builtin' or 'ldap'. */
  readonly kind: string;
  /**
   * Checks a username and password. On success returns the Granary user (created on first sign-in for
   * LDAP users, with their directory groups mirrored), else undefined. Never throws for a wrong password.
   */
  authenticate(username: string, password: string): Promise<UserRecord | undefined>;
  /** Whether passwords are managed here (`user passwd`); false for LDAP. */
  readonly managesPasswords: boolean;
  close(): Promise<void>;
}
