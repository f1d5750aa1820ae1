/**
 * Session endpoints for the portal: sign in (POST /session), who am I and the CSRF token (GET /session),
 * sign out (DELETE /session), re-enter the password for key management (POST /session/elevate).
 * Sign-in and elevation check the password through the shared throttle (iam/password-throttle.ts: per
 * username and per client address, 429 + Retry-After).
 */
import type { AdminContext, AdminResult, AdminRoute } from './context.js';
import { me, ok } from './context.js';
import { object, str } from './input.js';
import { AdminProblem } from './problems.js';
import type { SessionInfo } from './session-contract.js';
import { tooManyGuesses } from './auth.js';
import {
  clearedSessionCookie,
  sessionCookie,
  sessionOf,
  type Session,
  type SessionStore,
} from './session.js';

function info(sessions: SessionStore, s: Session | undefined, ctxUser?: { username: string }): SessionInfo {
  if (!s) return { signedIn: ctxUser !== undefined, username: ctxUser?.username ?? null, csrfToken: null, elevatedUntil: null };
  return {
    signedIn: true,
    username: s.username,
    csrfToken: s.csrfToken,
    elevatedUntil: sessions.isElevated(s) ? new Date(s.elevatedUntil).toISOString() : null,
  };
}

/**
 * Checks a password through the shared throttle; throws 429 or 401. `slug` tells a wrong password at
 * sign-in (`unauthenticated`) from one re-entered while signed in (`wrong-password`: the session is fine).
 */
async function checkPassword(ctx: AdminContext, username: string, password: string, slug?: string) {
  const r = await ctx.services.passwords.check(username, password, ctx.request.address);
  if (r.kind === 'throttled') throw tooManyGuesses(r.retryAfterSeconds);
  if (r.kind === 'wrong') throw new AdminProblem(401, slug ? 'that is not your password' : 'wrong username or password', slug);
  return r.user;
}

export const sessionRoutes: AdminRoute[] = [
  {
    method: 'POST', path: '/session', access: { kind: 'public' }, summary: 'Sign in (portal): sets the session cookie, returns the CSRF token',
    handle: async (ctx): Promise<AdminResult> => {
      // Login CSRF: the pipeline refused a foreign Origin already (admin/request-guard.ts).
      const b = object(await ctx.body());
      const user = await checkPassword(ctx, str(b, 'username'), str(b, 'password'));
      const sessions = ctx.services.sessions;
      const old = await sessionOf(ctx.request.sessionId, sessions);
      if (old) await sessions.delete(old); // no session fixation
      const { id, session } = await sessions.create(user.id, user.username);
      return { status: 201, body: info(sessions, session), headers: { 'set-cookie': sessionCookie(id, ctx.request.tls) } };
    },
  },
  {
    method: 'GET', path: '/session', access: { kind: 'public' }, summary: 'The current portal session and its CSRF token (signedIn false without one)',
    handle: async (ctx) => ok(info(ctx.services.sessions, await sessionOf(ctx.request.sessionId, ctx.services.sessions))),
  },
  {
    method: 'DELETE', path: '/session', access: { kind: 'authenticated' }, summary: 'Sign out: the session ends on the server',
    handle: async (ctx): Promise<AdminResult> => {
      const s = await sessionOf(ctx.request.sessionId, ctx.services.sessions);
      if (s) await ctx.services.sessions.delete(s);
      return { status: 204, headers: { 'set-cookie': clearedSessionCookie(ctx.request.tls) } };
    },
  },
  {
    method: 'POST', path: '/session/elevate', access: { kind: 'authenticated' }, summary: 'Re-enter the password: key management for 10 minutes',
    handle: async (ctx) => {
      const p = me(ctx);
      const b = object(await ctx.body());
      await checkPassword(ctx, p.user.username, str(b, 'password'), 'wrong-password');
      const sessions = ctx.services.sessions;
      const s = await sessionOf(ctx.request.sessionId, sessions);
      if (!s) return ok(info(sessions, undefined, p.user)); // HTTP Basic: every request is already "elevated"
      await sessions.elevate(s);
      await ctx.services.audit.record({ userId: p.user.id }, null, 'session.elevate', p.user.username);
      return ok(info(sessions, s));
    },
  },
];
