/** My tenancies (#/): role, endpoints, usage, join requests waiting for a manager; and what is shared with me. */
import type * as C from '../../../src/admin/contract.js';
import { CopyButton } from '../components/copy-button.js';
import { DataTable } from '../components/data-table.js';
import { ErrorBanner } from '../components/error-banner.js';
import { UrlText } from '../components/url-text.js';
import { UsageBar } from '../components/usage-bar.js';
import { api } from '../lib/api.js';
import { hrefOf, usePageTitle } from '../lib/router.js';
import { useResource } from '../lib/use-resource.js';

export function Home({ me, onRefresh }: { me: C.Me; onRefresh: () => void }) {
  usePageTitle('My tenancies');
  return (
    <section aria-labelledby="home-title">
      <div class="row">
        <h2 id="home-title">My tenancies</h2>
        <button type="button" onClick={onRefresh}>Refresh</button>
      </div>
      {me.tenancies.length === 0 && <p class="empty">You are not a member of any tenancy yet. <a href="#/join">Ask to join one.</a></p>}
      <div class="grid">
        {me.tenancies.map((t) => (
          <article class="card" key={t.name} aria-label={`Tenancy ${t.name}`} data-tenancy={t.name}>
            <h3>{t.name}</h3>
            <p>Role: <strong>{t.role}</strong></p>
            {t.pendingRequests !== null && t.pendingRequests > 0 && (
              <p class="attention" data-testid="pending-requests">
                <span aria-hidden="true">● </span>
                <a href={hrefOf({ view: 'tenancy', tenancy: t.name, tab: 'members' })}>
                  {t.pendingRequests} join request{t.pendingRequests === 1 ? '' : 's'} waiting for you
                </a>
              </p>
            )}
            <dl>
              <dt>Internal endpoint (inside the facility)</dt>
              <dd class="row"><UrlText text={t.endpoints.internal} /><CopyButton text={t.endpoints.internal} label={`Copy internal endpoint of ${t.name}`} /></dd>
              <dt>External endpoint (HTTPS, from anywhere)</dt>
              <dd class="row"><UrlText text={t.endpoints.external} /><CopyButton text={t.endpoints.external} label={`Copy external endpoint of ${t.name}`} /></dd>
            </dl>
            <UsageBar usage={t.usage} quota={t.quota} status={t.status} />
            <p><a href={hrefOf({ view: 'tenancy', tenancy: t.name, tab: 'keys' })}>Manage {t.name}</a></p>
          </article>
        ))}
      </div>
      <SharedWithMe />
    </section>
  );
}

export function SharedWithMe() {
  const shared = useResource(() => api.call('GET /me/shared'), []);
  return (
    <section aria-labelledby="shared-title" class="card">
      <h2 id="shared-title">Shared with me</h2>
      <ErrorBanner error={shared.error} />
      <DataTable<C.SharedBucket>
        caption="Buckets others share with you (through a bucket policy or an ACL)"
        rows={shared.data?.items}
        rowKey={(b) => `${b.tenancy}:${b.bucket}`}
        rowAttrs={(b) => ({ 'data-shared': `${b.tenancy}:${b.bucket}` })}
        empty="Nothing is shared with you yet."
        columns={[
          { header: 'Bucket', cell: (b) => <a href={hrefOf({ view: 'shared', tenancy: b.tenancy, bucket: b.bucket })}>{b.bucket}</a> },
          { header: 'Tenancy', cell: (b) => b.tenancy },
          { header: 'Owner', cell: (b) => b.owner },
          { header: 'Access', cell: (b) => b.access },
          { header: 'Where', cell: (b) => (b.prefixes.includes('') ? 'whole bucket' : b.prefixes.join(', ')) },
        ]}
      />
    </section>
  );
}
