/**
 * The `granary admin <noun> <verb>` commands: each is a usage line, its own options, and a run function
 * that calls the admin API and prints either text for people or, with --json, the API's JSON.
 */
import { readFileSync } from 'node:fs';
import type * as C from '../admin/contract.js';
import { formatSize, parseSize } from '../lib/format-size.js';
import type { AdminClient } from './client.js';
import { block, table, type Out } from './output.js';
import { CliUsageError } from './settings.js';

type OptionSpec = { type: 'string' | 'boolean'; multiple?: boolean; short?: string };

export interface CommandRun {
  client: AdminClient;
  args: string[];
  opts: Record<string, string | boolean | string[] | undefined>;
  json: boolean;
  out: Out;
  readStdin: () => string;
}

export interface Command {
  /** e.g. "NAME SIZE" ([X] = optional). */
  args: string;
  summary: string;
  /** Extra lines for --help. */
  help?: string;
  options?: Record<string, OptionSpec>;
  run(c: CommandRun): Promise<void>;
}

const sizeText = (n: number | null): string => (n === null ? 'unlimited' : `${formatSize(n)} (${n} bytes)`);
const DAY_MS = 86_400_000;

/** Prints JSON when asked, else the human text. */
function emit(c: CommandRun, value: unknown, human: () => string): void {
  c.out.stdout(c.json ? JSON.stringify(value ?? { ok: true }, null, 2) + '\n' : human());
}

function opt(c: CommandRun, name: string): string | undefined {
  const v = c.opts[name];
  return typeof v === 'string' ? v : undefined;
}

function newPassword(c: CommandRun): string {
  const p = opt(c, 'new-password') ?? (c.opts['new-password-stdin'] ? c.readStdin().split(/\r?\n/)[0] : undefined);
  if (!p) throw new CliUsageError('give the new password with --new-password PASSWORD or --new-password-stdin');
  return p;
}

/** "2030-01-31", a full ISO date-time, or a lifetime such as "90d". */
export function parseExpiry(s: string, now = Date.now()): string {
  const d = /^(\d+)d$/.exec(s);
  if (d) return new Date(now + Number(d[1]) * DAY_MS).toISOString();
  const ms = Date.parse(s);
  if (Number.isNaN(ms)) throw new CliUsageError(`--expires "${s}" is not a date (2030-01-31), a date-time or a lifetime such as 90d`);
  return new Date(ms).toISOString();
}

function roleArg(s: string): C.Role {
  const r = s.toUpperCase();
  if (r !== 'USER' && r !== 'DEPUTY' && r !== 'MANAGER') throw new CliUsageError(`role "${s}" must be USER, DEPUTY or MANAGER`);
  return r;
}

function showTenancy(t: C.TenancyDetail): string {
  const pct = t.status.percent === null ? 'no quota' : `${t.status.percent}%`;
  return block([
    ['tenancy', t.name],
    ['created', t.createdAt],
    ['default access', t.defaultAccess],
    ['used', `${sizeText(t.usage.bytes)}, ${t.usage.objects} objects`],
    ['limit', `${sizeText(t.quota.bytes)}, ${t.quota.objects === null ? 'unlimited' : t.quota.objects} objects`],
    ['percent', pct],
    ['level', t.status.level],
    ['when full', t.quota.action],
    ['thresholds', `warning ${t.thresholds.warning}%, critical ${t.thresholds.critical}%`],
    ['members', t.members],
    ['buckets', t.buckets],
    ['internal endpoint', t.endpoints.internal],
    ['external endpoint', t.endpoints.external],
  ]);
}

function showGrants(r: C.GrantsResponse): string {
  const head = `${r.tenancy}:${r.bucket} is ${r.public ? 'PUBLIC (anyone may read it)' : 'not public'}${r.otherStatements ? `; ${r.otherStatements} more policy statement(s) written as JSON` : ''}\n`;
  if (r.grants.length === 0) return head + 'no grants\n';
  return head + table(r.grants.map((g) => ({ id: g.id, who: `${g.principal.kind}:${g.principal.name}`, access: g.access, prefix: g.prefix || '(whole bucket)' })), ['id', 'who', 'access', 'prefix']);
}

export const COMMANDS: Record<string, Record<string, Command>> = {
  tenancy: {
    create: {
      args: 'NAME', summary: 'Create a tenancy (lowercase letters, digits, hyphens; 3-40 characters)',
      options: { 'default-access': { type: 'string' } },
      help: '  --default-access owner|members   who reaches a bucket without a policy (default owner)',
      run: async (c) => {
        const body: C.CreateTenancyRequest = { name: c.args[0]! };
        const da = opt(c, 'default-access');
        if (da) body.defaultAccess = da as C.DefaultAccess;
        const t = await c.client.call('POST /tenancies', { body });
        emit(c, t, () => `created tenancy ${t.name}\n` + showTenancy(t!));
      },
    },
    list: {
      args: '', summary: 'List tenancies',
      run: async (c) => {
        const r = await c.client.call('GET /tenancies');
        emit(c, r, () => table(r.items.map((t) => ({ name: t.name, access: t.defaultAccess, quota: t.quota.bytes === null ? 'unlimited' : formatSize(t.quota.bytes), objects: t.quota.objects ?? 'unlimited', 'when-full': t.quota.action, created: t.createdAt })), ['name', 'access', 'quota', 'objects', 'when-full', 'created']));
      },
    },
    show: {
      args: 'NAME', summary: 'Show usage against the quota (used/limit, percent, level) and the endpoint URLs',
      run: async (c) => {
        const t = await c.client.call('GET /tenancies/{tenancy}', { params: { tenancy: c.args[0]! } });
        emit(c, t, () => showTenancy(t!));
      },
    },
    delete: {
      args: 'NAME', summary: 'Delete an empty tenancy',
      run: async (c) => {
        await c.client.call('DELETE /tenancies/{tenancy}', { params: { tenancy: c.args[0]! } });
        emit(c, { deleted: c.args[0] }, () => `deleted tenancy ${c.args[0]}\n`);
      },
    },
    'set-quota': {
      args: 'NAME SIZE', summary: 'Set the quota: SIZE like 10GiB, 500MB, 1T, a byte count, or "unlimited"',
      options: { objects: { type: 'string' }, action: { type: 'string' } },
      help: '  --objects N      object-count quota (or "unlimited")\n  --action A       when full: read-delete (default), read-only, notify, lockout',
      run: async (c) => {
        let bytes: number | null;
        try {
          bytes = parseSize(c.args[1]!);
        } catch (e) {
          throw new CliUsageError((e as Error).message);
        }
        const body: C.SetQuotaRequest = { bytes };
        const o = opt(c, 'objects');
        if (o !== undefined) {
          if (o === 'unlimited') body.objects = null;
          else if (/^\d+$/.test(o)) body.objects = Number(o);
          else throw new CliUsageError(`--objects "${o}" must be a whole number or "unlimited"`);
        }
        const a = opt(c, 'action');
        if (a !== undefined) body.action = a as C.QuotaAction;
        const r = await c.client.call('PUT /tenancies/{tenancy}/quota', { params: { tenancy: c.args[0]! }, body });
        emit(c, r, () => `quota of ${r.tenancy}: ${sizeText(r.quota.bytes)}, ${r.quota.objects ?? 'unlimited'} objects, when full: ${r.quota.action}\n`);
      },
    },
    'set-bucket-quota': {
      args: 'NAME BUCKET SIZE', summary: 'Set a bucket quota inside the tenancy: SIZE like 10GiB or "unlimited"',
      options: { objects: { type: 'string' } },
      help: '  --objects N      object-count quota of the bucket (or "unlimited")',
      run: async (c) => {
        let bytes: number | null;
        try {
          bytes = parseSize(c.args[2]!);
        } catch (e) {
          throw new CliUsageError((e as Error).message);
        }
        const o = opt(c, 'objects');
        if (o !== undefined && o !== 'unlimited' && !/^\d+$/.test(o)) throw new CliUsageError(`--objects "${o}" must be a whole number or "unlimited"`);
        const body = { bytes, objects: o === undefined || o === 'unlimited' ? null : Number(o) };
        const r = await c.client.call('PUT /tenancies/{tenancy}/buckets/{bucket}/quota', { params: { tenancy: c.args[0]!, bucket: c.args[1]! }, body });
        emit(c, r, () => `quota of bucket ${r.bucket} in ${r.tenancy}: ${sizeText(r.quota.bytes)}, ${r.quota.objects ?? 'unlimited'} objects\n`);
      },
    },
    'set-access': {
      args: 'NAME owner|members', summary: "Set the tenancy's default access",
      run: async (c) => {
        const t = await c.client.call('PATCH /tenancies/{tenancy}', { params: { tenancy: c.args[0]! }, body: { defaultAccess: c.args[1] as C.DefaultAccess } });
        emit(c, t, () => `default access of ${t.name}: ${t.defaultAccess}\n`);
      },
    },
    usage: {
      args: 'NAME', summary: 'What is using the space: by bucket, by owner, by top-level prefix, and incomplete uploads',
      run: async (c) => {
        const params = { tenancy: c.args[0]! };
        const [u, b, up] = await Promise.all([
          c.client.call('GET /tenancies/{tenancy}/usage', { params }),
          c.client.call('GET /tenancies/{tenancy}/usage/breakdown', { params }),
          c.client.call('GET /tenancies/{tenancy}/uploads', { params }),
        ]);
        emit(c, { usage: u, breakdown: b, uploads: up.items }, () =>
          `by bucket:\n${table(u.buckets.map((x) => ({ bucket: x.name, size: formatSize(x.usage.bytes), objects: x.usage.objects })), ['bucket', 'size', 'objects'])}` +
          `by owner:\n${table(b.owners.map((x) => ({ owner: x.username, size: formatSize(x.bytes), objects: x.objects })), ['owner', 'size', 'objects'])}` +
          `by top-level prefix:\n${table(b.prefixes.map((x) => ({ bucket: x.bucket, prefix: x.prefix || '(top level)', size: formatSize(x.bytes), objects: x.objects })), ['bucket', 'prefix', 'size', 'objects'])}` +
          `incomplete multipart uploads:\n${up.items.length ? table(up.items.map((x) => ({ bucket: x.bucket, key: x.key, 'upload-id': x.uploadId, started: x.initiatedAt.slice(0, 16).replace('T', ' '), owner: x.owner, parts: x.parts, size: formatSize(x.bytes) })), ['bucket', 'key', 'upload-id', 'started', 'owner', 'parts', 'size']) : '  none\n'}`,
        );
      },
    },
    'set-listed': {
      args: 'NAME yes|no', summary: 'List the tenancy (or not) for people looking for one to join (MANAGER)',
      run: async (c) => {
        const v = c.args[1]!;
        if (v !== 'yes' && v !== 'no') throw new CliUsageError(`"${v}" must be yes or no`);
        const t = await c.client.call('PATCH /tenancies/{tenancy}', { params: { tenancy: c.args[0]! }, body: { listed: v === 'yes' } });
        emit(c, t, () => `${t.name} is ${t.listed ? 'listed' : 'not listed'} for join requests\n`);
      },
    },
    repair: {
      args: 'NAME', summary: 'Recount usage from the metadata and report drift; --fix corrects the counters',
      options: { fix: { type: 'boolean' } },
      run: async (c) => {
        const r = await c.client.call('POST /tenancies/{tenancy}/usage/repair', { params: { tenancy: c.args[0]! }, query: { fix: c.opts.fix ? 'true' : undefined } });
        emit(c, r, () => {
          const head = `counted ${r.counted.bytes} bytes / ${r.counted.objects} objects; recorded ${r.recorded.bytes} bytes / ${r.recorded.objects} objects\n`;
          if (r.drift.length === 0) return head + 'no drift\n';
          return head + table(r.drift.map((d) => ({ scope: d.scope, name: d.name, counted: `${d.counted.bytes}B/${d.counted.objects}`, recorded: `${d.recorded.bytes}B/${d.recorded.objects}` })), ['scope', 'name', 'counted', 'recorded']) + (r.fixed ? 'fixed\n' : 'run with --fix to correct\n');
        });
      },
    },
  },
  user: {
    create: {
      args: 'USERNAME', summary: 'Create a user',
      options: { 'new-password': { type: 'string' }, 'new-password-stdin': { type: 'boolean' }, 'display-name': { type: 'string' }, email: { type: 'string' }, 'site-admin': { type: 'boolean' } },
      help: '  --new-password PW | --new-password-stdin   the user\'s password\n  --display-name NAME  --email ADDRESS  --site-admin',
      run: async (c) => {
        const body: C.CreateUserRequest = { username: c.args[0]!, password: newPassword(c), displayName: opt(c, 'display-name'), email: opt(c, 'email'), siteAdmin: c.opts['site-admin'] === true };
        const u = await c.client.call('POST /users', { body });
        emit(c, u, () => `created user ${u.username}${u.siteAdmin ? ' (site administrator)' : ''}\n`);
      },
    },
    list: {
      args: '', summary: 'List users',
      run: async (c) => {
        const r = await c.client.call('GET /users');
        emit(c, r, () => table(r.items.map((u) => ({ username: u.username, name: u.displayName, email: u.email, 'site-admin': u.siteAdmin ? 'yes' : '', created: u.createdAt })), ['username', 'name', 'email', 'site-admin', 'created']));
      },
    },
    passwd: {
      args: 'USERNAME', summary: "Set a user's password (your own, or anyone's as site administrator)",
      options: { 'new-password': { type: 'string' }, 'new-password-stdin': { type: 'boolean' } },
      help: '  --new-password PW | --new-password-stdin',
      run: async (c) => {
        await c.client.call('PUT /users/{user}/password', { params: { user: c.args[0]! }, body: { password: newPassword(c) } });
        emit(c, { ok: true, username: c.args[0] }, () => `password of ${c.args[0]} changed\n`);
      },
    },
  },
  member: {
    add: {
      args: 'TENANCY USER', summary: 'Add a member to a tenancy', options: { role: { type: 'string' } },
      help: '  --role USER|DEPUTY|MANAGER   (default USER)',
      run: async (c) => {
        const m = await c.client.call('POST /tenancies/{tenancy}/members', { params: { tenancy: c.args[0]! }, body: { username: c.args[1]!, role: roleArg(opt(c, 'role') ?? 'USER') } });
        emit(c, m, () => `${m.username} is now ${m.role} of ${c.args[0]}\n`);
      },
    },
    list: {
      args: 'TENANCY', summary: 'List the members of a tenancy',
      run: async (c) => {
        const r = await c.client.call('GET /tenancies/{tenancy}/members', { params: { tenancy: c.args[0]! } });
        emit(c, r, () => table(r.items.map((m) => ({ username: m.username, name: m.displayName, role: m.role, since: m.since })), ['username', 'name', 'role', 'since']));
      },
    },
    'set-role': {
      args: 'TENANCY USER ROLE', summary: "Change a member's role (USER, DEPUTY, MANAGER)",
      run: async (c) => {
        const m = await c.client.call('PUT /tenancies/{tenancy}/members/{user}', { params: { tenancy: c.args[0]!, user: c.args[1]! }, body: { role: roleArg(c.args[2]!) } });
        emit(c, m, () => `${m.username} is now ${m.role} of ${c.args[0]}\n`);
      },
    },
    remove: {
      args: 'TENANCY USER', summary: 'Remove a member (their keys for the tenancy are deleted)',
      run: async (c) => {
        await c.client.call('DELETE /tenancies/{tenancy}/members/{user}', { params: { tenancy: c.args[0]!, user: c.args[1]! } });
        emit(c, { removed: c.args[1], tenancy: c.args[0] }, () => `removed ${c.args[1]} from ${c.args[0]}\n`);
      },
    },
  },
  group: {
    create: {
      args: 'NAME', summary: 'Create a group',
      run: async (c) => {
        const g = await c.client.call('POST /groups', { body: { name: c.args[0]! } });
        emit(c, g, () => `created group ${g.name}\n`);
      },
    },
    add: {
      args: 'GROUP USER', summary: 'Add a user to a group',
      run: async (c) => {
        await c.client.call('POST /groups/{group}/members', { params: { group: c.args[0]! }, body: { username: c.args[1]! } });
        emit(c, { group: c.args[0], added: c.args[1] }, () => `added ${c.args[1]} to ${c.args[0]}\n`);
      },
    },
    remove: {
      args: 'GROUP USER', summary: 'Remove a user from a group',
      run: async (c) => {
        await c.client.call('DELETE /groups/{group}/members/{user}', { params: { group: c.args[0]!, user: c.args[1]! } });
        emit(c, { group: c.args[0], removed: c.args[1] }, () => `removed ${c.args[1]} from ${c.args[0]}\n`);
      },
    },
    list: {
      args: '[GROUP]', summary: 'List groups, or the members of GROUP',
      run: async (c) => {
        if (c.args[0] !== undefined) {
          const r = await c.client.call('GET /groups/{group}/members', { params: { group: c.args[0] } });
          emit(c, r, () => table(r.items.map((u) => ({ username: u.username, name: u.displayName })), ['username', 'name']));
          return;
        }
        const r = await c.client.call('GET /groups');
        emit(c, r, () => table(r.items.map((g) => ({ name: g.name, source: g.source })), ['name', 'source']));
      },
    },
    delete: {
      args: 'NAME', summary: 'Delete a group',
      run: async (c) => {
        await c.client.call('DELETE /groups/{group}', { params: { group: c.args[0]! } });
        emit(c, { deleted: c.args[0] }, () => `deleted group ${c.args[0]}\n`);
      },
    },
  },
  key: {
    create: {
      args: 'TENANCY NAME', summary: 'Create an access key for a tenancy you belong to; prints the id and the secret (shown once)',
      options: { expires: { type: 'string' }, 'read-only': { type: 'boolean' }, scope: { type: 'string', multiple: true } },
      help: '  --expires DATE|Nd    required: 2030-01-31, an ISO date-time, or a lifetime such as 90d\n  --read-only          the key can only read\n  --scope B[/PREFIX]   limit the key to a bucket (or a prefix in it); repeatable',
      run: async (c) => {
        const expires = opt(c, 'expires');
        if (!expires) throw new CliUsageError('--expires is required (e.g. --expires 90d or --expires 2030-01-31)');
        const scopes = c.opts.scope as string[] | undefined;
        const body: C.CreateAccessKeyRequest = { tenancy: c.args[0]!, name: c.args[1]!, expiresAt: parseExpiry(expires), readOnly: c.opts['read-only'] === true, ...(scopes?.length ? { scopes } : {}) };
        const k = await c.client.call('POST /me/keys', { body });
        emit(c, k, () => block([['access key id', k.accessKeyId], ['secret key', k.secretAccessKey], ['tenancy', k.tenancy], ['expires', k.expiresAt]]) + 'Keep the secret now: it is not shown again.\n');
      },
    },
    list: {
      args: '', summary: 'List your access keys (never the secrets); expired ones are marked and listed last',
      options: { tenancy: { type: 'string' } },
      help: "  --tenancy T   every member's keys for tenancy T (MANAGER or DEPUTY)",
      run: async (c) => {
        const tenancy = opt(c, 'tenancy');
        const r = tenancy !== undefined ? await c.client.call('GET /tenancies/{tenancy}/keys', { params: { tenancy } }) : await c.client.call('GET /me/keys');
        const cols = ['id', ...(tenancy !== undefined ? ['owner'] : []), 'name', 'tenancy', 'status', 'created', 'expires', 'last-used', 'restriction'];
        emit(c, r, () =>
          table(
            r.items.map((k) => ({
              id: k.accessKeyId,
              owner: k.owner,
              name: k.portal ? `${k.name} [made by the portal]` : k.name,
              tenancy: k.tenancy,
              status: k.expired ? 'EXPIRED' : 'live',
              created: k.createdAt.slice(0, 10),
              expires: k.expiresAt?.slice(0, 10) ?? 'never',
              'last-used': k.lastUsedAt?.slice(0, 16).replace('T', ' ') ?? 'never',
              restriction: k.restriction === null ? '' : `${k.restriction.readOnly ? 'read-only ' : ''}${k.restriction.scopes ? k.restriction.scopes.map((s) => s.bucket + (s.prefix ? '/' + s.prefix : '')).join(',') : ''}`.trim(),
            })),
            cols,
          ) + (r.items.some((k) => k.portal) ? 'A key named "portal (…)" is the one the portal signs your browser uploads, downloads and share links with; deleting it revokes those links.\n' : ''),
        );
      },
    },
    revoke: {
      args: 'TENANCY ACCESS_KEY_ID', summary: "Revoke a member's key for the tenancy (MANAGER or DEPUTY; a DEPUTY not a MANAGER's)",
      run: async (c) => {
        await c.client.call('DELETE /tenancies/{tenancy}/keys/{key}', { params: { tenancy: c.args[0]!, key: c.args[1]! } });
        emit(c, { revoked: c.args[1], tenancy: c.args[0] }, () => `revoked access key ${c.args[1]} of ${c.args[0]}\n`);
      },
    },
    delete: {
      args: 'ACCESS_KEY_ID', summary: 'Delete one of your access keys (it stops working at once)',
      run: async (c) => {
        await c.client.call('DELETE /me/keys/{key}', { params: { key: c.args[0]! } });
        emit(c, { deleted: c.args[0] }, () => `deleted access key ${c.args[0]}\n`);
      },
    },
  },
  request: {
    create: {
      args: 'TENANCY', summary: 'Ask to join a tenancy', options: { message: { type: 'string', short: 'm' } },
      help: '  -m, --message TEXT   why you want to join',
      run: async (c) => {
        const r = await c.client.call('POST /me/requests', { body: { tenancy: c.args[0]!, message: opt(c, 'message') ?? '' } });
        emit(c, r, () => `request ${r.id} to join ${r.tenancy} is ${r.status}\n`);
      },
    },
    list: {
      args: '[TENANCY]', summary: "List a tenancy's join requests (managers), or without TENANCY your own", options: { status: { type: 'string' } },
      help: '  --status pending|approved|rejected',
      run: async (c) => {
        const status = opt(c, 'status');
        const r = c.args[0] !== undefined ? await c.client.call('GET /tenancies/{tenancy}/requests', { params: { tenancy: c.args[0] }, query: { status } }) : await c.client.call('GET /me/requests');
        const items = c.args[0] === undefined && status ? r.items.filter((i) => i.status === status) : r.items;
        emit(c, { items }, () => table(items.map((i) => ({ id: i.id, tenancy: i.tenancy, user: i.username, status: i.status, role: i.role, created: i.createdAt, message: i.message })), ['id', 'tenancy', 'user', 'status', 'role', 'created', 'message']));
      },
    },
    approve: {
      args: 'TENANCY ID', summary: 'Approve a join request', options: { role: { type: 'string' } },
      help: '  --role USER|DEPUTY|MANAGER   role to give (default USER)',
      run: async (c) => {
        const r = await c.client.call('POST /tenancies/{tenancy}/requests/{id}/approve', { params: { tenancy: c.args[0]!, id: c.args[1]! }, body: { role: roleArg(opt(c, 'role') ?? 'USER') } });
        emit(c, r, () => `approved: ${r.username} is now ${r.role} of ${r.tenancy}\n`);
      },
    },
    reject: {
      args: 'TENANCY ID', summary: 'Reject a join request', options: { reason: { type: 'string' } },
      help: '  --reason TEXT   why (shown to the requester)',
      run: async (c) => {
        const r = await c.client.call('POST /tenancies/{tenancy}/requests/{id}/reject', { params: { tenancy: c.args[0]!, id: c.args[1]! }, body: { reason: opt(c, 'reason') ?? '' } });
        emit(c, r, () => `rejected the request of ${r.username} to join ${r.tenancy}\n`);
      },
    },
  },
  policy: {
    grants: {
      args: 'TENANCY BUCKET', summary: "List a bucket's grants (who, access, prefix) and whether it is public",
      run: async (c) => {
        const r = await c.client.call('GET /tenancies/{tenancy}/buckets/{bucket}/grants', { params: { tenancy: c.args[0]!, bucket: c.args[1]! } });
        emit(c, r, () => showGrants(r));
      },
    },
    grant: {
      args: 'TENANCY BUCKET user:NAME|group:NAME', summary: 'Share a bucket (or a prefix) with a user or a group',
      options: { access: { type: 'string' }, prefix: { type: 'string' } },
      help: '  --access read|read-write|full   (default read)\n  --prefix P                      only keys starting with P (read or read-write)',
      run: async (c) => {
        const access = (opt(c, 'access') ?? 'read') as C.GrantAccess;
        if (!['read', 'read-write', 'full'].includes(access)) throw new CliUsageError(`--access "${access}" must be read, read-write or full`);
        if (!/^(user|group):.+/.test(c.args[2]!)) throw new CliUsageError(`"${c.args[2]}" must be user:NAME or group:NAME`);
        const r = await c.client.call('POST /tenancies/{tenancy}/buckets/{bucket}/grants', { params: { tenancy: c.args[0]!, bucket: c.args[1]! }, body: { principal: c.args[2]!, access, ...(opt(c, 'prefix') !== undefined ? { prefix: opt(c, 'prefix') } : {}) } });
        emit(c, r, () => `granted ${access} on ${c.args[1]}${opt(c, 'prefix') ? '/' + opt(c, 'prefix') : ''} to ${c.args[2]}\n` + showGrants(r));
      },
    },
    revoke: {
      args: 'TENANCY BUCKET GRANT_ID|user:NAME|group:NAME', summary: 'Remove a grant (by its id, or every grant of that user or group)',
      options: { prefix: { type: 'string' } },
      help: '  --prefix P   with user:/group:, only the grant on that prefix',
      run: async (c) => {
        const params = { tenancy: c.args[0]!, bucket: c.args[1]! };
        const target = c.args[2]!;
        let ids = [target];
        if (/^(user|group):/.test(target)) {
          const [kind, name] = [target.slice(0, target.indexOf(':')), target.slice(target.indexOf(':') + 1)];
          const prefix = opt(c, 'prefix');
          const now = await c.client.call('GET /tenancies/{tenancy}/buckets/{bucket}/grants', { params });
          ids = now.grants.filter((g) => g.principal.kind === kind && g.principal.name === name && (prefix === undefined || g.prefix === prefix)).map((g) => g.id);
          if (ids.length === 0) throw new CliUsageError(`${c.args[1]} has no grant to ${target}${prefix !== undefined ? ` on "${prefix}"` : ''}`);
        }
        let r: C.GrantsResponse | undefined;
        for (const grant of ids) r = await c.client.call('DELETE /tenancies/{tenancy}/buckets/{bucket}/grants/{grant}', { params: { ...params, grant } });
        emit(c, r, () => `removed ${ids.length} grant(s)\n` + showGrants(r!));
      },
    },
    public: {
      args: 'TENANCY BUCKET on|off', summary: 'Make a bucket public (anyone may read and list it without a key) or not',
      run: async (c) => {
        const v = c.args[2]!;
        if (v !== 'on' && v !== 'off') throw new CliUsageError(`"${v}" must be on or off`);
        const r = await c.client.call('PUT /tenancies/{tenancy}/buckets/{bucket}/public', { params: { tenancy: c.args[0]!, bucket: c.args[1]! }, body: { public: v === 'on' } });
        emit(c, r, () => `${c.args[1]} is ${r.public ? 'public' : 'not public'}${!r.public || r.publicStatement ? '' : ' (through another statement or its ACL)'}${v === 'off' && r.public ? ' — still public through another statement or its ACL' : ''}\n`);
      },
    },
    get: {
      args: 'TENANCY BUCKET', summary: "Print a bucket's policy",
      run: async (c) => {
        const r = await c.client.call('GET /tenancies/{tenancy}/buckets/{bucket}/policy', { params: { tenancy: c.args[0]!, bucket: c.args[1]! } });
        emit(c, r, () => JSON.stringify(r.policy, null, 2) + '\n');
      },
    },
    set: {
      args: 'TENANCY BUCKET FILE', summary: "Set a bucket's policy from a JSON file (- for stdin)",
      run: async (c) => {
        const file = c.args[2]!;
        let text: string;
        try {
          text = file === '-' ? c.readStdin() : readFileSync(file, 'utf8');
        } catch (e) {
          throw new CliUsageError(`cannot read policy file ${file}: ${(e as Error).message}`);
        }
        const r = await c.client.call('PUT /tenancies/{tenancy}/buckets/{bucket}/policy', { params: { tenancy: c.args[0]!, bucket: c.args[1]! }, body: text });
        emit(c, r, () => `policy of ${c.args[0]}:${c.args[1]} set\n`);
      },
    },
    delete: {
      args: 'TENANCY BUCKET', summary: "Delete a bucket's policy",
      run: async (c) => {
        await c.client.call('DELETE /tenancies/{tenancy}/buckets/{bucket}/policy', { params: { tenancy: c.args[0]!, bucket: c.args[1]! } });
        emit(c, { deleted: true, tenancy: c.args[0], bucket: c.args[1] }, () => `policy of ${c.args[0]}:${c.args[1]} deleted\n`);
      },
    },
  },
};
