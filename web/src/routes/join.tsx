/** Join a tenancy (#/join): tenancies that list themselves, a search by name, my requests and their outcome. */
import { useState } from 'preact/hooks';
import type * as C from '../../../src/admin/contract.js';
import { DataTable } from '../components/data-table.js';
import { ErrorBanner, StatusLine } from '../components/error-banner.js';
import { api } from '../lib/api.js';
import { isoDate } from '../lib/format.js';
import { usePageTitle } from '../lib/router.js';
import { useResource } from '../lib/use-resource.js';

export function Join() {
  usePageTitle('Join a tenancy');
  const mine = useResource(async () => (await api.call('GET /me/requests')).items, []);
  const listed = useResource(async () => (await api.call('GET /directory/tenancies')).items, []);
  const [found, setFound] = useState<string[]>([]);
  const [err, setErr] = useState<unknown>(null);
  const [msg, setMsg] = useState<string | null>(null);
  const [tenancy, setTenancy] = useState('');
  const ask = async (name: string, message: string) => {
    setErr(null);
    setMsg(null);
    try {
      const r = await api.call('POST /me/requests', { body: { tenancy: name.trim(), message } });
      setMsg(`Request sent to the managers of ${r.tenancy}.`);
      setTenancy('');
    } catch (e) {
      setErr(e);
    }
    await Promise.all([mine.reload(), listed.reload()]);
  };
  return (
    <section aria-labelledby="join-title">
      <h2 id="join-title">Join a tenancy</h2>
      <div class="card">
        <form class="stack" onSubmit={async (ev) => {
          ev.preventDefault();
          const form = ev.currentTarget;
          const f = new FormData(form);
          await ask(String(f.get('tenancy')), String(f.get('message') ?? ''));
          (form.elements.namedItem('message') as HTMLTextAreaElement).value = '';
        }}>
          <label for="join-tenancy">Tenancy name</label>
          <input
            id="join-tenancy"
            name="tenancy"
            required
            list="join-found"
            autocomplete="off"
            aria-describedby="join-hint"
            value={tenancy}
            onInput={(ev) => {
              const q = (ev.currentTarget as HTMLInputElement).value;
              setTenancy(q);
              if (q.trim().length < 2) return setFound([]);
              api.call('GET /directory/tenancies', { query: { q: q.trim() } }).then((r) => setFound(r.items.map((i) => i.name)), () => setFound([]));
            }}
          />
          <datalist id="join-found">{found.map((n) => <option key={n} value={n} />)}</datalist>
          <small id="join-hint" class="muted">Type two or more letters to search.{found.length ? ` Matches: ${found.join(', ')}` : ''}</small>
          <label for="join-message">Message to its managers</label>
          <textarea id="join-message" name="message" rows={3} />
          <ErrorBanner error={err} onDismiss={() => setErr(null)} />
          <StatusLine text={msg} />
          <button class="primary" type="submit">Request to join</button>
        </form>
      </div>
      <div class="card">
        <DataTable<C.DirectoryTenancy>
          caption="Tenancies you can ask to join (listed by their managers)"
          rows={listed.data}
          rowKey={(t) => t.name}
          rowAttrs={(t) => ({ 'data-listed': t.name })}
          empty="No tenancy lists itself; ask by name above."
          columns={[
            { header: 'Tenancy', cell: (t) => t.name },
            { header: 'You', cell: (t) => (t.member ? 'member' : t.pending ? 'request waiting' : '—') },
            { header: 'Actions', hidden: true, cell: (t) => !t.member && !t.pending && <button type="button" onClick={() => setTenancy(t.name)} aria-label={`Ask to join ${t.name}`}>Ask to join…</button> },
          ]}
        />
      </div>
      <div class="card">
        <DataTable<C.JoinRequest>
          caption="My requests"
          rows={mine.data}
          rowKey={(r) => r.id}
          rowAttrs={(r) => ({ 'data-my-request': r.tenancy })}
          empty="You have not asked to join a tenancy."
          columns={[
            { header: 'Tenancy', cell: (r) => r.tenancy },
            { header: 'Status', cell: (r) => `${r.status}${r.role ? ` (${r.role})` : ''}` },
            { header: 'Asked', cell: (r) => isoDate(r.createdAt) },
            { header: 'Decided', cell: (r) => `${isoDate(r.decidedAt)}${r.decidedBy ? ` by ${r.decidedBy}` : ''}` },
            { header: 'Reason', cell: (r) => r.reason || '—' },
          ]}
        />
      </div>
    </section>
  );
}
