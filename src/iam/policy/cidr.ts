/**
 * IPv4 and IPv6 CIDR blocks for the IpAddress / NotIpAddress condition operators.
 *
 * Addresses become unsigned bigints (32 or 128 bits) so one comparison serves both families.
 * `node:net` isIP validates; the parsing is ours (the engine takes no policy library, DESIGN brief).
 */
import { isIP } from 'node:net';
import type { Cidr } from './types.js';

interface Address {
  family: 4 | 6;
  value: bigint;
}

function parseIPv4(text: string): bigint {
  return text.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
}

function parseIPv6(text: string): bigint {
  // An embedded dotted quad (::ffff:192.0.2.1) stands for the last two 16-bit groups.
  let groupsText = text;
  let tail: number[] = [];
  if (text.includes('.')) {
    const i = text.lastIndexOf(':');
    const v4 = Number(parseIPv4(text.slice(i + 1)));
    tail = [v4 >>> 16, v4 & 0xffff];
    groupsText = text.slice(0, i + 1);
    if (!groupsText.endsWith('::')) groupsText = groupsText.slice(0, -1);
  }
  const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const gap = groupsText.indexOf('::');
  let groups: number[];
  if (gap < 0) {
    groups = [...parse(groupsText), ...tail];
  } else {
    const left = parse(groupsText.slice(0, gap));
    const right = [...parse(groupsText.slice(gap + 2)), ...tail];
    groups = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  }
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

/** Parses an address; strips an IPv6 zone (`%eth0`). Undefined when it is not an IP address. */
export function parseAddress(text: string): Address | undefined {
  const bare = text.trim().replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 4) return { family: 4, value: parseIPv4(bare) };
  if (family === 6) return { family: 6, value: parseIPv6(bare) };
  return undefined;
}

/** `192.0.2.0/24`, `2001:db8::/32`, or a bare address (a /32 or /128). Undefined when malformed. */
export function parseCidr(source: string): Cidr | undefined {
  const slash = source.indexOf('/');
  const addr = parseAddress(slash < 0 ? source : source.slice(0, slash));
  if (!addr || source.includes('%')) return undefined;
  const bits = addr.family === 4 ? 32 : 128;
  let prefixLength = bits;
  if (slash >= 0) {
    const p = source.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > bits) return undefined;
    prefixLength = Number(p);
  }
  // Host bits are cleared rather than rejected: AWS accepts 203.0.113.5/24 as 203.0.113.0/24.
  return { source, family: addr.family, network: addr.value & mask(bits, prefixLength), prefixLength };
}

function mask(bits: number, prefixLength: number): bigint {
  const all = (1n << BigInt(bits)) - 1n;
  return all ^ ((1n << BigInt(bits - prefixLength)) - 1n);
}

/**
 * Whether the request address lies in the block. Node reports IPv4 clients of a dual-stack socket as
 * `::ffff:a.b.c.d`; such an address also matches IPv4 blocks, else `NotIpAddress` rules written with
 * IPv4 ranges would deny every client of a server listening on `::`. Not the reverse: a plain IPv4
 * client is not inside `::/0`, as in AWS.
 */
export function cidrContains(cidr: Cidr, address: string): boolean {
  const addr = parseAddress(address);
  if (!addr) return false;
  const candidates: Address[] = [addr];
  if (addr.family === 6 && addr.value >> 32n === 0xffffn) {
    candidates.push({ family: 4, value: addr.value & 0xffffffffn });
  }
  const bits = cidr.family === 4 ? 32 : 128;
  const m = mask(bits, cidr.prefixLength);
  return candidates.some((a) => a.family === cidr.family && (a.value & m) === cidr.network);
}
