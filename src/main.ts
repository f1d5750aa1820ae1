#!/usr/bin/env node
/**
 * `granary <command>`: `serve` runs the S3 server on the configured data directory; `admin` is the CLI of
 * the admin API (src/cli/).
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config/config.js';
import { startApp } from './app.js';
import { runAdmin } from './cli/admin.js';
import { runMigrate } from './cli/migrate.js';
import { runCert } from './cli/cert.js';
import { guardStdio, writeStderr } from './lib/log.js';

const USAGE = `Usage: granary serve [--data DIR] [--listen HOST:PORT] [--listen-portal HOST:PORT] [--listen-metrics HOST:PORT] [--metadata postgres://…] [--config FILE]
       granary migrate --from DATA_DIR --to postgres://…
       granary cert --out DIR [--hosts LIST]
       granary admin <noun> <verb> [arguments] [options]   (granary admin --help)

Commands:
  serve     Start the S3 server (embedded SQLite metadata, blobs on local disk).
  migrate   Copy an embedded installation's metadata (SQLite) into an empty PostgreSQL database.
  cert      Make a local CA and a server certificate for testing HTTPS (granary cert --help).
  admin     Administer tenancies, users, members, groups, keys, join requests and policies (admin API client).

Options:
  --data DIR          data directory (env GRANARY_DATA, default ./data)
  --listen HOST:PORT  S3 listen address (env GRANARY_LISTEN, default 127.0.0.1:9000)
  --listen-portal HOST:PORT|none
                      portal and admin API listen address, an origin S3 never serves (env
                      GRANARY_LISTEN_PORTAL; default: the S3 host, port + 1, i.e. 127.0.0.1:9001)
  --portal-url URL    the portal's public origin when a proxy or host name serves it, e.g.
                      https://portal.example.org (env GRANARY_PORTAL_URL)
  --metadata URL      postgres://user:pass@host:port/db: metadata in PostgreSQL, shared by several
                      gateways (env GRANARY_METADATA; default: SQLite in DIR/metadata.db)
  --listen-metrics HOST:PORT
                      Prometheus metrics, health and readiness on a listener of their own (env
                      GRANARY_LISTEN_METRICS; loopback clients only unless GRANARY_METRICS_TOKEN or
                      GRANARY_METRICS_ALLOW says otherwise; docs/monitoring.md)
  --listen-https HOST:PORT  external HTTPS listener (env GRANARY_LISTEN_HTTPS; needs the two below)
  --tls-cert FILE     PEM certificate (chain) for HTTPS (env GRANARY_TLS_CERT; reloaded on change/SIGHUP)
  --tls-key FILE      PEM private key for HTTPS (env GRANARY_TLS_KEY)
  --log-level LEVEL   debug, info (one access-log line per request), warn or error (env GRANARY_LOG_LEVEL,
                      default info)
  --log-destination stderr|stdout|FILE
                      where the logs go (env GRANARY_LOG_DESTINATION, default stderr); a file is appended
                      to and reopened on SIGHUP, for logrotate (docs/operations.md)
  --config FILE       JSON config file (env GRANARY_CONFIG)
  -h, --help          show this help
`;

async function serve(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string' },
      listen: { type: 'string' },
      config: { type: 'string' },
      metadata: { type: 'string' },
      'listen-https': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'listen-portal': { type: 'string' },
      'portal-url': { type: 'string' },
      'listen-metrics': { type: 'string' },
      'log-level': { type: 'string' },
      'log-destination': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const config = loadConfig({ flags: { data: values.data, listen: values.listen, config: values.config, metadata: values.metadata, listenHttps: values['listen-https'], tlsCert: values['tls-cert'], tlsKey: values['tls-key'], listenPortal: values['listen-portal'], portalUrl: values['portal-url'], listenMetrics: values['listen-metrics'], logLevel: values['log-level'], logDestination: values['log-destination'] } });
  const app = await startApp(config);
  // Node 20 is past end of life (April 2026); it still runs, but the operator should know it is unsupported.
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 22) app.log.warn(`Node.js ${process.versions.node} is past its end of life and not supported; run on Node.js 24 LTS (README: Runtime)`);
  const c = app.bootstrap.created;
  if (c) {
    // Shown once, on the first start only. Secrets go to stdout for the operator, never to the log.
    process.stdout.write(
      [
        'Granary initialised a new installation.',
        `  site administrator: ${c.username}` + (c.passwordGenerated ? `  password: ${c.password}` : '  (password from GRANARY_ADMIN_PASSWORD)'),
        `  tenancy: default`,
        `  access key: ${c.accessKeyId}`,
        c.secretGenerated ? `  secret key: ${c.secretKey}` : '  secret key: (from GRANARY_SECRET_KEY)',
        'Keep these now: the secret is not shown again.',
        '',
      ].join('\n'),
    );
  }
  const hostPort = (a: { host: string; port: number }): string => `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
  const url = `http://${hostPort(app.address)}`;
  app.log.info('granary listening', { url, data: config.dataDir });
  // The portal and the admin API (the CLI's --url) are on their own origin, never on the S3 endpoint.
  const lines = [`Granary S3 endpoint: ${url}`];
  if (app.portalAddress) {
    const portalUrl = `http://${hostPort(app.portalAddress)}`;
    app.log.info('granary portal listening', { url: portalUrl });
    lines.push(`Granary portal: ${portalUrl}/_admin/portal/   (admin API: ${portalUrl}/_admin/api/v1)`);
  }
  if (config.portalUrl) lines.push(`Granary portal (public URL): ${config.portalUrl}/_admin/portal/`);
  process.stdout.write(lines.join('\n') + '\n');
  if (app.metricsAddress) {
    const metricsUrl = `http://${hostPort(app.metricsAddress)}/_admin/metrics`;
    app.log.info('granary metrics listening', { url: metricsUrl });
    process.stdout.write(`Granary metrics: ${metricsUrl}\n`);
  }
  if (app.httpsAddress) {
    const h = app.httpsAddress.host;
    const httpsUrl = `https://${h.includes(':') ? `[${h}]` : h}:${app.httpsAddress.port}`;
    app.log.info('granary listening (HTTPS)', { url: httpsUrl });
    process.stdout.write(`Granary S3 endpoint (HTTPS): ${httpsUrl}\n`);
  }

  let signals = 0;
  const shutdown = (signal: string): void => {
    signals++;
    if (signals > 1) process.exit(1);
    app.log.info('shutting down', { signal });
    app.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error('shutdown failed', { err });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // SIGHUP: reopen the log file (logrotate's postrotate) and re-read the TLS certificate and key (renewed
  // certificates, without a restart).
  process.on('SIGHUP', () => {
    app.reopenLogs();
    void app.reloadTls('SIGHUP');
  });
}

async function main(): Promise<void> {
  // A failed write to stdout/stderr (full log volume, closed pipe) must not end the server (lib/log.ts).
  guardStdio();
  const [command, ...rest] = process.argv.slice(2);
  switch (command) {
    case 'serve':
      await serve(rest);
      return;
    case 'admin':
      process.exitCode = await runAdmin(rest);
      return;
    case 'migrate':
      process.exitCode = await runMigrate(rest);
      return;
    case 'cert':
      process.exitCode = await runCert(rest);
      return;
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(USAGE);
      return;
    default:
      process.stderr.write(`granary: unknown command "${command}"\n\n${USAGE}`);
      process.exitCode = 2;
  }
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    writeStderr(`granary: ${err.message}\n`);
    process.exit(2);
  }
  writeStderr(`granary: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
