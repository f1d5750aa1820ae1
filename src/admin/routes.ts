/** Every admin API route, in one table (order carries no meaning: see router.ts). */
import type { AdminRoute } from './context.js';
import { memberRoutes } from './handlers/members.js';
import { meRoutes } from './handlers/me.js';
import { openApiRoutes } from './handlers/openapi.js';
import { policyRoutes } from './handlers/policies.js';
import { tenancyRoutes } from './handlers/tenancies.js';
import { userRoutes } from './handlers/users.js';
import { sessionRoutes } from './session-routes.js';
import { policyCheckRoutes } from './handlers/policy-check.js';
import { portalObjectRoutes } from './handlers/portal-objects.js';
import { sharingRoutes } from './handlers/sharing.js';

export const ADMIN_API_PREFIX = '/_admin/api/v1';

export const ADMIN_ROUTES: readonly AdminRoute[] = [...tenancyRoutes, ...memberRoutes, ...policyRoutes, ...userRoutes, ...meRoutes, ...openApiRoutes, ...sessionRoutes, ...policyCheckRoutes, ...portalObjectRoutes, ...sharingRoutes];
