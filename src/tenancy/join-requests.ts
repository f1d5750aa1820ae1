/**
 * Join requests: a user asks to join a tenancy with a message; a MANAGER or DEPUTY approves (with a role,
 * USER by default) or rejects it; the requester sees the outcome in their own list.
 */
import type { JoinRequestRecord, JoinRequestRepository, JoinRequestStatus, Role, TenancyRecord, TenancyRepository, UserRecord, UserRepository } from '../metadata/store.js';
import type { Actor, AuditTrail } from './audit.js';
import { conflict, invalid, notFound } from './domain-error.js';
import { assertMayAssign, isRole, type ActingRole } from './membership.js';

const MAX_MESSAGE = 2000;

export function isJoinRequestStatus(v: unknown): v is JoinRequestStatus {
  return v === 'pending' || v === 'approved' || v === 'rejected';
}

export class JoinRequests {
  constructor(
    private readonly metadata: JoinRequestRepository & TenancyRepository & UserRepository,
    private readonly audit: AuditTrail,
  ) {}

  async create(requester: UserRecord, tenancy: TenancyRecord, message: string): Promise<JoinRequestRecord> {
    if (typeof message !== 'string') throw invalid('message must be a string');
    if (message.length > MAX_MESSAGE) throw invalid(`message must be at most ${MAX_MESSAGE} characters`);
    if (await this.metadata.getMembership(tenancy.id, requester.id)) throw conflict(`you are already a member of ${tenancy.name}`);
    const mine = await this.metadata.listJoinRequestsOfUser(requester.id);
    if (mine.some((r) => r.tenancyId === tenancy.id && r.status === 'pending')) throw conflict(`you already have a pending request to join ${tenancy.name}`);
    const r = await this.metadata.createJoinRequest({ tenancyId: tenancy.id, userId: requester.id, message });
    await this.audit.record({ userId: requester.id }, tenancy.id, 'request.create', requester.username, { requestId: r.id });
    return r;
  }

  list(tenancy: TenancyRecord, status?: JoinRequestStatus): Promise<JoinRequestRecord[]> {
    return this.metadata.listJoinRequests(tenancy.id, status);
  }

  listOfUser(user: UserRecord): Promise<JoinRequestRecord[]> {
    return this.metadata.listJoinRequestsOfUser(user.id);
  }

  /** `reason`: why a rejection (shown to the requester; at most 2000 characters). */
  async decide(actor: Actor & { userId: string }, acting: ActingRole, tenancy: TenancyRecord, id: string, approve: boolean, role: Role = 'USER', reason = ''): Promise<JoinRequestRecord> {
    if (!isRole(role)) throw invalid('role must be USER, DEPUTY or MANAGER');
    if (typeof reason !== 'string' || reason.length > MAX_MESSAGE) throw invalid(`the reason must be at most ${MAX_MESSAGE} characters`);
    const existing = await this.metadata.getJoinRequest(id);
    if (!existing || existing.tenancyId !== tenancy.id) throw notFound(`no join request ${id} in ${tenancy.name}`);
    if (existing.status !== 'pending') throw conflict(`join request ${id} was already ${existing.status}`);
    if (approve) assertMayAssign(acting, role);
    const decided = await this.metadata.decideJoinRequest(id, { approve, role, decidedBy: actor.userId, reason: approve ? '' : reason.trim() });
    if (!decided) throw conflict(`join request ${id} was decided meanwhile`);
    const requester = await this.metadata.getUserById(existing.userId);
    await this.audit.record(actor, tenancy.id, approve ? 'request.approve' : 'request.reject', requester?.username ?? existing.userId, { requestId: id, ...(approve ? { role } : { reason: reason.trim() }) });
    return decided;
  }
}
