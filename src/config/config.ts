/**
 * Typed configuration. Precedence: command-line flag > environment (GRANARY_*) > config file (JSON)
 * > default. A bad value fails at boot with one clear message (ConfigError), never later.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export interface GranaryConfig {
  /** Data directory: metadata database and blobs live under it. */
  dataDir: string;
  /** host:port of the S3 listener. */
  listen: { host: string; port: number };
  /** Region reported by GetBucketLocation and accepted as LocationConstraint. */
  region: string;
  /** Domains for virtual-hosted-style requests (`<bucket>.<domain>`). */
  domains: string[];
  /** Objects up to this size are kept inline in the metadata database (one durable write, no file). */
  inlineMaxBytes: number;
  /** How often the blob sweeper runs, and how old an unreferenced blob must be before it is reclaimed. */
  sweepIntervalMs: number;
  orphanGraceMs: number;
  /** How long a replaced or deleted object's blob is kept before deletion (a GET may still be opening it). */
  queuedDeleteDelayMs: number;
  /** Log level: 'debug' | 'info' | 'warn' | 'error'. */
  logLevel: 'debug' | 'info' | 'warn' | 'error';
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
  region: 'us-east-1',
  domains: ['s3.localhost', 's3-ext.localhost'],
  inlineMaxBytes: 64 * 1024,
  sweepIntervalMs: 30_000,
  orphanGraceMs: 60 * 60 * 1000,
  queuedDeleteDelayMs: 60_000,
  logLevel: 'info',
};

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

export interface ConfigSources {
  flags?: { data?: string; listen?: string; config?: string };
  env?: NodeJS.ProcessEnv;
}

/** Builds the effective configuration from defaults, an optional JSON file, the environment and flags. */
export function loadConfig(sources: ConfigSources = {}): GranaryConfig {
  const env = sources.env ?? process.env;
  const flags = sources.flags ?? {};
  const cfg: GranaryConfig = { ...DEFAULTS, listen: { ...DEFAULTS.listen }, domains: [...DEFAULTS.domains] };

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
    const known = new Set(['data', 'listen', 'region', 'domains', 'inlineMaxBytes', 'sweepIntervalMs', 'orphanGraceMs', 'queuedDeleteDelayMs', 'logLevel']);
    for (const k of Object.keys(f)) if (!known.has(k)) throw new ConfigError(`config file ${file}: unknown setting "${k}"`);
    if (f.data !== undefined) cfg.dataDir = String(f.data);
    if (f.listen !== undefined) cfg.listen = parseListen(String(f.listen));
    if (f.region !== undefined) cfg.region = String(f.region);
    if (f.domains !== undefined) {
      if (!Array.isArray(f.domains)) throw new ConfigError('domains must be a list of host names');
      cfg.domains = f.domains.map(String);
    }
    if (f.inlineMaxBytes !== undefined) cfg.inlineMaxBytes = parseIntSetting('inlineMaxBytes', f.inlineMaxBytes, 0);
    if (f.sweepIntervalMs !== undefined) cfg.sweepIntervalMs = parseIntSetting('sweepIntervalMs', f.sweepIntervalMs, 100);
    if (f.orphanGraceMs !== undefined) cfg.orphanGraceMs = parseIntSetting('orphanGraceMs', f.orphanGraceMs, 0);
    if (f.queuedDeleteDelayMs !== undefined) cfg.queuedDeleteDelayMs = parseIntSetting('queuedDeleteDelayMs', f.queuedDeleteDelayMs, 0);
    if (f.logLevel !== undefined) cfg.logLevel = parseLogLevel(String(f.logLevel));
  }

  if (env.GRANARY_DATA) cfg.dataDir = env.GRANARY_DATA;
  if (env.GRANARY_LISTEN) cfg.listen = parseListen(env.GRANARY_LISTEN);
  if (env.GRANARY_REGION) cfg.region = env.GRANARY_REGION;
  if (env.GRANARY_DOMAINS) cfg.domains = env.GRANARY_DOMAINS.split(',').map((s) => s.trim()).filter(Boolean);
  if (env.GRANARY_INLINE_MAX_BYTES) cfg.inlineMaxBytes = parseIntSetting('GRANARY_INLINE_MAX_BYTES', env.GRANARY_INLINE_MAX_BYTES, 0);
  if (env.GRANARY_SWEEP_INTERVAL_MS) cfg.sweepIntervalMs = parseIntSetting('GRANARY_SWEEP_INTERVAL_MS', env.GRANARY_SWEEP_INTERVAL_MS, 100);
  if (env.GRANARY_ORPHAN_GRACE_MS) cfg.orphanGraceMs = parseIntSetting('GRANARY_ORPHAN_GRACE_MS', env.GRANARY_ORPHAN_GRACE_MS, 0);
  if (env.GRANARY_QUEUED_DELETE_DELAY_MS) cfg.queuedDeleteDelayMs = parseIntSetting('GRANARY_QUEUED_DELETE_DELAY_MS', env.GRANARY_QUEUED_DELETE_DELAY_MS, 0);
  if (env.GRANARY_LOG_LEVEL) cfg.logLevel = parseLogLevel(env.GRANARY_LOG_LEVEL);

  if (flags.data) cfg.dataDir = flags.data;
  if (flags.listen) cfg.listen = parseListen(flags.listen);

  cfg.dataDir = resolve(cfg.dataDir);
  if (!/^[a-z0-9-]+$/.test(cfg.region)) throw new ConfigError(`region "${cfg.region}" is not a valid region name`);
  cfg.domains = cfg.domains.map((d) => d.toLowerCase());
  return cfg;
}

function parseLogLevel(v: string): GranaryConfig['logLevel'] {
  if (v === 'debug' || v === 'info' || v === 'warn' || v === 'error') return v;
  throw new ConfigError(`log level "${v}" is not one of debug, info, warn, error`);
}
