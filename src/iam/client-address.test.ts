/** The client address behind trusted proxies: X-Forwarded-For read from the right, only from them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { clientAddress, parseTrustedProxies } from './client-address.js';

const req = (peer: string, xff?: string | string[]) => ({ socket: { remoteAddress: peer }, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } }) as unknown as IncomingMessage;

test('X-Forwarded-For counts only from a trusted proxy, read from the right', () => {
  const trusted = parseTrustedProxies(['10.0.0.0/8', '::1']);
  assert.equal(clientAddress(req('203.0.113.5', '198.51.100.1')), '203.0.113.5', 'no trusted proxies: the header is ignored');
  assert.equal(clientAddress(req('203.0.113.5', '198.51.100.1'), trusted), '203.0.113.5', 'from an untrusted peer: ignored');
  assert.equal(clientAddress(req('10.0.0.2', '198.51.100.1'), trusted), '198.51.100.1');
  // A client's own header value sits left of what the proxies appended: never believed.
  assert.equal(clientAddress(req('10.0.0.2', '1.2.3.4, 198.51.100.1, 10.0.0.3'), trusted), '198.51.100.1');
  assert.equal(clientAddress(req('::1', ['1.2.3.4', '198.51.100.1']), trusted), '198.51.100.1');
  assert.equal(clientAddress(req('10.0.0.2', 'garbage, 10.0.0.9'), trusted), '10.0.0.2', 'a garbled hop: the peer');
  assert.equal(clientAddress(req('10.0.0.2'), trusted), '10.0.0.2');
  assert.throws(() => parseTrustedProxies(['10.0.0.0/33']), /not an IP address or CIDR/);
});
