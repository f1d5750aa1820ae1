/**
 * Portal sessions for the admin API: a random session id in an HttpOnly, SameSite=Strict cookie (Secure
 * over TLS), a CSRF token bound to the session, short-lived elevation (password asked again) for key
 * management, and login throttling per username and per client address.
 *
 * Where sessions live: an in-memory map with expiry, per process. That is acceptable for one gateway;
 * with several gateways behind a balancer a session made on one is unknown to the others (the portal
 * then asks to sign in again). TODO: keep sessions in the metadata store (a `sessions` table keyed by
 * the SHA-256 of the id) so every gateway shares them — DESIGN.md §1 "nothing authoritative in memory".
 *
 * The session id and CSRF token are random 256-bit values; only the cookie carries the id, the CSRF
 * token travels in a header the SPA sets (a cross-site form or fetch cannot read or set it).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { MetadataStore } from '../metadata/store.js';
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
  /** SHA-256 of the id (the map key); the id itself is only in the cookie. */
  readonly hash: string;
  readonly userId: string;
  readonly username: string;
  readonly csrfToken: string;
  readonly createdAt: number;
  lastSeen: number;
  elevatedUntil: number;
}

const hashId = (id: string): string => createHash('sha256').update(id).digest('hex');

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

/** In-memory session store (see the module comment for why, and what should replace it). */
export class SessionStore {
  readonly #sessions = new Map<string, Session>();

  constructor(private readonly now: () => number = Date.now) {}

  create(userId: string, username: string): { id: string; session: Session } {
    this.sweep();
    const id = randomBytes(32).toString('base64url');
    const t = this.now();
    const session: Session = { hash: hashId(id), userId, username, csrfToken: randomBytes(32).toString('base64url'), createdAt: t, lastSeen: t, elevatedUntil: 0 };
    this.#sessions.set(session.hash, session);
    return { id, session };
  }

  /** The live session for a cookie value, touching its idle timer; undefined when unknown or expired. */
  get(id: string): Session | undefined {
    const h = hashId(id);
    const s = this.#sessions.get(h);
    if (!s) return undefined;
    const t = this.now();
    if (t - s.lastSeen > SESSION_IDLE_MS || t - s.createdAt > SESSION_MAX_MS) {
      this.#sessions.delete(h);
      return undefined;
    }
    s.lastSeen = t;
    return s;
  }

  delete(session: Session): void {
    this.#sessions.delete(session.hash);
  }

  /** Ends every session of a user (e.g. after a password change). */
  deleteUser(userId: string): void {
    for (const [h, s] of this.#sessions) if (s.userId === userId) this.#sessions.delete(h);
  }

  elevate(session: Session): number {
    session.elevatedUntil = this.now() + ELEVATION_MS;
    return session.elevatedUntil;
  }

  isElevated(session: Session): boolean {
    return session.elevatedUntil > this.now();
  }

  private sweep(): void {
    const t = this.now();
    for (const [h, s] of this.#sessions) if (t - s.lastSeen > SESSION_IDLE_MS || t - s.createdAt > SESSION_MAX_MS) this.#sessions.delete(h);
  }
}

/**
 * Login throttling: after FREE_FAILURES failed sign-ins for one username (FREE_FAILURES_PER_ADDRESS from one
 * address: many people may share a NAT), each further attempt must wait 2^(n-free) seconds (capped at 15
 * minutes) after the last failure. A success clears the
 * username's counter (not the address's: one good account must not unlock guessing at others).
 */
export class LoginThrottle {
  static readonly FREE_FAILURES = 5;
  static readonly FREE_FAILURES_PER_ADDRESS = 20;
  static readonly MAX_DELAY_MS = 15 * 60 * 1000;
  readonly #failures = new Map<string, { count: number; last: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Milliseconds the caller must still wait, or 0. */
  retryAfterMs(keys: string[]): number {
    let wait = 0;
    for (const k of keys) {
      const f = this.#failures.get(k);
      const free = k.startsWith('ip:') ? LoginThrottle.FREE_FAILURES_PER_ADDRESS : LoginThrottle.FREE_FAILURES;
      if (!f || f.count < free) continue;
      const delay = Math.min(LoginThrottle.MAX_DELAY_MS, 1000 * 2 ** (f.count - free));
      wait = Math.max(wait, f.last + delay - this.now());
    }
    return Math.max(0, wait);
  }

  fail(keys: string[]): void {
    const t = this.now();
    for (const k of keys) {
      const f = this.#failures.get(k) ?? { count: 0, last: t };
      f.count++;
      f.last = t;
      this.#failures.set(k, f);
    }
    if (this.#failures.size > 100_000) {
      // Bound memory under a spray of usernames: forget the oldest half.
      const entries = [...this.#failures.entries()].sort((a, b) => a[1].last - b[1].last);
      for (const [k] of entries.slice(0, entries.length / 2)) this.#failures.delete(k);
    }
  }

  succeed(key: string): void {
    this.#failures.delete(key);
  }
}

/** One session store and throttle per process (in memory, see above). */
export const sessions = new SessionStore();
export const loginThrottle = new LoginThrottle();

/**
 * The request being served, for session routes that need its cookie, address and scheme. The HTTP server
 * runs each admin request inside `withRequest`; AdminContext deliberately carries no request object.
 */
const currentReq = new AsyncLocalStorage<IncomingMessage>();
export const withRequest = <T>(req: IncomingMessage, fn: () => T): T => currentReq.run(req, fn);
export function currentRequest(): IncomingMessage {
  const r = currentReq.getStore();
  if (!r) throw new Error('session routes need the request (run admin requests inside withRequest)');
  return r;
}

export function isTls(req: IncomingMessage): boolean {
  return Boolean((req.socket as TLSSocket).encrypted);
}

export function clientAddress(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
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

export function sessionCookie(id: string, req: IncomingMessage): string {
  return `${SESSION_COOKIE}=${id}; Path=/_admin/; HttpOnly; SameSite=Strict${isTls(req) ? '; Secure' : ''}; Max-Age=${SESSION_MAX_MS / 1000}`;
}

export function clearedSessionCookie(req: IncomingMessage): string {
  return `${SESSION_COOKIE}=; Path=/_admin/; HttpOnly; SameSite=Strict${isTls(req) ? '; Secure' : ''}; Max-Age=0`;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A browser's Origin (or, failing that, Referer) must be this server itself. Absent both, the request did
 * not come from a page (curl, the CLI), and SameSite=Strict plus the CSRF token still apply.
 */
export function checkSameOrigin(req: IncomingMessage): void {
  const origin = req.headers.origin ?? (req.headers.referer ? safeOrigin(req.headers.referer) : undefined);
  if (origin === undefined) return;
  const expected = `${isTls(req) ? 'https' : 'http'}://${req.headers.host ?? ''}`;
  if (origin !== expected) throw new AdminProblem(403, `cross-origin request refused (Origin ${origin})`, 'cross-origin');
}

function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'null';
  }
}

/** Key management (create/delete keys) needs a session elevated in the last ELEVATION_MS. */
function needsElevation(method: string, path: string): boolean {
  return !SAFE_METHODS.has(method) && /^\/_admin\/api\/v1\/me\/keys(\/|$|\?)/.test(path);
}

/**
 * The session cookie as an admin authenticator. A state-changing request must also carry the session's
 * CSRF token in X-CSRF-Token and, when the browser sends one, a same-origin Origin: otherwise 403.
 * The session principal is the same AdminPrincipal as Basic; the user is re-read on every request so a
 * deleted user's session dies at once.
 */
export class SessionAuthenticator implements AdminAuthenticator {
  constructor(
    private readonly metadata: MetadataStore,
    private readonly store: SessionStore = sessions,
  ) {}

  async authenticate(req: IncomingMessage): Promise<AuthOutcome> {
    const id = readCookie(req, SESSION_COOKIE);
    if (!id) return { kind: 'none' };
    const session = this.store.get(id);
    // Thrown rather than returned as 'invalid': no Basic challenge, so a browser shows no password prompt.
    if (!session) throw new AdminProblem(401, 'your session has ended; sign in again', 'session-ended');
    const method = req.method ?? 'GET';
    if (!SAFE_METHODS.has(method)) {
      checkSameOrigin(req);
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
      this.store.delete(session);
      throw new AdminProblem(401, 'your account no longer exists', 'session-ended');
    }
    return { kind: 'ok', principal: { user, via: 'session' } };
  }
}

/** The session of the current request's cookie, if live. */
export function sessionOf(req: IncomingMessage, store: SessionStore = sessions): Session | undefined {
  const id = readCookie(req, SESSION_COOKIE);
  return id ? store.get(id) : undefined;
}
