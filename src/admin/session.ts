/**
 * Portal sessions for the admin API: a random session id in an HttpOnly, SameSite=Strict cookie (Secure
 * over TLS), a CSRF token bound to the session, and short-lived elevation (password asked again) for key
 * management. Password guessing is throttled for every password check by iam/password-throttle.ts.
 *
 * Where sessions live: in the metadata store (`sessions` table, keyed by the SHA-256 of the id), so every
 * gateway behind a balancer knows every session, sign-out on one ends it on all, and a restart keeps
 * people signed in (DESIGN.md §1 "nothing authoritative in memory"). The raw id is never stored.
 *
 * The session id and CSRF token are random 256-bit values; only the cookie carries the id, the CSRF
 * token travels in a header the SPA sets (a cross-site form or fetch cannot read or set it).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { SessionRepository, UserRepository } from '../metadata/store.js';
import type { AdminAuthenticator, AuthOutcome } from './auth.js';
import { AdminProblem } from './problems.js';

export const SESSION_COOKIE = 'granary_session';
export const CSRF_HEADER = 'x-csrf-token';
/** A session ends after this long without use… */
export const SESSION_IDLE_MS = 2 * 60 * 60 * 1000;
/** …and after this long in any case. */
export const SESSION_MAX_MS = 12 * 60 * 60 * 1000;
/** How long re-entering the password unlocks key management. */
export const ELEVATION_MS = 10 * 60 * 1000;

export interface Session {
  /** SHA-256 of the id (the stored key); the id itself is only in the cookie. */
  readonly hash: string;
  readonly userId: string;
  readonly username: string;
  readonly csrfToken: string;
  readonly createdAt: number;
  lastSeen: number;
  elevatedUntil: number;
}

/** Last-seen is written back at most this often per session (one write per request would be wasteful). */
export const TOUCH_EVERY_MS = 60 * 1000;
/** Expired sessions are purged from the store at most this often (on sign-in). */
const PURGE_EVERY_MS = 10 * 60 * 1000;

const hashId = (id: string): string => createHash('sha256').update(id).digest('hex');

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

/** Portal sessions kept in the metadata store, shared by every gateway (see the module comment). */
export class SessionStore {
  #lastPurge = 0;

  constructor(
    private readonly metadata: SessionRepository & UserRepository,
    private readonly now: () => number = Date.now,
  ) {}

  async create(userId: string, username: string): Promise<{ id: string; session: Session }> {
    await this.purge();
    const id = randomBytes(32).toString('base64url');
    const t = this.now();
    const session: Session = { hash: hashId(id), userId, username, csrfToken: randomBytes(32).toString('base64url'), createdAt: t, lastSeen: t, elevatedUntil: 0 };
    await this.metadata.createSession({ idHash: session.hash, userId, csrfToken: session.csrfToken, createdAt: t, lastSeen: t, elevatedUntil: 0 });
    return { id, session };
  }

  /**
   * The live session for a cookie value, touching its idle timer (written back at most every
   * TOUCH_EVERY_MS); undefined when unknown, expired or its user is gone.
   */
  async get(id: string): Promise<Session | undefined> {
    const h = hashId(id);
    const r = await this.metadata.getSession(h);
    if (!r) return undefined;
    const t = this.now();
    if (t - r.lastSeen > SESSION_IDLE_MS || t - r.createdAt > SESSION_MAX_MS) {
      await this.metadata.deleteSession(h);
      return undefined;
    }
    const user = await this.metadata.getUserById(r.userId);
    if (!user) {
      await this.metadata.deleteSession(h);
      return undefined;
    }
    if (t - r.lastSeen >= TOUCH_EVERY_MS) {
      if (!(await this.metadata.updateSession(h, { lastSeen: t }))) return undefined; // ended meanwhile
      r.lastSeen = t;
    }
    return { hash: h, userId: r.userId, username: user.username, csrfToken: r.csrfToken, createdAt: r.createdAt, lastSeen: r.lastSeen, elevatedUntil: r.elevatedUntil };
  }

  async delete(session: Session): Promise<void> {
    await this.metadata.deleteSession(session.hash);
  }

  /** Ends every session of a user (e.g. after a password change), on every gateway. */
  async deleteUser(userId: string): Promise<void> {
    await this.metadata.deleteSessionsOfUser(userId);
  }

  async elevate(session: Session): Promise<number> {
    session.elevatedUntil = this.now() + ELEVATION_MS;
    await this.metadata.updateSession(session.hash, { elevatedUntil: session.elevatedUntil });
    return session.elevatedUntil;
  }

  isElevated(session: Session): boolean {
    return session.elevatedUntil > this.now();
  }

  private async purge(): Promise<void> {
    const t = this.now();
    if (t - this.#lastPurge < PURGE_EVERY_MS) return;
    this.#lastPurge = t;
    await this.metadata.deleteExpiredSessions(t - SESSION_IDLE_MS, t - SESSION_MAX_MS);
  }
}

export function readCookie(req: IncomingMessage, name: string): string | undefined {
  const h = req.headers.cookie;
  if (!h) return undefined;
  for (const part of h.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The session cookie; `tls`: the portal is reached over TLS (AdminRequestFacts.tls), so it is Secure. */
export function sessionCookie(id: string, tls: boolean): string {
  return `${SESSION_COOKIE}=${id}; Path=/_admin/; HttpOnly; SameSite=Strict${tls ? '; Secure' : ''}; Max-Age=${SESSION_MAX_MS / 1000}`;
}

export function clearedSessionCookie(tls: boolean): string {
  return `${SESSION_COOKIE}=; Path=/_admin/; HttpOnly; SameSite=Strict${tls ? '; Secure' : ''}; Max-Age=0`;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Key management (create/delete keys, a manager revoking a member's) needs a session elevated in the last ELEVATION_MS. */
function needsElevation(method: string, path: string): boolean {
  return !SAFE_METHODS.has(method) && /^\/_admin\/api\/v1\/(me\/keys|tenancies\/[^/?]+\/keys)(\/|$|\?)/.test(path);
}

/**
 * The session cookie as an admin authenticator. A state-changing request must also carry the session's
 * CSRF token in X-CSRF-Token (and, like every admin request, pass admin/request-guard.ts): otherwise 403.
 * The session principal is the same AdminPrincipal as Basic; the user is re-read on every request so a
 * deleted user's session dies at once.
 */
export class SessionAuthenticator implements AdminAuthenticator {
  constructor(
    private readonly metadata: SessionRepository & UserRepository,
    private readonly store: SessionStore = new SessionStore(metadata),
  ) {}

  async authenticate(req: IncomingMessage): Promise<AuthOutcome> {
    const id = readCookie(req, SESSION_COOKIE);
    if (!id) return { kind: 'none' };
    const session = await this.store.get(id);
    // Thrown rather than returned as 'invalid': no Basic challenge, so a browser shows no password prompt.
    if (!session) throw new AdminProblem(401, 'your session has ended; sign in again', 'session-ended');
    const method = req.method ?? 'GET';
    if (!SAFE_METHODS.has(method)) {
      // The Origin of every state-changing request was checked by the pipeline (admin/request-guard.ts).
      const token = req.headers[CSRF_HEADER];
      if (typeof token !== 'string' || !safeEqual(token, session.csrfToken)) {
        throw new AdminProblem(403, 'missing or wrong X-CSRF-Token for this session (reload the portal)', 'csrf');
      }
      if (needsElevation(method, req.url ?? '') && !this.store.isElevated(session)) {
        throw new AdminProblem(403, 'managing access keys needs your password again: POST /_admin/api/v1/session/elevate', 'elevation-required');
      }
    }
    const user = await this.metadata.getUserById(session.userId);
    if (!user) {
      await this.store.delete(session);
      throw new AdminProblem(401, 'your account no longer exists', 'session-ended');
    }
    return { kind: 'ok', principal: { user, via: 'session' } };
  }
}

/** The session of the request's cookie (AdminRequestFacts.sessionId), if live. */
export async function sessionOf(id: string | undefined, store: SessionStore): Promise<Session | undefined> {
  return id ? store.get(id) : undefined;
}
