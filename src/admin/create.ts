/**
 * Builds the admin API (services + handler) from what app.ts constructed. Kept here so the composition
 * root stays a short list of wiring.
 */
import type { IncomingMessage } from 'node:http';
import type { GranaryConfig } from '../config/config.js';
import type { AccessKeys } from '../iam/access-keys.js';
import { BucketPolicies } from '../iam/bucket-policies.js';
import type { Directory } from '../iam/directory/directory.js';
import type { Logger } from '../lib/log.js';
import { AuditTrail } from '../tenancy/audit.js';
import { Groups } from '../tenancy/groups.js';
import { JoinRequests } from '../tenancy/join-requests.js';
import { Membership } from '../tenancy/membership.js';
import { Tenancies } from '../tenancy/tenancies.js';
import { UserKeys } from '../tenancy/user-keys.js';
import { Users } from '../tenancy/users.js';
import { BucketSharing } from '../tenancy/sharing.js';
import { UserAccess } from '../iam/user-access.js';
import { AuthenticatorChain, BasicAuthenticator } from './auth.js';
import { PasswordThrottle } from '../iam/password-throttle.js';
import { clientAddress, parseTrustedProxies } from '../iam/client-address.js';
import { PortalOrigins } from '../config/portal-origin.js';
import { SessionAuthenticator, SessionStore } from './session.js';
import type { AdminRepositories, AdminServices } from './context.js';
import { AdminHandler } from './handler.js';

/** The repositories of what the admin API builds (each service's own), and what its routes read. */
export type AdminApiRepositories = AdminRepositories &
  ConstructorParameters<typeof AuditTrail>[0] &
  ConstructorParameters<typeof SessionStore>[0] &
  ConstructorParameters<typeof PasswordThrottle>[0] &
  ConstructorParameters<typeof BucketPolicies>[0] &
  ConstructorParameters<typeof Tenancies>[0] &
  ConstructorParameters<typeof Membership>[0] &
  ConstructorParameters<typeof JoinRequests>[0] &
  ConstructorParameters<typeof Users>[0] &
  ConstructorParameters<typeof Groups>[0] &
  ConstructorParameters<typeof UserKeys>[0] &
  ConstructorParameters<typeof BucketSharing>[0] &
  ConstructorParameters<typeof UserAccess>[0];

export interface AdminApiDeps {
  config: GranaryConfig;
  metadata: AdminApiRepositories;
  accessKeys: AccessKeys;
  directory: Directory;
  log: Logger;
  /** The port the server listens on, once known (names the internal endpoint unless configured). */
  listenPort: () => number | undefined;
  bucketPolicies?: BucketPolicies;
  /** Where the portal lives (default: from the config, for tests that build the API alone). */
  origins?: PortalOrigins;
}

export function createAdminApi(d: AdminApiDeps): { handler: AdminHandler; services: AdminServices } {
  const audit = new AuditTrail(d.metadata);
  const sessions = new SessionStore(d.metadata);
  const passwords = new PasswordThrottle(d.metadata, d.directory);
  const trusted = parseTrustedProxies(d.config.trustedProxies);
  const addressOf = (req: IncomingMessage): string => clientAddress(req, trusted);
  const bucketPolicies = d.bucketPolicies ?? new BucketPolicies(d.metadata);
  const userAccess = new UserAccess(d.metadata, bucketPolicies);
  const services: AdminServices = {
    metadata: d.metadata,
    directory: d.directory,
    audit,
    tenancies: new Tenancies(
      d.metadata,
      audit,
      {
        internalDomain: d.config.internalDomain,
        externalDomain: d.config.externalDomain,
        internalPort: () => d.config.publicPorts.internal ?? d.listenPort(),
        externalPort: () => d.config.publicPorts.external,
      },
      d.config.quotaThresholds,
    ),
    membership: new Membership(d.metadata, audit),
    joinRequests: new JoinRequests(d.metadata, audit),
    users: new Users(d.metadata, d.directory, audit),
    sessions,
    passwords,
    clientAddress: addressOf,
    origins: d.origins ?? new PortalOrigins(d.config),
    region: d.config.region,
    groups: new Groups(d.metadata, audit),
    userKeys: new UserKeys(d.metadata, d.accessKeys, audit, d.config.maxKeyLifetimeDays),
    bucketPolicies,
    userAccess,
    sharing: new BucketSharing(d.metadata, bucketPolicies, userAccess, audit),
    tlsCa: d.config.tlsCa,
  };
  return { handler: new AdminHandler({ services, authenticator: new AuthenticatorChain([new BasicAuthenticator(passwords, addressOf), new SessionAuthenticator(d.metadata, sessions)]), log: d.log }), services };
}
