/**
 * The one decision point for "may this principal do this action on this resource?".
 *
 * Until tenancy roles and bucket policies land (issue 4), the rule is: anonymous requests are denied;
 * an access key acts within the tenancy it was created for, on every bucket of that tenancy.
 */
import type { Principal } from './principal.js';
import type { BucketRecord } from '../metadata/store.js';

export interface AccessRequest {
  principal: Principal;
  action: string;
  tenancyId: string;
  bucket: BucketRecord | undefined;
  key: string | undefined;
}

export type Decision = { allowed: true } | { allowed: false; reason: string };

export function authorize(req: AccessRequest): Decision {
  if (req.principal.kind === 'anonymous') return { allowed: false, reason: 'anonymous access is not allowed' };
  if (req.principal.key.tenancyId !== req.tenancyId) return { allowed: false, reason: 'the access key belongs to another tenancy' };
  return { allowed: true };
}
