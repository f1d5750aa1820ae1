/**
 * Buckets of a tenancy (#/t/NAME/buckets): create one; each bucket's sharing for whoever may share it
 * (its owner, MANAGER, DEPUTY — the server decides, as S3 does): grants as a list with remove, a grant
 * form with the tenancy's users and groups to pick from, public with a confirmation, the landing page,
 * the policy JSON for experts, and "why is this allowed?". Every rule is the server's (no policy JSON is
 * built here).
 */
import { useState } from 'preact/hooks';
import type * as C from '../../../src/admin/contract.js';
import type { PolicyCheckResponse, PortalBucket } from '../../../src/admin/session-contract.js';
import { ConfirmDialog, type ConfirmRequest } from '../components/confirm-dialog.js';
import { DataTable } from '../components/data-table.js';
import { ErrorBanner, StatusLine } from '../components/error-banner.js';
import { UrlText } from '../components/url-text.js';
import { api, AdminApiError } from '../lib/api.js';
import { formatBytes } from '../lib/format.js';
import { hrefOf } from '../lib/router.js';
import * as S3 from '../lib/s3.js';
import { useResource } from '../lib/use-resource.js';

function access(b: PortalBucket): string {
  return b.public ? 'public (anyone may read)' : b.hasPolicy ? 'shared' : 'private';
}

export function Buckets({ tenancy, staff }: { tenancy: string; staff: boolean }) {
  const buckets = useResource(async () => (await api.call('GET /tenancies/{tenancy}/buckets', { params: { tenancy } })).items, [tenancy]);
  const [err, setErr] = useState<unknown>(null);
  const [selected, setSelected] = useState<string | null>(null);
  return (
    <div>
      <div class="card">
        <h3>New bucket</h3>
        <form
          class="row"
          onSubmit={async (ev) => {
            ev.preventDefault();
            const form = ev.currentTarget;
            const name = String(new FormData(form).get('bucket'));
            setErr(null);
            try {
              await S3.createBucket(tenancy, name);
              form.reset();
              await buckets.reload();
            } catch (e) {
              setErr(e);
            }
          }}
        >
          <label for="new-bucket">Bucket name</label>
          <input id="new-bucket" name="bucket" required pattern="[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]" title="3–63 lower-case letters, digits, dots and hyphens" />
          <button type="submit" class="primary">Create bucket</button>
        </form>
        <ErrorBanner error={err} onDismiss={() => setErr(null)} />
      </div>
      <div class="card">
        <ErrorBanner error={buckets.error} />
        <DataTable
          caption={staff ? `Buckets of ${tenancy}` : `My buckets in ${tenancy}`}
          rows={buckets.data}
          rowKey={(b) => b.name}
          empty="No buckets yet: create one above."
          columns={[
            { header: 'Bucket', cell: (b) => b.name },
            { header: 'Owner', cell: (b) => b.owner },
            { header: 'Size', cell: (b) => formatBytes(b.usage.bytes), class: 'n' },
            { header: 'Objects', cell: (b) => b.usage.objects, class: 'n' },
            { header: 'Access', cell: (b) => <span data-access={b.public ? 'public' : b.hasPolicy ? 'shared' : 'private'}>{access(b)}</span> },
            {
              header: 'Actions',
              hidden: true,
              cell: (b) => (
                <span class="row">
                  <a href={hrefOf({ view: 'tenancy', tenancy, tab: 'objects', bucket: b.name })}>Browse</a>
                  {b.mayShare && <button type="button" onClick={() => setSelected(b.name)} aria-label={`Sharing of ${b.name}`}>Sharing</button>}
                </span>
              ),
            },
          ]}
        />
      </div>
      {selected && <Sharing key={selected} tenancy={tenancy} bucket={selected} onChanged={() => void buckets.reload()} />}
    </div>
  );
}

function Sharing({ tenancy, bucket, onChanged }: { tenancy: string; bucket: string; onChanged: () => void }) {
  const params = { tenancy, bucket };
  const grants = useResource(() => api.call('GET /tenancies/{tenancy}/buckets/{bucket}/grants', { params }), [bucket]);
  const directory = useResource(() => api.call('GET /tenancies/{tenancy}/directory', { params: { tenancy } }), [tenancy]);
  const [err, setErr] = useState<unknown>(null);
  const [msg, setMsg] = useState<string | null>(null);
  const [kind, setKind] = useState<'user' | 'group'>('user');
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);
  /** Runs a change: clears old messages first, shows the new outcome, reloads what it changed. */
  const act = async (fn: () => Promise<unknown>, done: string) => {
    setErr(null);
    setMsg(null);
    try {
      await fn();
      setMsg(done);
    } catch (e) {
      setErr(e);
    }
    await grants.reload();
    onChanged();
  };
  const g = grants.data;
  return (
    <div class="card" aria-labelledby="sharing-title" data-loaded={g !== undefined}>
      <h3 id="sharing-title">Sharing of {bucket}</h3>
      <ErrorBanner error={err ?? grants.error} onDismiss={() => setErr(null)} />
      <StatusLine text={msg} />
      {g && (
        <>
          <p data-testid="public-state">
            {g.public ? <><strong>Public</strong>: anyone may read and list {bucket} without signing in.</> : <><strong>Not public</strong>: only the people below (and the tenancy's managers) reach it.</>}
          </p>
          <DataTable<C.Grant>
            caption={`Who else may use ${bucket}`}
            rows={g.grants}
            rowKey={(x) => x.id}
            rowAttrs={(x) => ({ 'data-grant': `${x.principal.kind}:${x.principal.name}` })}
            empty="Not shared with anyone yet."
            columns={[
              { header: 'Who', cell: (x) => `${x.principal.kind === 'group' ? 'group' : 'user'} ${x.principal.name}` },
              { header: 'Access', cell: (x) => (x.access === 'full' ? 'full control' : x.access) },
              { header: 'Where', cell: (x) => (x.prefix ? <>keys starting with <code>{x.prefix}</code></> : 'whole bucket') },
              {
                header: 'Actions',
                hidden: true,
                cell: (x) =>
                  g.mayChange && (
                    <button type="button" class="danger" aria-label={`Remove the grant to ${x.principal.kind} ${x.principal.name}${x.prefix ? ' on ' + x.prefix : ''}`} onClick={() => act(() => api.call('DELETE /tenancies/{tenancy}/buckets/{bucket}/grants/{grant}', { params: { ...params, grant: x.id } }), `Access of ${x.principal.name} removed.`)}>
                      Remove
                    </button>
                  ),
              },
            ]}
          />
          {g.otherStatements > 0 && <p class="muted">The policy has {g.otherStatements} more statement{g.otherStatements === 1 ? '' : 's'} written as JSON (see "Policy as JSON" below).</p>}
          {g.mayChange && (
            <form
              class="row"
              aria-label="Grant access"
              onSubmit={(ev) => {
                ev.preventDefault();
                const form = ev.currentTarget;
                const f = new FormData(form);
                const name = String(f.get('who')).trim();
                void act(async () => {
                  await api.call('POST /tenancies/{tenancy}/buckets/{bucket}/grants', { params, body: { principal: { kind, name }, access: f.get('level') as C.GrantAccess, prefix: String(f.get('prefix') ?? '').trim() } });
                  form.reset();
                }, `${kind === 'group' ? 'Group' : 'User'} ${name} may now use ${bucket}.`);
              }}
            >
              <label for="grant-kind">Share with</label>
              <select id="grant-kind" name="kind" value={kind} onChange={(e) => setKind((e.currentTarget as HTMLSelectElement).value as 'user' | 'group')}><option value="user">user</option><option value="group">group</option></select>
              <label for="grant-who">Name</label>
              <input id="grant-who" name="who" required list="grant-names" autocomplete="off" />
              <datalist id="grant-names">
                {kind === 'user' ? directory.data?.users.map((u) => <option key={u.username} value={u.username}>{u.displayName}</option>) : directory.data?.groups.map((n) => <option key={n} value={n} />)}
              </datalist>
              <label for="grant-level">Access</label>
              <select id="grant-level" name="level"><option value="read">read</option><option value="read-write">read-write</option><option value="full">full control</option></select>
              <label for="grant-prefix">Only keys starting with (optional)</label>
              <input id="grant-prefix" name="prefix" placeholder="e.g. raw/" />
              <button type="submit" class="primary">Grant</button>
            </form>
          )}
          {g.mayChange && (
            <p>
              {g.publicStatement ? (
                <button type="button" onClick={() => act(() => api.call('PUT /tenancies/{tenancy}/buckets/{bucket}/public', { params, body: { public: false } }), `${bucket} is no longer public.`)}>Make private</button>
              ) : (
                <button
                  type="button"
                  class="danger"
                  onClick={() =>
                    setConfirm({
                      title: `Make ${bucket} public?`,
                      message: `Anyone on the internet will be able to list and download everything in ${bucket}, without signing in.`,
                      confirmLabel: 'Make public',
                      danger: true,
                      onConfirm: () => act(() => api.call('PUT /tenancies/{tenancy}/buckets/{bucket}/public', { params, body: { public: true } }), `${bucket} is public.`),
                    })
                  }
                >
                  Make public…
                </button>
              )}
            </p>
          )}
          {g.public && g.mayChange && <Landing tenancy={tenancy} bucket={bucket} />}
          {/* Read again whenever the grants change (they are statements of this policy). */}
          <PolicyJson key={`${JSON.stringify(g.grants)}|${g.publicStatement}|${g.otherStatements}`} tenancy={tenancy} bucket={bucket} mayChange={g.mayChange} setConfirm={setConfirm} onSaved={() => { void grants.reload(); onChanged(); }} />
          <PolicyCheck tenancy={tenancy} bucket={bucket} />
        </>
      )}
      <ConfirmDialog request={confirm} onClose={() => setConfirm(null)} />
    </div>
  );
}

function Landing({ tenancy, bucket }: { tenancy: string; bucket: string }) {
  const params = { tenancy, bucket };
  const landing = useResource(() => api.call('GET /tenancies/{tenancy}/buckets/{bucket}/landing', { params }), [bucket]);
  const [err, setErr] = useState<unknown>(null);
  const [msg, setMsg] = useState<string | null>(null);
  const l = landing.data;
  return (
    <details class="card" open={l?.enabled}>
      <summary>Landing page</summary>
      <ErrorBanner error={err ?? landing.error} onDismiss={() => setErr(null)} />
      <StatusLine text={msg} />
      {l && (
        <form
          class="stack"
          aria-label="Landing page"
          onSubmit={async (ev) => {
            ev.preventDefault();
            const f = new FormData(ev.currentTarget);
            setErr(null);
            setMsg(null);
            try {
              await api.call('PUT /tenancies/{tenancy}/buckets/{bucket}/landing', { params, body: { enabled: f.get('enabled') === 'on', title: String(f.get('title')), description: String(f.get('description')), citation: String(f.get('citation')), readme: String(f.get('readme')) } });
              setMsg('Landing page saved.');
              await landing.reload();
            } catch (e) {
              setErr(e);
            }
          }}
        >
          <p>Browsers that open <UrlText text={l.url} /> see an index of the bucket with this text, its README and ready-to-use snippets. S3 tools still get S3's answers there.</p>
          <label class="inline"><input type="checkbox" name="enabled" checked={l.enabled} /> Show the landing page</label>
          <label for="landing-title">Title</label>
          <input id="landing-title" name="title" value={l.title} maxLength={200} />
          <label for="landing-description">Description</label>
          <textarea id="landing-description" name="description" rows={2} value={l.description} />
          <label for="landing-citation">How to cite</label>
          <textarea id="landing-citation" name="citation" rows={3} value={l.citation} />
          <label for="landing-readme">README object (Markdown)</label>
          <input id="landing-readme" name="readme" value={l.readme} />
          <button type="submit" class="primary">Save landing page</button>
        </form>
      )}
    </details>
  );
}

function PolicyJson({ tenancy, bucket, mayChange, setConfirm, onSaved }: { tenancy: string; bucket: string; mayChange: boolean; setConfirm: (r: ConfirmRequest) => void; onSaved: () => void }) {
  const params = { tenancy, bucket };
  const [text, setText] = useState<string | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [msg, setMsg] = useState<string | null>(null);
  const policy = useResource(async () => {
    try {
      const p = await api.call('GET /tenancies/{tenancy}/buckets/{bucket}/policy', { params });
      return JSON.stringify(p.policy, null, 2);
    } catch (e) {
      if (e instanceof AdminApiError && e.status === 404) return '';
      throw e;
    }
  }, [bucket]);
  const shown = text ?? policy.data ?? '';
  const run = async (fn: () => Promise<unknown>, done: string) => {
    setErr(null);
    setMsg(null);
    try {
      await fn();
      setMsg(done);
      setText(null);
      await policy.reload();
      onSaved();
    } catch (e) {
      setErr(e);
    }
  };
  return (
    <details>
      <summary>Policy as JSON (for experts)</summary>
      <label for="policy-json">Bucket policy (JSON)</label>
      <textarea id="policy-json" rows={14} value={shown} readOnly={!mayChange} onInput={(ev) => setText((ev.currentTarget as HTMLTextAreaElement).value)} />
      <ErrorBanner error={err ?? policy.error} onDismiss={() => setErr(null)} />
      <StatusLine text={msg} />
      {mayChange && (
        <div class="row">
          <button type="button" class="primary" disabled={!shown.trim()} onClick={() => run(() => api.call('PUT /tenancies/{tenancy}/buckets/{bucket}/policy', { params, body: shown }), 'Policy saved.')}>Save policy</button>
          <button
            type="button"
            class="danger"
            disabled={!policy.data}
            onClick={() =>
              setConfirm({
                title: `Remove the whole policy of ${bucket}?`,
                message: 'Every grant and the public statement go with it: only the owner and the managers will reach the bucket.',
                confirmLabel: 'Remove policy',
                danger: true,
                onConfirm: () => run(() => api.call('DELETE /tenancies/{tenancy}/buckets/{bucket}/policy', { params }), 'Policy removed.'),
              })
            }
          >
            Remove policy…
          </button>
        </div>
      )}
    </details>
  );
}

function PolicyCheck({ tenancy, bucket }: { tenancy: string; bucket: string }) {
  const [check, setCheck] = useState<PolicyCheckResponse | null>(null);
  const [err, setErr] = useState<unknown>(null);
  return (
    <section aria-labelledby="check-title">
      <h4 id="check-title">Why is it allowed?</h4>
      <form
        class="row"
        aria-label="Policy check"
        onSubmit={async (ev) => {
          ev.preventDefault();
          const f = new FormData(ev.currentTarget);
          setErr(null);
          setCheck(null);
          try {
            const user = String(f.get('user')).trim();
            const key = String(f.get('key'));
            setCheck(await api.call('POST /tenancies/{tenancy}/buckets/{bucket}/policy-check', { params: { tenancy, bucket }, body: { ...(user ? { user } : {}), action: String(f.get('action')), ...(key ? { key } : {}) } }));
          } catch (e) {
            setErr(e);
          }
        }}
      >
        <label for="check-user">Can user (empty = anyone, not signed in)</label>
        <input id="check-user" name="user" />
        <label for="check-action">do</label>
        <select id="check-action" name="action">
          {['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:ListBucket', 's3:PutBucketPolicy'].map((a) => <option key={a} value={a}>{a}</option>)}
        </select>
        <label for="check-key">on key</label>
        <input id="check-key" name="key" />
        <button type="submit">Check</button>
      </form>
      <ErrorBanner error={err} />
      {check && (
        <div role="status" aria-live="polite" data-testid="check-result">
          <p><strong>{check.allowed ? '✓ Allowed' : '✕ Denied'}</strong> — {check.decidedBy}</p>
          {check.statement && <pre>{`Statement #${check.statement.index + 1}${check.statement.sid ? ` (${check.statement.sid})` : ''}:\n${JSON.stringify(check.statement.document, null, 2)}`}</pre>}
        </div>
      )}
    </section>
  );
}
