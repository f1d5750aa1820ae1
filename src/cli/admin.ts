/**
 * `granary admin <noun> <verb> [args] [options]`: parses the command line (node:util parseArgs), finds the
 * command, resolves server and credentials, runs it. Exit codes: 0 success, 1 the server refused
 * (the problem's detail is printed), 2 usage error, 3 the server could not be reached.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { adminClient, ApiError, ConnectionError } from './client.js';
import { COMMANDS, type Command } from './commands.js';
import type { Out } from './output.js';
import { CliUsageError, resolveSettings } from './settings.js';

const COMMON_OPTIONS = {
  url: { type: 'string' },
  user: { type: 'string', short: 'u' },
  password: { type: 'string' },
  config: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const COMMON_HELP = `Common options:
  --url URL          the admin API's server: the portal URL, not the S3 endpoint
                     (env GRANARY_URL, default http://127.0.0.1:9001)
  -u, --user NAME    username (env GRANARY_USER)
  --password PW      password (env GRANARY_PASSWORD)
  --config FILE      CLI config JSON {"url","user","password"} (default ~/.config/granary/cli.json)
  --json             print the API's JSON (for scripts)
  -h, --help         show help
`;

export function adminUsage(): string {
  const lines = ['Usage: granary admin <noun> <verb> [arguments] [options]', '', 'Commands:'];
  for (const [noun, verbs] of Object.entries(COMMANDS)) {
    for (const [verb, cmd] of Object.entries(verbs)) lines.push(`  ${`${noun} ${verb} ${cmd.args}`.padEnd(40)} ${cmd.summary}`);
  }
  return lines.join('\n') + '\n\n' + COMMON_HELP;
}

function commandUsage(noun: string, verb: string, cmd: Command): string {
  return `Usage: granary admin ${noun} ${verb} ${cmd.args}${cmd.args ? ' ' : ''}[options]\n\n${cmd.summary}\n\n${cmd.help ? `Options:\n${cmd.help}\n\n` : ''}${COMMON_HELP}`;
}

/** Required positional count, and the maximum, from the usage ("A B [C]"). */
function arity(args: string): { min: number; max: number } {
  const parts = args.split(' ').filter(Boolean);
  return { min: parts.filter((p) => !p.startsWith('[')).length, max: parts.length };
}

export async function runAdmin(argv: string[], env: NodeJS.ProcessEnv = process.env, out: Out = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) }): Promise<number> {
  const [noun, verb] = argv;
  if (noun === undefined || noun === '-h' || noun === '--help' || noun === 'help') {
    out.stdout(adminUsage());
    return noun === undefined ? 2 : 0;
  }
  const verbs = COMMANDS[noun];
  if (!verbs) {
    out.stderr(`granary admin: unknown noun "${noun}"\n\n${adminUsage()}`);
    return 2;
  }
  const cmd = verb !== undefined ? verbs[verb] : undefined;
  if (!cmd) {
    const list = Object.entries(verbs).map(([v, c]) => `  ${noun} ${v} ${c.args}`.padEnd(42) + ` ${c.summary}`).join('\n');
    if (verb === '-h' || verb === '--help') {
      out.stdout(`Usage: granary admin ${noun} <verb>\n\n${list}\n`);
      return 0;
    }
    out.stderr(`granary admin ${noun}: ${verb === undefined ? 'missing verb' : `unknown verb "${verb}"`}\n\n${list}\n`);
    return 2;
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv.slice(2), options: { ...COMMON_OPTIONS, ...cmd.options }, allowPositionals: true, strict: true });
  } catch (e) {
    out.stderr(`granary admin ${noun} ${verb}: ${(e as Error).message}\n\n${commandUsage(noun, verb!, cmd)}`);
    return 2;
  }
  const opts = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (opts.help) {
    out.stdout(commandUsage(noun, verb!, cmd));
    return 0;
  }
  const { min, max } = arity(cmd.args);
  if (parsed.positionals.length < min || parsed.positionals.length > max) {
    out.stderr(`granary admin ${noun} ${verb}: expected ${cmd.args || 'no arguments'}, got ${parsed.positionals.length} argument(s)\n\n${commandUsage(noun, verb!, cmd)}`);
    return 2;
  }
  try {
    const settings = resolveSettings({ url: opts.url as string | undefined, user: opts.user as string | undefined, password: opts.password as string | undefined, config: opts.config as string | undefined }, env);
    if (settings.user === undefined) throw new CliUsageError('no credentials: give --user and --password, set GRANARY_USER and GRANARY_PASSWORD, or write them to the CLI config file');
    await cmd.run({ client: adminClient(settings), args: parsed.positionals, opts, json: opts.json === true, out, readStdin: () => readFileSync(0, 'utf8') });
    return 0;
  } catch (e) {
    if (e instanceof CliUsageError) {
      out.stderr(`granary admin ${noun} ${verb}: ${e.message}\n`);
      return 2;
    }
    if (e instanceof ApiError) {
      if (opts.json && e.problem) out.stdout(JSON.stringify(e.problem, null, 2) + '\n');
      out.stderr(`granary admin ${noun} ${verb}: ${e.message} (HTTP ${e.status})\n`);
      return 1;
    }
    if (e instanceof ConnectionError) {
      out.stderr(`granary admin ${noun} ${verb}: ${e.message}\n`);
      return 3;
    }
    throw e;
  }
}
