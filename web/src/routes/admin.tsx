/** Site administration (#/admin): tenancies with quotas and managers, users, groups. */
import { useState } from 'preact/hooks';
import type * as C from '../../../src/admin/contract.js';
import { DataTable } from '../components/data-table.js';
import { ErrorBanner, StatusLine } from '../components/error-banner.js';
import { api } from '../lib/api.js';
import { formatBytes } from '../lib/format.js';
import { hrefOf, usePageTitle } from '../lib/router.js';
import { useResource } from '../lib/use-resource.js';

export function SiteAdmin() {
  usePageTitle('Site administration');
  const tenancies = useResource(async () => (await api.call('GET /tenancies')).items, []);
  const users = useResource(async () => (await api.call('GET /users')).items, []);
  const groups = useResource(async () => (await api.call('GET /groups')).items, []);
  const [err, setErr] = useState<unknown>(null);
  const [msg, setMsg] = useState<string | null>(null);
  const submit = (fn: (f: FormData) => Promise<unknown>, done: string) => async (ev: Event) => {
    ev.preventDefault();
    const form = ev.currentTarget as HTMLFormElement;
    setErr(null);
    setMsg(null);
    try {
      await fn(new FormData(form));
      form.reset();
      setMsg(done);
    } catch (e) {
      setErr(e);
    }
    await Promise.all([tenancies.reload(), users.reload(), groups.reload()]);
  };
  const s = (f: FormData, k: string) => String(f.get(k) ?? '').trim();
  return (
    <section aria-labelledby="admin-title">
      <h2 id="admin-title">Site administration</h2>
      <ErrorBanner error={err ?? tenancies.error ?? users.error ?? groups.error} onDismiss={() => setErr(null)} />
      <StatusLine text={msg} />
      <div class="grid">
        <div class="card">
          <h3>Create tenancy</h3>
          <form class="stack" onSubmit={submit((f) => api.call('POST /tenancies', { body: { name: s(f, 'name'), defaultAccess: s(f, 'defaultAccess') as C.DefaultAccess } }), 'Tenancy created.')}>
            <label for="t-name">Name</label>
            <input id="t-name" name="name" required />
            <label for="t-access">Default access</label>
            <select id="t-access" name="defaultAccess"><option value="owner">bucket owner only</option><option value="members">any member</option></select>
            <button class="primary" type="submit">Create</button>
          </form>
        </div>
        <div class="card">
          <h3>Quota</h3>
          <form class="stack" onSubmit={submit((f) => api.call('PUT /tenancies/{tenancy}/quota', { params: { tenancy: s(f, 'tenancy') }, body: { bytes: s(f, 'bytes') === '' ? null : s(f, 'bytes'), objects: s(f, 'objects') === '' ? null : Number(s(f, 'objects')), action: s(f, 'action') as C.QuotaAction } }), 'Quota set.')}>
            <label for="q-tenancy">Tenancy</label>
            <select id="q-tenancy" name="tenancy" required>{(tenancies.data ?? []).map((t) => <option key={t.name}>{t.name}</option>)}</select>
            <label for="q-bytes">Size (e.g. 10GiB; empty = unlimited)</label>
            <input id="q-bytes" name="bytes" />
            <label for="q-objects">Objects (empty = unlimited)</label>
            <input id="q-objects" name="objects" type="number" min={0} />
            <label for="q-action">When full</label>
            <select id="q-action" name="action"><option value="read-delete">read-only and delete</option><option value="read-only">read-only</option><option value="notify">notify only</option><option value="lockout">lockout</option></select>
            <button class="primary" type="submit">Set quota</button>
          </form>
        </div>
        <div class="card">
          <h3>Managers</h3>
          <form class="stack" onSubmit={submit((f) => api.call('POST /tenancies/{tenancy}/members', { params: { tenancy: s(f, 'tenancy') }, body: { username: s(f, 'username'), role: 'MANAGER' } }), 'Manager added.')}>
            <label for="m-tenancy">Tenancy</label>
            <select id="m-tenancy" name="tenancy" required>{(tenancies.data ?? []).map((t) => <option key={t.name}>{t.name}</option>)}</select>
            <label for="m-user">Username</label>
            <input id="m-user" name="username" required list="admin-users" />
            <datalist id="admin-users">{(users.data ?? []).map((u) => <option key={u.username} value={u.username} />)}</datalist>
            <button class="primary" type="submit">Make manager</button>
          </form>
        </div>
        <div class="card">
          <h3>Create user</h3>
          <form class="stack" onSubmit={submit((f) => api.call('POST /users', { body: { username: s(f, 'username'), password: String(f.get('password')), ...(s(f, 'displayName') ? { displayName: s(f, 'displayName') } : {}), ...(s(f, 'email') ? { email: s(f, 'email') } : {}) } }), 'User created.')}>
            <label for="u-name">Username</label>
            <input id="u-name" name="username" required />
            <label for="u-display">Display name</label>
            <input id="u-display" name="displayName" />
            <label for="u-email">Email</label>
            <input id="u-email" name="email" type="email" />
            <label for="u-password">Password</label>
            <input id="u-password" name="password" type="password" autocomplete="new-password" required />
            <button class="primary" type="submit">Create user</button>
          </form>
        </div>
        <div class="card">
          <h3>Groups</h3>
          <form class="stack" onSubmit={submit((f) => api.call('POST /groups', { body: { name: s(f, 'name') } }), 'Group created.')}>
            <label for="g-name">New group</label>
            <input id="g-name" name="name" required />
            <button type="submit">Create group</button>
          </form>
          <form class="stack" onSubmit={submit((f) => api.call('POST /groups/{group}/members', { params: { group: s(f, 'group') }, body: { username: s(f, 'username') } }), 'Added to group.')}>
            <label for="gm-group">Group</label>
            <select id="gm-group" name="group" required>{(groups.data ?? []).filter((g) => g.source === 'local').map((g) => <option key={g.name}>{g.name}</option>)}</select>
            <label for="gm-user">Username</label>
            <input id="gm-user" name="username" required list="admin-users" />
            <button type="submit">Add to group</button>
          </form>
        </div>
      </div>
      <div class="card">
        <DataTable<C.Tenancy>
          caption="Tenancies"
          rows={tenancies.data}
          rowKey={(t) => t.name}
          empty="No tenancies."
          columns={[
            { header: 'Name', cell: (t) => <a href={hrefOf({ view: 'tenancy', tenancy: t.name, tab: 'members' })}>{t.name}</a> },
            { header: 'Quota', cell: (t) => `${formatBytes(t.quota.bytes)}${t.quota.objects !== null ? `, ${t.quota.objects} objects` : ''}` },
            { header: 'When full', cell: (t) => t.quota.action },
            { header: 'Default access', cell: (t) => t.defaultAccess },
            { header: 'Listed', cell: (t) => (t.listed ? 'yes' : 'no') },
          ]}
        />
      </div>
      <div class="card">
        <DataTable<C.User>
          caption="Users"
          rows={users.data}
          rowKey={(u) => u.username}
          empty="No users."
          columns={[
            { header: 'Username', cell: (u) => u.username },
            { header: 'Name', cell: (u) => u.displayName },
            { header: 'Email', cell: (u) => u.email || '—' },
            { header: 'Site admin', cell: (u) => (u.siteAdmin ? 'yes' : 'no') },
          ]}
        />
      </div>
      <div class="card">
        <DataTable<C.Group>
          caption="Groups"
          rows={groups.data}
          rowKey={(g) => g.name}
          empty="No groups."
          columns={[
            { header: 'Group', cell: (g) => g.name },
            { header: 'Kind', cell: (g) => (g.source === 'tenancy' ? "a tenancy's members" : g.source === 'ldap' ? 'from the directory' : 'managed here') },
          ]}
        />
      </div>
    </section>
  );
}
