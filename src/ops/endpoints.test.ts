import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpsEndpoints, type OpsEndpointsDeps } from './endpoints.js';
import { Metrics } from './metrics.js';
import type { MetadataStore } from '../metadata/store.js';

/** OpsEndpoints on a real loopback server; `stopping` as the HTTP server would say. */
async function serve(deps: OpsEndpointsDeps, stopping = false): Promise<{ url: string; close: () => Promise<void> }> {
  const ops = new OpsEndpoints(deps);
  const server: Server = createServer((req, res) => void ops.serve(req, res, OpsEndpoints.owns(req.url ?? '/') ?? '/', stopping));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

const TOKEN = 'a-token-of-sixteen-or-more';
const metadataWith = (pendingMigrations: () => Promise<number>): MetadataStore => ({ pendingMigrations }) as unknown as MetadataStore;

test('owns the three paths, with or without a query', () => {
  assert.equal(OpsEndpoints.owns('/_admin/health?x=1'), '/_admin/health');
  assert.equal(OpsEndpoints.owns('/_admin/ready'), '/_admin/ready');
  assert.equal(OpsEndpoints.owns('/_admin/metrics'), '/_admin/metrics');
  assert.equal(OpsEndpoints.owns('/_admin/metricsx'), undefined);
  assert.equal(OpsEndpoints.owns('/bucket/_admin/metrics'), undefined);
});

test('metrics: 404 when not configured, whoever asks', async () => {
  const s = await serve({});
  try {
    assert.equal((await fetch(`${s.url}/_admin/metrics`)).status, 404);
  } finally {
    await s.close();
  }
});

test('metrics: a token alone admits only its bearer, compared whole', async () => {
  const s = await serve({ metrics: new Metrics({ processMetrics: false }), access: { token: TOKEN, allow: [], trustedProxies: [] } });
  try {
    const get = (auth?: string) => fetch(`${s.url}/_admin/metrics`, auth ? { headers: { authorization: auth } } : {}).then((r) => r.status);
    assert.equal(await get(), 404);
    assert.equal(await get(`Bearer ${TOKEN}x`), 404);
    assert.equal(await get(`Bearer ${TOKEN.slice(0, -1)}`), 404);
    assert.equal(await get(`Basic ${TOKEN}`), 404);
    assert.equal(await get(`Bearer ${TOKEN}`), 200);
    assert.equal(await get(`bearer ${TOKEN}`), 200);
  } finally {
    await s.close();
  }
});

test('metrics: an address list alone, and both together', async () => {
  const metrics = new Metrics({ processMetrics: false });
  const loopback = await serve({ metrics, access: { token: undefined, allow: ['127.0.0.0/8'], trustedProxies: [] } });
  const elsewhere = await serve({ metrics, access: { token: undefined, allow: ['10.0.0.0/8'], trustedProxies: [] } });
  const both = await serve({ metrics, access: { token: TOKEN, allow: ['127.0.0.1'], trustedProxies: [] } });
  const bothElsewhere = await serve({ metrics, access: { token: TOKEN, allow: ['10.1.2.3'], trustedProxies: [] } });
  // Behind a trusted proxy the client's own address counts, not the proxy's.
  const proxied = await serve({ metrics, access: { token: undefined, allow: ['10.0.0.0/8'], trustedProxies: ['127.0.0.1'] } });
  try {
    const status = (url: string, headers: Record<string, string> = {}) => fetch(`${url}/_admin/metrics`, { headers }).then((r) => r.status);
    assert.equal(await status(loopback.url), 200);
    assert.equal(await status(elsewhere.url), 404);
    assert.equal(await status(both.url), 404);
    assert.equal(await status(both.url, { authorization: `Bearer ${TOKEN}` }), 200);
    assert.equal(await status(bothElsewhere.url, { authorization: `Bearer ${TOKEN}` }), 404);
    assert.equal(await status(proxied.url), 404);
    assert.equal(await status(proxied.url, { 'x-forwarded-for': '10.9.8.7' }), 200);
    assert.equal(await status(proxied.url, { 'x-forwarded-for': '10.9.8.7, 192.0.2.1' }), 404);
  } finally {
    await Promise.all([loopback, elsewhere, both, bothElsewhere, proxied].map((s) => s.close()));
  }
});

test('readiness: 200 when every check passes, 503 with the failing check named otherwise', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'granary-ready-'));
  const cases: Array<{ deps: OpsEndpointsDeps; stopping?: boolean; status: number; checks: Record<string, string> }> = [
    { deps: { metadata: metadataWith(async () => 0), dataDir: dir }, status: 200, checks: { shutdown: 'ok', metadata: 'ok', migrations: 'ok', dataDir: 'ok' } },
    { deps: { metadata: metadataWith(async () => 2), dataDir: dir }, status: 503, checks: { shutdown: 'ok', metadata: 'ok', migrations: '2 pending', dataDir: 'ok' } },
    {
      deps: { metadata: metadataWith(async () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:5432'), { code: 'ECONNREFUSED' }))), dataDir: dir },
      status: 503,
      checks: { shutdown: 'ok', metadata: 'failed (ECONNREFUSED)', migrations: 'unknown', dataDir: 'ok' },
    },
    { deps: { metadata: metadataWith(async () => 0), dataDir: join(dir, 'gone') }, status: 503, checks: { shutdown: 'ok', metadata: 'ok', migrations: 'ok', dataDir: 'failed (ENOENT)' } },
    { deps: { metadata: metadataWith(async () => 0), dataDir: dir }, stopping: true, status: 503, checks: { shutdown: 'stopping', metadata: 'ok', migrations: 'ok', dataDir: 'ok' } },
  ];
  try {
    for (const c of cases) {
      const s = await serve(c.deps, c.stopping);
      try {
        const r = await fetch(`${s.url}/_admin/ready`);
        assert.equal(r.status, c.status);
        assert.deepEqual(await r.json(), { status: c.status === 200 ? 'ready' : 'not ready', checks: c.checks });
        // Liveness stays 200 whatever readiness says.
        assert.equal((await fetch(`${s.url}/_admin/health`)).status, 200);
      } finally {
        await s.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('only GET and HEAD', async () => {
  const s = await serve({});
  try {
    const r = await fetch(`${s.url}/_admin/health`, { method: 'POST', body: 'x' });
    assert.equal(r.status, 405);
    assert.equal(r.headers.get('allow'), 'GET, HEAD');
    const h = await fetch(`${s.url}/_admin/health`, { method: 'HEAD' });
    assert.equal(h.status, 200);
  } finally {
    await s.close();
  }
});
