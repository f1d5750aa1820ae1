/** Sign in (#/ while signed out). */
import { useState } from 'preact/hooks';
import type { SessionInfo } from '../../../src/admin/session-contract.js';
import { ErrorBanner } from '../components/error-banner.js';
import { api } from '../lib/api.js';
import { usePageTitle } from '../lib/router.js';

export function SignIn({ onDone }: { onDone: (s: SessionInfo) => void }) {
  usePageTitle('Sign in');
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
              onDone(await api.call('POST /session', { body: { username: String(f.get('username')), password: String(f.get('password')) } }));
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
          <ErrorBanner error={err} />
          <button class="primary" type="submit" disabled={busy}>Sign in</button>
        </form>
      </div>
    </main>
  );
}
