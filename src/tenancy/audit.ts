/**
 * The audit trail: every administrative change appends one record (who, which tenancy, what, on what).
 * Details are plain facts about the change and never a secret (no passwords, no secret keys).
 */
import type { AuditRecord, AuditRepository } from '../metadata/store.js';

/** Who performed a change: a user id, or null for the system itself. */
export type Actor = { userId: string | null };

export class AuditTrail {
  constructor(private readonly metadata: AuditRepository) {}

  record(actor: Actor, tenancyId: string | null, action: string, target: string, details: Record<string, unknown> = {}): Promise<AuditRecord> {
    return this.metadata.appendAudit({ actorId: actor.userId, tenancyId, action, target, details });
  }

  /** Newest first; tenancyId undefined = the whole site. */
  list(tenancyId: string | undefined, limit = 100): Promise<AuditRecord[]> {
    return this.metadata.listAudit(tenancyId, Math.min(Math.max(1, limit), 1000));
  }
}
