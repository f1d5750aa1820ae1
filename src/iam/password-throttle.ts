/**
 * One throttle for password guessing, for every way a password is checked: portal sign-in and password
 * re-entry, the admin API's HTTP Basic authentication, through the built-in directory or an LDAP bind.
 * Every caller checks passwords through `PasswordThrottle.check`, never through the directory directly.
 *
 * Per username and per client address: after FREE_FAILURES failed checks for one username
 * (FREE_FAILURES_PER_ADDRESS from one address: many people may share a NAT), each further check must wait
 * BASE_DELAY_MS × 2^(n − free) after the last failure, capped at MAX_DELAY_MS; refused checks (429 +
 * Retry-After) are not counted and cost no password hash. A success forgets the username's failures (not
 * the address's: one good account must not unlock guessing at others). A username's failures are
 * forgotten a day after the last one (a guesser gains nothing by pausing), an address's after an hour
 * (an office behind one NAT does not pile up a day of typos).
 *
 * Shared: the counts live in the metadata store, so a guesser gains nothing by spreading attempts over
 * gateways. Exact under concurrency: a check is counted as a failure *before* the password is verified
 * (and taken back if it succeeds), in one transaction with the decision, so parallel guesses cannot all
 * slip through before the first one fails. Within a gateway, checks for the same username run one after
 * another, and at most ADDRESS_CONCURRENCY at a time for one address (scrypt runs on libuv's four threads
 * anyway), so a client's own parallel requests with the right password never pile up counts in advance.
 * IPv6 clients are counted per /64 (one subscriber's allocation), IPv4 per address.
 */
import { createHash } from 'node:crypto';
import type { AuthFailureRecord, AuthFailureRepository, UserRecord } from '../metadata/store.js';
import type { Directory } from './directory/directory.js';
import { parseAddress } from './policy/cidr.js';

export const FREE_FAILURES = 5;
export const FREE_FAILURES_PER_ADDRESS = 20;
export const BASE_DELAY_MS = 10 * 1000;
export const MAX_DELAY_MS = 15 * 60 * 1000;
export const FORGET_USER_AFTER_MS = 24 * 60 * 60 * 1000;
export const FORGET_ADDRESS_AFTER_MS = 60 * 60 * 1000;
/** Password checks for one address at a time, per process (one per username). */
export const ADDRESS_CONCURRENCY = 4;
/** Old failure records are purged at most this often (per process). */
const PURGE_EVERY_MS = 10 * 60 * 1000;

export type PasswordCheck = { kind: 'ok'; user: UserRecord } | { kind: 'wrong' } | { kind: 'throttled'; retryAfterSeconds: number };

/** The throttle key of a username (case-folded; long names hashed so a key stays small). */
export function userKey(username: string): string {
  const u = username.normalize('NFC').toLowerCase();
  return `user:${u.length <= 200 ? u : 'sha256:' + createHash('sha256').update(u).digest('hex')}`;
}

/** The throttle key of a client address: IPv4 as is, IPv6 by its /64, IPv4-mapped IPv6 as IPv4. */
export function addressKey(address: string | undefined): string {
  const a = address ? parseAddress(address) : undefined;
  if (!a) return `ip:${(address ?? 'unknown').slice(0, 100)}`;
  if (a.family === 6 && a.value >> 32n === 0xffffn) {
    const v4 = Number(a.value & 0xffffffffn);
    return `ip:${[v4 >>> 24, (v4 >>> 16) & 255, (v4 >>> 8) & 255, v4 & 255].join('.')}`;
  }
  if (a.family === 4) {
    const v = Number(a.value);
    return `ip:${[v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.')}`;
  }
  const prefix = a.value >> 64n;
  const groups = [48n, 32n, 16n, 0n].map((s) => ((prefix >> s) & 0xffffn).toString(16));
  return `ip:${groups.join(':')}::/64`;
}

const freeFor = (key: string): number => (key.startsWith('ip:') ? FREE_FAILURES_PER_ADDRESS : FREE_FAILURES);

/** When the next check for these records may be made (0 = now): the policy, as a pure function. */
export function retryAt(records: AuthFailureRecord[]): number {
  let at = 0;
  for (const r of records) {
    const free = freeFor(r.key);
    if (r.failures < free) continue;
    at = Math.max(at, r.lastFailure + Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.min(30, r.failures - free)));
  }
  return at;
}

/** Counting semaphores per key, taken in sorted key order (so two checks can never wait for each other). */
class KeyedLimits {
  readonly #held = new Map<string, { active: number; waiting: Array<() => void> }>();

  async acquire(key: string, limit: number): Promise<void> {
    const h = this.#held.get(key) ?? { active: 0, waiting: [] };
    this.#held.set(key, h);
    if (h.active < limit) {
      h.active++;
      return;
    }
    await new Promise<void>((resolve) => h.waiting.push(resolve)); // the slot is handed over on release
  }

  release(key: string): void {
    const h = this.#held.get(key);
    if (!h) return;
    const next = h.waiting.shift();
    if (next) next();
    else if (--h.active === 0) this.#held.delete(key);
  }
}

export class PasswordThrottle {
  #lastPurge = 0;
  /** Checks in flight in this process, per throttle key (see the module comment). */
  readonly #limits = new KeyedLimits();

  constructor(
    private readonly metadata: AuthFailureRepository,
    private readonly directory: Directory,
    private readonly now: () => number = Date.now,
  ) {}

  /** Checks `password` for `username`, asked from `address`; throttled as the module comment says. */
  async check(username: string, password: string, address: string | undefined): Promise<PasswordCheck> {
    const keys = [userKey(username), addressKey(address)];
    const ordered = [...keys].sort();
    for (const k of ordered) await this.#limits.acquire(k, k.startsWith('ip:') ? ADDRESS_CONCURRENCY : 1);
    try {
      return await this.checkNow(keys, username, password);
    } finally {
      for (const k of ordered) this.#limits.release(k);
    }
  }

  private async checkNow(keys: string[], username: string, password: string): Promise<PasswordCheck> {
    await this.purge();
    const at = this.now();
    const attempt = await this.metadata.beginAuthAttempt(
      keys.map((key) => ({ key, forgetBefore: at - (key.startsWith('ip:') ? FORGET_ADDRESS_AFTER_MS : FORGET_USER_AFTER_MS) })),
      at,
      retryAt,
    );
    if (!attempt.allowed) return { kind: 'throttled', retryAfterSeconds: Math.max(1, Math.ceil((attempt.retryAt - at) / 1000)) };
    let user: UserRecord | undefined;
    try {
      user = await this.directory.authenticate(username, password);
    } catch (e) {
      // Not a wrong password (e.g. the LDAP server is unreachable): no failure to count.
      await Promise.all(attempt.before.map((r) => this.metadata.withdrawAuthFailure(r.key, at, r.lastFailure)));
      throw e;
    }
    if (!user) return { kind: 'wrong' };
    const [forUser, forAddress] = attempt.before;
    await this.metadata.clearAuthFailures(forUser!.key);
    await this.metadata.withdrawAuthFailure(forAddress!.key, at, forAddress!.lastFailure);
    return { kind: 'ok', user };
  }

  private async purge(): Promise<void> {
    const t = this.now();
    if (t - this.#lastPurge < PURGE_EVERY_MS) return;
    this.#lastPurge = t;
    await this.metadata.deleteAuthFailuresBefore(t - Math.max(FORGET_USER_AFTER_MS, FORGET_ADDRESS_AFTER_MS));
  }
}
