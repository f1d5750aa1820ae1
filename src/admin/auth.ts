/**
 * Admin API authentication, pluggable: an authenticator looks at the request and answers with a principal,
 * "no credentials here" (try the next one), or "credentials present but wrong". HTTP Basic through the
 * directory (built-in or LDAP) behind the shared password throttle, and the portal's session cookie
 * (session.ts: SessionAuthenticator, with its CSRF and elevation checks); create.ts chains them, Basic
 * first (the CLI).
 */
import type { IncomingMessage } from 'node:http';
import type { PasswordThrottle } from '../iam/password-throttle.js';
import type { AdminPrincipal } from './context.js';
import { AdminProblem } from './problems.js';

export type AuthOutcome = { kind: 'none' } | { kind: 'invalid'; detail: string } | { kind: 'ok'; principal: AdminPrincipal };

export interface AdminAuthenticator {
  authenticate(req: IncomingMessage): Promise<AuthOutcome>;
}

/** `Authorization: Basic base64(username:password)`, checked through the password throttle. */
export class BasicAuthenticator implements AdminAuthenticator {
  constructor(
    private readonly passwords: PasswordThrottle,
    private readonly clientAddress: (req: IncomingMessage) => string,
  ) {}

  async authenticate(req: IncomingMessage): Promise<AuthOutcome> {
    const h = req.headers.authorization;
    if (!h || !/^basic /i.test(h)) return { kind: 'none' };
    const decoded = Buffer.from(h.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) return { kind: 'invalid', detail: 'malformed Basic credentials' };
    const r = await this.passwords.check(decoded.slice(0, colon), decoded.slice(colon + 1), this.clientAddress(req));
    if (r.kind === 'throttled') throw tooManyGuesses(r.retryAfterSeconds);
    if (r.kind === 'wrong') return { kind: 'invalid', detail: 'wrong username or password' };
    return { kind: 'ok', principal: { user: r.user, via: 'basic' } };
  }
}

/** 429 with Retry-After, however the password was being checked. */
export function tooManyGuesses(seconds: number): AdminProblem {
  return new AdminProblem(429, `too many failed password checks; try again in ${seconds} s`, 'too-many-requests', { 'retry-after': String(seconds) });
}

/** Tries each authenticator in turn; the first that recognises credentials decides. */
export class AuthenticatorChain implements AdminAuthenticator {
  constructor(private readonly chain: AdminAuthenticator[]) {}

  async authenticate(req: IncomingMessage): Promise<AuthOutcome> {
    for (const a of this.chain) {
      const r = await a.authenticate(req);
      if (r.kind !== 'none') return r;
    }
    return { kind: 'none' };
  }
}
