/**
 * Typed configuration. Precedence: command-line flag > environment (GRANARY_*) > config file (JSON)
 * > default. A bad value fails at boot with one clear message (ConfigError), never later.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseTrustedProxies } from '../iam/client-address.js';
import type { LogDestination } from '../lib/log.js';

export interface GranaryConfig {
  /** Data directory: metadata database and blobs live under it. */
  dataDir: string;
  /** host:port of the S3 listener. */
  listen: { host: string; port: number };
  /**
   * host:port of the external HTTPS listener (flag `--listen-https`, env GRANARY_LISTEN_HTTPS, config key
   * `listenHttps`); undefined = no HTTPS. Needs `tlsCert` and `tlsKey` (PEM files, GRANARY_TLS_CERT /
   * GRANARY_TLS_KEY), which are reloaded without restart when they change and on SIGHUP.
   */
  listenHttps: { host: string; port: number } | undefined;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  /**
   * host:port of the portal and admin API listener (flag `--listen-portal`, env GRANARY_LISTEN_PORTAL,
   * config key `listenPortal`): an origin S3 never serves, so user content can never run as the portal.
   * Default: the S3 listener's host and its port + 1 (port 0 stays 0: any free port). `none` = no
   * separate listener (then `portalUrl` must name the portal's host, served on the S3 listeners).
   */
  listenPortal: { host: string; port: number } | undefined;
  /**
   * The origin browsers open the portal at, when it is not the portal listener itself (flag `--portal-url`,
   * env GRANARY_PORTAL_URL, config key `portalUrl`): e.g. `https://portal.example.org` behind a TLS proxy.
   * Requests naming its host are portal requests on every listener; S3 is never served to that host.
   */
  portalUrl: string | undefined;
  /**
   * Load balancers in front of the gateways (addresses or CIDR blocks; env GRANARY_TRUSTED_PROXIES, comma-
   * separated; config key `trustedProxies`): for requests from them, the client address used by the
   * password throttle is read from X-Forwarded-For. Empty (default): the header is ignored.
   */
  trustedProxies: string[];
  /** Fallback poll of the certificate files' mtimes, besides fs.watch (GRANARY_TLS_RELOAD_INTERVAL_MS). */
  tlsReloadIntervalMs: number;
  /**
   * Region reported by GetBucketLocation and accepted as LocationConstraint, and the region SigV4
   * credential scopes must name (config key `region`, env GRANARY_REGION; default us-east-1).
   */
  region: string;
  /**
   * Accept SigV4 signatures for any region, not only `region` (config key `acceptAnyRegion`, env
   * GRANARY_ACCEPT_ANY_REGION=true): for sites whose users' clients are set to other regions.
   */
  acceptAnyRegion: boolean;
  /**
   * Accept SSE-C keys (customer-provided encryption keys) over plain HTTP (config key
   * `sseCustomerKeysOverHttp`, env GRANARY_SSE_C_OVER_HTTP=true). Off by default: AWS refuses them without
   * TLS, since the key travels in a header. For sites whose internal network is trusted, or whose TLS ends at
   * a load balancer in front of the gateways.
   */
  sseCustomerKeysOverHttp: boolean;
  /** Host domain of the internal (plain HTTP) endpoint: `<tenancy>.<internalDomain>`. */
  internalDomain: string;
  /** Host domain of the external (HTTPS) endpoint: `<tenancy>.<externalDomain>`. */
  externalDomain: string;
  /** Every domain requests may name (internal, external, then extra ones), for host → tenancy/bucket. */
  domains: string[];
  /**
   * Port the internal endpoint URL names (defaults to the listen port); the external one defaults to the
   * HTTPS listen port when HTTPS is configured (set once it listens, for port 0), else 443.
   */
  publicPorts: { internal: number | undefined; external: number | undefined };
  /** Objects up to this size are kept inline in the metadata database (one durable write, no file). */
  inlineMaxBytes: number;
  /** How often the blob sweeper runs, and how old an unreferenced blob must be before it is reclaimed. */
  sweepIntervalMs: number;
  /** How often every tenancy's usage is recorded for the portal's usage chart (minimum 1000). */
  usageSampleIntervalMs: number;
  orphanGraceMs: number;
  /** How long a replaced or deleted object's blob is kept before deletion (a GET may still be opening it). */
  queuedDeleteDelayMs: number;
  /**
   * A request body that sends no byte for this long while it is being read is cut off with RequestTimeout
   * (ms; config key `bodyIdleTimeoutMs`, env GRANARY_BODY_IDLE_TIMEOUT_MS; default 30 s; 0 = never).
   */
  bodyIdleTimeoutMs: number;
  /**
   * Low-water mark of free space on the data filesystem, in bytes (config key `minFreeBytes`, env
   * GRANARY_MIN_FREE_BYTES): below it new data is refused with InsufficientStorage (507) while deletes go
   * on. Undefined = the smaller of 256 MiB and 2 % of the filesystem; 0 = no mark (ENOSPC still maps to 507).
   */
  minFreeBytes: number | undefined;
  /**
   * Size of the space reserve file `<data>/space-reserve` (embedded mode), released to the metadata
   * database when the disk fills up regardless, so deletes can commit (config key `spaceReserveBytes`, env
   * GRANARY_SPACE_RESERVE_BYTES; default 32 MiB; 0 = none).
   */
  spaceReserveBytes: number;
  /** How long request-path metadata lookups may be served from memory (ms; 0 = never; ≤ 1000 for clusters). */
  metadataCacheMs: number;
  /** Log level: 'debug' | 'info' | 'warn' | 'error' (config key `logLevel`, env GRANARY_LOG_LEVEL, flag --log-level). */
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /**
   * Where the process log and the access log go (config key `logDestination`, env GRANARY_LOG_DESTINATION,
   * flag --log-destination): `stderr` (default), `stdout`, or a file path (appended to, reopened on SIGHUP
   * for logrotate; docs/operations.md).
   */
  logDestination: LogDestination;
  /**
   * How often server access logs (bucket logging) are delivered as log objects (ms; config key
   * `logDeliveryIntervalMs`, env GRANARY_LOG_DELIVERY_INTERVAL_MS; default 60 s; docs/bucket-logging.md).
   */
  logDeliveryIntervalMs: number;
  /** Longest lifetime of a user's access key, in days (its expiry is required and at most this far ahead). */
  maxKeyLifetimeDays: number;
  /** Soft quota thresholds in percent, reported by the admin API and portal (default 80 and 95). */
  quotaThresholds: { warning: number; critical: number };
  /**
   * Optional LDAP directory for signing in (config file key `ldap`, or GRANARY_LDAP_URL,
   * GRANARY_LDAP_USER_BASE, GRANARY_LDAP_GROUP_BASE, GRANARY_LDAP_BIND_DN, GRANARY_LDAP_BIND_PASSWORD).
   * Unset = the built-in directory.
   */
  ldap: Record<string, string | number> | undefined;
  /**
   * Metadata store: undefined = embedded SQLite in `<data>/metadata.db`; a `postgres://` (or `postgresql://`)
   * URL = PostgreSQL, shared by every gateway (flag `--metadata`, env GRANARY_METADATA, config key `metadata`).
   */
  metadata: string | undefined;
  /**
   * Outgoing mail for notices (key expiry reminders, join requests to managers, quota warnings): config key
   * `smtp` {host, port, tls, from, user?, password?} or GRANARY_SMTP_HOST, GRANARY_SMTP_PORT, GRANARY_SMTP_TLS
   * (`none`, `starttls` or `tls`), GRANARY_SMTP_FROM, GRANARY_SMTP_USER, GRANARY_SMTP_PASSWORD. Unset: no mail.
   */
  smtp: SmtpConfig | undefined;
  /** How often the notice job looks for something to tell (GRANARY_NOTICE_INTERVAL_MS, default 5 minutes). */
  noticeIntervalMs: number;
  /**
   * The private CA that signed the external endpoint's certificate, for users' client configurations
   * (config key `tlsCa`, GRANARY_TLS_CA: a PEM file). The portal offers it for download and adds the CA line
   * to its ready-made configurations. Unset: the certificate is from a public CA.
   */
  tlsCa: string | undefined;
  /**
   * Prometheus metrics at `/_admin/metrics` (ops/metrics.ts); undefined (default) = off: nothing collected,
   * the path answers 404. On with a bearer token (config key `metricsToken`, env GRANARY_METRICS_TOKEN, at
   * least 16 characters), an address list (`metricsAllow`, GRANARY_METRICS_ALLOW: addresses or CIDR blocks,
   * the client address as the password throttle reads it, trusting `trustedProxies`) or both (then both must
   * hold). Served on every listener, or only on its own (`--listen-metrics`, `listenMetrics`,
   * GRANARY_LISTEN_METRICS), which without a token or list accepts loopback clients only.
   */
  metrics: MetricsConfig | undefined;
}

export interface MetricsConfig {
  token: string | undefined;
  allow: string[];
  listen: { host: string; port: number } | undefined;
}

export interface SmtpConfig {
  host: string;
  port: number;
  /** `none`: plain SMTP; `starttls`: upgrade (required); `tls`: TLS from the first byte (port 465). */
  tls: 'none' | 'starttls' | 'tls';
  /** The From address, e.g. `Granary <granary@example.org>`. */
  from: string;
  user?: string;
  password?: string;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export const DEFAULTS: GranaryConfig = {
  dataDir: './data',
  listen: { host: '127.0.0.1', port: 9000 },
  listenHttps: undefined,
  tlsCert: undefined,
  tlsKey: undefined,
  listenPortal: undefined,
  portalUrl: undefined,
  trustedProxies: [],
  tlsReloadIntervalMs: 30_000,
  region: 'us-east-1',
  acceptAnyRegion: false,
  sseCustomerKeysOverHttp: false,
  internalDomain: 's3.localhost',
  externalDomain: 's3-ext.localhost',
  domains: ['s3.localhost', 's3-ext.localhost'],
  publicPorts: { internal: undefined, external: undefined },
  inlineMaxBytes: 64 * 1024,
  sweepIntervalMs: 30_000,
  usageSampleIntervalMs: 10 * 60 * 1000,
  orphanGraceMs: 60 * 60 * 1000,
  queuedDeleteDelayMs: 60_000,
  metadataCacheMs: 500,
  bodyIdleTimeoutMs: 30_000,
  minFreeBytes: undefined,
  spaceReserveBytes: 32 * 1024 * 1024,
  logLevel: 'info',
  logDestination: 'stderr',
  logDeliveryIntervalMs: 60_000,
  maxKeyLifetimeDays: 365,
  ldap: undefined,
  metadata: undefined,
  quotaThresholds: { warning: 80, critical: 95 },
  smtp: undefined,
  noticeIntervalMs: 5 * 60 * 1000,
  tlsCa: undefined,
  metrics: undefined,
};

/** Smallest orphan grace allowed when several gateways may share one blob directory (PostgreSQL mode). */
export const MIN_SHARED_ORPHAN_GRACE_MS = 10 * 60 * 1000;

export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value.trim());
  if (!m) throw new ConfigError(`listen address "${value}" is not HOST:PORT`);
  const port = Number(m[3]);
  if (port > 65535) throw new ConfigError(`listen port ${port} is out of range`);
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

function parseIntSetting(name: string, value: unknown, min: number): number {
  const n = typeof value === 'number' ? value : Number(String(value));
  if (!Number.isInteger(n) || n < min) throw new ConfigError(`${name} must be an integer ≥ ${min}, got "${String(value)}"`);
  return n;
}

function parseBoolSetting(name: string, value: unknown): boolean {
  if (value === true || value === 'true' || value === '1') return true;
  if (value === false || value === 'false' || value === '0') return false;
  throw new ConfigError(`${name} must be true or false, got "${String(value)}"`);
}

export interface ConfigSources {
  flags?: { data?: string; listen?: string; config?: string; metadata?: string; listenHttps?: string; tlsCert?: string; tlsKey?: string; listenPortal?: string; portalUrl?: string; listenMetrics?: string; logLevel?: string; logDestination?: string };
  env?: NodeJS.ProcessEnv;
}

/** Builds the effective configuration from defaults, an optional JSON file, the environment and flags. */
export function loadConfig(sources: ConfigSources = {}): GranaryConfig {
  const env = sources.env ?? process.env;
  const flags = sources.flags ?? {};
  const cfg: GranaryConfig = { ...DEFAULTS, listen: { ...DEFAULTS.listen }, domains: [], publicPorts: { ...DEFAULTS.publicPorts }, quotaThresholds: { ...DEFAULTS.quotaThresholds } };
  let extraDomains: string[] = [];
  /** As written (`HOST:PORT` or `none`); undefined = derived from the S3 listener. */
  let listenPortal: string | undefined;
  let smtpRaw: Record<string, unknown> | undefined;
  const metrics: { token?: string; allow?: string[]; listen?: string } = {};

  const file = flags.config ?? env.GRANARY_CONFIG;
  if (file) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new ConfigError(`cannot read config file ${file}: ${(e as Error).message}`);
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`config file ${file} must hold a JSON object`);
    const f = raw as Record<string, unknown>;
    const known = new Set(['data', 'listen', 'region', 'acceptAnyRegion', 'sseCustomerKeysOverHttp', 'domains', 'internalDomain', 'externalDomain', 'internalPort', 'externalPort', 'inlineMaxBytes', 'sweepIntervalMs', 'usageSampleIntervalMs', 'orphanGraceMs', 'queuedDeleteDelayMs', 'logLevel', 'logDestination', 'logDeliveryIntervalMs', 'maxKeyLifetimeDays', 'quotaWarningPercent', 'quotaCriticalPercent', 'ldap', 'metadata', 'listenHttps', 'tlsCert', 'tlsKey', 'tlsReloadIntervalMs', 'listenPortal', 'portalUrl', 'trustedProxies', 'bodyIdleTimeoutMs', 'minFreeBytes', 'spaceReserveBytes', 'smtp', 'noticeIntervalMs', 'tlsCa', 'metricsToken', 'metricsAllow', 'listenMetrics']);
    for (const k of Object.keys(f)) if (!known.has(k)) throw new ConfigError(`config file ${file}: unknown setting "${k}"`);
    if (f.data !== undefined) cfg.dataDir = String(f.data);
    if (f.listen !== undefined) cfg.listen = parseListen(String(f.listen));
    if (f.listenHttps !== undefined) cfg.listenHttps = parseListen(String(f.listenHttps));
    if (f.listenPortal !== undefined) listenPortal = String(f.listenPortal);
    if (f.portalUrl !== undefined) cfg.portalUrl = String(f.portalUrl);
    if (f.trustedProxies !== undefined) {
      if (!Array.isArray(f.trustedProxies)) throw new ConfigError('trustedProxies must be a list of addresses or CIDR blocks');
      cfg.trustedProxies = f.trustedProxies.map(String);
    }
    if (f.tlsCert !== undefined) cfg.tlsCert = String(f.tlsCert);
    if (f.tlsKey !== undefined) cfg.tlsKey = String(f.tlsKey);
    if (f.tlsReloadIntervalMs !== undefined) cfg.tlsReloadIntervalMs = parseIntSetting('tlsReloadIntervalMs', f.tlsReloadIntervalMs, 100);
    if (f.region !== undefined) cfg.region = String(f.region);
    if (f.acceptAnyRegion !== undefined) cfg.acceptAnyRegion = parseBoolSetting('acceptAnyRegion', f.acceptAnyRegion);
    if (f.sseCustomerKeysOverHttp !== undefined) cfg.sseCustomerKeysOverHttp = parseBoolSetting('sseCustomerKeysOverHttp', f.sseCustomerKeysOverHttp);
    if (f.domains !== undefined) {
      if (!Array.isArray(f.domains)) throw new ConfigError('domains must be a list of host names');
      extraDomains = f.domains.map(String);
    }
    if (f.internalDomain !== undefined) cfg.internalDomain = String(f.internalDomain);
    if (f.externalDomain !== undefined) cfg.externalDomain = String(f.externalDomain);
    if (f.internalPort !== undefined) cfg.publicPorts.internal = parseIntSetting('internalPort', f.internalPort, 1);
    if (f.externalPort !== undefined) cfg.publicPorts.external = parseIntSetting('externalPort', f.externalPort, 1);
    if (f.inlineMaxBytes !== undefined) cfg.inlineMaxBytes = parseIntSetting('inlineMaxBytes', f.inlineMaxBytes, 0);
    if (f.sweepIntervalMs !== undefined) cfg.sweepIntervalMs = parseIntSetting('sweepIntervalMs', f.sweepIntervalMs, 100);
    if (f.usageSampleIntervalMs !== undefined) cfg.usageSampleIntervalMs = parseIntSetting('usageSampleIntervalMs', f.usageSampleIntervalMs, 1000);
    if (f.orphanGraceMs !== undefined) cfg.orphanGraceMs = parseIntSetting('orphanGraceMs', f.orphanGraceMs, 0);
    if (f.queuedDeleteDelayMs !== undefined) cfg.queuedDeleteDelayMs = parseIntSetting('queuedDeleteDelayMs', f.queuedDeleteDelayMs, 0);
    if (f.logLevel !== undefined) cfg.logLevel = parseLogLevel(String(f.logLevel));
    if (f.logDestination !== undefined) cfg.logDestination = parseLogDestination(String(f.logDestination));
    if (f.logDeliveryIntervalMs !== undefined) cfg.logDeliveryIntervalMs = parseIntSetting('logDeliveryIntervalMs', f.logDeliveryIntervalMs, 100);
    if (f.minFreeBytes !== undefined) cfg.minFreeBytes = parseIntSetting('minFreeBytes', f.minFreeBytes, 0);
    if (f.spaceReserveBytes !== undefined) cfg.spaceReserveBytes = parseIntSetting('spaceReserveBytes', f.spaceReserveBytes, 0);
    if (f.bodyIdleTimeoutMs !== undefined) cfg.bodyIdleTimeoutMs = parseIntSetting('bodyIdleTimeoutMs', f.bodyIdleTimeoutMs, 0);
    if (f.ldap !== undefined) {
      if (typeof f.ldap !== 'object' || f.ldap === null || Array.isArray(f.ldap)) throw new ConfigError('ldap must be an object (url, userBase, groupBase, …)');
      cfg.ldap = f.ldap as Record<string, string | number>;
    }
    if (f.metadata !== undefined) cfg.metadata = String(f.metadata);
    if (f.smtp !== undefined) {
      if (typeof f.smtp !== 'object' || f.smtp === null || Array.isArray(f.smtp)) throw new ConfigError('smtp must be an object (host, port, tls, from)');
      smtpRaw = { ...(f.smtp as Record<string, unknown>) };
    }
    if (f.noticeIntervalMs !== undefined) cfg.noticeIntervalMs = parseIntSetting('noticeIntervalMs', f.noticeIntervalMs, 1000);
    if (f.tlsCa !== undefined) cfg.tlsCa = String(f.tlsCa);
    if (f.metricsToken !== undefined) metrics.token = String(f.metricsToken);
    if (f.metricsAllow !== undefined) {
      if (!Array.isArray(f.metricsAllow)) throw new ConfigError('metricsAllow must be a list of addresses or CIDR blocks');
      metrics.allow = f.metricsAllow.map(String);
    }
    if (f.listenMetrics !== undefined) metrics.listen = String(f.listenMetrics);
    if (f.maxKeyLifetimeDays !== undefined) cfg.maxKeyLifetimeDays = parseIntSetting('maxKeyLifetimeDays', f.maxKeyLifetimeDays, 1);
    if (f.quotaWarningPercent !== undefined) cfg.quotaThresholds.warning = parseIntSetting('quotaWarningPercent', f.quotaWarningPercent, 1);
    if (f.quotaCriticalPercent !== undefined) cfg.quotaThresholds.critical = parseIntSetting('quotaCriticalPercent', f.quotaCriticalPercent, 1);
  }

  if (env.GRANARY_DATA) cfg.dataDir = env.GRANARY_DATA;
  if (env.GRANARY_LISTEN) cfg.listen = parseListen(env.GRANARY_LISTEN);
  if (env.GRANARY_LISTEN_HTTPS) cfg.listenHttps = parseListen(env.GRANARY_LISTEN_HTTPS);
  if (env.GRANARY_LISTEN_PORTAL) listenPortal = env.GRANARY_LISTEN_PORTAL;
  if (env.GRANARY_PORTAL_URL) cfg.portalUrl = env.GRANARY_PORTAL_URL;
  if (env.GRANARY_TRUSTED_PROXIES) cfg.trustedProxies = env.GRANARY_TRUSTED_PROXIES.split(',').map((x) => x.trim()).filter(Boolean);
  if (env.GRANARY_TLS_CERT) cfg.tlsCert = env.GRANARY_TLS_CERT;
  if (env.GRANARY_TLS_KEY) cfg.tlsKey = env.GRANARY_TLS_KEY;
  if (env.GRANARY_TLS_RELOAD_INTERVAL_MS) cfg.tlsReloadIntervalMs = parseIntSetting('GRANARY_TLS_RELOAD_INTERVAL_MS', env.GRANARY_TLS_RELOAD_INTERVAL_MS, 100);
  if (env.GRANARY_REGION) cfg.region = env.GRANARY_REGION;
  if (env.GRANARY_ACCEPT_ANY_REGION) cfg.acceptAnyRegion = parseBoolSetting('GRANARY_ACCEPT_ANY_REGION', env.GRANARY_ACCEPT_ANY_REGION);
  if (env.GRANARY_SSE_C_OVER_HTTP) cfg.sseCustomerKeysOverHttp = parseBoolSetting('GRANARY_SSE_C_OVER_HTTP', env.GRANARY_SSE_C_OVER_HTTP);
  if (env.GRANARY_INTERNAL_DOMAIN) cfg.internalDomain = env.GRANARY_INTERNAL_DOMAIN;
  if (env.GRANARY_EXTERNAL_DOMAIN) cfg.externalDomain = env.GRANARY_EXTERNAL_DOMAIN;
  if (env.GRANARY_DOMAINS) extraDomains = env.GRANARY_DOMAINS.split(',').map((s) => s.trim()).filter(Boolean);
  if (env.GRANARY_INLINE_MAX_BYTES) cfg.inlineMaxBytes = parseIntSetting('GRANARY_INLINE_MAX_BYTES', env.GRANARY_INLINE_MAX_BYTES, 0);
  if (env.GRANARY_SWEEP_INTERVAL_MS) cfg.sweepIntervalMs = parseIntSetting('GRANARY_SWEEP_INTERVAL_MS', env.GRANARY_SWEEP_INTERVAL_MS, 100);
  if (env.GRANARY_USAGE_SAMPLE_INTERVAL_MS) cfg.usageSampleIntervalMs = parseIntSetting('GRANARY_USAGE_SAMPLE_INTERVAL_MS', env.GRANARY_USAGE_SAMPLE_INTERVAL_MS, 1000);
  if (env.GRANARY_ORPHAN_GRACE_MS) cfg.orphanGraceMs = parseIntSetting('GRANARY_ORPHAN_GRACE_MS', env.GRANARY_ORPHAN_GRACE_MS, 0);
  if (env.GRANARY_METADATA_CACHE_MS) cfg.metadataCacheMs = parseIntSetting('GRANARY_METADATA_CACHE_MS', env.GRANARY_METADATA_CACHE_MS, 0);
  if (cfg.metadataCacheMs > 1000) throw new ConfigError('GRANARY_METADATA_CACHE_MS must be at most 1000 (changes must reach every gateway within a second)');
  if (env.GRANARY_QUEUED_DELETE_DELAY_MS) cfg.queuedDeleteDelayMs = parseIntSetting('GRANARY_QUEUED_DELETE_DELAY_MS', env.GRANARY_QUEUED_DELETE_DELAY_MS, 0);
  if (env.GRANARY_LOG_LEVEL) cfg.logLevel = parseLogLevel(env.GRANARY_LOG_LEVEL);
  if (env.GRANARY_LOG_DESTINATION) cfg.logDestination = parseLogDestination(env.GRANARY_LOG_DESTINATION);
  if (env.GRANARY_LOG_DELIVERY_INTERVAL_MS) cfg.logDeliveryIntervalMs = parseIntSetting('GRANARY_LOG_DELIVERY_INTERVAL_MS', env.GRANARY_LOG_DELIVERY_INTERVAL_MS, 100);
  if (env.GRANARY_MIN_FREE_BYTES) cfg.minFreeBytes = parseIntSetting('GRANARY_MIN_FREE_BYTES', env.GRANARY_MIN_FREE_BYTES, 0);
  if (env.GRANARY_SPACE_RESERVE_BYTES) cfg.spaceReserveBytes = parseIntSetting('GRANARY_SPACE_RESERVE_BYTES', env.GRANARY_SPACE_RESERVE_BYTES, 0);
  if (env.GRANARY_BODY_IDLE_TIMEOUT_MS) cfg.bodyIdleTimeoutMs = parseIntSetting('GRANARY_BODY_IDLE_TIMEOUT_MS', env.GRANARY_BODY_IDLE_TIMEOUT_MS, 0);
  if (env.GRANARY_LDAP_URL) {
    cfg.ldap = {
      ...cfg.ldap,
      url: env.GRANARY_LDAP_URL,
      ...(env.GRANARY_LDAP_USER_BASE ? { userBase: env.GRANARY_LDAP_USER_BASE } : {}),
      ...(env.GRANARY_LDAP_GROUP_BASE ? { groupBase: env.GRANARY_LDAP_GROUP_BASE } : {}),
      ...(env.GRANARY_LDAP_BIND_DN ? { bindDn: env.GRANARY_LDAP_BIND_DN } : {}),
      ...(env.GRANARY_LDAP_BIND_PASSWORD ? { bindPassword: env.GRANARY_LDAP_BIND_PASSWORD } : {}),
    };
  }
  if (cfg.ldap && (typeof cfg.ldap.url !== 'string' || typeof cfg.ldap.userBase !== 'string' || typeof cfg.ldap.groupBase !== 'string')) {
    throw new ConfigError('ldap needs at least url, userBase and groupBase');
  }
  if (env.GRANARY_MAX_KEY_LIFETIME_DAYS) cfg.maxKeyLifetimeDays = parseIntSetting('GRANARY_MAX_KEY_LIFETIME_DAYS', env.GRANARY_MAX_KEY_LIFETIME_DAYS, 1);

  if (env.GRANARY_SMTP_HOST) {
    smtpRaw = {
      ...smtpRaw,
      host: env.GRANARY_SMTP_HOST,
      ...(env.GRANARY_SMTP_PORT ? { port: env.GRANARY_SMTP_PORT } : {}),
      ...(env.GRANARY_SMTP_TLS ? { tls: env.GRANARY_SMTP_TLS } : {}),
      ...(env.GRANARY_SMTP_FROM ? { from: env.GRANARY_SMTP_FROM } : {}),
      ...(env.GRANARY_SMTP_USER ? { user: env.GRANARY_SMTP_USER } : {}),
      ...(env.GRANARY_SMTP_PASSWORD ? { password: env.GRANARY_SMTP_PASSWORD } : {}),
    };
  }
  if (smtpRaw) cfg.smtp = parseSmtp(smtpRaw);
  if (env.GRANARY_NOTICE_INTERVAL_MS) cfg.noticeIntervalMs = parseIntSetting('GRANARY_NOTICE_INTERVAL_MS', env.GRANARY_NOTICE_INTERVAL_MS, 1000);
  if (env.GRANARY_TLS_CA) cfg.tlsCa = env.GRANARY_TLS_CA;
  if (cfg.tlsCa !== undefined) {
    cfg.tlsCa = resolve(cfg.tlsCa);
    let pem: string;
    try {
      pem = readFileSync(cfg.tlsCa, 'utf8');
    } catch (e) {
      throw new ConfigError(`cannot read the CA certificate ${cfg.tlsCa} (tlsCa): ${(e as Error).message}`);
    }
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError(`tlsCa ${cfg.tlsCa} is not a PEM certificate`);
  }
  if (env.GRANARY_METRICS_TOKEN) metrics.token = env.GRANARY_METRICS_TOKEN;
  if (env.GRANARY_METRICS_ALLOW) metrics.allow = env.GRANARY_METRICS_ALLOW.split(',').map((x) => x.trim()).filter(Boolean);
  if (env.GRANARY_LISTEN_METRICS) metrics.listen = env.GRANARY_LISTEN_METRICS;
  if (flags.listenMetrics) metrics.listen = flags.listenMetrics;
  cfg.metrics = metricsConfig(metrics);
  if (env.GRANARY_METADATA) cfg.metadata = env.GRANARY_METADATA;
  if (flags.data) cfg.dataDir = flags.data;
  if (flags.metadata) cfg.metadata = flags.metadata;
  if (cfg.metadata !== undefined && !/^postgres(ql)?:\/\//.test(cfg.metadata)) {
    throw new ConfigError('metadata must be a postgres:// URL (or unset for the embedded SQLite database)');
  }
  // With several gateways, a blob another gateway has just renamed into place is unreferenced until its
  // metadata commit; the sweeper's in-flight floor only knows this process's writes, so the grace is the
  // only protection: keep it far above any write's rename → commit time.
  if (cfg.metadata !== undefined && cfg.orphanGraceMs < MIN_SHARED_ORPHAN_GRACE_MS) {
    throw new ConfigError(`orphanGraceMs must be at least ${MIN_SHARED_ORPHAN_GRACE_MS} (10 minutes) with PostgreSQL metadata (several gateways share the blobs), got ${cfg.orphanGraceMs}`);
  }
  if (flags.listen) cfg.listen = parseListen(flags.listen);
  if (flags.listenHttps) cfg.listenHttps = parseListen(flags.listenHttps);
  if (flags.tlsCert) cfg.tlsCert = flags.tlsCert;
  if (flags.tlsKey) cfg.tlsKey = flags.tlsKey;
  if (flags.listenPortal) listenPortal = flags.listenPortal;
  if (flags.portalUrl) cfg.portalUrl = flags.portalUrl;
  if (flags.logLevel) cfg.logLevel = parseLogLevel(flags.logLevel);
  if (flags.logDestination) cfg.logDestination = parseLogDestination(flags.logDestination);
  if (cfg.listenHttps) {
    if (!cfg.tlsCert || !cfg.tlsKey) throw new ConfigError('an HTTPS listener needs tlsCert and tlsKey (PEM files; --tls-cert/--tls-key, GRANARY_TLS_CERT/GRANARY_TLS_KEY)');
    cfg.tlsCert = resolve(cfg.tlsCert);
    cfg.tlsKey = resolve(cfg.tlsKey);
    for (const f of [cfg.tlsCert, cfg.tlsKey]) {
      try {
        readFileSync(f);
      } catch (e) {
        throw new ConfigError(`cannot read TLS file ${f}: ${(e as Error).message}`);
      }
    }
    if (cfg.publicPorts.external === undefined && cfg.listenHttps.port !== 0) cfg.publicPorts.external = cfg.listenHttps.port;
  }

  cfg.dataDir = resolve(cfg.dataDir);
  const q = cfg.quotaThresholds;
  if (!(q.warning < q.critical && q.critical < 100)) throw new ConfigError(`quota thresholds must satisfy warning < critical < 100, got ${q.warning} and ${q.critical}`);
  if (!/^[a-z0-9-]+$/.test(cfg.region)) throw new ConfigError(`region "${cfg.region}" is not a valid region name`);
  cfg.internalDomain = cfg.internalDomain.toLowerCase();
  cfg.externalDomain = cfg.externalDomain.toLowerCase();
  cfg.domains = [...new Set([cfg.internalDomain, cfg.externalDomain, ...extraDomains.map((d) => d.toLowerCase())])];
  try {
    parseTrustedProxies(cfg.trustedProxies);
  } catch (e) {
    throw new ConfigError(`trustedProxies: ${(e as Error).message}`);
  }
  cfg.listenPortal = portalListener(listenPortal, cfg.listen);
  if (cfg.portalUrl !== undefined) cfg.portalUrl = parsePortalUrl(cfg.portalUrl, cfg.domains);
  if (!cfg.listenPortal && !cfg.portalUrl) {
    throw new ConfigError('listenPortal is none but no portalUrl names the portal\'s host: the portal and admin API would be unreachable');
  }
  for (const other of [cfg.listen, cfg.listenHttps]) {
    if (other && cfg.listenPortal && other.port !== 0 && other.port === cfg.listenPortal.port && sameHost(other.host, cfg.listenPortal.host)) {
      throw new ConfigError(`the portal listener ${cfg.listenPortal.host}:${cfg.listenPortal.port} must not be an S3 listener too (set listenPortal)`);
    }
  }
  return cfg;
}

const sameHost = (a: string, b: string): boolean => a === b || a === '0.0.0.0' || b === '0.0.0.0' || a === '::' || b === '::';

/** The portal listener: as written, `none`, or (unset) the S3 listener's host with its port + 1. */
function portalListener(value: string | undefined, s3: { host: string; port: number }): { host: string; port: number } | undefined {
  if (value !== undefined && value.trim().toLowerCase() === 'none') return undefined;
  if (value !== undefined) return parseListen(value);
  if (s3.port === 65535) throw new ConfigError('the S3 listener uses port 65535, so the portal cannot default to the next one: set listenPortal');
  return { host: s3.host, port: s3.port === 0 ? 0 : s3.port + 1 };
}

/**
 * The portal's public origin (`https://portal.example.org`, no path): its host may be no S3 domain nor
 * under one, or a tenancy or bucket host name would be the portal (and the portal's origin an S3 one).
 */
export function parsePortalUrl(value: string, domains: readonly string[]): string {
  let u: URL;
  try {
    u = new URL(value.trim());
  } catch {
    throw new ConfigError(`portalUrl "${value}" is not a URL (e.g. https://portal.example.org)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError(`portalUrl "${value}" must be an http:// or https:// URL`);
  if ((u.pathname !== '/' && u.pathname !== '') || u.search || u.hash || u.username || u.password) {
    throw new ConfigError(`portalUrl "${value}" must be an origin only (scheme, host, optional port), e.g. https://portal.example.org`);
  }
  const host = u.hostname.toLowerCase();
  for (const d of domains) {
    if (host === d || host.endsWith('.' + d)) throw new ConfigError(`portalUrl's host ${host} is an S3 host name (domain ${d}): the portal needs a host S3 never serves`);
  }
  return u.origin;
}

/** Metrics are on when guarded somehow; a listener of their own with no guard admits loopback clients only. */
function metricsConfig(m: { token?: string; allow?: string[]; listen?: string }): MetricsConfig | undefined {
  if (m.token === undefined && m.allow === undefined && m.listen === undefined) return undefined;
  if (m.token !== undefined && m.token.length < 16) throw new ConfigError('metricsToken must be at least 16 characters');
  const allow = m.allow ?? (m.token === undefined ? ['127.0.0.0/8', '::1'] : []);
  try {
    parseTrustedProxies(allow);
  } catch (e) {
    throw new ConfigError(`metricsAllow: ${(e as Error).message}`);
  }
  return { token: m.token, allow, listen: m.listen === undefined ? undefined : parseListen(m.listen) };
}

function parseSmtp(raw: Record<string, unknown>): SmtpConfig {
  const known = new Set(['host', 'port', 'tls', 'from', 'user', 'password']);
  for (const k of Object.keys(raw)) if (!known.has(k)) throw new ConfigError(`smtp: unknown setting "${k}"`);
  if (typeof raw.host !== 'string' || raw.host.trim() === '') throw new ConfigError('smtp needs a host');
  const tls = raw.tls === undefined ? 'starttls' : String(raw.tls);
  if (tls !== 'none' && tls !== 'starttls' && tls !== 'tls') throw new ConfigError(`smtp tls must be none, starttls or tls, got "${tls}"`);
  const port = raw.port === undefined ? (tls === 'tls' ? 465 : 587) : parseIntSetting('smtp port', raw.port, 1);
  if (port > 65535) throw new ConfigError(`smtp port ${port} is out of range`);
  if (typeof raw.from !== 'string' || !/@/.test(raw.from)) throw new ConfigError('smtp needs a from address (e.g. "Granary <granary@example.org>")');
  if ((raw.user === undefined) !== (raw.password === undefined)) throw new ConfigError('smtp user and password go together');
  return { host: raw.host.trim(), port, tls, from: raw.from, ...(raw.user !== undefined ? { user: String(raw.user), password: String(raw.password) } : {}) };
}

/** `stderr`, `stdout` or a file path (made absolute: the server may change directory, logrotate needs it). */
function parseLogDestination(v: string): LogDestination {
  const t = v.trim();
  if (t === 'stderr' || t === 'stdout') return t;
  if (t === '') throw new ConfigError('log destination must be stderr, stdout or a file path');
  return { file: resolve(t) };
}

function parseLogLevel(v: string): GranaryConfig['logLevel'] {
  if (v === 'debug' || v === 'info' || v === 'warn' || v === 'error') return v;
  throw new ConfigError(`log level "${v}" is not one of debug, info, warn, error`);
}
