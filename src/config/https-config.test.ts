import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './config.js';

describe('HTTPS listener configuration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'granary-cfg-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  writeFileSync(cert, 'x');
  writeFileSync(key, 'y');

  it('is off by default; the external port then stays unset (443 in URLs)', () => {
    const c = loadConfig({ env: {} });
    assert.equal(c.listenHttps, undefined);
    assert.equal(c.publicPorts.external, undefined);
  });

  it('from flags and environment; the external port defaults to the HTTPS port', () => {
    const c = loadConfig({ env: { GRANARY_TLS_CERT: cert, GRANARY_TLS_KEY: key }, flags: { listenHttps: '0.0.0.0:9443' } });
    assert.deepEqual(c.listenHttps, { host: '0.0.0.0', port: 9443 });
    assert.equal(c.tlsCert, cert);
    assert.equal(c.publicPorts.external, 9443);
    const e = loadConfig({ env: { GRANARY_LISTEN_HTTPS: '127.0.0.1:8443', GRANARY_TLS_CERT: cert, GRANARY_TLS_KEY: key } });
    assert.equal(e.listenHttps?.port, 8443);
  });

  it('from the config file; an explicit externalPort wins', () => {
    const file = join(dir, 'granary.json');
    writeFileSync(file, JSON.stringify({ listenHttps: '127.0.0.1:8443', tlsCert: cert, tlsKey: key, externalPort: 443, tlsReloadIntervalMs: 1000 }));
    const c = loadConfig({ env: {}, flags: { config: file } });
    assert.equal(c.publicPorts.external, 443);
    assert.equal(c.tlsReloadIntervalMs, 1000);
  });

  it('fails at boot without a certificate and key, or with unreadable files', () => {
    assert.throws(() => loadConfig({ env: { GRANARY_LISTEN_HTTPS: '127.0.0.1:8443' } }), ConfigError);
    assert.throws(() => loadConfig({ env: { GRANARY_LISTEN_HTTPS: '127.0.0.1:8443', GRANARY_TLS_CERT: join(dir, 'nope.pem'), GRANARY_TLS_KEY: key } }), /cannot read TLS file/);
  });

  it('cleans up', () => rmSync(dir, { recursive: true, force: true }));
});
