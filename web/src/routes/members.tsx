/**
 * A tenancy's people (#/t/NAME/members, MANAGER and DEPUTY): join requests to decide (a rejection asks
 * for a reason the requester sees), members and their roles, the audit trail.
 */
import { useState } from 'preact/hooks';
import type * as C from '../../../src/admin/contract.js';
import { ConfirmDialog, type ConfirmRequest } from '../components/confirm-dialog.js';
import { DataTable } from '../components/data-table.js';
import { ErrorBanner, StatusLine } from '../components/error-banner.js';
import { api } from '../lib/api.js';
import { isoDate, isoDateTime } from '../lib/format.js';
import { useResource } from '../lib/use-resource.js';

export function Members({ tenancy }: { tenancy: string }) {
  const params = { tenancy };
  const members = useResource(async () => (await api.call('GET /tenancies/{tenancy}/members', { params })).items, [tenancy]);
  const requests = useResource(async () => (await api.call('GET /tenancies/{tenancy}/requests', { params, query: { status: 'pending' } })).items, [tenancy]);
  const audit = useResource(async () => (await api.call('GET /tenancies/{tenancy}/audit', { params, query: { limit: '50' } })).items, [tenancy]);
  const tenancyDetail = useResource(() => api.call('GET /tenancies/{tenancy}', { params }), [tenancy]);
  const [err, setErr] = useState<unknown>(null);
  const [msg, setMsg] = useState<string | null>(null);
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);
  const act = async (f: () => Promise<unknown>, done: string) => {
    setErr(null);
    setMsg(null);
    try {
      await f();
      setMsg(done);
    } catch (e) {
      setErr(e);
    }
    await Promise.all([members.reload(), requests.reload(), audit.reload(), tenancyDetail.reload()]);
  };
  return (
    <div>
      <ErrorBanner error={err ?? members.error ?? requests.error} onDismiss={() => setErr(null)} />
      <StatusLine text={msg} />
      <div class="card">
        <h3>Pending join requests</h3>
        <DataTable<C.JoinRequest>
          caption={`People asking to join ${tenancy}`}
          rows={requests.data}
          rowKey={(r) => r.id}
          rowAttrs={(r) => ({ 'data-request': r.username })}
          empty="No one is waiting."
          columns={[
            { header: 'User', cell: (r) => r.username },
            { header: 'Message', cell: (r) => r.message || <span class="muted">(none)</span> },
            { header: 'Asked on', cell: (r) => isoDate(r.createdAt) },
            {
              header: 'Decision',
              hidden: true,
              cell: (r) => (
                <span class="row">
                  <button type="button" class="primary" aria-label={`Approve ${r.username}`} onClick={() => act(() => api.call('POST /tenancies/{tenancy}/requests/{id}/approve', { params: { tenancy, id: r.id }, body: { role: 'USER' } }), `${r.username} is now a member.`)}>Approve</button>
                  <button type="button" class="danger" aria-label={`Reject ${r.username}`} onClick={() => setConfirm({
                    title: `Reject ${r.username}'s request?`,
                    message: `${r.username} sees that the request was rejected, with your reason.`,
                    confirmLabel: 'Reject',
                    danger: true,
                    reason: { label: `Reason (shown to ${r.username})` },
                    onConfirm: (reason) => act(() => api.call('POST /tenancies/{tenancy}/requests/{id}/reject', { params: { tenancy, id: r.id }, body: { reason } }), `The request of ${r.username} was rejected.`),
                  })}>Reject…</button>
                </span>
              ),
            },
          ]}
        />
      </div>
      <div class="card">
        <h3>Members</h3>
        <DataTable<C.Member>
          caption={`Members of ${tenancy} and their roles`}
          rows={members.data}
          rowKey={(m) => m.username}
          rowAttrs={(m) => ({ 'data-member': m.username })}
          empty="No members."
          columns={[
            { header: 'User', cell: (m) => m.username },
            { header: 'Name', cell: (m) => m.displayName },
            { header: 'Role', cell: (m) => (
              <select aria-label={`Role of ${m.username}`} value={m.role} onChange={(ev) => act(() => api.call('PUT /tenancies/{tenancy}/members/{user}', { params: { tenancy, user: m.username }, body: { role: (ev.currentTarget as HTMLSelectElement).value as C.Role } }), `${m.username}'s role changed.`)}>
                <option>USER</option><option>DEPUTY</option><option>MANAGER</option>
              </select>
            ) },
            { header: 'Since', cell: (m) => isoDate(m.since) },
            { header: 'Actions', hidden: true, cell: (m) => <button type="button" class="danger" aria-label={`Remove ${m.username}`} onClick={() => setConfirm({
              title: `Remove ${m.username} from ${tenancy}?`,
              message: 'Their keys for this tenancy stop working at once.',
              confirmLabel: 'Remove',
              danger: true,
              onConfirm: () => act(() => api.call('DELETE /tenancies/{tenancy}/members/{user}', { params: { tenancy, user: m.username } }), `${m.username} removed.`),
            })}>Remove</button> },
          ]}
        />
        <form class="row" aria-label="Add member" onSubmit={(ev) => {
          ev.preventDefault();
          const f = new FormData(ev.currentTarget);
          void act(() => api.call('POST /tenancies/{tenancy}/members', { params, body: { username: String(f.get('username')), role: f.get('role') as C.Role } }), `${String(f.get('username'))} added.`);
        }}>
          <label for="add-member">Add member</label>
          <input id="add-member" name="username" required />
          <label for="add-member-role">as</label>
          <select id="add-member-role" name="role"><option>USER</option><option>DEPUTY</option><option>MANAGER</option></select>
          <button type="submit">Add</button>
        </form>
        {tenancyDetail.data && (
          <p>
            <label class="inline">
              <input type="checkbox" checked={tenancyDetail.data.listed} onChange={(ev) => {
                const on = (ev.currentTarget as HTMLInputElement).checked;
                void act(() => api.call('PATCH /tenancies/{tenancy}', { params, body: { listed: on } }), on ? `${tenancy} is listed for people looking for a tenancy to join.` : `${tenancy} is no longer listed.`);
              }} /> List {tenancy} for people looking for a tenancy to join (managers only)
            </label>
          </p>
        )}
      </div>
      <div class="card">
        <h3>Audit trail</h3>
        <DataTable<C.AuditEntry>
          caption={`What happened in ${tenancy}, newest first`}
          rows={audit.data}
          rowKey={(a) => a.id}
          empty="Nothing recorded yet."
          columns={[
            { header: 'When', cell: (a) => isoDateTime(a.at) },
            { header: 'Who', cell: (a) => a.actor ?? 'the system' },
            { header: 'What', cell: (a) => a.action },
            { header: 'Target', cell: (a) => a.target },
          ]}
        />
      </div>
      <ConfirmDialog request={confirm} onClose={() => setConfirm(null)} />
    </div>
  );
}
