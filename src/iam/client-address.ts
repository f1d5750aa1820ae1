/**
 * The address a request came from, for the password throttle: the socket's peer, or — when that peer is a
 * trusted proxy (`trustedProxies`: the load balancers in front of the gateways) — the address it reports
 * in `X-Forwarded-For`, read from the right and skipping further trusted proxies, so that a client cannot
 * choose its own address by sending the header itself. Without trusted proxies the header is ignored.
 */
import type { IncomingMessage } from 'node:http';
import { cidrContains, parseAddress, parseCidr } from './policy/cidr.js';
import type { Cidr } from './policy/types.js';

/** Parses `trustedProxies` entries (addresses or CIDR blocks); throws on a malformed one. */
export function parseTrustedProxies(list: readonly string[]): Cidr[] {
  return list.map((s) => {
    const c = parseCidr(s.trim());
    if (!c) throw new Error(`"${s}" is not an IP address or CIDR block`);
    return c;
  });
}

export function clientAddress(req: IncomingMessage, trusted: readonly Cidr[] = []): string {
  const peer = req.socket.remoteAddress ?? 'unknown';
  const isTrusted = (a: string): boolean => trusted.some((c) => cidrContains(c, a));
  if (trusted.length === 0 || !isTrusted(peer)) return peer;
  const header = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((s) => s.trim()).filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (!parseAddress(hop)) return peer; // a garbled hop: trust nothing the proxy passed on beyond it
    if (!isTrusted(hop)) return hop;
  }
  return hops[0] ?? peer;
}
