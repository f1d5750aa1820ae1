/**
 * The caller's own view: who they are, their tenancies, their access keys, their join requests, the
 * buckets shared with them, and changing their own password.
 */
import { scopesFrom } from '../../iam/key-restriction.js';
import { groupsOf } from '../../tenancy/membership.js';
import type { AdminRoute } from '../context.js';
import { me, noContent, ok } from '../context.js';
import type * as C from '../contract.js';
import { object, optBool, optStr, str, time } from '../input.js';
import { AdminProblem, badRequest } from '../problems.js';
import { tooManyGuesses } from '../auth.js';
import { sessionCookie } from '../session.js';
import { joinRequestBody, keyBody, NameResolver } from '../views.js';

const AUTH = { kind: 'authenticated' } as const;

function scopesField(v: unknown): Array<{ bucket: string; prefix?: string }> | null {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v)) throw badRequest('"scopes" must be a list of "bucket" or "bucket/prefix" strings');
  return v.map((e) => {
    if (typeof e === 'string') return scopesFrom([e])[0]!;
    if (typeof e === 'object' && e !== null && typeof (e as { bucket?: unknown }).bucket === 'string') {
      const s = e as { bucket: string; prefix?: unknown };
      if (s.prefix !== undefined && typeof s.prefix !== 'string') throw badRequest('a scope prefix must be a string');
      return s.prefix === undefined ? { bucket: s.bucket } : { bucket: s.bucket, prefix: s.prefix as string };
    }
    throw badRequest('each scope must be "bucket", "bucket/prefix" or {bucket, prefix}');
  });
}

export const meRoutes: AdminRoute[] = [
  {
    method: 'GET', path: '/me', access: AUTH, summary: 'Who am I: my tenancies with role, endpoints, quota status and waiting join requests',
    handle: async (ctx) => {
      const { user } = me(ctx);
      const m = ctx.services.metadata;
      const tenancies: C.MyTenancy[] = [];
      for (const ms of await m.listMembershipsOfUser(user.id)) {
        const t = await m.getTenancyById(ms.tenancyId);
        if (!t) continue;
        const usage = await m.getTenancyUsage(t.id);
        const staff = ms.role === 'MANAGER' || ms.role === 'DEPUTY';
        tenancies.push({
          name: t.name,
          role: ms.role,
          endpoints: ctx.services.tenancies.endpoints(t.name),
          quota: { bytes: t.quotaBytes, objects: t.quotaObjects, action: t.quotaAction },
          usage,
          status: ctx.services.tenancies.status(t, usage),
          pendingRequests: staff ? (await m.listJoinRequests(t.id, 'pending')).length : null,
        });
      }
      tenancies.sort((a, b) => (a.name < b.name ? -1 : 1));
      return ok({
        username: user.username,
        displayName: user.displayName,
        email: user.email,
        siteAdmin: user.isSiteAdmin,
        groups: await groupsOf(m, user.id),
        tenancies,
        maxKeyLifetimeDays: ctx.services.userKeys.maxLifetime,
        managesPasswords: ctx.services.directory.managesPasswords,
        privateCa: ctx.services.tlsCa !== undefined,
      } satisfies C.Me);
    },
  },
  {
    method: 'PUT', path: '/me/password', access: AUTH, summary: 'Change my password (built-in directory): the current one, then the new one',
    handle: async (ctx) => {
      const { user } = me(ctx);
      const b = object(await ctx.body());
      const current = str(b, 'currentPassword');
      const next = str(b, 'newPassword');
      const r = await ctx.services.passwords.check(user.username, current, ctx.request.address);
      if (r.kind === 'throttled') throw tooManyGuesses(r.retryAfterSeconds);
      // 403, not 401: the caller is signed in; only the password they typed is wrong.
      if (r.kind === 'wrong') throw new AdminProblem(403, 'the current password is not right', 'wrong-password');
      await ctx.services.users.setPassword({ userId: user.id }, user, next);
      // Every session ended with the old password; this browser gets a new one.
      if (me(ctx).via !== 'session') return ok({ signedIn: true, username: user.username, csrfToken: null, elevatedUntil: null } satisfies C.SessionInfo);
      const { id, session } = await ctx.services.sessions.create(user.id, user.username);
      const body: C.AdminApi['PUT /me/password']['res'] = { signedIn: true, username: user.username, csrfToken: session.csrfToken, elevatedUntil: null };
      return { status: 200, body, headers: { 'set-cookie': sessionCookie(id, ctx.request.tls) } };
    },
  },
  {
    method: 'GET', path: '/me/keys', access: AUTH, summary: 'My access keys (never the secrets): live ones first, expired ones last',
    handle: async (ctx) => ok({ items: (await ctx.services.userKeys.list(me(ctx).user)).map(keyBody) } satisfies C.ListResponse<C.AccessKey>),
  },
  {
    method: 'POST', path: '/me/keys', access: AUTH, summary: 'Create an access key; the secret is in this response only',
    handle: async (ctx) => {
      const b = object(await ctx.body());
      const { view, secret } = await ctx.services.userKeys.create(me(ctx).user, {
        tenancy: str(b, 'tenancy'),
        name: str(b, 'name'),
        expiresAt: time(b, 'expiresAt'),
        readOnly: optBool(b, 'readOnly'),
        scopes: scopesField(b.scopes),
      });
      const body: C.CreatedAccessKey = { ...keyBody(view), secretAccessKey: secret };
      return { status: 201, body, headers: { 'cache-control': 'no-store' } };
    },
  },
  {
    method: 'DELETE', path: '/me/keys/{key}', access: AUTH, summary: 'Delete one of my access keys (it stops working at once)',
    handle: async (ctx) => {
      const { user } = me(ctx);
      await ctx.services.userKeys.delete({ userId: user.id }, user, ctx.params.key!);
      return noContent();
    },
  },
  {
    method: 'GET', path: '/me/requests', access: AUTH, summary: 'My join requests and their outcome (with the reason of a rejection)',
    handle: async (ctx) => {
      const names = new NameResolver(ctx.services.metadata);
      const rs = await ctx.services.joinRequests.listOfUser(me(ctx).user);
      return ok({ items: await Promise.all(rs.map((r) => joinRequestBody(r, names))) } satisfies C.ListResponse<C.JoinRequest>);
    },
  },
  {
    method: 'POST', path: '/me/requests', access: AUTH, summary: 'Ask to join a tenancy',
    handle: async (ctx) => {
      const b = object(await ctx.body());
      const tenancy = await ctx.services.tenancies.get(str(b, 'tenancy'));
      const r = await ctx.services.joinRequests.create(me(ctx).user, tenancy, optStr(b, 'message') ?? '');
      return ok(await joinRequestBody(r, new NameResolver(ctx.services.metadata)), 201);
    },
  },
  {
    method: 'GET', path: '/me/shared', access: AUTH, summary: 'Buckets shared with me by a policy or an ACL, in any tenancy (as S3 decides)',
    handle: async (ctx) => ok({ items: await ctx.services.sharing.sharedWith(me(ctx).user) } satisfies C.ListResponse<C.SharedBucket>),
  },
];
