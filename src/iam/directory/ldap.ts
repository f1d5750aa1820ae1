/**
 * The LDAP directory: people sign in with their directory password, and their directory groups become
 * Granary groups (source 'ldap', replaced at every sign-in, usable as `arn:aws:iam:::group/<name>`).
 *
 * One sign-in is one short connection: bind as the service account (or anonymously), find the user's
 * entry, bind as that entry with the given password, read the user's groups (as the service account when
 * there is one, else as the user), unbind. The Granary user is created on first sign-in with no local
 * password (passwordHash ''), never as a site administrator, and its display name and email follow the
 * directory.
 *
 * A wrong password or an unknown user is `undefined`; a directory that cannot be reached, times out or
 * refuses the service account is a thrown `LdapUnavailableError` (the admin API answers 503), never a
 * wrong password. Passwords never appear in errors.
 */
import { Client, ResultCodeError, type Entry } from 'ldapts';
import type { GroupRepository, UserRecord, UserRepository } from '../../metadata/store.js';
import type { Directory } from './directory.js';

export interface LdapDirectoryConfig {
  /** ldap://host:port or ldaps://host:port. */
  url: string;
  /** Service account used to find users and read groups; anonymous when absent. */
  bindDn?: string;
  bindPassword?: string;
  /** Where users are searched (subtree). */
  userBase: string;
  /** Filter finding one user; `{username}` is replaced by the escaped username. */
  userFilter?: string;
  /**
   * Attribute holding the username in the user's entry (default 'uid'). LDAP usually matches usernames
   * case-insensitively; the Granary user is named by this attribute's value so that "Alice" and "alice"
   * are one user. If the entry lacks it, the name as typed is used.
   */
  usernameAttribute?: string;
  /** Where groups are searched (subtree). */
  groupBase: string;
  /** Filter finding the user's groups; `{dn}` and `{username}` are replaced by escaped values. */
  groupFilter?: string;
  groupNameAttribute?: string;
  displayNameAttribute?: string;
  emailAttribute?: string;
  /** Limit for connecting and for each operation (default 5000 ms). */
  timeoutMs?: number;
}

/** The directory could not answer (unreachable, timed out, misconfigured): not a wrong password. */
export class LdapUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LdapUnavailableError';
  }
}

const DEFAULTS = {
  userFilter: '(uid={username})',
  usernameAttribute: 'uid',
  groupFilter: '(|(member={dn})(memberUid={username}))',
  groupNameAttribute: 'cn',
  displayNameAttribute: 'cn',
  emailAttribute: 'mail',
  timeoutMs: 5000,
};

/**
 * Result codes of the user's own bind that mean "these credentials do not sign in" (wrong password,
 * locked/disabled account, method refused): 19 constraintViolation (password policy), 48
 * inappropriateAuthentication, 49 invalidCredentials, 50 insufficientAccessRights, 53 unwillingToPerform.
 * Anything else (busy, unavailable, protocol errors, timeouts) is the directory failing.
 */
const REJECTED_BIND_CODES = new Set([19, 48, 49, 50, 53]);

/** RFC 4515 escaping of a value placed inside a search filter. */
export function escapeFilterValue(value: string): string {
  return value.replace(/[\\*()\0]/g, (c) => '\\' + c.charCodeAt(0).toString(16).padStart(2, '0'));
}

/** Fills `{name}` placeholders of a filter template with escaped values. */
export function fillFilter(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.hasOwn(values, name) ? escapeFilterValue(values[name]!) : whole,
  );
}

/** First string value of an attribute (attribute names compare case-insensitively), or undefined. */
function firstValue(entry: Entry, attribute: string): string | undefined {
  const key = Object.keys(entry).find((k) => k !== 'dn' && k.toLowerCase() === attribute.toLowerCase());
  if (key === undefined) return undefined;
  const raw = entry[key];
  const values = Array.isArray(raw) ? raw : [raw];
  for (const v of values) {
    const s = Buffer.isBuffer(v) ? v.toString('utf8') : v;
    if (typeof s === 'string' && s !== '') return s;
  }
  return undefined;
}

function allValues(entry: Entry, attribute: string): string[] {
  const key = Object.keys(entry).find((k) => k !== 'dn' && k.toLowerCase() === attribute.toLowerCase());
  if (key === undefined) return [];
  const raw = entry[key];
  return (Array.isArray(raw) ? raw : [raw]).map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v)));
}

function describe(err: unknown): string {
  if (err instanceof ResultCodeError) return `${err.message} (LDAP result code ${err.code})`;
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

export class LdapDirectory implements Directory {
  readonly kind = 'ldap';
  readonly managesPasswords = false;
  private readonly cfg: Required<Omit<LdapDirectoryConfig, 'bindDn' | 'bindPassword'>> &
    Pick<LdapDirectoryConfig, 'bindDn' | 'bindPassword'>;
  /** Connections of sign-ins in progress, closed by close(). */
  private readonly open = new Set<Client>();
  private closed = false;

  constructor(
    private readonly metadata: GroupRepository & UserRepository,
    config: LdapDirectoryConfig,
  ) {
    if (!/^ldaps?:\/\//i.test(config.url)) throw new Error(`LDAP url must start with ldap:// or ldaps:// (got ${config.url})`);
    if (config.bindDn && config.bindPassword === undefined) throw new Error('LDAP bindDn is set but bindPassword is not');
    if (!config.userBase) throw new Error('LDAP userBase is required');
    if (!config.groupBase) throw new Error('LDAP groupBase is required');
    const defined = Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined));
    this.cfg = { ...DEFAULTS, ...defined } as LdapDirectory['cfg'];
  }

  async authenticate(username: string, password: string): Promise<UserRecord | undefined> {
    // An empty password would be an "unauthenticated bind", which LDAP servers answer with success.
    if (!password || !username) return undefined;
    if (this.closed) throw new LdapUnavailableError('LDAP directory is closed');

    const found = await this.withConnection(async (client) => {
      await this.serviceBind(client);

      const entry = await this.findUser(client, username);
      if (!entry) return undefined;

      try {
        await client.bind(entry.dn, password);
      } catch (err) {
        if (err instanceof ResultCodeError && REJECTED_BIND_CODES.has(err.code)) return undefined;
        throw new LdapUnavailableError(`LDAP directory ${this.cfg.url} failed to check a password: ${describe(err)}`, { cause: err });
      }

      // Read groups as the service account when there is one (it is the account granted read access);
      // anonymous binds often may not read groups, so without one the user's own bind is used.
      if (this.cfg.bindDn) await this.serviceBind(client);

      const canonical = this.canonicalUsername(entry, username);
      const groups = await this.findGroups(client, entry.dn, canonical);
      return {
        username: canonical,
        displayName: firstValue(entry, this.cfg.displayNameAttribute),
        email: firstValue(entry, this.cfg.emailAttribute),
        groups,
      };
    });
    if (!found) return undefined;

    const user = await this.upsertUser(found.username, found.displayName, found.email);
    await this.metadata.setDirectoryGroups(user.id, found.groups);
    return user;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.open].map((c) => c.unbind()));
    this.open.clear();
  }

  // ----- directory side

  private async withConnection<T>(fn: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client({ url: this.cfg.url, timeout: this.cfg.timeoutMs, connectTimeout: this.cfg.timeoutMs });
    this.open.add(client);
    try {
      return await fn(client);
    } catch (err) {
      if (err instanceof LdapUnavailableError) throw err;
      throw new LdapUnavailableError(`LDAP directory ${this.cfg.url} is unavailable: ${describe(err)}`, { cause: err });
    } finally {
      this.open.delete(client);
      // unbind() closes the socket; it only fails if the connection is already gone.
      await client.unbind().catch(() => {});
    }
  }

  private async serviceBind(client: Client): Promise<void> {
    if (!this.cfg.bindDn) return; // anonymous: the connection starts unauthenticated
    try {
      await client.bind(this.cfg.bindDn, this.cfg.bindPassword ?? '');
    } catch (err) {
      const what = err instanceof ResultCodeError ? 'refused the service account' : 'is unavailable';
      throw new LdapUnavailableError(`LDAP directory ${this.cfg.url} ${what} (bind as ${this.cfg.bindDn}): ${describe(err)}`, { cause: err });
    }
  }

  /** The user's entry, or undefined when no entry (or more than one: ambiguous) matches. */
  private async findUser(client: Client, username: string): Promise<Entry | undefined> {
    const filter = fillFilter(this.cfg.userFilter, { username });
    const { searchEntries } = await this.search(client, this.cfg.userBase, filter, [
      this.cfg.usernameAttribute,
      this.cfg.displayNameAttribute,
      this.cfg.emailAttribute,
    ], 'users');
    return searchEntries.length === 1 ? searchEntries[0] : undefined;
  }

  private async findGroups(client: Client, dn: string, username: string): Promise<string[]> {
    const filter = fillFilter(this.cfg.groupFilter, { dn, username });
    const { searchEntries } = await this.search(client, this.cfg.groupBase, filter, [this.cfg.groupNameAttribute], 'groups');
    const names = new Set<string>();
    for (const e of searchEntries) {
      const name = firstValue(e, this.cfg.groupNameAttribute);
      if (name) names.add(name);
    }
    return [...names].sort();
  }

  private async search(client: Client, base: string, filter: string, attributes: string[], what: string) {
    try {
      return await client.search(base, { scope: 'sub', filter, attributes });
    } catch (err) {
      // A result code is the server answering (e.g. no such base: misconfiguration); else it is not reachable.
      const message =
        err instanceof ResultCodeError
          ? `LDAP search for ${what} under ${base} failed at ${this.cfg.url}: ${describe(err)}`
          : `LDAP directory ${this.cfg.url} is unavailable (searching ${what}): ${describe(err)}`;
      throw new LdapUnavailableError(message, { cause: err });
    }
  }

  private canonicalUsername(entry: Entry, typed: string): string {
    const values = allValues(entry, this.cfg.usernameAttribute);
    return values.find((v) => v === typed) ?? values.find((v) => v.toLowerCase() === typed.toLowerCase()) ?? typed;
  }

  // ----- Granary side

  private async upsertUser(username: string, displayName: string | undefined, email: string | undefined): Promise<UserRecord> {
    let user = await this.metadata.getUserByName(username);
    if (!user) {
      try {
        user = await this.metadata.createUser({ username, displayName: displayName ?? '', email: email ?? '', passwordHash: '', isSiteAdmin: false });
      } catch (err) {
        // Two first sign-ins at once: the other one created the user.
        user = await this.metadata.getUserByName(username);
        if (!user) throw err;
      }
    }
    // Follow the directory, but an attribute the directory does not have does not wipe a local value.
    const update: { displayName?: string; email?: string } = {};
    if (displayName !== undefined && displayName !== user.displayName) update.displayName = displayName;
    if (email !== undefined && email !== user.email) update.email = email;
    if (update.displayName !== undefined || update.email !== undefined) {
      user = (await this.metadata.updateUser(user.id, update)) ?? user;
    }
    return user;
  }
}
