/** Site-wide users and groups: site administrators manage them; anyone may change their own password. */
import type { AdminRoute } from '../context.js';
import { me, noContent, ok } from '../context.js';
import type * as C from '../contract.js';
import { object, optBool, optStr, str } from '../input.js';
import { userBody } from '../views.js';

const ADMIN = { kind: 'site-admin' } as const;
const actor = (ctx: Parameters<AdminRoute['handle']>[0]) => ({ userId: me(ctx).user.id });

export const userRoutes: AdminRoute[] = [
  {
    method: 'GET', path: '/users', access: ADMIN, summary: 'List users',
    handle: async (ctx) => ok({ items: (await ctx.services.users.list()).map(userBody) } satisfies C.ListResponse<C.User>),
  },
  {
    method: 'POST', path: '/users', access: ADMIN, summary: 'Create a user',
    handle: async (ctx) => {
      const b = object(await ctx.body());
      const u = await ctx.services.users.create(actor(ctx), {
        username: str(b, 'username'),
        password: str(b, 'password'),
        displayName: optStr(b, 'displayName'),
        email: optStr(b, 'email'),
        siteAdmin: optBool(b, 'siteAdmin'),
      });
      return ok(userBody(u), 201);
    },
  },
  {
    method: 'PUT', path: '/users/{user}/password', access: { kind: 'self' }, summary: "Set a user's password (yourself, or any user as site administrator)",
    handle: async (ctx) => {
      const b = object(await ctx.body());
      const user = await ctx.services.users.get(ctx.params.user!);
      await ctx.services.users.setPassword(actor(ctx), user, str(b, 'password'));
      return noContent();
    },
  },
  {
    method: 'GET', path: '/groups', access: ADMIN, summary: "List groups (stored ones and every tenancy's members group)",
    handle: async (ctx) =>
      ok({ items: (await ctx.services.groups.list()).map((g) => ({ name: g.name, source: g.source, createdAt: new Date(g.createdAt).toISOString() })) } satisfies C.ListResponse<C.Group>),
  },
  {
    method: 'POST', path: '/groups', access: ADMIN, summary: 'Create a group',
    handle: async (ctx) => {
      const g = await ctx.services.groups.create(actor(ctx), str(object(await ctx.body()), 'name'));
      return ok({ name: g.name, source: g.source, createdAt: new Date(g.createdAt).toISOString() } satisfies C.Group, 201);
    },
  },
  {
    method: 'DELETE', path: '/groups/{group}', access: ADMIN, summary: 'Delete a group',
    handle: async (ctx) => {
      await ctx.services.groups.delete(actor(ctx), ctx.params.group!);
      return noContent();
    },
  },
  {
    method: 'GET', path: '/groups/{group}/members', access: ADMIN, summary: 'List the members of a group',
    handle: async (ctx) => ok({ items: (await ctx.services.groups.members(ctx.params.group!)).map(userBody) } satisfies C.ListResponse<C.User>),
  },
  {
    method: 'POST', path: '/groups/{group}/members', access: ADMIN, summary: 'Add a user to a group',
    handle: async (ctx) => {
      const user = await ctx.services.users.get(str(object(await ctx.body()), 'username'));
      await ctx.services.groups.addMember(actor(ctx), ctx.params.group!, user);
      return noContent();
    },
  },
  {
    method: 'DELETE', path: '/groups/{group}/members/{user}', access: ADMIN, summary: 'Remove a user from a group',
    handle: async (ctx) => {
      const user = await ctx.services.users.get(ctx.params.user!);
      await ctx.services.groups.removeMember(actor(ctx), ctx.params.group!, user);
      return noContent();
    },
  },
];
