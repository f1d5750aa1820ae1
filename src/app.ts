/**
 * Composition root: the only place concrete stores are constructed and wired together.
 * Embedded mode: SQLite metadata in <data>/metadata.db and blobs under <data>/blobs.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { GranaryConfig } from './config/config.js';
import { openSqliteMetadataStore } from './metadata/sqlite/sqlite-store.js';
import { FsBlobStore } from './blob/fs/fs-blob-store.js';
import { Buckets } from './core/buckets.js';
import { Objects } from './core/objects.js';
import { Multipart } from './core/multipart.js';
import { QuotaGuard } from './core/quota.js';
import { BucketPolicies } from './iam/bucket-policies.js';
import { BlobSweeper } from './core/sweeper.js';
import { AccessKeys } from './iam/access-keys.js';
import { SecretBox, loadMasterKey } from './iam/secrets.js';
import { bootstrap, type BootstrapResult } from './tenancy/bootstrap.js';
import { S3Handler } from './s3/handler.js';
import { GranaryHttpServer } from './http/server.js';
import { createAdminApi } from './admin/create.js';
import { LdapDirectory, type LdapDirectoryConfig } from './iam/directory/ldap.js';
import { BuiltinDirectory } from './iam/directory/builtin.js';
import { createLogger, type Logger } from './lib/log.js';
import type { MetadataStore } from './metadata/store.js';

export interface App {
  config: GranaryConfig;
  log: Logger;
  metadata: MetadataStore;
  sweeper: BlobSweeper;
  http: GranaryHttpServer;
  bootstrap: BootstrapResult;
  address: { host: string; port: number };
  stop(): Promise<void>;
}

export async function startApp(config: GranaryConfig, env: NodeJS.ProcessEnv = process.env, log: Logger = createLogger(config.logLevel)): Promise<App> {
  mkdirSync(config.dataDir, { recursive: true });
  const box = new SecretBox(loadMasterKey(join(config.dataDir, 'master.key'), env));
  const metadata = await openSqliteMetadataStore(join(config.dataDir, 'metadata.db'));
  const blobs = await FsBlobStore.open(join(config.dataDir, 'blobs'));
  const accessKeys = new AccessKeys(metadata, box);
  const boot = await bootstrap(metadata, accessKeys, env);
  const defaultTenancy = boot.tenancy;

  const buckets = new Buckets(metadata);
  const quota = new QuotaGuard(metadata, { warning: config.quotaThresholds.warning / 100, critical: config.quotaThresholds.critical / 100 });
  const policies = new BucketPolicies(metadata);
  const objects = new Objects(metadata, blobs, config.inlineMaxBytes, quota);
  const multipart = new Multipart(metadata, blobs, quota);
  const s3 = new S3Handler({
    config,
    metadata,
    buckets,
    objects,
    multipart,
    quota,
    policies,
    log,
    accessKeys,
    defaultTenancy: async () => defaultTenancy,
  });
  // People sign in (admin API, portal) through the built-in directory, or LDAP when configured.
  const directory = config.ldap ? new LdapDirectory(metadata, config.ldap as unknown as LdapDirectoryConfig) : new BuiltinDirectory(metadata);
  let listenPort: number | undefined;
  const admin = createAdminApi({ config, metadata, accessKeys, directory, log, bucketPolicies: policies, listenPort: () => listenPort });
  const http = new GranaryHttpServer({ s3, log, admin: admin.handler });
  const sweeper = new BlobSweeper(metadata, blobs, {
    intervalMs: config.sweepIntervalMs,
    orphanGraceMs: config.orphanGraceMs,
    tmpGraceMs: config.orphanGraceMs,
    queuedDeleteDelayMs: config.queuedDeleteDelayMs,
    log: (msg, fields) => log.info(msg, fields as Record<string, unknown> | undefined),
  });
  // A crash can leave temporary files; nothing can be writing them yet, so clear them before serving.
  await blobs.sweepTemporary(0);
  const address = await http.listen(config.listen.host, config.listen.port);
  listenPort = address.port;
  sweeper.start();

  let stopping: Promise<void> | undefined;
  return {
    config,
    log,
    metadata,
    sweeper,
    http,
    bootstrap: boot,
    address,
    stop: () =>
      (stopping ??= (async () => {
        await http.close();
        await sweeper.stop();
        await directory.close();
        await directory.close();
        await metadata.close();
        await blobs.close();
      })()),
  };
}
