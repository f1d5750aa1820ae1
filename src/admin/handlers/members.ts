/** A tenancy's members (add, list, change role, remove) and its join requests (list, approve, reject). */
import { isJoinRequestStatus } from '../../tenancy/join-requests.js';
import { isRole } from '../../tenancy/membership.js';
import type { Role } from '../../metadata/store.js';
import type { AdminContext, AdminRoute } from '../context.js';
import { me, noContent, ok, tenancyOf } from '../context.js';
import type * as C from '../contract.js';
import { object, optStr, str } from '../input.js';
import { badRequest } from '../problems.js';
import { joinRequestBody, keyBody, memberBody, NameResolver } from '../views.js';

const STAFF = { kind: 'tenancy', roles: ['MANAGER', 'DEPUTY'] } as const;

function roleField(o: Record<string, unknown>, required: boolean): Role | undefined {
  const r = required ? str(o, 'role') : optStr(o, 'role');
  if (r === undefined) return undefined;
  const upper = r.toUpperCase();
  if (!isRole(upper)) throw badRequest('"role" must be USER, DEPUTY or MANAGER');
  return upper;
}

async function decide(ctx: AdminContext, approve: boolean) {
  const { tenancy, acting } = tenancyOf(ctx);
  const b = object(await ctx.body());
  const role = approve ? roleField(b, false) ?? 'USER' : 'USER';
  const reason = optStr(b, 'reason') ?? '';
  const r = await ctx.services.joinRequests.decide({ userId: me(ctx).user.id }, acting, tenancy, ctx.params.id!, approve, role, reason);
  return ok(await joinRequestBody(r, new NameResolver(ctx.services.metadata)));
}

export const memberRoutes: AdminRoute[] = [
  {
    method: 'GET', path: '/tenancies/{tenancy}/members', access: STAFF, summary: 'List members with their roles',
    handle: async (ctx) => ok({ items: (await ctx.services.membership.list(tenancyOf(ctx).tenancy)).map(memberBody) } satisfies C.ListResponse<C.Member>),
  },
  {
    method: 'POST', path: '/tenancies/{tenancy}/members', access: STAFF, summary: 'Add a member',
    handle: async (ctx) => {
      const { tenancy, acting } = tenancyOf(ctx);
      const b = object(await ctx.body());
      const m = await ctx.services.membership.add({ userId: me(ctx).user.id }, acting, tenancy, str(b, 'username'), roleField(b, false) ?? 'USER');
      return ok(memberBody(m), 201);
    },
  },
  {
    method: 'PUT', path: '/tenancies/{tenancy}/members/{user}', access: STAFF, summary: "Change a member's role",
    handle: async (ctx) => {
      const { tenancy, acting } = tenancyOf(ctx);
      const role = roleField(object(await ctx.body()), true)!;
      return ok(memberBody(await ctx.services.membership.setRole({ userId: me(ctx).user.id }, acting, tenancy, ctx.params.user!, role)));
    },
  },
  {
    method: 'DELETE', path: '/tenancies/{tenancy}/members/{user}', access: STAFF, summary: 'Remove a member (and their keys for this tenancy)',
    handle: async (ctx) => {
      const { tenancy, acting } = tenancyOf(ctx);
      await ctx.services.membership.remove({ userId: me(ctx).user.id }, acting, tenancy, ctx.params.user!);
      return noContent();
    },
  },
  {
    method: 'GET', path: '/tenancies/{tenancy}/requests', access: STAFF, summary: 'List join requests (?status=pending|approved|rejected)',
    handle: async (ctx) => {
      const status = ctx.query.get('status') ?? undefined;
      if (status !== undefined && !isJoinRequestStatus(status)) throw badRequest('status must be pending, approved or rejected');
      const names = new NameResolver(ctx.services.metadata);
      const rs = await ctx.services.joinRequests.list(tenancyOf(ctx).tenancy, status);
      return ok({ items: await Promise.all(rs.map((r) => joinRequestBody(r, names))) } satisfies C.ListResponse<C.JoinRequest>);
    },
  },
  {
    method: 'POST', path: '/tenancies/{tenancy}/requests/{id}/approve', access: STAFF, summary: 'Approve a join request (body: role, default USER)',
    handle: (ctx) => decide(ctx, true),
  },
  {
    method: 'POST', path: '/tenancies/{tenancy}/requests/{id}/reject', access: STAFF, summary: 'Reject a join request (body: reason, shown to the requester)',
    handle: (ctx) => decide(ctx, false),
  },
  {
    method: 'GET', path: '/tenancies/{tenancy}/keys', access: STAFF, summary: "The members' access keys for this tenancy (never the secrets)",
    handle: async (ctx) => ok({ items: (await ctx.services.userKeys.listOfTenancy(tenancyOf(ctx).tenancy)).map(keyBody) } satisfies C.ListResponse<C.AccessKey>),
  },
  {
    method: 'DELETE', path: '/tenancies/{tenancy}/keys/{key}', access: STAFF, summary: "Revoke a member's access key (a DEPUTY cannot revoke a MANAGER's)",
    handle: async (ctx) => {
      const { tenancy, acting } = tenancyOf(ctx);
      await ctx.services.userKeys.revoke({ userId: me(ctx).user.id }, acting, tenancy, ctx.params.key!);
      return noContent();
    },
  },
];
