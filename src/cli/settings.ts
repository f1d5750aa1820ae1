/**
 * Where the CLI finds its server and credentials. Precedence: flags (--url, --user, --password) >
 * environment (GRANARY_URL, GRANARY_USER, GRANARY_PASSWORD) > config file (--config FILE, else
 * $XDG_CONFIG_HOME/granary/cli.json or ~/.config/granary/cli.json: {"url", "user", "password"}) > defaults.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface CliSettings {
  url: string;
  user: string | undefined;
  password: string | undefined;
}

export class CliUsageError extends Error {
  override name = 'CliUsageError';
}

/** The portal and admin API listener of a default `granary serve` (S3 is on 9000, never the admin API). */
export const DEFAULT_URL = 'http://127.0.0.1:9001';

export function defaultConfigPath(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'granary', 'cli.json');
}

export function resolveSettings(flags: { url?: string; user?: string; password?: string; config?: string }, env: NodeJS.ProcessEnv): CliSettings {
  const file = flags.config ?? defaultConfigPath(env);
  let fromFile: Partial<Record<'url' | 'user' | 'password', unknown>> = {};
  if (flags.config !== undefined || existsSync(file)) {
    try {
      const raw: unknown = JSON.parse(readFileSync(file, 'utf8'));
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('it must hold a JSON object');
      fromFile = raw as typeof fromFile;
    } catch (e) {
      throw new CliUsageError(`cannot read CLI config ${file}: ${(e as Error).message}`);
    }
  }
  const pick = (flag: string | undefined, envName: string, key: 'url' | 'user' | 'password'): string | undefined =>
    flag ?? (env[envName] || undefined) ?? (typeof fromFile[key] === 'string' ? (fromFile[key] as string) : undefined);
  const url = (pick(flags.url, 'GRANARY_URL', 'url') ?? DEFAULT_URL).replace(/\/+$/, '');
  if (!/^https?:\/\//.test(url)) throw new CliUsageError(`server URL "${url}" must start with http:// or https://`);
  return { url, user: pick(flags.user, 'GRANARY_USER', 'user'), password: pick(flags.password, 'GRANARY_PASSWORD', 'password') };
}
