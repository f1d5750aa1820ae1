/**
 * What is using a tenancy's space (#/t/NAME/usage, MANAGER and DEPUTY): the quota, usage over time, and
 * usage by bucket, by owner and by top-level prefix, and the incomplete multipart uploads with abort.
 */
import { useState } from 'preact/hooks';
import type * as C from '../../../src/admin/contract.js';
import { DataTable } from '../components/data-table.js';
import { ErrorBanner, StatusLine } from '../components/error-banner.js';
import { UsageBar } from '../components/usage-bar.js';
import { UsageChart } from '../components/usage-chart.js';
import { api } from '../lib/api.js';
import { formatBytes, isoDateTime } from '../lib/format.js';
import * as S3 from '../lib/s3.js';
import { useResource } from '../lib/use-resource.js';

export function UsageView({ tenancy }: { tenancy: string }) {
  const params = { tenancy };
  const q = useResource(() => api.call('GET /tenancies/{tenancy}/quota', { params }), [tenancy]);
  const u = useResource(() => api.call('GET /tenancies/{tenancy}/usage', { params }), [tenancy]);
  const breakdown = useResource(() => api.call('GET /tenancies/{tenancy}/usage/breakdown', { params }), [tenancy]);
  const uploads = useResource(async () => (await api.call('GET /tenancies/{tenancy}/uploads', { params })).items, [tenancy]);
  const [days, setDays] = useState(30);
  const hist = useResource(() => api.call('GET /tenancies/{tenancy}/usage/history', { params, query: { days: String(days) } }), [tenancy, days]);
  const [err, setErr] = useState<unknown>(null);
  const [msg, setMsg] = useState<string | null>(null);
  const h = hist.data;
  const rows = h ? [...h.samples, ...(h.samples.at(-1)?.at === h.current.at ? [] : [h.current])] : [];
  const pts = rows.map((r) => ({ t: Date.parse(r.at), bytes: r.bytes, objects: r.objects }));
  return (
    <div class="card">
      <ErrorBanner error={err ?? q.error ?? u.error ?? breakdown.error ?? uploads.error ?? hist.error} onDismiss={() => setErr(null)} />
      <StatusLine text={msg} />
      {q.data && (
        <>
          <h3>Usage of {tenancy}</h3>
          <UsageBar usage={q.data.usage} quota={q.data.quota} status={q.data.status} />
          <p class="muted">Thresholds: warning at {q.data.thresholds.warning}%, critical at {q.data.thresholds.critical}%. When full: {q.data.quota.action}.</p>
        </>
      )}
      <section aria-labelledby="using-h">
        <h3 id="using-h">What is using the space</h3>
        <DataTable<C.UsageResponse['buckets'][number]>
          caption="Usage by bucket"
          rows={u.data?.buckets}
          rowKey={(b) => b.name}
          empty="No buckets yet."
          columns={[
            { header: 'Bucket', cell: (b) => b.name },
            { header: 'Size', cell: (b) => formatBytes(b.usage.bytes), class: 'n' },
            { header: 'Objects', cell: (b) => b.usage.objects, class: 'n' },
          ]}
        />
        <DataTable<C.UsageBreakdownResponse['owners'][number]>
          caption="Usage by owner (who wrote the objects)"
          rows={breakdown.data?.owners}
          rowKey={(o) => o.username}
          rowAttrs={(o) => ({ 'data-owner': o.username })}
          empty="No objects yet."
          columns={[
            { header: 'Owner', cell: (o) => o.username },
            { header: 'Size', cell: (o) => formatBytes(o.bytes), class: 'n' },
            { header: 'Objects', cell: (o) => o.objects, class: 'n' },
          ]}
        />
        <DataTable<C.UsageBreakdownResponse['prefixes'][number]>
          caption="Usage by top-level prefix, largest first"
          rows={breakdown.data?.prefixes}
          rowKey={(p) => `${p.bucket}/${p.prefix}`}
          rowAttrs={(p) => ({ 'data-prefix-usage': `${p.bucket}/${p.prefix}` })}
          empty="No objects yet."
          columns={[
            { header: 'Bucket', cell: (p) => p.bucket },
            { header: 'Prefix', cell: (p) => (p.prefix ? <code>{p.prefix}</code> : <span class="muted">(top level)</span>) },
            { header: 'Size', cell: (p) => formatBytes(p.bytes), class: 'n' },
            { header: 'Objects', cell: (p) => p.objects, class: 'n' },
          ]}
        />
        <DataTable<C.IncompleteUpload>
          caption="Incomplete multipart uploads (their parts take space until completed or aborted)"
          rows={uploads.data}
          rowKey={(x) => x.uploadId}
          rowAttrs={(x) => ({ 'data-upload': `${x.bucket}/${x.key}` })}
          empty="No incomplete uploads."
          columns={[
            { header: 'Bucket', cell: (x) => x.bucket },
            { header: 'Key', cell: (x) => x.key },
            { header: 'Started', cell: (x) => isoDateTime(x.initiatedAt) },
            { header: 'By', cell: (x) => x.owner },
            { header: 'Parts', cell: (x) => x.parts, class: 'n' },
            { header: 'Size', cell: (x) => formatBytes(x.bytes), class: 'n' },
            {
              header: 'Actions',
              hidden: true,
              cell: (x) => (
                <button type="button" class="danger" aria-label={`Abort the upload of ${x.bucket}/${x.key}`} onClick={async () => {
                  setErr(null);
                  setMsg(null);
                  try {
                    await S3.abortUpload({ via: tenancy, tenancy, bucket: x.bucket }, x.key, x.uploadId);
                    setMsg(`The upload of ${x.key} was aborted; its ${formatBytes(x.bytes)} are freed.`);
                  } catch (e) {
                    setErr(e);
                  }
                  await Promise.all([uploads.reload(), q.reload(), u.reload()]);
                }}>Abort</button>
              ),
            },
          ]}
        />
      </section>
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
        {h && (
          <>
            <UsageChart id="usage-bytes" label="Bytes stored" points={pts.map((p) => ({ t: p.t, v: p.bytes }))} quota={h.quota.bytes} format={formatBytes} />
            <UsageChart id="usage-objects" label="Objects" points={pts.map((p) => ({ t: p.t, v: p.objects }))} quota={h.quota.objects} format={(v) => String(Math.round(v))} />
            <details>
              <summary>Show the usage history as a table</summary>
              <DataTable<C.UsageSampleBody>
                caption={`Usage samples of ${tenancy}, oldest first (the last row is now)`}
                rows={rows}
                rowKey={(r) => r.at}
                empty="No samples yet."
                columns={[
                  { header: 'Time', cell: (r) => isoDateTime(r.at) },
                  { header: 'Bytes', cell: (r) => formatBytes(r.bytes), class: 'n' },
                  { header: 'Objects', cell: (r) => r.objects, class: 'n' },
                ]}
              />
            </details>
          </>
        )}
      </section>
    </div>
  );
}
