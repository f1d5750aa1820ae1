/**
 * Where the portal lives: the configuration (listener default S3 port + 1, `none`, `portalUrl` checks)
 * and the origin rules of config/portal-origin.ts (which requests are portal requests, which Origin may
 * read S3's answers, where presigned URLs point).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from './config.js';
import { PortalOrigins, hostnameOf } from './portal-origin.js';

describe('portal configuration', () => {
  it('defaults to its own listener: the S3 host, port + 1 (0 stays 0)', () => {
    assert.deepEqual(loadConfig({ env: {} }).listenPortal, { host: '127.0.0.1', port: 9001 });
    assert.deepEqual(loadConfig({ env: {}, flags: { listen: '0.0.0.0:8000' } }).listenPortal, { host: '0.0.0.0', port: 8001 });
    assert.deepEqual(loadConfig({ env: { GRANARY_LISTEN: '127.0.0.1:0' } }).listenPortal, { host: '127.0.0.1', port: 0 });
    assert.throws(() => loadConfig({ env: { GRANARY_LISTEN: '127.0.0.1:65535' } }), /set listenPortal/);
  });

  it('from flag, environment, config file; `none` needs a portalUrl; never an S3 listener', () => {
    assert.deepEqual(loadConfig({ env: { GRANARY_LISTEN_PORTAL: '10.0.0.5:7000' } }).listenPortal, { host: '10.0.0.5', port: 7000 });
    assert.deepEqual(loadConfig({ env: { GRANARY_LISTEN_PORTAL: '10.0.0.5:7000' }, flags: { listenPortal: '127.0.0.1:7001' } }).listenPortal, { host: '127.0.0.1', port: 7001 });
    assert.throws(() => loadConfig({ env: { GRANARY_LISTEN_PORTAL: 'none' } }), (e: unknown) => e instanceof ConfigError && /unreachable/.test(e.message));
    const c = loadConfig({ env: { GRANARY_LISTEN_PORTAL: 'none', GRANARY_PORTAL_URL: 'https://Portal.Example.org/' } });
    assert.equal(c.listenPortal, undefined);
    assert.equal(c.portalUrl, 'https://portal.example.org');
    assert.throws(() => loadConfig({ env: { GRANARY_LISTEN_PORTAL: '127.0.0.1:9000' } }), /must not be an S3 listener/);
    assert.throws(() => loadConfig({ env: { GRANARY_LISTEN_PORTAL: '0.0.0.0:9000' } }), /must not be an S3 listener/);
  });

  it('portalUrl: an http(s) origin whose host is no S3 host name', () => {
    for (const bad of ['portal.example.org', 'ftp://portal.example.org', 'https://portal.example.org/portal', 'https://u:p@portal.example.org', 'https://x.s3-ext.localhost', 'https://S3-ext.localhost', 'http://t.s3.example.org', 'http://s3.example.org']) {
      assert.throws(() => loadConfig({ env: { GRANARY_PORTAL_URL: bad, GRANARY_INTERNAL_DOMAIN: 's3.example.org' } }), ConfigError, bad);
    }
    assert.equal(loadConfig({ env: { GRANARY_PORTAL_URL: 'http://portal.example.org:8080' } }).portalUrl, 'http://portal.example.org:8080');
  });

  it('trusted proxies are addresses or CIDR blocks', () => {
    assert.deepEqual(loadConfig({ env: { GRANARY_TRUSTED_PROXIES: '10.0.0.0/8, ::1' } }).trustedProxies, ['10.0.0.0/8', '::1']);
    assert.throws(() => loadConfig({ env: { GRANARY_TRUSTED_PROXIES: 'proxy.example.org' } }), /trustedProxies/);
  });
});

describe('portal origins', () => {
  const base = { internalDomain: 's3.example.org', externalDomain: 's3-ext.example.org', publicPorts: { internal: undefined, external: undefined } };

  it('the listener: the portal origin as addressed; S3 origin on the same host; CORS for exactly that origin', () => {
    const o = new PortalOrigins({ ...base, listenPortal: { host: '0.0.0.0', port: 0 }, portalUrl: undefined });
    o.listening({ s3: 9000, portal: 9001 });
    assert.equal(o.isPortalHost('127.0.0.1:9001'), false);
    assert.equal(o.originOf('Gateway.Example.org:9001'), 'http://gateway.example.org:9001');
    assert.equal(o.s3OriginFor('http://gateway.example.org:9001'), 'http://gateway.example.org:9000');
    assert.equal(o.allowsOrigin('http://gateway.example.org:9001', 'gateway.example.org:9000'), true);
    assert.equal(o.allowsOrigin('http://[::1]:9001', '[::1]:9000'), true);
    assert.equal(o.urlFor('gateway.example.org:9000'), 'http://gateway.example.org:9001', 'where an S3 endpoint sends people');
    for (const other of ['http://gateway.example.org:9002', 'https://gateway.example.org:9001', 'http://other.example.org:9001', 'http://gateway.example.org', 'null', undefined]) {
      assert.equal(o.allowsOrigin(other, 'gateway.example.org:9000'), false, String(other));
    }
    // A Host that is not a plain name is not used (it ends up in URLs and the CSP).
    assert.equal(o.originOf("a.example.org; script-src 'unsafe-inline'"), 'http://0.0.0.0:9001');
    assert.equal(hostnameOf('a b'), undefined);
  });

  it('portalUrl: its host is the portal on every listener; presigned URLs go to the endpoint of its scheme', () => {
    const o = new PortalOrigins({ ...base, listenPortal: undefined, portalUrl: 'https://portal.example.org', publicPorts: { internal: 8080, external: 8443 } });
    o.listening({ s3: 9000, portal: undefined });
    assert.equal(o.isPortalHost('portal.example.org'), true);
    assert.equal(o.isPortalHost('PORTAL.example.org:443'), true);
    assert.equal(o.isPortalHost('portal.example.org.evil.example'), false);
    assert.equal(o.originOf('portal.example.org'), 'https://portal.example.org');
    assert.equal(o.s3OriginFor('https://portal.example.org'), 'https://s3-ext.example.org:8443');
    assert.equal(o.allowsOrigin('https://portal.example.org', 's3-ext.example.org:8443'), true);
    assert.equal(o.allowsOrigin('http://portal.example.org', 's3-ext.example.org:8443'), false);
    assert.equal(o.allowsOrigin('http://s3-ext.example.org:9001', 's3-ext.example.org:8443'), false, 'no listener, no listener origin');
    const h = new PortalOrigins({ ...base, listenPortal: undefined, portalUrl: 'http://portal.example.org' });
    h.listening({ s3: 9000, portal: undefined });
    assert.equal(h.s3OriginFor('http://portal.example.org'), 'http://s3.example.org:9000');
    assert.equal(h.url(), 'http://portal.example.org');
  });
});
