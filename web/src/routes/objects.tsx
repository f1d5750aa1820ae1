/**
 * Browse a bucket's objects (#/t/NAME/objects/BUCKET, and #/shared/TENANCY/BUCKET for a bucket shared
 * from elsewhere): list by prefix, upload (multipart, with progress in words), download, delete with a
 * confirmation, share links for one object or a whole prefix. Every request is a presigned S3 request
 * of the user's own (S3 decides), sent from the browser.
 */
import { useEffect, useState } from 'preact/hooks';
import type * as C from '../../../src/admin/contract.js';
import { ConfirmDialog, type ConfirmRequest } from '../components/confirm-dialog.js';
import { CopyButton } from '../components/copy-button.js';
import { DataTable } from '../components/data-table.js';
import { ErrorBanner, StatusLine } from '../components/error-banner.js';
import { api } from '../lib/api.js';
import { formatBytes, isoDateTime } from '../lib/format.js';
import { navigate, usePageTitle } from '../lib/router.js';
import * as S3 from '../lib/s3.js';
import { useResource } from '../lib/use-resource.js';

type Row = { kind: 'prefix'; name: string } | { kind: 'object'; key: string; size: number; lastModified: string };

const EXPIRIES: Array<[string, string]> = [['3600', '1 hour'], ['86400', '1 day'], ['604800', '7 days']];

/** `via`: the tenancy whose key signs; `tenancy`: the bucket's own (differs for a shared bucket). */
export function Objects({ me, via, tenancy, bucket, startPrefix = '' }: { me: C.Me; via: string; tenancy: string; bucket?: string; startPrefix?: string }) {
  const own = useResource(async () => (await api.call('GET /tenancies/{tenancy}/buckets', { params: { tenancy: via } })).items, [via]);
  const shared = useResource(async () => (await api.call('GET /me/shared')).items, []);
  const [prefix, setPrefix] = useState(startPrefix);
  const [typed, setTyped] = useState(startPrefix);
  const [err, setErr] = useState<unknown>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [share, setShare] = useState<{ what: string; url: string; until: string } | null>(null);
  const [exp, setExp] = useState('86400');
  const [inline, setInline] = useState(false);
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);
  const ref: S3.BucketRef | undefined = bucket ? { via, tenancy, bucket } : undefined;
  const listing = useResource(async () => (ref ? S3.list(ref, prefix) : undefined), [via, tenancy, bucket, prefix]);
  usePageTitle(bucket ? `Objects of ${bucket}${prefix ? '/' + prefix : ''}` : `Objects — ${tenancy}`);
  useEffect(() => {
    setPrefix(startPrefix);
    setTyped(startPrefix);
    setShare(null);
    setStatus(null);
    setErr(null);
  }, [bucket, tenancy, startPrefix]);
  const go = (p: string) => {
    setPrefix(p);
    setTyped(p);
    setShare(null);
  };
  const choose = (value: string) => {
    if (!value) return;
    const [t, b] = value.includes(':') ? value.split(':') : [via, value];
    if (t === via) navigate({ view: 'tenancy', tenancy: via, tab: 'objects', bucket: b! });
    else navigate({ view: 'shared', tenancy: t!, bucket: b! });
  };
  const rows: Row[] | undefined = listing.data && [...listing.data.prefixes.map((p): Row => ({ kind: 'prefix', name: p })), ...listing.data.objects.map((o): Row => ({ kind: 'object', ...o }))];
  const until = (s: string) => isoDateTime(Date.now() + Number(s) * 1000);
  const otherShared = (shared.data ?? []).filter((s) => me.tenancies.length > 0);
  return (
    <div class="card">
      <div class="row">
        <label for="obj-bucket">Bucket</label>
        <select id="obj-bucket" value={bucket ? (tenancy === via ? bucket : `${tenancy}:${bucket}`) : ''} onChange={(ev) => choose((ev.currentTarget as HTMLSelectElement).value)}>
          <option value="">— choose —</option>
          <optgroup label={`Buckets of ${via}`}>
            {(own.data ?? []).map((b) => <option key={b.name} value={b.name}>{b.name}</option>)}
          </optgroup>
          <optgroup label="Shared with me">
            {otherShared.map((s) => <option key={`${s.tenancy}:${s.bucket}`} value={s.tenancy === via ? s.bucket : `${s.tenancy}:${s.bucket}`}>{s.bucket} ({s.tenancy}, {s.access})</option>)}
          </optgroup>
          {bucket && tenancy === via && !(own.data ?? []).some((b) => b.name === bucket) && <option value={bucket}>{bucket}</option>}
        </select>
        <label for="obj-prefix">Prefix</label>
        <input id="obj-prefix" value={typed} onInput={(ev) => setTyped((ev.currentTarget as HTMLInputElement).value)} onKeyDown={(ev) => ev.key === 'Enter' && go(typed)} />
        <button type="button" onClick={() => go(typed)}>List</button>
        {prefix && <button type="button" onClick={() => go(prefix.replace(/[^/]*\/?$/, ''))}>Up</button>}
      </div>
      {ref && (
        <form
          class="row"
          aria-label="Upload"
          onSubmit={async (ev) => {
            ev.preventDefault();
            const input = ev.currentTarget.querySelector<HTMLInputElement>('input[type=file]')!;
            const files = Array.from(input.files ?? []);
            setErr(null);
            setStatus(null);
            let done = 0;
            try {
              for (const [i, file] of files.entries()) {
                setStatus(`Uploading ${file.name} (${i + 1} of ${files.length})…`);
                setProgress(0);
                await S3.upload(ref, prefix + file.name, file, setProgress);
                done++;
              }
              input.value = '';
              setStatus(`Uploaded ${done} file${done === 1 ? '' : 's'} to ${bucket}/${prefix}.`);
            } catch (e) {
              setStatus(done ? `Uploaded ${done} of ${files.length} files; the next one failed.` : null);
              setErr(e);
            } finally {
              setProgress(null);
              await listing.reload();
            }
          }}
        >
          <label for="obj-file">Upload files</label>
          <input id="obj-file" type="file" multiple required />
          <button type="submit" class="primary" disabled={progress !== null}>Upload</button>
          {progress !== null && <progress aria-label="Upload progress" max={1} value={progress}>{Math.round(progress * 100)}%</progress>}
        </form>
      )}
      <StatusLine text={status} />
      <ErrorBanner error={err ?? listing.error} onDismiss={() => setErr(null)} />
      {ref && (
        <div class="row" aria-label="Share links">
          <label for="share-exp">Share links work for</label>
          <select id="share-exp" value={exp} onChange={(ev) => setExp((ev.currentTarget as HTMLSelectElement).value)}>
            {EXPIRIES.map(([v, l]) => <option key={v} value={v}>{l}</option>)}
          </select>
          <label class="inline"><input type="checkbox" checked={inline} onChange={(ev) => setInline((ev.currentTarget as HTMLInputElement).checked)} /> open files in the browser instead of downloading</label>
          <button
            type="button"
            onClick={async () => {
              setErr(null);
              try {
                setShare({ what: `everything under ${bucket}/${prefix}`, url: await S3.prefixShareUrl(ref, prefix, Number(exp)), until: until(exp) });
              } catch (e) {
                setErr(e);
              }
            }}
          >
            Share this folder
          </button>
        </div>
      )}
      {share && (
        <div class="card" data-testid="share-link">
          <label for="share-url">Share link for {share.what} (works until {share.until})</label>
          <div class="row"><input id="share-url" readOnly value={share.url} size={60} /><CopyButton text={share.url} label="Copy share link" /></div>
        </div>
      )}
      {ref && (
        <DataTable<Row>
          caption={`Contents of ${bucket}/${prefix}`}
          rows={rows}
          rowKey={(r) => (r.kind === 'prefix' ? 'p:' + r.name : r.key)}
          rowAttrs={(r): Record<string, string> => (r.kind === 'object' ? { 'data-key': r.key } : { 'data-prefix': r.name })}
          empty={prefix ? `Nothing under ${prefix}.` : 'This bucket is empty: upload files above.'}
          columns={[
            { header: 'Name', cell: (r) => (r.kind === 'prefix' ? <button type="button" class="link" onClick={() => go(r.name)}>{r.name.slice(prefix.length)}</button> : r.key.slice(prefix.length)) },
            { header: 'Size', cell: (r) => (r.kind === 'prefix' ? 'folder' : formatBytes(r.size)), class: 'n' },
            { header: 'Modified', cell: (r) => (r.kind === 'prefix' ? '' : isoDateTime(r.lastModified)) },
            {
              header: 'Actions',
              hidden: true,
              cell: (r) =>
                r.kind === 'object' && (
                  <span class="row">
                    <button type="button" aria-label={`Download ${r.key}`} onClick={async () => {
                      try {
                        const a = document.createElement('a');
                        a.href = await S3.downloadUrl(ref, r.key);
                        a.rel = 'noreferrer';
                        document.body.appendChild(a);
                        a.click();
                        a.remove();
                      } catch (e) { setErr(e); }
                    }}>Download</button>
                    <button type="button" aria-label={`Share ${r.key}`} onClick={async () => {
                      setErr(null);
                      try { setShare({ what: r.key, url: await S3.downloadUrl(ref, r.key, Number(exp), !inline), until: until(exp) }); } catch (e) { setErr(e); }
                    }}>Share link</button>
                    <button type="button" class="danger" aria-label={`Delete ${r.key}`} onClick={() => setConfirm({
                      title: `Delete ${r.key}?`,
                      message: 'The object is gone for everyone; this cannot be undone.',
                      confirmLabel: 'Delete',
                      danger: true,
                      onConfirm: async () => {
                        setErr(null);
                        try { await S3.deleteObject(ref, r.key); setStatus(`Deleted ${r.key}.`); await listing.reload(); } catch (e) { setErr(e); }
                      },
                    })}>Delete</button>
                  </span>
                ),
            },
          ]}
        />
      )}
      <ConfirmDialog request={confirm} onClose={() => setConfirm(null)} />
    </div>
  );
}

/** A bucket shared from another tenancy (#/shared/TENANCY/BUCKET), signed with one of my tenancies' keys. */
export function SharedObjects({ me, tenancy, bucket }: { me: C.Me; tenancy: string; bucket: string }) {
  const via = me.tenancies.find((t) => t.name === tenancy)?.name ?? me.tenancies[0]?.name;
  // Shared only under some prefixes: start at the first (listing the bucket's top would be refused).
  const shared = useResource(async () => (await api.call('GET /me/shared')).items.find((s) => s.tenancy === tenancy && s.bucket === bucket), [tenancy, bucket]);
  if (!via) return <p class="empty">Browsing needs a key of a tenancy you belong to. <a href="#/join">Ask to join one.</a></p>;
  return (
    <section aria-labelledby="shared-objects-title">
      <h2 id="shared-objects-title">{bucket} <small class="muted">(shared from {tenancy})</small></h2>
      {shared.data === undefined && shared.loading ? <p>Loading…</p> : <Objects me={me} via={via} tenancy={tenancy} bucket={bucket} startPrefix={shared.data && !shared.data.prefixes.includes('') ? shared.data.prefixes[0] : ''} />}
    </section>
  );
}
