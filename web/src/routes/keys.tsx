/**
 * Access keys of a tenancy (#/t/NAME/keys): create one (expiry no later than the site allows), the secret
 * shown once with ready-made configurations for both endpoints, my keys (expired ones marked and last;
 * the portal's own key explained), and for MANAGER/DEPUTY every member's keys with revoke.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type * as C from '../../../src/admin/contract.js';
import { ConfirmDialog, type ConfirmRequest } from '../components/confirm-dialog.js';
import { CopyButton } from '../components/copy-button.js';
import { DataTable, type Column } from '../components/data-table.js';
import { ErrorBanner, StatusLine } from '../components/error-banner.js';
import { api } from '../lib/api.js';
import { clientConfigs } from '../lib/client-configs.js';
import { isoDate, isoDateTime } from '../lib/format.js';
import { useResource } from '../lib/use-resource.js';

const DAY = 86_400_000;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function restrictionText(k: C.AccessKey): string {
  if (!k.restriction) return 'none';
  return [k.restriction.readOnly ? 'read-only' : '', ...(k.restriction.scopes ?? []).map((s) => s.bucket + (s.prefix ? '/' + s.prefix : ''))].filter(Boolean).join(', ');
}

function KeyName({ k }: { k: C.AccessKey }) {
  if (!k.portal) return <>{k.name}</>;
  return (
    <>
      <span>Portal key</span>{' '}
      <small class="muted" data-testid="portal-key-note">made by the portal for your browser's uploads, downloads and share links; deleting it revokes those links</small>
    </>
  );
}

function Status({ k }: { k: C.AccessKey }) {
  return k.expired ? <span class="badge expired" data-status="expired"><span aria-hidden="true">✕ </span>Expired</span> : <span class="badge live" data-status="live"><span aria-hidden="true">✓ </span>Live</span>;
}

export function Keys({ me, tenancy, staff }: { me: C.Me; tenancy: string; staff: boolean }) {
  const mine = me.tenancies.find((t) => t.name === tenancy);
  const keys = useResource(async () => (await api.call('GET /me/keys')).items.filter((k) => k.tenancy === tenancy), [tenancy]);
  const [err, setErr] = useState<unknown>(null);
  const [created, setCreated] = useState<C.CreatedAccessKey | null>(null);
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);
  const [msg, setMsg] = useState<string | null>(null);
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    if (created) dialog.current?.showModal();
  }, [created]);
  const now = Date.now();
  const maxDay = day(now + me.maxKeyLifetimeDays * DAY);

  const columns = (withOwner: boolean, onDelete: (k: C.AccessKey) => void): Array<Column<C.AccessKey>> => [
    ...(withOwner ? [{ header: 'Owner', cell: (k: C.AccessKey) => k.owner }] : []),
    { header: 'Name', cell: (k) => <KeyName k={k} /> },
    { header: 'Access key id', cell: (k) => <code>{k.accessKeyId}</code> },
    { header: 'Status', cell: (k) => <Status k={k} /> },
    { header: 'Created', cell: (k) => isoDate(k.createdAt) },
    { header: 'Expires', cell: (k) => isoDate(k.expiresAt, 'never') },
    { header: 'Last used', cell: (k) => isoDateTime(k.lastUsedAt, 'never') },
    { header: 'Restriction', cell: restrictionText },
    { header: 'Actions', hidden: true, cell: (k) => <button type="button" class="danger" aria-label={`${withOwner ? 'Revoke' : 'Delete'} key ${k.name} (${k.accessKeyId})`} onClick={() => onDelete(k)}>{withOwner ? 'Revoke' : 'Delete'}</button> },
  ];

  return (
    <div>
      <div class="card">
        <h3>New access key</h3>
        <form
          class="stack"
          onSubmit={async (ev) => {
            ev.preventDefault();
            const form = ev.currentTarget;
            const f = new FormData(form);
            const scopes = String(f.get('scopes') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
            setErr(null);
            setMsg(null);
            try {
              const k = await api.call('POST /me/keys', {
                body: { tenancy, name: String(f.get('name')), expiresAt: new Date(String(f.get('expires')) + 'T23:59:59Z').toISOString(), readOnly: f.get('readOnly') === 'on', ...(scopes.length ? { scopes } : {}) },
              });
              form.reset();
              setCreated(k);
              void keys.reload();
            } catch (e) {
              setErr(e);
            }
          }}
        >
          <label for="key-name">Name</label>
          <input id="key-name" name="name" required maxLength={64} />
          <label for="key-expires">Expires on (at most {me.maxKeyLifetimeDays} days from now, {maxDay})</label>
          <input id="key-expires" name="expires" type="date" required value={day(now + 30 * DAY)} min={day(now + DAY)} max={maxDay} />
          <label class="inline"><input type="checkbox" name="readOnly" /> Read-only</label>
          <label for="key-scopes">Limit to buckets/prefixes (optional, comma-separated, e.g. <code>data/raw/</code>)</label>
          <input id="key-scopes" name="scopes" />
          <ErrorBanner error={err} onDismiss={() => setErr(null)} />
          <button class="primary" type="submit">Create key</button>
        </form>
      </div>
      <div class="card">
        <h3>My keys for {tenancy}</h3>
        <ErrorBanner error={keys.error} />
        <StatusLine text={msg} />
        <DataTable
          caption={`My access keys for ${tenancy} (expired keys last)`}
          rows={keys.data}
          rowKey={(k) => k.accessKeyId}
          rowAttrs={(k) => ({ 'data-key-id': k.accessKeyId, 'data-expired': String(k.expired) })}
          empty="You have no keys for this tenancy yet."
          columns={columns(false, (k) =>
            setConfirm({
              title: `Delete key "${k.name}"?`,
              message: `Programs using ${k.accessKeyId} stop working at once.${k.portal ? ' Share links made in the portal stop working too.' : ''}`,
              confirmLabel: 'Delete key',
              danger: true,
              onConfirm: async () => {
                try {
                  await api.call('DELETE /me/keys/{key}', { params: { key: k.accessKeyId } });
                  setMsg(`Key ${k.name} deleted.`);
                  await keys.reload();
                } catch (e) {
                  setErr(e);
                }
              },
            }),
          )}
        />
      </div>
      {staff && <MembersKeys tenancy={tenancy} columns={columns} setConfirm={setConfirm} />}
      <ConfirmDialog request={confirm} onClose={() => setConfirm(null)} />
      <dialog ref={dialog} aria-labelledby="secret-title" onClose={() => setCreated(null)}>
        {created && (
          <div>
            <h3 id="secret-title">Key "{created.name}" created</h3>
            <p><strong>Copy the secret now: it is shown only once.</strong></p>
            <p>Access key id: <code data-testid="new-key-id">{created.accessKeyId}</code> <CopyButton text={created.accessKeyId} label="Copy access key id" /></p>
            <p>Secret access key: <code data-testid="new-key-secret">{created.secretAccessKey}</code> <CopyButton text={created.secretAccessKey} label="Copy secret access key" /></p>
            {me.privateCa && <p>This site's HTTPS certificate is from its own CA: <a href="/_admin/api/v1/ca.pem" download="granary-ca.pem">download it</a> and save it as <code>~/granary-ca.pem</code>.</p>}
            {(['internal', 'external'] as const).map((which) => (
              <section key={which} aria-label={`${which === 'internal' ? 'Internal' : 'External'} endpoint configurations`}>
                <h4>{which === 'internal' ? 'Inside the facility (internal endpoint, HTTP)' : 'From anywhere (external endpoint, HTTPS)'}</h4>
                {clientConfigs({ internal: mine?.endpoints.internal ?? location.origin, external: mine?.endpoints.external ?? location.origin, tenancy, accessKeyId: created.accessKeyId, secret: created.secretAccessKey, ...(me.privateCa ? { caUrl: `${location.origin}/_admin/api/v1/ca.pem` } : {}) }, which).map((c) => (
                  <details key={c.id} data-config={`${which}-${c.id}`}>
                    <summary>{c.label}</summary>
                    {c.note && <p class="muted">{c.note}</p>}
                    {c.files.map((file) => (
                      <div key={file.path}>
                        <p>In <code>{file.path}</code>:</p>
                        <pre data-file={file.path}>{file.text}</pre>
                        <CopyButton text={file.text} label={`Copy ${c.label} ${file.path}`} />
                      </div>
                    ))}
                    <p>{c.files.length ? 'Then:' : 'Run:'}</p>
                    <pre data-command="">{c.command}</pre>
                    <CopyButton text={c.command} label={`Copy ${c.label} command`} />
                  </details>
                ))}
              </section>
            ))}
            <form method="dialog"><button class="primary" type="submit">I have copied it — close</button></form>
          </div>
        )}
      </dialog>
    </div>
  );
}

function MembersKeys({ tenancy, columns, setConfirm }: { tenancy: string; columns: (withOwner: boolean, onDelete: (k: C.AccessKey) => void) => Array<Column<C.AccessKey>>; setConfirm: (r: ConfirmRequest) => void }) {
  const keys = useResource(async () => (await api.call('GET /tenancies/{tenancy}/keys', { params: { tenancy } })).items, [tenancy]);
  const [err, setErr] = useState<unknown>(null);
  const [msg, setMsg] = useState<string | null>(null);
  return (
    <div class="card">
      <h3>Members' keys</h3>
      <ErrorBanner error={err ?? keys.error} onDismiss={() => setErr(null)} />
      <StatusLine text={msg} />
      <DataTable
        caption={`Every member's access keys for ${tenancy}`}
        rows={keys.data}
        rowKey={(k) => k.accessKeyId}
        rowAttrs={(k) => ({ 'data-member-key': k.accessKeyId })}
        empty="No member has a key for this tenancy."
        columns={columns(true, (k) =>
          setConfirm({
            title: `Revoke ${k.owner}'s key "${k.name}"?`,
            message: `Programs using ${k.accessKeyId} stop working at once. ${k.owner} can create another.`,
            confirmLabel: 'Revoke key',
            danger: true,
            onConfirm: async () => {
              setErr(null);
              try {
                await api.call('DELETE /tenancies/{tenancy}/keys/{key}', { params: { tenancy, key: k.accessKeyId } });
                setMsg(`Key ${k.name} of ${k.owner} revoked.`);
                await keys.reload();
              } catch (e) {
                setErr(e);
              }
            },
          }),
        )}
      />
    </div>
  );
}
