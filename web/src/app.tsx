/**
 * The Granary portal's shell: the session (sign in, sign out, an ended session), who I am, the
 * navigation, and which view the URL hash names (lib/router.ts). Each view is one file in routes/.
 */
import { useEffect, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import type * as C from '../../src/admin/contract.js';
import type { SessionInfo } from '../../src/admin/session-contract.js';
import { ErrorBanner } from './components/error-banner.js';
import { api, setSession, whenSignedOut } from './lib/api.js';
import { useRoute } from './lib/router.js';
import { Account } from './routes/account.js';
import { SiteAdmin } from './routes/admin.js';
import { Home } from './routes/home.js';
import { Join } from './routes/join.js';
import { Manage } from './routes/manage.js';
import { Shared } from './routes/shared.js';
import { SignIn } from './routes/sign-in.js';

const SIGNED_OUT: SessionInfo = { signedIn: false, username: null, csrfToken: null, elevatedUntil: null };

export function App() {
  const [session, setS] = useState<SessionInfo | null>(null);
  const [me, setMe] = useState<C.Me | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const route = useRoute();

  const adopt = (s: SessionInfo) => {
    setSession(s);
    setS(s);
  };
  const reloadMe = () => api.call('GET /me').then((m) => { setMe(m); setErr(null); }, setErr);

  useEffect(() => {
    whenSignedOut(() => {
      setS(SIGNED_OUT);
      setMe(null);
    });
    api.call('GET /session').then(adopt, setErr);
  }, []);
  useEffect(() => {
    if (session?.signedIn) void reloadMe();
  }, [session?.signedIn, session?.username]);
  // Every view starts without the previous view's error.
  useEffect(() => setErr(null), [location.hash]);

  if (!session) return <main><p>Loading…</p><ErrorBanner error={err} /></main>;
  if (!session.signedIn) return <SignIn onDone={adopt} />;

  const signOut = async () => {
    try {
      await api.call('DELETE /session');
    } finally {
      setSession(SIGNED_OUT);
      setS(SIGNED_OUT);
      setMe(null);
      location.hash = '#/';
    }
  };

  let view: ComponentChildren;
  if (!me) view = <p>Loading…</p>;
  else if (route.view === 'tenancy') view = <Manage key={route.tenancy} me={me} tenancy={route.tenancy} tab={route.tab} bucket={route.bucket} session={session} onSession={adopt} />;
  else if (route.view === 'join') view = <Join />;
  else if (route.view === 'shared') view = <Shared me={me} tenancy={route.tenancy} bucket={route.bucket} />;
  else if (route.view === 'account') view = <Account me={me} onSession={adopt} />;
  else if (route.view === 'admin' && me.siteAdmin) view = <SiteAdmin />;
  else view = <Home me={me} onRefresh={reloadMe} />;

  const current = (v: string) => (route.view === v ? { 'aria-current': 'page' as const } : {});
  return (
    <>
      <header>
        <h1>Granary</h1>
        <nav aria-label="Main">
          <a href="#/" {...current('home')}>My tenancies</a>
          <a href="#/shared" {...current('shared')}>Shared with me</a>
          <a href="#/join" {...current('join')}>Join a tenancy</a>
          <a href="#/account" {...current('account')}>My account</a>
          {me?.siteAdmin && <a href="#/admin" {...current('admin')}>Site administration</a>}
        </nav>
        <span>
          Signed in as <strong>{session.username}</strong>{' '}
          <button type="button" class="link" onClick={signOut}>Sign out</button>
        </span>
      </header>
      <main>
        <ErrorBanner error={err} />
        {view}
      </main>
    </>
  );
}
