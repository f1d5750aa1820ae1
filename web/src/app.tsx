/**
 * The Granary portal: sign in, my tenancies (endpoints, usage), manage a tenancy after re-entering the
 * password (keys, buckets and permissions, objects, members, usage), join a tenancy, site administration.
 * Routing is the URL hash (#/, #/t/NAME/keys, #/join, #/admin) so Back works and views can be linked.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import type * as C from '../../src/admin/contract.js';
import type { PolicyCheckResponse, PortalBucket, SessionInfo } from '../../src/admin/session-contract.js';
import { api, ApiError, copyText, formatBytes, setSession, whenSignedOut } from './api.js';
import { clientConfigs } from './configs.js';
import * as S3 from './s3.js';

const enc = encodeURIComponent;
const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

function useHash(): string[] {
  const [h, setH] = useState(location.hash);
  useEffect(() => {
    const f = () => setH(location.hash);
    addEventListener('hashchange', f);
    return () => removeEventListener('hashchange', f);
  }, []);
  return h.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
}

function Err({ e }: { e: unknown }) {
  if (!e) return null;
  return <p class="error" role="alert">{errText(e)}</p>;
}

function CopyButton({ text, label }: { text: string; label: string }) {
  const [done, setDone] = useState(false);
  return (
    <button type="button" aria-label={label} onClick={async () => setDone(await copyText(text))}>
      {done ? 'Copied' : 'Copy'}
    </button>
  );
}

export function UsageBar({ usage, quota, status }: { usage: C.Usage; quota: C.QuotaInfo; status: C.QuotaStatus }) {
  const pct = status.percent === null ? 0 : Math.min(100, status.percent);
  const barRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    // Width through the CSSOM (allowed by the CSP), not an inline style attribute.
    if (barRef.current) barRef.current.style.width = `${pct}%`;
  }, [pct]);
  const text = `${formatBytes(usage.bytes)} of ${formatBytes(quota.bytes)}, ${usage.objects} objects${quota.objects !== null ? ` of ${quota.objects}` : ''}`;
  return (
    <div>
      <div class={`usage ${status.level}`} role="meter" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-label="Quota used" aria-valuetext={`${status.percent ?? 0}% used (${status.level})`} data-level={status.level}>
        <div ref={barRef} />
      </div>
      <small class={`level-${status.level}`}>
        {text} {status.percent !== null ? `— ${status.percent.toFixed(1)}% (${status.level})` : '— no quota'}
      </small>
    </div>
  );
}

// ───────────────────────────── sign in ─────────────────────────────

function SignIn({ onDone }: { onDone: (s: SessionInfo) => void }) {
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  return (
    <main>
      <div class="card">
        <h2>Sign in to Granary</h2>
        <form
          class="stack"
          onSubmit={async (ev) => {
            ev.preventDefault();
            const f = new FormData(ev.currentTarget);
            setBusy(true);
            setErr(null);
            try {
              onDone(await api<SessionInfo>('POST', '/session', { username: f.get('username'), password: f.get('password') }));
            } catch (e) {
              setErr(e);
            } finally {
              setBusy(false);
            }
          }}
        >
          <label for="signin-user">Username</label>
          <input id="signin-user" name="username" autocomplete="username" required />
          <label for="signin-password">Password</label>
          <input id="signin-password" name="password" type="password" autocomplete="current-password" required />
          <Err e={err} />
          <button class="primary" type="submit" disabled={busy}>Sign in</button>
        </form>
      </div>
    </main>
  );
}

// ───────────────────────────── app shell ─────────────────────────────

export function App() {
  const [session, setS] = useState<SessionInfo | null>(null);
  const [me, setMe] = useState<C.Me | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const route = useHash();

  const adopt = (s: SessionInfo) => {
    setSession(s);
    setS(s);
  };
  const reloadMe = () => api<C.Me>('GET', '/me').then(setMe, setErr);

  useEffect(() => {
    whenSignedOut(() => {
      setS({ signedIn: false, username: null, csrfToken: null, elevatedUntil: null });
      setMe(null);
    });
    api<SessionInfo>('GET', '/session').then(adopt, setErr);
  }, []);
  useEffect(() => {
    if (session?.signedIn) void reloadMe();
  }, [session?.signedIn, session?.username]);

  if (!session) return <main><p>Loading…</p><Err e={err} /></main>;
  if (!session.signedIn) return <SignIn onDone={adopt} />;

  const signOut = async () => {
    try {
      await api('DELETE', '/session');
    } finally {
      setSession({ signedIn: false, username: null, csrfToken: null, elevatedUntil: null });
      setS({ signedIn: false, username: null, csrfToken: null, elevatedUntil: null });
      setMe(null);
      location.hash = '#/';
    }
  };

  let view: ComponentChildren;
  if (!me) view = <p>Loading…</p>;
  else if (route[0] === 't' && route[1]) view = <Manage key={route[1]} me={me} tenancy={route[1]} tab={route[2] ?? 'keys'} session={session} onSession={adopt} />;
  else if (route[0] === 'join') view = <Join />;
  else if (route[0] === 'admin' && me.siteAdmin) view = <SiteAdmin />;
  else view = <Home me={me} onRefresh={reloadMe} />;

  return (
    <>
      <header>
        <h1>Granary</h1>
        <nav aria-label="Main">
          <a href="#/">My tenancies</a>
          <a href="#/join">Join a tenancy</a>
          {me?.siteAdmin && <a href="#/admin">Site administration</a>}
        </nav>
        <span>
          Signed in as <strong>{session.username}</strong>{' '}
          <button type="button" class="link" onClick={signOut}>Sign out</button>
        </span>
      </header>
      <main>
        <Err e={err} />
        {view}
      </main>
    </>
  );
}

// ───────────────────────────── my tenancies ─────────────────────────────

function Home({ me, onRefresh }: { me: C.Me; onRefresh: () => void }) {
  return (
    <section aria-labelledby="home-title">
      <div class="row">
        <h2 id="home-title">My tenancies</h2>
        <button type="button" onClick={onRefresh}>Refresh</button>
      </div>
      {me.tenancies.length === 0 && <p>You are not a member of any tenancy yet. <a href="#/join">Ask to join one.</a></p>}
      <div class="grid">
        {me.tenancies.map((t) => (
          <article class="card" key={t.name} aria-label={`Tenancy ${t.name}`} data-tenancy={t.name}>
            <h3>{t.name}</h3>
            <p>Role: <strong>{t.role}</strong></p>
            <dl>
              <dt>Internal endpoint</dt>
              <dd class="row"><code>{t.endpoints.internal}</code><CopyButton text={t.endpoints.internal} label={`Copy internal endpoint of ${t.name}`} /></dd>
              <dt>External endpoint</dt>
              <dd class="row"><code>{t.endpoints.external}</code><CopyButton text={t.endpoints.external} label={`Copy external endpoint of ${t.name}`} /></dd>
            </dl>
            <UsageBar usage={t.usage} quota={t.quota} status={t.status} />
            <p><a href={`#/t/${enc(t.name)}/keys`}>Manage {t.name}</a></p>
          </article>
        ))}
      </div>
    </section>
  );
}

// ───────────────────────────── manage a tenancy ─────────────────────────────

function Elevate({ tenancy, onSession }: { tenancy: string; onSession: (s: SessionInfo) => void }) {
  const [err, setErr] = useState<unknown>(null);
  return (
    <div class="card">
      <h2>Confirm it is you</h2>
      <p>Managing {tenancy} needs your password again (valid for 10 minutes).</p>
      <form
        class="stack"
        onSubmit={async (ev) => {
          ev.preventDefault();
          const f = new FormData(ev.currentTarget);
          try {
            onSession(await api<SessionInfo>('POST', '/session/elevate', { password: f.get('password') }));
          } catch (e) {
            setErr(e);
          }
        }}
      >
        <label for="elevate-password">Password</label>
        <input id="elevate-password" name="password" type="password" autocomplete="current-password" required />
        <Err e={err} />
        <button class="primary" type="submit">Continue</button>
      </form>
    </div>
  );
}

const TABS = [
  ['keys', 'Keys'],
  ['buckets', 'Buckets'],
  ['objects', 'Objects'],
  ['members', 'Members'],
  ['usage', 'Usage'],
] as const;

function Manage({ me, tenancy, tab, session, onSession }: { me: C.Me; tenancy: string; tab: string; session: SessionInfo; onSession: (s: SessionInfo) => void }) {
  const mine = me.tenancies.find((t) => t.name === tenancy);
  const role = mine?.role ?? (me.siteAdmin ? 'MANAGER' : undefined);
  const elevated = session.elevatedUntil !== null && Date.parse(session.elevatedUntil) > Date.now();
  if (!role) return <p>You are not a member of {tenancy}. <a href="#/join">Ask to join.</a></p>;
  if (!elevated) return <Elevate tenancy={tenancy} onSession={onSession} />;
  const staff = role === 'MANAGER' || role === 'DEPUTY' || me.siteAdmin;
  const tabs = TABS.filter(([id]) => staff || (id !== 'members' && id !== 'usage'));
  return (
    <section aria-labelledby="manage-title">
      <h2 id="manage-title">Manage {tenancy} <small class="muted">({role})</small></h2>
      <div class="tabs" role="tablist" aria-label="Tenancy sections">
        {tabs.map(([id, label]) => (
          <button type="button" role="tab" key={id} aria-selected={tab === id} onClick={() => (location.hash = `#/t/${enc(tenancy)}/${id}`)}>
            {label}
          </button>
        ))}
      </div>
      <div role="tabpanel">
        {tab === 'keys' && <Keys tenancy={tenancy} endpoint={mine?.endpoints.internal ?? location.origin} />}
        {tab === 'buckets' && <Buckets tenancy={tenancy} staff={staff} />}
        {tab === 'objects' && <Objects tenancy={tenancy} />}
        {tab === 'members' && staff && <Members tenancy={tenancy} />}
        {tab === 'usage' && staff && <UsageView tenancy={tenancy} />}
      </div>
    </section>
  );
}

// ── keys

function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

function Keys({ tenancy, endpoint }: { tenancy: string; endpoint: string }) {
  const [keys, setKeys] = useState<C.AccessKey[]>([]);
  const [err, setErr] = useState<unknown>(null);
  const [created, setCreated] = useState<C.CreatedAccessKey | null>(null);
  const dialog = useRef<HTMLDialogElement>(null);
  const load = () => api<C.ListResponse<C.AccessKey>>('GET', '/me/keys').then((r) => setKeys(r.items.filter((k) => k.tenancy === tenancy)), setErr);
  useEffect(() => void load(), [tenancy]);
  useEffect(() => {
    if (created) dialog.current?.showModal();
  }, [created]);

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
            try {
              const k = await api<C.CreatedAccessKey>('POST', '/me/keys', {
                tenancy,
                name: String(f.get('name')),
                expiresAt: new Date(String(f.get('expires')) + 'T23:59:59Z').toISOString(),
                readOnly: f.get('readOnly') === 'on',
                ...(scopes.length ? { scopes } : {}),
              } satisfies C.CreateAccessKeyRequest);
              form.reset();
              setCreated(k);
              void load();
            } catch (e) {
              setErr(e);
            }
          }}
        >
          <label for="key-name">Name</label>
          <input id="key-name" name="name" required maxLength={64} />
          <label for="key-expires">Expires on</label>
          <input id="key-expires" name="expires" type="date" required value={isoDate(new Date(Date.now() + 30 * 86_400_000))} min={isoDate(new Date(Date.now() + 86_400_000))} />
          <label class="inline"><input type="checkbox" name="readOnly" /> Read-only</label>
          <label for="key-scopes">Limit to buckets/prefixes (optional, comma-separated, e.g. <code>data/raw/</code>)</label>
          <input id="key-scopes" name="scopes" />
          <Err e={err} />
          <button class="primary" type="submit">Create key</button>
        </form>
      </div>
      <div class="card table-wrap">
        <h3>My keys for {tenancy}</h3>
        <table>
          <thead><tr><th>Name</th><th>Access key id</th><th>Created</th><th>Expires</th><th>Last used</th><th>Restriction</th><th><span class="muted">Actions</span></th></tr></thead>
          <tbody>
            {keys.map((k) => (
              <tr key={k.accessKeyId}>
                <td>{k.name}</td>
                <td><code>{k.accessKeyId}</code></td>
                <td>{k.createdAt.slice(0, 10)}</td>
                <td>{k.expiresAt?.slice(0, 10) ?? 'never'}</td>
                <td>{k.lastUsedAt?.replace('T', ' ').slice(0, 16) ?? 'never'}</td>
                <td>{k.restriction ? [k.restriction.readOnly ? 'read-only' : '', ...(k.restriction.scopes ?? []).map((s) => s.bucket + (s.prefix ? '/' + s.prefix : ''))].filter(Boolean).join(', ') : '—'}</td>
                <td>
                  <button
                    type="button"
                    class="danger"
                    aria-label={`Delete key ${k.name}`}
                    onClick={async () => {
                      if (!confirm(`Delete key "${k.name}" (${k.accessKeyId})? Programs using it stop working at once.`)) return;
                      try {
                        await api('DELETE', `/me/keys/${enc(k.accessKeyId)}`);
                        void load();
                      } catch (e) {
                        setErr(e);
                      }
                    }}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <dialog ref={dialog} aria-labelledby="secret-title" onClose={() => setCreated(null)}>
        {created && (
          <div>
            <h3 id="secret-title">Key "{created.name}" created</h3>
            <p><strong>Copy the secret now: it is shown only once.</strong></p>
            <p>Access key id: <code data-testid="new-key-id">{created.accessKeyId}</code> <CopyButton text={created.accessKeyId} label="Copy access key id" /></p>
            <p>Secret access key: <code data-testid="new-key-secret">{created.secretAccessKey}</code> <CopyButton text={created.secretAccessKey} label="Copy secret access key" /></p>
            {clientConfigs({ endpoint, tenancy, accessKeyId: created.accessKeyId, secret: created.secretAccessKey }).map((c) => (
              <details key={c.id}>
                <summary>{c.label}</summary>
                <pre>{c.text}</pre>
                <CopyButton text={c.text} label={`Copy ${c.label} configuration`} />
              </details>
            ))}
            <form method="dialog"><button class="primary" type="submit">I have copied it — close</button></form>
          </div>
        )}
      </dialog>
    </div>
  );
}

// ── buckets and permissions

type Level = 'read' | 'read-write' | 'full';
const LEVEL_ACTIONS: Record<Level, string[]> = {
  read: ['s3:GetObject', 's3:ListBucket'],
  'read-write': ['s3:GetObject', 's3:ListBucket', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListBucketMultipartUploads'],
  full: ['s3:*'],
};
interface Statement {
  Sid?: string;
  Effect: string;
  Principal: unknown;
  Action: string | string[];
  Resource: string | string[];
  [k: string]: unknown;
}
interface PolicyDoc {
  Version: string;
  Statement: Statement[];
}

function grantStatement(bucket: string, kind: 'user' | 'group', name: string, level: Level): Statement {
  return {
    Sid: `Grant-${kind}-${name}-${level}`.replace(/[^A-Za-z0-9]/g, ''),
    Effect: 'Allow',
    Principal: { AWS: [`arn:aws:iam:::${kind}/${name}`] },
    Action: LEVEL_ACTIONS[level],
    Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
  };
}
const PUBLIC_SID = 'PublicRead';
const publicStatement = (bucket: string): Statement => ({ Sid: PUBLIC_SID, Effect: 'Allow', Principal: '*', Action: ['s3:GetObject', 's3:ListBucket'], Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`] });

/** Client-side checks before the server's parser gives its (authoritative) message. */
function validatePolicy(text: string): string | null {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return `not valid JSON: ${errText(e)}`;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return 'the policy must be a JSON object';
  const st = (doc as { Statement?: unknown }).Statement;
  if (st === undefined) return 'the policy needs a "Statement" list';
  const list = Array.isArray(st) ? st : [st];
  for (const [i, s] of list.entries()) {
    if (typeof s !== 'object' || s === null) return `statement ${i + 1} must be an object`;
    const e = (s as Statement).Effect;
    if (e !== 'Allow' && e !== 'Deny') return `statement ${i + 1}: "Effect" must be "Allow" or "Deny"`;
    if (!('Action' in s) && !('NotAction' in s)) return `statement ${i + 1}: needs "Action" or "NotAction"`;
    if (!('Resource' in s) && !('NotResource' in s)) return `statement ${i + 1}: needs "Resource" or "NotResource"`;
  }
  return null;
}

function Buckets({ tenancy, staff }: { tenancy: string; staff: boolean }) {
  const [buckets, setBuckets] = useState<PortalBucket[]>([]);
  const [err, setErr] = useState<unknown>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const load = () => api<{ items: PortalBucket[] }>('GET', `/tenancies/${enc(tenancy)}/buckets`).then((r) => setBuckets(r.items), setErr);
  useEffect(() => void load(), [tenancy]);
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
              void load();
            } catch (e) {
              setErr(e);
            }
          }}
        >
          <label for="new-bucket">Bucket name</label>
          <input id="new-bucket" name="bucket" required pattern="[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]" title="3–63 lower-case letters, digits, dots and hyphens" />
          <button type="submit" class="primary">Create bucket</button>
        </form>
        <Err e={err} />
      </div>
      <div class="card table-wrap">
        <h3>{staff ? 'Buckets' : 'My buckets'}</h3>
        <table>
          <thead><tr><th>Bucket</th><th>Owner</th><th>Size</th><th>Objects</th><th>Access</th><th><span class="muted">Actions</span></th></tr></thead>
          <tbody>
            {buckets.map((b) => (
              <tr key={b.name}>
                <td>{b.name}</td>
                <td>{b.owner}</td>
                <td>{formatBytes(b.usage.bytes)}</td>
                <td>{b.usage.objects}</td>
                <td>{b.public ? 'public' : b.hasPolicy ? 'shared' : 'private'}</td>
                <td class="row">
                  <a href={`#/t/${enc(tenancy)}/objects/${enc(b.name)}`}>Browse</a>
                  {staff && <button type="button" onClick={() => setSelected(b.name)} aria-label={`Permissions of ${b.name}`}>Permissions</button>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {!staff && <p class="muted">Sharing (bucket policies) is set by the tenancy's managers and deputies.</p>}
      </div>
      {selected && staff && <Permissions key={selected} tenancy={tenancy} bucket={selected} onChanged={load} />}
    </div>
  );
}

function Permissions({ tenancy, bucket, onChanged }: { tenancy: string; bucket: string; onChanged: () => void }) {
  const base = `/tenancies/${enc(tenancy)}/buckets/${enc(bucket)}`;
  const [text, setText] = useState('');
  const [stored, setStored] = useState<PolicyDoc | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [msg, setMsg] = useState<string | null>(null);
  const [check, setCheck] = useState<PolicyCheckResponse | null>(null);
  const [loaded, setLoaded] = useState(false);
  const load = async () => {
    try {
      const r = await api<C.BucketPolicyResponse>('GET', `${base}/policy`);
      setStored(r.policy as PolicyDoc);
      setText(JSON.stringify(r.policy, null, 2));
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        setStored(null);
        setText('');
      } else setErr(e);
    }
    setLoaded(true);
  };
  useEffect(() => void load(), [bucket]);
  /** The stored policy (not unsaved edits in the JSON box) as a base for the form and the toggle. */
  const current = (): PolicyDoc => ({ Version: stored?.Version ?? '2012-10-17', Statement: Array.isArray(stored?.Statement) ? [...stored.Statement] : stored?.Statement ? [stored.Statement as Statement] : [] });
  const save = async (doc: PolicyDoc | string) => {
    const body = typeof doc === 'string' ? doc : JSON.stringify(doc, null, 2);
    setErr(null);
    setMsg(null);
    const problem = validatePolicy(body);
    if (problem) {
      setErr(new Error(problem));
      return;
    }
    try {
      if ((JSON.parse(body) as PolicyDoc).Statement?.length === 0) await api('DELETE', `${base}/policy`);
      else await api('PUT', `${base}/policy`, body, true);
      setMsg('Policy saved.');
      await load();
      onChanged();
    } catch (e) {
      setErr(e);
    }
  };
  const storedPublic = (stored?.Statement ?? []).some((s) => s.Sid === PUBLIC_SID);
  // Optimistic: the box follows the click at once, and the stored policy once saved (or on failure).
  const [isPublic, setPublic] = useState(storedPublic);
  useEffect(() => setPublic(storedPublic), [storedPublic, stored]);
  const validation = text.trim() ? validatePolicy(text) : null;
  return (
    <div class="card" aria-labelledby="perm-title" aria-busy={!loaded} data-loaded={loaded}>
      <h3 id="perm-title">Permissions of {bucket}</h3>
      <form
        class="row"
        aria-label="Grant access"
        onSubmit={async (ev) => {
          ev.preventDefault();
          const f = new FormData(ev.currentTarget);
          const doc = current();
          const st = grantStatement(bucket, f.get('kind') as 'user' | 'group', String(f.get('who')).trim(), f.get('level') as Level);
          doc.Statement = [...doc.Statement.filter((s) => s.Sid !== st.Sid), st];
          setText(JSON.stringify(doc, null, 2));
          await save(doc);
        }}
      >
        <label for="grant-kind">Grant to</label>
        <select id="grant-kind" name="kind"><option value="user">user</option><option value="group">group</option></select>
        <label for="grant-who">Name</label>
        <input id="grant-who" name="who" required />
        <label for="grant-level">Access</label>
        <select id="grant-level" name="level"><option value="read">read</option><option value="read-write">read-write</option><option value="full">full control</option></select>
        <button type="submit" class="primary">Grant</button>
      </form>
      <p>
        <label class="inline">
          <input
            type="checkbox"
            checked={isPublic}
            onChange={async (ev) => {
              const on = (ev.currentTarget as HTMLInputElement).checked;
              setPublic(on);
              const doc = current();
              doc.Statement = doc.Statement.filter((s) => s.Sid !== PUBLIC_SID);
              if (on) doc.Statement.push(publicStatement(bucket));
              await save(doc);
            }}
          />{' '}
          Public: anyone can read and list this bucket without signing in
        </label>
      </p>
      <label for="policy-json">Bucket policy (JSON)</label>
      <textarea id="policy-json" rows={14} value={text} aria-describedby="policy-validation" onInput={(ev) => setText((ev.currentTarget as HTMLTextAreaElement).value)} />
      <p id="policy-validation" class={validation ? 'error' : 'muted'}>{validation ?? (text.trim() ? 'Looks valid; the server checks it fully when saved.' : 'No policy: only the default rules apply.')}</p>
      <div class="row">
        <button type="button" class="primary" onClick={() => save(text)} disabled={!!validation || !text.trim()}>Save policy</button>
        <button type="button" class="danger" onClick={() => save({ Version: '2012-10-17', Statement: [] })}>Remove policy</button>
      </div>
      <Err e={err} />
      {msg && <p class="notice" role="status">{msg}</p>}
      <h4>Policy check</h4>
      <form
        class="row"
        aria-label="Policy check"
        onSubmit={async (ev) => {
          ev.preventDefault();
          const f = new FormData(ev.currentTarget);
          try {
            const user = String(f.get('user')).trim();
            setCheck(await api<PolicyCheckResponse>('POST', `${base}/policy-check`, { ...(user ? { user } : {}), action: f.get('action'), key: String(f.get('key')) || undefined }));
          } catch (e) {
            setErr(e);
          }
        }}
      >
        <label for="check-user">Can user (empty = anonymous)</label>
        <input id="check-user" name="user" />
        <label for="check-action">do</label>
        <select id="check-action" name="action">
          {['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:ListBucket', 's3:PutBucketPolicy'].map((a) => <option key={a} value={a}>{a}</option>)}
        </select>
        <label for="check-key">on key</label>
        <input id="check-key" name="key" />
        <button type="submit">Check</button>
      </form>
      {check && (
        <div role="status" aria-live="polite">
          <p><strong>{check.allowed ? 'Allowed' : 'Denied'}</strong> — {check.decidedBy}</p>
          {check.statement && <pre>{`Statement #${check.statement.index + 1}${check.statement.sid ? ` (${check.statement.sid})` : ''}:\n${JSON.stringify(check.statement.document, null, 2)}`}</pre>}
        </div>
      )}
    </div>
  );
}

// ── objects

function Objects({ tenancy }: { tenancy: string }) {
  const route = useHash();
  const [buckets, setBuckets] = useState<PortalBucket[]>([]);
  const bucket = route[3] ?? '';
  const [prefix, setPrefix] = useState('');
  const [listing, setListing] = useState<S3.Listing | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [share, setShare] = useState<{ key: string; url: string } | null>(null);
  useEffect(() => void api<{ items: PortalBucket[] }>('GET', `/tenancies/${enc(tenancy)}/buckets`).then((r) => setBuckets(r.items), setErr), [tenancy]);
  const load = async (p = prefix) => {
    if (!bucket) return;
    setErr(null);
    try {
      setListing(await S3.list(tenancy, bucket, p));
    } catch (e) {
      setErr(e);
    }
  };
  useEffect(() => {
    setPrefix('');
    setListing(null);
    void load('');
  }, [bucket]);
  const go = (p: string) => {
    setPrefix(p);
    void load(p);
  };
  return (
    <div class="card">
      <div class="row">
        <label for="obj-bucket">Bucket</label>
        <select id="obj-bucket" value={bucket} onChange={(ev) => (location.hash = `#/t/${enc(tenancy)}/objects/${enc((ev.currentTarget as HTMLSelectElement).value)}`)}>
          <option value="">— choose —</option>
          {buckets.map((b) => <option key={b.name} value={b.name}>{b.name}</option>)}
          {bucket && !buckets.some((b) => b.name === bucket) && <option value={bucket}>{bucket}</option>}
        </select>
        <label for="obj-prefix">Prefix</label>
        <input id="obj-prefix" value={prefix} onInput={(ev) => setPrefix((ev.currentTarget as HTMLInputElement).value)} onKeyDown={(ev) => ev.key === 'Enter' && go(prefix)} />
        <button type="button" onClick={() => go(prefix)}>List</button>
        {prefix && <button type="button" onClick={() => go(prefix.replace(/[^/]*\/?$/, ''))}>Up</button>}
      </div>
      {bucket && (
        <form
          class="row"
          aria-label="Upload"
          onSubmit={async (ev) => {
            ev.preventDefault();
            const input = ev.currentTarget.querySelector<HTMLInputElement>('input[type=file]')!;
            setErr(null);
            try {
              for (const file of Array.from(input.files ?? [])) {
                setProgress(0);
                await S3.upload(tenancy, bucket, prefix + file.name, file, setProgress);
              }
              input.value = '';
              await load();
            } catch (e) {
              setErr(e);
            } finally {
              setProgress(null);
            }
          }}
        >
          <label for="obj-file">Upload files</label>
          <input id="obj-file" type="file" multiple required />
          <button type="submit" class="primary" disabled={progress !== null}>Upload</button>
          {progress !== null && <progress aria-label="Upload progress" max={1} value={progress}>{Math.round(progress * 100)}%</progress>}
        </form>
      )}
      {progress === null && listing && <p class="muted" role="status">Upload finished or idle.</p>}
      <Err e={err} />
      {listing && (
        <div class="table-wrap">
          <table>
            <thead><tr><th>Key</th><th>Size</th><th>Modified</th><th><span class="muted">Actions</span></th></tr></thead>
            <tbody>
              {listing.prefixes.map((p) => (
                <tr key={p}><td><button type="button" class="link" onClick={() => go(p)}>{p.slice(prefix.length)}</button></td><td>—</td><td /><td /></tr>
              ))}
              {listing.objects.map((o) => (
                <tr key={o.key} data-key={o.key}>
                  <td>{o.key.slice(prefix.length)}</td>
                  <td>{formatBytes(o.size)}</td>
                  <td>{o.lastModified.replace('T', ' ').slice(0, 16)}</td>
                  <td class="row">
                    <button type="button" aria-label={`Download ${o.key}`} onClick={async () => {
                      try {
                        const a = document.createElement('a');
                        a.href = await S3.downloadUrl(tenancy, bucket, o.key);
                        a.rel = 'noreferrer';
                        document.body.appendChild(a);
                        a.click();
                        a.remove();
                      } catch (e) { setErr(e); }
                    }}>Download</button>
                    <ShareButton tenancy={tenancy} bucket={bucket} objectKey={o.key} onUrl={(url) => setShare({ key: o.key, url })} onError={setErr} />
                    <button type="button" class="danger" aria-label={`Delete ${o.key}`} onClick={async () => {
                      if (!confirm(`Delete ${o.key}?`)) return;
                      try { await S3.deleteObject(tenancy, bucket, o.key); await load(); } catch (e) { setErr(e); }
                    }}>Delete</button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {listing.prefixes.length + listing.objects.length === 0 && <p class="muted">Nothing here.</p>}
        </div>
      )}
      {share && (
        <div role="status">
          <label for="share-url">Share link for {share.key}</label>
          <div class="row"><input id="share-url" readOnly value={share.url} size={60} /><CopyButton text={share.url} label="Copy share link" /></div>
        </div>
      )}
    </div>
  );
}

/** A share link downloads the file; opening it in the browser instead is a choice the user makes. */
function ShareButton({ tenancy, bucket, objectKey, onUrl, onError }: { tenancy: string; bucket: string; objectKey: string; onUrl: (u: string) => void; onError: (e: unknown) => void }) {
  const slug = objectKey.replace(/[^A-Za-z0-9]/g, '_');
  const id = `share-exp-${slug}`;
  const [exp, setExp] = useState('86400');
  const [inline, setInline] = useState(false);
  return (
    <span class="row">
      <label for={id} class="inline">Share for</label>
      <select id={id} value={exp} onChange={(ev) => setExp((ev.currentTarget as HTMLSelectElement).value)}>
        <option value="3600">1 hour</option><option value="86400">1 day</option><option value="604800">7 days</option>
      </select>
      <label class="inline">
        <input type="checkbox" checked={inline} aria-label={`Open ${objectKey} in the browser instead of downloading`} onChange={(ev) => setInline((ev.currentTarget as HTMLInputElement).checked)} /> open in browser
      </label>
      <button type="button" aria-label={`Share ${objectKey}`} onClick={async () => {
        try { onUrl(await S3.downloadUrl(tenancy, bucket, objectKey, Number(exp), !inline)); } catch (e) { onError(e); }
      }}>Share link</button>
    </span>
  );
}

// ── members

function Members({ tenancy }: { tenancy: string }) {
  const base = `/tenancies/${enc(tenancy)}`;
  const [members, setMembers] = useState<C.Member[]>([]);
  const [requests, setRequests] = useState<C.JoinRequest[]>([]);
  const [audit, setAudit] = useState<C.AuditEntry[]>([]);
  const [err, setErr] = useState<unknown>(null);
  const load = () =>
    Promise.all([
      api<C.ListResponse<C.Member>>('GET', `${base}/members`).then((r) => setMembers(r.items)),
      api<C.ListResponse<C.JoinRequest>>('GET', `${base}/requests?status=pending`).then((r) => setRequests(r.items)),
      api<C.ListResponse<C.AuditEntry>>('GET', `${base}/audit?limit=50`).then((r) => setAudit(r.items)),
    ]).catch(setErr);
  useEffect(() => void load(), [tenancy]);
  const act = async (f: () => Promise<unknown>) => {
    setErr(null);
    try {
      await f();
      await load();
    } catch (e) {
      setErr(e);
    }
  };
  return (
    <div>
      <Err e={err} />
      <div class="card table-wrap">
        <h3>Pending join requests</h3>
        {requests.length === 0 && <p class="muted">None.</p>}
        <table>
          <tbody>
            {requests.map((r) => (
              <tr key={r.id} data-request={r.username}>
                <td>{r.username}</td>
                <td>{r.message}</td>
                <td>{r.createdAt.slice(0, 10)}</td>
                <td class="row">
                  <button type="button" class="primary" aria-label={`Approve ${r.username}`} onClick={() => act(() => api('POST', `${base}/requests/${enc(r.id)}/approve`, { role: 'USER' }))}>Approve</button>
                  <button type="button" class="danger" aria-label={`Reject ${r.username}`} onClick={() => act(() => api('POST', `${base}/requests/${enc(r.id)}/reject`, {}))}>Reject</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div class="card table-wrap">
        <h3>Members</h3>
        <table>
          <thead><tr><th>User</th><th>Name</th><th>Role</th><th>Since</th><th><span class="muted">Actions</span></th></tr></thead>
          <tbody>
            {members.map((m) => (
              <tr key={m.username} data-member={m.username}>
                <td>{m.username}</td>
                <td>{m.displayName}</td>
                <td>
                  <select aria-label={`Role of ${m.username}`} value={m.role} onChange={(ev) => act(() => api('PUT', `${base}/members/${enc(m.username)}`, { role: (ev.currentTarget as HTMLSelectElement).value }))}>
                    <option>USER</option><option>DEPUTY</option><option>MANAGER</option>
                  </select>
                </td>
                <td>{m.since.slice(0, 10)}</td>
                <td><button type="button" class="danger" aria-label={`Remove ${m.username}`} onClick={() => confirm(`Remove ${m.username} from ${tenancy}? Their keys for it stop working.`) && act(() => api('DELETE', `${base}/members/${enc(m.username)}`))}>Remove</button></td>
              </tr>
            ))}
          </tbody>
        </table>
        <form class="row" aria-label="Add member" onSubmit={(ev) => {
          ev.preventDefault();
          const f = new FormData(ev.currentTarget);
          void act(() => api('POST', `${base}/members`, { username: f.get('username'), role: f.get('role') }));
        }}>
          <label for="add-member">Add member</label>
          <input id="add-member" name="username" required />
          <label for="add-member-role">as</label>
          <select id="add-member-role" name="role"><option>USER</option><option>DEPUTY</option><option>MANAGER</option></select>
          <button type="submit">Add</button>
        </form>
      </div>
      <div class="card table-wrap">
        <h3>Audit trail</h3>
        <table>
          <thead><tr><th>When</th><th>Who</th><th>What</th><th>Target</th></tr></thead>
          <tbody>
            {audit.map((a) => (
              <tr key={a.id}><td>{a.at.replace('T', ' ').slice(0, 19)}</td><td>{a.actor ?? '—'}</td><td>{a.action}</td><td>{a.target}</td></tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

// ── usage

/** The smallest 1, 2 or 5 × 10^k at or above n: round axis labels. */
function niceCeil(n: number): number {
  const p = 10 ** Math.floor(Math.log10(n));
  return ([1, 2, 5, 10].find((m) => m * p >= n) ?? 10) * p;
}

const CHART_W = 640;
const CHART_H = 220;
const PAD = { left: 72, right: 16, top: 14, bottom: 34 };

/**
 * An SVG line chart of one quantity over time with the quota as a horizontal line: no chart library, no
 * inline styles (the CSP forbids them; colours come from classes). `role="img"` with a title and a
 * description that says the same in words; the table next to it is the full text alternative.
 */
export function UsageChart({ id, label, points, quota, format }: {
  id: string;
  label: string;
  points: Array<{ t: number; v: number }>;
  quota: number | null;
  format: (v: number) => string;
}) {
  const t0 = points.length ? points[0]!.t : Date.now();
  const t1 = points.length ? points[points.length - 1]!.t : t0;
  const span = Math.max(1, t1 - t0);
  const top = niceCeil(Math.max(1, quota ?? 0, ...points.map((p) => p.v)) * 1.05);
  const w = CHART_W - PAD.left - PAD.right;
  const h = CHART_H - PAD.top - PAD.bottom;
  // A single point sits in the middle rather than on the axis.
  const x = (t: number) => PAD.left + (points.length > 1 ? ((t - t0) / span) * w : w / 2);
  const y = (v: number) => PAD.top + h - (v / top) * h;
  const path = points.map((p, i) => `${i ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ');
  const last = points[points.length - 1];
  const ticks = [0, 0.5, 1].map((f) => f * top);
  const date = (t: number) => new Date(t).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  const desc = last
    ? `${points.length} point${points.length === 1 ? '' : 's'} from ${date(t0)} to ${date(t1)}; now ${format(last.v)}; highest ${format(Math.max(...points.map((p) => p.v)))}; quota ${quota === null ? 'none' : format(quota)}.`
    : 'No samples yet.';
  return (
    <figure class="chart">
      <svg
        viewBox={`0 0 ${CHART_W} ${CHART_H}`}
        role="img"
        aria-labelledby={`${id}-title ${id}-desc`}
        data-testid={`${id}-chart`}
        data-points={points.length}
      >
        <title id={`${id}-title`}>{label} over time</title>
        <desc id={`${id}-desc`}>{desc}</desc>
        <g class="axis" aria-hidden="true">
          <line x1={PAD.left} y1={PAD.top + h} x2={PAD.left + w} y2={PAD.top + h} />
          <line x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={PAD.top + h} />
          {ticks.map((v) => (
            <text key={v} x={PAD.left - 6} y={y(v) + 4} text-anchor="end">{format(v)}</text>
          ))}
          {points.length > 0 && <text x={PAD.left} y={CHART_H - 10} text-anchor="start">{date(t0)}</text>}
          {points.length > 1 && <text x={PAD.left + w} y={CHART_H - 10} text-anchor="end">{date(t1)}</text>}
        </g>
        {quota !== null && (
          <g class="quota" data-testid={`${id}-quota-line`}>
            <line x1={PAD.left} y1={y(quota)} x2={PAD.left + w} y2={y(quota)} />
            <text x={PAD.left + w} y={y(quota) - 4} text-anchor="end">quota {format(quota)}</text>
          </g>
        )}
        {points.length > 1 && <path class="series" d={path} />}
        {points.length <= 120
          ? points.map((p) => <circle key={p.t} class="point" cx={x(p.t)} cy={y(p.v)} r={3} />)
          : last && <circle class="point" cx={x(last.t)} cy={y(last.v)} r={3} />}
      </svg>
      <figcaption>{label}: {desc}</figcaption>
    </figure>
  );
}

function UsageView({ tenancy }: { tenancy: string }) {
  const [q, setQ] = useState<C.QuotaResponse | null>(null);
  const [u, setU] = useState<C.UsageResponse | null>(null);
  const [hist, setHist] = useState<C.UsageHistoryResponse | null>(null);
  const [days, setDays] = useState(30);
  const [err, setErr] = useState<unknown>(null);
  useEffect(() => {
    api<C.QuotaResponse>('GET', `/tenancies/${enc(tenancy)}/quota`).then(setQ, setErr);
    api<C.UsageResponse>('GET', `/tenancies/${enc(tenancy)}/usage`).then(setU, setErr);
  }, [tenancy]);
  useEffect(() => {
    api<C.UsageHistoryResponse>('GET', `/tenancies/${enc(tenancy)}/usage/history?days=${days}`).then(setHist, setErr);
  }, [tenancy, days]);
  // The recorded samples, then the usage now (unless a sample is already that recent).
  const rows = hist ? [...hist.samples, ...(hist.samples.at(-1)?.at === hist.current.at ? [] : [hist.current])] : [];
  const pts = rows.map((r) => ({ t: Date.parse(r.at), bytes: r.bytes, objects: r.objects }));
  return (
    <div class="card">
      <Err e={err} />
      {q && (
        <>
          <h3>Usage of {tenancy}</h3>
          <UsageBar usage={q.usage} quota={q.quota} status={q.status} />
          <p class="muted">
            Thresholds: warning at {q.thresholds.warning}%, critical at {q.thresholds.critical}%. When full: {q.quota.action}.
          </p>
        </>
      )}
      <section aria-labelledby="usage-history-h">
        <h3 id="usage-history-h">Usage over time</h3>
        <label for="usage-days">Period</label>{' '}
        <select id="usage-days" value={String(days)} onChange={(e) => setDays(Number((e.target as HTMLSelectElement).value))}>
          <option value="1">Last day</option>
          <option value="7">Last 7 days</option>
          <option value="30">Last 30 days</option>
          <option value="90">Last 90 days</option>
          <option value="365">Last year</option>
        </select>
        {hist && (
          <>
            <UsageChart id="usage-bytes" label="Bytes stored" points={pts.map((p) => ({ t: p.t, v: p.bytes }))} quota={hist.quota.bytes} format={formatBytes} />
            <UsageChart id="usage-objects" label="Objects" points={pts.map((p) => ({ t: p.t, v: p.objects }))} quota={hist.quota.objects} format={(v) => String(Math.round(v))} />
            <details>
              <summary>Show the usage history as a table</summary>
              <div class="table-wrap">
                <table>
                  <caption>Usage samples of {tenancy}, oldest first (the last row is now)</caption>
                  <thead><tr><th scope="col">Time</th><th scope="col">Bytes</th><th scope="col">Objects</th></tr></thead>
                  <tbody>{rows.map((r) => <tr key={r.at}><td>{new Date(r.at).toLocaleString()}</td><td>{formatBytes(r.bytes)}</td><td>{r.objects}</td></tr>)}</tbody>
                </table>
              </div>
            </details>
          </>
        )}
      </section>
      {u && (
        <div class="table-wrap">
          <table>
            <thead><tr><th>Bucket</th><th>Bytes</th><th>Objects</th></tr></thead>
            <tbody>{u.buckets.map((b) => <tr key={b.name}><td>{b.name}</td><td>{formatBytes(b.usage.bytes)}</td><td>{b.usage.objects}</td></tr>)}</tbody>
          </table>
        </div>
      )}
    </div>
  );
}

// ───────────────────────────── join ─────────────────────────────

function Join() {
  const [found, setFound] = useState<string[]>([]);
  const [mine, setMine] = useState<C.JoinRequest[]>([]);
  const [err, setErr] = useState<unknown>(null);
  const [msg, setMsg] = useState<string | null>(null);
  const load = () => api<C.ListResponse<C.JoinRequest>>('GET', '/me/requests').then((r) => setMine(r.items), setErr);
  useEffect(() => void load(), []);
  return (
    <section aria-labelledby="join-title">
      <h2 id="join-title">Join a tenancy</h2>
      <div class="card">
        <form
          class="stack"
          onSubmit={async (ev) => {
            ev.preventDefault();
            const form = ev.currentTarget;
            const f = new FormData(form);
            setErr(null);
            setMsg(null);
            try {
              const r = await api<C.JoinRequest>('POST', '/me/requests', { tenancy: String(f.get('tenancy')).trim(), message: String(f.get('message') ?? '') } satisfies C.CreateJoinRequestRequest);
              setMsg(`Request sent to the managers of ${r.tenancy}.`);
              form.reset();
              void load();
            } catch (e) {
              setErr(e);
            }
          }}
        >
          <label for="join-tenancy">Tenancy name</label>
          <input
            id="join-tenancy"
            name="tenancy"
            required
            list="join-found"
            autocomplete="off"
            aria-describedby="join-hint"
            onInput={(ev) => {
              const q = (ev.currentTarget as HTMLInputElement).value.trim();
              if (q.length < 2) return setFound([]);
              api<{ items: Array<{ name: string }> }>('GET', `/directory/tenancies?q=${enc(q)}`).then((r) => setFound(r.items.map((i) => i.name)), () => setFound([]));
            }}
          />
          <datalist id="join-found">{found.map((n) => <option key={n} value={n} />)}</datalist>
          <small id="join-hint" class="muted">Type two or more letters to search.{found.length ? ` Matches: ${found.join(', ')}` : ''}</small>
          <label for="join-message">Message to its managers</label>
          <textarea id="join-message" name="message" rows={3} />
          <Err e={err} />
          {msg && <p class="notice" role="status">{msg}</p>}
          <button class="primary" type="submit">Request to join</button>
        </form>
      </div>
      <div class="card table-wrap">
        <h3>My requests</h3>
        <table>
          <thead><tr><th>Tenancy</th><th>Status</th><th>Asked</th><th>Decided</th></tr></thead>
          <tbody>{mine.map((r) => <tr key={r.id}><td>{r.tenancy}</td><td>{r.status}{r.role ? ` (${r.role})` : ''}</td><td>{r.createdAt.slice(0, 10)}</td><td>{r.decidedAt?.slice(0, 10) ?? '—'}{r.decidedBy ? ` by ${r.decidedBy}` : ''}</td></tr>)}</tbody>
        </table>
      </div>
    </section>
  );
}

// ───────────────────────────── site administration ─────────────────────────────

function SiteAdmin() {
  const [tenancies, setTenancies] = useState<C.Tenancy[]>([]);
  const [users, setUsers] = useState<C.User[]>([]);
  const [groups, setGroups] = useState<C.Group[]>([]);
  const [err, setErr] = useState<unknown>(null);
  const [msg, setMsg] = useState<string | null>(null);
  const load = () =>
    Promise.all([
      api<C.ListResponse<C.Tenancy>>('GET', '/tenancies').then((r) => setTenancies(r.items)),
      api<C.ListResponse<C.User>>('GET', '/users').then((r) => setUsers(r.items)),
      api<C.ListResponse<C.Group>>('GET', '/groups').then((r) => setGroups(r.items)),
    ]).catch(setErr);
  useEffect(() => void load(), []);
  const submit = (fn: (f: FormData) => Promise<unknown>, done: string) => async (ev: Event) => {
    ev.preventDefault();
    const form = ev.currentTarget as HTMLFormElement;
    setErr(null);
    setMsg(null);
    try {
      await fn(new FormData(form));
      form.reset();
      setMsg(done);
      await load();
    } catch (e) {
      setErr(e);
    }
  };
  return (
    <section aria-labelledby="admin-title">
      <h2 id="admin-title">Site administration</h2>
      <Err e={err} />
      {msg && <p class="notice" role="status">{msg}</p>}
      <div class="grid">
        <div class="card">
          <h3>Create tenancy</h3>
          <form class="stack" onSubmit={submit((f) => api('POST', '/tenancies', { name: f.get('name'), defaultAccess: f.get('defaultAccess') }), 'Tenancy created.')}>
            <label for="t-name">Name</label>
            <input id="t-name" name="name" required />
            <label for="t-access">Default access</label>
            <select id="t-access" name="defaultAccess"><option value="owner">bucket owner only</option><option value="members">any member</option></select>
            <button class="primary" type="submit">Create</button>
          </form>
        </div>
        <div class="card">
          <h3>Quota</h3>
          <form class="stack" onSubmit={submit((f) => api('PUT', `/tenancies/${enc(String(f.get('tenancy')))}/quota`, { bytes: String(f.get('bytes')).trim() === '' ? null : String(f.get('bytes')).trim(), objects: String(f.get('objects')).trim() === '' ? null : Number(f.get('objects')), action: f.get('action') } as C.SetQuotaRequest), 'Quota set.')}>
            <label for="q-tenancy">Tenancy</label>
            <select id="q-tenancy" name="tenancy" required>{tenancies.map((t) => <option key={t.name}>{t.name}</option>)}</select>
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
          <form class="stack" onSubmit={submit((f) => api('POST', `/tenancies/${enc(String(f.get('tenancy')))}/members`, { username: f.get('username'), role: 'MANAGER' }), 'Manager added.')}>
            <label for="m-tenancy">Tenancy</label>
            <select id="m-tenancy" name="tenancy" required>{tenancies.map((t) => <option key={t.name}>{t.name}</option>)}</select>
            <label for="m-user">Username</label>
            <input id="m-user" name="username" required />
            <button class="primary" type="submit">Make manager</button>
          </form>
        </div>
        <div class="card">
          <h3>Create user</h3>
          <form class="stack" onSubmit={submit((f) => api('POST', '/users', { username: f.get('username'), password: f.get('password'), displayName: f.get('displayName') || undefined, email: f.get('email') || undefined }), 'User created.')}>
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
          <form class="stack" onSubmit={submit((f) => api('POST', '/groups', { name: f.get('name') }), 'Group created.')}>
            <label for="g-name">New group</label>
            <input id="g-name" name="name" required />
            <button type="submit">Create group</button>
          </form>
          <form class="stack" onSubmit={submit((f) => api('POST', `/groups/${enc(String(f.get('group')))}/members`, { username: f.get('username') }), 'Added to group.')}>
            <label for="gm-group">Group</label>
            <select id="gm-group" name="group" required>{groups.filter((g) => g.source === 'local').map((g) => <option key={g.name}>{g.name}</option>)}</select>
            <label for="gm-user">Username</label>
            <input id="gm-user" name="username" required />
            <button type="submit">Add to group</button>
          </form>
        </div>
      </div>
      <div class="card table-wrap">
        <h3>Tenancies</h3>
        <table>
          <thead><tr><th>Name</th><th>Quota</th><th>When full</th><th>Default access</th></tr></thead>
          <tbody>{tenancies.map((t) => <tr key={t.name}><td><a href={`#/t/${enc(t.name)}/members`}>{t.name}</a></td><td>{formatBytes(t.quota.bytes)}{t.quota.objects !== null ? `, ${t.quota.objects} objects` : ''}</td><td>{t.quota.action}</td><td>{t.defaultAccess}</td></tr>)}</tbody>
        </table>
      </div>
      <div class="card table-wrap">
        <h3>Users</h3>
        <table>
          <thead><tr><th>Username</th><th>Name</th><th>Email</th><th>Site admin</th></tr></thead>
          <tbody>{users.map((u) => <tr key={u.username}><td>{u.username}</td><td>{u.displayName}</td><td>{u.email}</td><td>{u.siteAdmin ? 'yes' : ''}</td></tr>)}</tbody>
        </table>
      </div>
      <div class="card table-wrap">
        <h3>Groups</h3>
        <ul>{groups.map((g) => <li key={g.name}>{g.name} <span class="muted">({g.source})</span></li>)}</ul>
      </div>
    </section>
  );
}
