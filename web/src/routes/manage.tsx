/**
 * Manage a tenancy (#/t/NAME/TAB): re-enter the password first (the session stays; a wrong password is
 * said here and nothing else changes), then the tenancy's sections as WAI-ARIA tabs.
 */
import { useState } from 'preact/hooks';
import type * as C from '../../../src/admin/contract.js';
import type { SessionInfo } from '../../../src/admin/session-contract.js';
import { ErrorBanner } from '../components/error-banner.js';
import { Tabs } from '../components/tabs.js';
import { api } from '../lib/api.js';
import { navigate, usePageTitle } from '../lib/router.js';
import { Buckets } from './buckets.js';
import { Keys } from './keys.js';
import { Members } from './members.js';
import { Objects } from './objects.js';
import { UsageView } from './usage.js';

function Elevate({ tenancy, onSession }: { tenancy: string; onSession: (s: SessionInfo) => void }) {
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  return (
    <div class="card">
      <h2>Confirm it is you</h2>
      <p>Managing {tenancy} needs your password again (valid for 10 minutes).</p>
      <form
        class="stack"
        onSubmit={async (ev) => {
          ev.preventDefault();
          const form = ev.currentTarget;
          const f = new FormData(form);
          setBusy(true);
          setErr(null);
          try {
            onSession(await api.call('POST /session/elevate', { body: { password: String(f.get('password')) } }));
          } catch (e) {
            setErr(e);
            (form.elements.namedItem('password') as HTMLInputElement | null)?.select();
          } finally {
            setBusy(false);
          }
        }}
      >
        <label for="elevate-password">Password</label>
        <input id="elevate-password" name="password" type="password" autocomplete="current-password" required aria-describedby="elevate-error" />
        <div id="elevate-error"><ErrorBanner error={err} /></div>
        <button class="primary" type="submit" disabled={busy}>Continue</button>
      </form>
    </div>
  );
}

const TABS = [
  { id: 'keys', label: 'Keys' },
  { id: 'buckets', label: 'Buckets' },
  { id: 'objects', label: 'Objects' },
  { id: 'members', label: 'Members' },
  { id: 'usage', label: 'Usage' },
];

export function Manage({ me, tenancy, tab, bucket, session, onSession }: { me: C.Me; tenancy: string; tab: string; bucket?: string; session: SessionInfo; onSession: (s: SessionInfo) => void }) {
  const mine = me.tenancies.find((t) => t.name === tenancy);
  const role = mine?.role ?? (me.siteAdmin ? 'MANAGER' : undefined);
  const elevated = session.elevatedUntil !== null && Date.parse(session.elevatedUntil) > Date.now();
  const staff = role === 'MANAGER' || role === 'DEPUTY' || me.siteAdmin;
  const tabs = TABS.filter((t) => staff || (t.id !== 'members' && t.id !== 'usage'));
  const current = tabs.some((t) => t.id === tab) ? tab : 'keys';
  usePageTitle(!role ? tenancy : !elevated ? `Confirm it is you — ${tenancy}` : `${tabs.find((t) => t.id === current)?.label ?? 'Manage'} — ${tenancy}`);
  if (!role) return <p>You are not a member of {tenancy}. <a href="#/join">Ask to join.</a></p>;
  if (!elevated) return <Elevate tenancy={tenancy} onSession={onSession} />;
  return (
    <section aria-labelledby="manage-title">
      <h2 id="manage-title">Manage {tenancy} <small class="muted">({role})</small></h2>
      <Tabs tabs={tabs} selected={current} label="Tenancy sections" idPrefix="tenancy" onSelect={(id) => navigate({ view: 'tenancy', tenancy, tab: id })}>
        {current === 'keys' && <Keys me={me} tenancy={tenancy} staff={staff} />}
        {current === 'buckets' && <Buckets tenancy={tenancy} staff={staff} />}
        {current === 'objects' && <Objects me={me} via={tenancy} tenancy={tenancy} bucket={bucket} />}
        {current === 'members' && staff && <Members tenancy={tenancy} />}
        {current === 'usage' && staff && <UsageView tenancy={tenancy} />}
      </Tabs>
    </section>
  );
}
