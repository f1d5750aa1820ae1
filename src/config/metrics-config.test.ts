import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './config.js';

const TOKEN = 'sixteen-chars-or-more';

describe('metrics configuration', () => {
  it('is off by default', () => {
    assert.equal(loadConfig({ env: {} }).metrics, undefined);
  });

  it('a token alone: no address list, served on every listener', () => {
    assert.deepEqual(loadConfig({ env: { GRANARY_METRICS_TOKEN: TOKEN } }).metrics, { token: TOKEN, allow: [], listen: undefined });
  });

  it('an address list alone, from the environment', () => {
    assert.deepEqual(loadConfig({ env: { GRANARY_METRICS_ALLOW: '10.0.0.0/8, 192.0.2.7' } }).metrics, { token: undefined, allow: ['10.0.0.0/8', '192.0.2.7'], listen: undefined });
  });

  it('a listener of their own without a guard admits loopback only; the flag wins over the environment', () => {
    const c = loadConfig({ env: { GRANARY_LISTEN_METRICS: '127.0.0.1:9100' }, flags: { listenMetrics: '0.0.0.0:9200' } });
    assert.deepEqual(c.metrics, { token: undefined, allow: ['127.0.0.0/8', '::1'], listen: { host: '0.0.0.0', port: 9200 } });
  });

  it('from the config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'granary-cfg-'));
    try {
      const file = join(dir, 'c.json');
      writeFileSync(file, JSON.stringify({ metricsToken: TOKEN, metricsAllow: ['::1'], listenMetrics: '[::1]:9300' }));
      assert.deepEqual(loadConfig({ env: {}, flags: { config: file } }).metrics, { token: TOKEN, allow: ['::1'], listen: { host: '::1', port: 9300 } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a short token and a malformed address', () => {
    assert.throws(() => loadConfig({ env: { GRANARY_METRICS_TOKEN: 'short' } }), (e: unknown) => e instanceof ConfigError && /at least 16/.test(e.message));
    assert.throws(() => loadConfig({ env: { GRANARY_METRICS_ALLOW: 'not-an-address' } }), (e: unknown) => e instanceof ConfigError && /metricsAllow/.test(e.message));
    assert.throws(() => loadConfig({ env: { GRANARY_LISTEN_METRICS: 'nope' } }), ConfigError);
  });
});
