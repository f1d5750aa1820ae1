/**
 * Site-wide users for administration: creation by a site administrator, listing, and password changes
 * (self or site administrator; only when the directory manages passwords, i.e. not for LDAP).
 * Passwords are hashed here and never stored, logged or audited. A password change ends the user's portal sessions.
 */
import type { SessionRepository, UserRecord, UserRepository } from '../metadata/store.js';
import type { Directory } from '../iam/directory/directory.js';
import { hashPassword } from '../iam/passwords.js';
import type { Actor, AuditTrail } from './audit.js';
import { conflict, forbidden, invalid, notFound } from './domain-error.js';

export const MIN_PASSWORD_LENGTH = 8;

/** Why a username is invalid, or undefined: 2–64 of letters, digits, `.`, `_`, `@`, `-`, starting alphanumeric. */
export function usernameProblem(name: string): string | undefined {
  if (!/^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$/.test(name)) return 'a username must be 2 to 64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit';
  return undefined;
}

function passwordProblem(password: unknown): string | undefined {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH) return `a password must be at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > 1024) return 'a password must be at most 1024 characters';
  return undefined;
}

export interface NewUserInput {
  username: string;
  password: string;
  displayName?: string;
  email?: string;
  siteAdmin?: boolean;
}

export class Users {
  constructor(
    private readonly metadata: SessionRepository & UserRepository,
    private readonly directory: Directory,
    private readonly audit: AuditTrail,
  ) {}

  async get(username: string): Promise<UserRecord> {
    const u = await this.metadata.getUserByName(username);
    if (!u) throw notFound(`no user named "${username}"`);
    return u;
  }

  list(): Promise<UserRecord[]> {
    return this.metadata.listUsers();
  }

  async create(actor: Actor, input: NewUserInput): Promise<UserRecord> {
    const problem = usernameProblem(input.username) ?? passwordProblem(input.password);
    if (problem) throw invalid(problem);
    if (input.email !== undefined && input.email !== '' && !/^[^\s@]+@[^\s@]+$/.test(input.email)) throw invalid('email is not an email address');
    if (await this.metadata.getUserByName(input.username)) throw conflict(`a user named "${input.username}" already exists`);
    const user = await this.metadata.createUser({
      username: input.username,
      displayName: input.displayName ?? input.username,
      email: input.email ?? '',
      passwordHash: await hashPassword(input.password),
      isSiteAdmin: input.siteAdmin === true,
    });
    await this.audit.record(actor, null, 'user.create', user.username, { siteAdmin: user.isSiteAdmin });
    return user;
  }

  async setPassword(actor: Actor, user: UserRecord, password: string): Promise<void> {
    if (!this.directory.managesPasswords) throw forbidden(`passwords are managed by the ${this.directory.kind} directory, not by Granary`);
    const problem = passwordProblem(password);
    if (problem) throw invalid(problem);
    await this.metadata.updateUser(user.id, { passwordHash: await hashPassword(password) });
    // A new password ends every portal session of the user, on every gateway (a stolen cookie dies with it).
    await this.metadata.deleteSessionsOfUser(user.id);
    await this.audit.record(actor, null, 'user.password', user.username);
  }
}
