/** My account (#/account): who I am, my groups, and changing my password (built-in directory). */
import { useState } from 'preact/hooks';
import type * as C from '../../../src/admin/contract.js';
import type { SessionInfo } from '../../../src/admin/session-contract.js';
import { ErrorBanner, StatusLine } from '../components/error-banner.js';
import { api } from '../lib/api.js';
import { usePageTitle } from '../lib/router.js';

export function Account({ me, onSession }: { me: C.Me; onSession: (s: SessionInfo) => void }) {
  usePageTitle('My account');
  const [err, setErr] = useState<unknown>(null);
  const [msg, setMsg] = useState<string | null>(null);
  return (
    <section aria-labelledby="account-title">
      <h2 id="account-title">My account</h2>
      <div class="card">
        <dl>
          <dt>Username</dt><dd>{me.username}</dd>
          <dt>Name</dt><dd>{me.displayName}</dd>
          <dt>Email (for reminders and notices)</dt><dd>{me.email || <span class="muted">none: you get no email from Granary</span>}</dd>
          <dt>Groups</dt><dd>{me.groups.length ? me.groups.join(', ') : 'none'}</dd>
        </dl>
      </div>
      <div class="card">
        <h3>Change my password</h3>
        {!me.managesPasswords ? (
          <p>Your password is the one of your organisation's directory: change it there.</p>
        ) : (
          <form class="stack" onSubmit={async (ev) => {
            ev.preventDefault();
            const form = ev.currentTarget;
            const f = new FormData(form);
            setErr(null);
            setMsg(null);
            if (f.get('new') !== f.get('again')) return setErr(new Error('The two new passwords differ.'));
            try {
              const s = await api.call('PUT /me/password', { body: { currentPassword: String(f.get('current')), newPassword: String(f.get('new')) } });
              form.reset();
              onSession(s);
              setMsg('Password changed. You stay signed in here; other browsers were signed out.');
            } catch (e) {
              setErr(e);
            }
          }}>
            <label for="pw-current">Current password</label>
            <input id="pw-current" name="current" type="password" autocomplete="current-password" required />
            <label for="pw-new">New password (at least 8 characters)</label>
            <input id="pw-new" name="new" type="password" autocomplete="new-password" minLength={8} required />
            <label for="pw-again">New password again</label>
            <input id="pw-again" name="again" type="password" autocomplete="new-password" minLength={8} required />
            <ErrorBanner error={err} onDismiss={() => setErr(null)} />
            <StatusLine text={msg} />
            <button class="primary" type="submit">Change password</button>
          </form>
        )}
      </div>
    </section>
  );
}
