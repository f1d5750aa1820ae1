/**
 * Composition root: the only place concrete stores are constructed and wired together.
 * Embedded mode: SQLite metadata in <data>/metadata.db and blobs under <data>/blobs.
 * Scale-out mode (`--metadata postgres://…`): metadata in PostgreSQL shared by every gateway, blobs under
 * <data>/blobs on a shared filesystem, the master key in <data>/master.key (or GRANARY_MASTER_KEY) —
 * identical for all gateways, which a shared --data directory gives for free.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { GranaryConfig } from './config/config.js';
import { openSqliteMetadataStore } from './metadata/sqlite/sqlite-store.js';
import { withReadCache } from './metadata/read-cache.js';
import { openPostgresMetadataStore, type PostgresMetadataStore } from './metadata/postgres/postgres-store.js';
import { FsBlobStore } from './blob/fs/fs-blob-store.js';
import { Buckets } from './core/buckets.js';
import { Objects } from './core/objects.js';
import { Multipart } from './core/multipart.js';
import { QuotaGuard } from './core/quota.js';
import { Owners } from './core/owners.js';
import { StorageCapacity } from './core/capacity.js';
import { BucketPolicies } from './iam/bucket-policies.js';
import { BlobSweeper } from './core/sweeper.js';
import { LogDelivery } from './core/log-delivery.js';
import { hashOffload } from './lib/hash-offload.js';
import { UsageSampler } from './tenancy/usage-sampler.js';
import { NoticeJob } from './tenancy/notices.js';
import { SmtpMailer } from './lib/mailer.js';
import { AccessKeys } from './iam/access-keys.js';
import { SecretBox, loadMasterKey } from './iam/secrets.js';
import { Encryption } from './core/encryption.js';
import { bootstrap, type BootstrapResult } from './tenancy/bootstrap.js';
import { S3Handler } from './s3/handler.js';
import { TenancyLookup } from './core/tenancies.js';
import { GranaryHttpServer } from './http/server.js';
import { TlsReloader, loadTlsPair } from './http/tls-reloader.js';
import { createAdminApi } from './admin/create.js';
import { PortalOrigins } from './config/portal-origin.js';
import { LdapDirectory, type LdapDirectoryConfig } from './iam/directory/ldap.js';
import { BuiltinDirectory } from './iam/directory/builtin.js';
import { createLogger, openLogSink, type LogSink, type Logger } from './lib/log.js';
import { createAccessLog } from './http/access-log.js';
import type { MetadataStore, StoreObserver } from './metadata/store.js';
import { Metrics } from './ops/metrics.js';
import { OpsEndpoints } from './ops/endpoints.js';

export interface App {
  config: GranaryConfig;
  log: Logger;
  metadata: MetadataStore;
  sweeper: BlobSweeper;
  http: GranaryHttpServer;
  bootstrap: BootstrapResult;
  address: { host: string; port: number };
  /** The external HTTPS listener's address, when configured. */
  httpsAddress: { host: string; port: number } | undefined;
  /** The portal and admin API listener's address (undefined with `listenPortal: none`). */
  portalAddress: { host: string; port: number } | undefined;
  /** The metrics listener's address (`listenMetrics`), when configured. */
  metricsAddress: { host: string; port: number } | undefined;
  /** Where the portal lives (its URL, the origins it is served on). */
  origins: PortalOrigins;
  /** Opens the log file again by its name (SIGHUP, after logrotate moved it); a no-op for stdout/stderr. */
  reopenLogs(): void;
  /** Re-reads the TLS certificate and key (SIGHUP); true when a new certificate is in use. */
  reloadTls(reason: string): Promise<boolean>;
  stop(): Promise<void>;
}

export async function startApp(config: GranaryConfig, env: NodeJS.ProcessEnv = process.env): Promise<App> {
  // One sink for the process log and the access log: stderr, stdout or a file SIGHUP reopens (lib/log.ts).
  const logSink: LogSink = openLogSink(config.logDestination);
  const log: Logger = createLogger(config.logLevel, logSink);
  mkdirSync(config.dataDir, { recursive: true });
  const box = new SecretBox(loadMasterKey(join(config.dataDir, 'master.key'), env));
  // Metrics only when configured (config.metrics): otherwise nothing is collected at all.
  const metrics = config.metrics ? new Metrics() : undefined;
  const observer = (store: 'sqlite' | 'postgres'): StoreObserver | undefined =>
    metrics && { transaction: (s, n) => metrics.transaction(store, s, n), poolWait: (s) => metrics.poolWait(s) };
  let shared: PostgresMetadataStore | undefined;
  if (config.metadata !== undefined) {
    /*
     * PostgreSQL: several gateways share this database. No authorization decision is cached across
     * requests in a gateway, so a key deleted, a policy changed or a member removed on one gateway holds on
     * every other from the next request (test/integration/cluster.test.ts proves it), no LISTEN/NOTIFY needed:
     * - access keys, their users, memberships, groups, tenancies (quota, default access) and buckets (policy,
     *   ACL, quota) are read from the store on every request (s3/handler.ts, s3/access.ts);
     * - iam/access-keys.ts memoises decrypted secrets keyed by the sealed value, read with the key row on
     *   each request: a hit never outlives the row;
     * - iam/bucket-policies.ts memoises parsed policies keyed by bucket id + policy text, read with the
     *   bucket on each request: a changed policy is a different key;
     * - admin/views.ts NameResolver lives for one response; the default tenancy is re-read per request below.
     * - Only `last used` times of keys are coalesced in memory (a few seconds, display only, no decision).
     */
    shared = await openPostgresMetadataStore(config.metadata, { observer: observer('postgres') });
  }
  // Lookups every request makes are cached briefly; see metadata/read-cache.ts for why that stays fresh.
  // Free space on the data filesystem (core/capacity.ts): the low-water mark for new data, and in embedded
  // mode a space reserve the metadata database can be given when the disk fills up anyway.
  const capacity = new StorageCapacity({
    paths: [config.dataDir],
    ...(config.minFreeBytes !== undefined ? { minFreeBytes: config.minFreeBytes } : {}),
    ...(!shared && config.spaceReserveBytes > 0 ? { reserve: { path: join(config.dataDir, 'space-reserve'), bytes: config.spaceReserveBytes } } : {}),
    log: (msg, fields) => log.warn(msg, fields),
  });
  const metadata: MetadataStore = withReadCache(
    shared ?? (await openSqliteMetadataStore(join(config.dataDir, 'metadata.db'), { onFull: () => capacity.releaseReserve(), observer: observer('sqlite') })),
    config.metadataCacheMs,
  );
  if (!shared) {
    // Embedded mode: this process is the database's only user, so no upload is in flight yet and every
    // quota reservation left is from a process that died (they would otherwise hold room until they lapse).
    const cleared = await metadata.clearQuotaReservations();
    if (cleared > 0) log.info('cleared quota reservations left by a previous run', { count: cleared });
  }
  const blobs = await FsBlobStore.open(join(config.dataDir, 'blobs'));
  await capacity.start();
  const accessKeys = new AccessKeys(metadata, box);
  // Gateways starting together on a fresh database race to bootstrap; a loser retries and then finds it done.
  let boot: BootstrapResult | undefined;
  for (let attempt = 1; boot === undefined; attempt++) {
    try {
      boot = await bootstrap(metadata, accessKeys, env);
    } catch (e) {
      if (!shared || attempt >= 10) throw e;
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
  const bootTenancy = boot.tenancy;
  // Read per request (not kept from boot): its quota and default access may change on any gateway.
  const tenancies = new TenancyLookup(metadata);
  const defaultTenancy = async () => (await tenancies.byId(bootTenancy.id)) ?? bootTenancy;

  // The portal and admin API live on an origin S3 never serves (config/portal-origin.ts).
  const origins = new PortalOrigins(config);
  const buckets = new Buckets(metadata);
  const quota = new QuotaGuard(metadata, config.quotaThresholds);
  const policies = new BucketPolicies(metadata);
  const objects = new Objects(metadata, blobs, config.inlineMaxBytes, quota, new Encryption(box));
  const multipart = new Multipart(metadata, blobs, quota);
  const owners = new Owners(metadata);
  const s3 = new S3Handler({
    config,
    accessFacts: metadata,
    buckets,
    objects,
    multipart,
    owners,
    quota,
    policies,
    log,
    accessKeys,
    tenancies,
    defaultTenancy,
    origins,
    capacity,
  });
  // People sign in (admin API, portal) through the built-in directory, or LDAP when configured.
  const directory = config.ldap ? new LdapDirectory(metadata, config.ldap as unknown as LdapDirectoryConfig) : new BuiltinDirectory(metadata);
  let listenPort: number | undefined;
  const admin = createAdminApi({ config, metadata, accessKeys, directory, log, bucketPolicies: policies, listenPort: () => listenPort, origins });
  const ops = new OpsEndpoints({
    metadata,
    dataDir: config.dataDir,
    metrics,
    ...(config.metrics ? { access: { token: config.metrics.token, allow: config.metrics.allow, trustedProxies: config.trustedProxies } } : {}),
  });
  const http = new GranaryHttpServer({ s3, log, admin: admin.handler, origins, ops, metricsListenerOnly: config.metrics?.listen !== undefined });
  if (metrics) http.onRequestFinished((r) => metrics.finished(r));
  // One JSON line per finished request (http/access-log.ts); metrics attach to the same hook.
  const accessLog = config.logLevel === 'debug' || config.logLevel === 'info' ? createAccessLog(logSink) : undefined;
  if (accessLog) http.onRequestFinished(accessLog.log);
  // Bucket logging: records of requests to logged buckets go to the spool; one gateway at a time turns
  // them into log objects through the normal write path (core/log-delivery.ts).
  const logDelivery = new LogDelivery(metadata, objects, quota, policies, {
    intervalMs: config.logDeliveryIntervalMs,
    ...(shared ? { exclusive: <T>(fn: () => Promise<T>) => shared.withExclusiveLock('granary.log-delivery', fn) } : {}),
    log: (msg, fields) => log.warn(msg, fields),
  });
  http.onRequestFinished(logDelivery.record);
  const sweeper = new BlobSweeper(metadata, blobs, {
    intervalMs: config.sweepIntervalMs,
    orphanGraceMs: config.orphanGraceMs,
    tmpGraceMs: config.orphanGraceMs,
    queuedDeleteDelayMs: config.queuedDeleteDelayMs,
    // Several gateways: one sweeps at a time (session advisory lock; released by PostgreSQL if we die).
    ...(shared ? { exclusive: <T>(fn: () => Promise<T>) => shared.withExclusiveLock('granary.blob-sweeper', fn) } : {}),
    log: (msg, fields) => log.info(msg, fields as Record<string, unknown> | undefined),
  });
  // Usage history for the portal's chart (gateways sampling in the same interval write the same rows).
  const usageSampler = new UsageSampler(metadata, {
    intervalMs: config.usageSampleIntervalMs,
    log: (msg, fields) => log.warn(msg, fields),
  });
  // Notices by mail (key expiry, join requests, quota levels), when the site configured SMTP.
  const mailer = config.smtp ? new SmtpMailer(config.smtp) : undefined;
  const notices = mailer
    ? new NoticeJob(metadata, mailer, {
        intervalMs: config.noticeIntervalMs,
        thresholds: config.quotaThresholds,
        portalUrl: () => config.portalUrl ?? (portalAddress ? `http://${portalAddress.host.includes(':') ? `[${portalAddress.host}]` : portalAddress.host}:${portalAddress.port}` : `http://${address.host}:${address.port}`),
        // Several gateways: one pass at a time (the same kind of lock as the sweeper's).
        ...(shared ? { exclusive: <T>(fn: () => Promise<T>) => shared.withExclusiveLock('granary.notices', fn) } : {}),
        log: (msg, fields) => log.warn(msg, fields),
      })
    : undefined;
  metrics?.sources({
    metadata,
    quotaLevel: (t) => quota.status(t),
    inFlight: () => http.inFlight,
    hashing: () => hashOffload.stats(),
    sweeper: () => sweeper.progress,
    logDelivery: () => logDelivery.progress,
    ...(shared ? { pool: () => shared.poolStats() } : {}),
  });
  // A crash can leave temporary files; nothing can be writing them yet, so clear them before serving.
  await blobs.sweepTemporary(0);
  hashOffload.start();
  const address = await http.listen(config.listen.host, config.listen.port);
  listenPort = address.port;
  const portalAddress = config.listenPortal ? await http.listenPortal(config.listenPortal.host, config.listenPortal.port) : undefined;
  origins.listening({ s3: address.port, portal: portalAddress?.port });
  const metricsAddress = config.metrics?.listen ? await http.listenMetrics(config.metrics.listen.host, config.metrics.listen.port) : undefined;
  let httpsAddress: App['httpsAddress'];
  let tls: TlsReloader | undefined;
  if (config.listenHttps && config.tlsCert && config.tlsKey) {
    const files = { cert: config.tlsCert, key: config.tlsKey };
    const pair = await loadTlsPair(files).catch((e: unknown) => {
      throw new Error(`cannot load the TLS certificate ${files.cert} / key ${files.key}: ${(e as Error).message}`);
    });
    httpsAddress = await http.listenHttps(config.listenHttps.host, config.listenHttps.port, pair);
    config.publicPorts.external ??= httpsAddress.port;
    tls = new TlsReloader(http.httpsServer!, files, pair, log, config.tlsReloadIntervalMs);
    await tls.start();
  }
  sweeper.start();
  logDelivery.start();
  usageSampler.start();
  notices?.start();

  let stopping: Promise<void> | undefined;
  return {
    config,
    log,
    metadata,
    sweeper,
    http,
    bootstrap: boot,
    address,
    httpsAddress,
    portalAddress,
    metricsAddress,
    origins,
    reopenLogs: () => {
      try {
        logSink.reopen();
        log.info('log file reopened');
      } catch (err) {
        log.error('cannot reopen the log file; still writing to the old one', { err });
      }
    },
    reloadTls: (reason) => tls?.reload(reason) ?? Promise.resolve(false),
    stop: () =>
      (stopping ??= (async () => {
        tls?.stop();
        await http.close();
        accessLog?.flush();
        // What finished requests left for bucket logging reaches the spool before the store closes.
        await logDelivery.stop();
        await sweeper.stop();
        capacity.stop();
        await usageSampler.stop();
        await notices?.stop();
        mailer?.close();
        await directory.close();
        await metadata.close();
        await blobs.close();
        logSink.close();
      })()),
  };
}
