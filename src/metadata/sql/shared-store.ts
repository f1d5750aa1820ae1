/**
 * The CRUD both stores share, written once over the query port (port.ts): settings, tenancies, users,
 * memberships, groups, join requests, audit, access keys, bucket reads and configurations, notices, usage
 * samples, sessions and the auth-failure bookkeeping. Each dialect's store extends this class and adds only
 * what genuinely differs: the object/upload/quota write path (group commit with savepoints on SQLite; row
 * locks, per-key ordering and 40001 retries on PostgreSQL), recount, the set-based statements PostgreSQL
 * has and SQLite lacks (directory groups, auth attempts: `unnest`, `ANY`), the coalesced access-key touches
 * and the JSON operators of bucket configurations. Multi-statement operations run in the port's
 * transaction (port.ts: BEGIN IMMEDIATE on SQLite, one client with 40001 retries on PostgreSQL).
 */
import { newId } from '../../lib/ids.js';
import { configurationPath, decodeConfiguration, EMPTY_BUCKET_CONFIGURATION, encodeConfiguration, type BucketConfigurationKind, type BucketConfigurations } from '../bucket-configuration.js';
import { toAccessKey, toAudit, toBucket, toGroup, toJoinRequest, toMembership, toSession, toTenancy, toUser } from '../rows.js';
import { getDeleteMarker, getObjectVersion, scanObjectVersions } from './version-reads.js';
import type {
  AccessKeyRecord,
  AuditRecord,
  BucketRecord,
  DeleteBucketResult,
  DeleteMarkerRecord,
  GroupRecord,
  ListedVersion,
  ObjectVersion,
  VersionScan,
  JoinRequestRecord,
  JoinRequestStatus,
  LogRecord,
  NewLogRecord,
  MembershipRecord,
  MultipartUploadRecord,
  NewAccessKey,
  NewAuditRecord,
  NewTenancy,
  NewUser,
  Role,
  SessionRecord,
  TenancyUpdate,
  TenancyRecord,
  UploadScan,
  UsageRecord,
  UsageSample,
  UserRecord,
} from '../store.js';
import type { Row, SqlPort } from './port.js';
import { scanUploads } from './upload-scan.js';

/** Records per INSERT (4 parameters each: well inside both dialects' parameter limits). */
const LOG_CHUNK = 250;
const TENANCY_COLUMNS = 'id, name, created_at, default_access, quota_bytes, quota_objects, quota_action, listed';
const JOIN_REQUEST_COLUMNS = 'id, tenancy_id, user_id, message, status, created_at, decided_at, decided_by, role, reason';
const UPSERT_MEMBER = `INSERT INTO memberships (tenancy_id, user_id, role, created_at) VALUES (?, ?, ?, ?)
  ON CONFLICT (tenancy_id, user_id) DO UPDATE SET role = excluded.role RETURNING *`;

/** How a dialect sets and removes one kind inside the bucket's configuration document. */
export interface ConfigurationSql {
  /** Parameters: path (`$.kind`) or kind, JSON text of the value, bucket id. */
  set: string;
  /** Parameters: path or kind, bucket id. */
  remove: string;
  /** Whether the dialect addresses a kind by JSON path (SQLite) or by its bare name (PostgreSQL). */
  byPath: boolean;
}

export abstract class SharedSqlStore {
  /** Latest last-used time per access key not yet written (each dialect flushes them its own way). */
  protected readonly pendingTouches = new Map<string, number>();

  constructor(
    protected readonly q: SqlPort,
    private readonly configurationSql: ConfigurationSql,
  ) {}

  // ----- settings

  async getSetting(name: string): Promise<string | undefined> {
    return (await this.q.one('SELECT value FROM settings WHERE name = ?', [name]))?.value;
  }
  async setSetting(name: string, value: string): Promise<void> {
    await this.q.run('INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value', [name, value]);
  }

  // ----- tenancies, users, memberships

  async createTenancy(t: NewTenancy): Promise<TenancyRecord> {
    const r = await this.q.one(`INSERT INTO tenancies (id, name, created_at, default_access) VALUES (?, ?, ?, ?) RETURNING ${TENANCY_COLUMNS}`, [
      newId(), t.name, Date.now(), t.defaultAccess ?? 'owner',
    ]);
    return toTenancy(r!);
  }
  async getTenancyById(id: string): Promise<TenancyRecord | undefined> {
    const r = await this.q.one(`SELECT ${TENANCY_COLUMNS} FROM tenancies WHERE id = ?`, [id]);
    return r && toTenancy(r);
  }
  async getTenancyByName(name: string): Promise<TenancyRecord | undefined> {
    const r = await this.q.one(`SELECT ${TENANCY_COLUMNS} FROM tenancies WHERE name = ?`, [name]);
    return r && toTenancy(r);
  }
  async listTenancies(): Promise<TenancyRecord[]> {
    return (await this.q.all(`SELECT ${TENANCY_COLUMNS} FROM tenancies ORDER BY name`)).map(toTenancy);
  }

  /** Changes only the fields given, in one statement (so concurrent updates of other fields are kept). */
  async updateTenancy(id: string, update: TenancyUpdate): Promise<TenancyRecord | undefined> {
    const r = await this.update('tenancies', TENANCY_COLUMNS, id, [
      ['default_access', update.defaultAccess],
      ['quota_bytes', update.quotaBytes],
      ['quota_objects', update.quotaObjects],
      ['quota_action', update.quotaAction],
      ['listed', update.listed === undefined ? undefined : update.listed ? 1 : 0],
    ]);
    return r && toTenancy(r);
  }

  async createUser(u: NewUser): Promise<UserRecord> {
    const rec: UserRecord = {
      id: newId(),
      username: u.username,
      displayName: u.displayName ?? '',
      email: u.email ?? '',
      passwordHash: u.passwordHash,
      isSiteAdmin: u.isSiteAdmin ?? false,
      createdAt: Date.now(),
    };
    await this.q.run('INSERT INTO users (id, username, display_name, email, password_hash, is_site_admin, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      rec.id, rec.username, rec.displayName, rec.email, rec.passwordHash, rec.isSiteAdmin ? 1 : 0, rec.createdAt,
    ]);
    return rec;
  }
  async getUserById(id: string): Promise<UserRecord | undefined> {
    const r = await this.q.one('SELECT * FROM users WHERE id = ?', [id]);
    return r && toUser(r);
  }
  async getUserByName(username: string): Promise<UserRecord | undefined> {
    const r = await this.q.one('SELECT * FROM users WHERE username = ?', [username]);
    return r && toUser(r);
  }
  async listUsers(): Promise<UserRecord[]> {
    return (await this.q.all('SELECT * FROM users ORDER BY username')).map(toUser);
  }
  async listUsersByEmail(email: string): Promise<UserRecord[]> {
    return (await this.q.all("SELECT * FROM users WHERE lower(email) = lower(?) AND email <> '' ORDER BY username", [email])).map(toUser);
  }

  async updateUser(id: string, update: { displayName?: string; email?: string; passwordHash?: string; isSiteAdmin?: boolean }): Promise<UserRecord | undefined> {
    const r = await this.update('users', '*', id, [
      ['display_name', update.displayName],
      ['email', update.email],
      ['password_hash', update.passwordHash],
      ['is_site_admin', update.isSiteAdmin === undefined ? undefined : update.isSiteAdmin ? 1 : 0],
    ]);
    return r && toUser(r);
  }
  /** `UPDATE … SET` the columns whose value is not undefined (null clears), returning the row; a plain read when none is. */
  private update(table: 'tenancies' | 'users', columns: string, id: string, fields: Array<[string, unknown]>): Promise<Row | undefined> {
    const set = fields.filter(([, v]) => v !== undefined);
    if (set.length === 0) return this.q.one(`SELECT ${columns} FROM ${table} WHERE id = ?`, [id]);
    return this.q.one(`UPDATE ${table} SET ${set.map(([c]) => `${c} = ?`).join(', ')} WHERE id = ? RETURNING ${columns}`, [...set.map(([, v]) => v), id]);
  }

  /** Adds the member, or changes the role of an existing one (keeping its createdAt). */
  async addMember(tenancyId: string, userId: string, role: Role): Promise<MembershipRecord> {
    return toMembership((await this.q.one(UPSERT_MEMBER, [tenancyId, userId, role, Date.now()]))!);
  }
  /** For a dialect's join decision, inside its transaction. */
  protected static readonly UPSERT_MEMBER = UPSERT_MEMBER;
  async getMembership(tenancyId: string, userId: string): Promise<MembershipRecord | undefined> {
    const r = await this.q.one('SELECT * FROM memberships WHERE tenancy_id = ? AND user_id = ?', [tenancyId, userId]);
    return r && toMembership(r);
  }
  async listMembers(tenancyId: string): Promise<MembershipRecord[]> {
    return (await this.q.all('SELECT * FROM memberships WHERE tenancy_id = ? ORDER BY created_at, user_id', [tenancyId])).map(toMembership);
  }
  async listMembershipsOfUser(userId: string): Promise<MembershipRecord[]> {
    return (await this.q.all('SELECT * FROM memberships WHERE user_id = ? ORDER BY created_at, tenancy_id', [userId])).map(toMembership);
  }

  /**
   * Memberships, keys, join requests and reservations go by ON DELETE CASCADE; the audit trail stays. The
   * tenancy row is locked (PostgreSQL: FOR UPDATE waits for a createBucket in flight, whose foreign-key
   * check holds KEY SHARE on it; SQLite: the write lock), so no bucket appears after the check.
   */
  async deleteTenancy(id: string): Promise<boolean> {
    return this.q.transaction(async (tx) => {
      if (!(await tx.one(`SELECT 1 AS found FROM tenancies WHERE id = ?${tx.forUpdate}`, [id]))) return false;
      if (await tx.one('SELECT 1 AS found FROM buckets WHERE tenancy_id = ? LIMIT 1', [id])) return false;
      const keys = await tx.all('SELECT access_key_id FROM access_keys WHERE tenancy_id = ?', [id]);
      await tx.run('DELETE FROM tenancies WHERE id = ?', [id]);
      for (const k of keys) this.pendingTouches.delete(k.access_key_id as string);
      return true;
    });
  }
  async removeMember(tenancyId: string, userId: string): Promise<boolean> {
    return this.q.transaction(async (tx) => {
      const removed = await tx.run('DELETE FROM memberships WHERE tenancy_id = ? AND user_id = ?', [tenancyId, userId]);
      const keys = await tx.all('DELETE FROM access_keys WHERE tenancy_id = ? AND user_id = ? RETURNING access_key_id', [tenancyId, userId]);
      for (const k of keys) this.pendingTouches.delete(k.access_key_id as string);
      return removed > 0;
    });
  }

  // ----- groups

  async createGroup(name: string, source: 'local' | 'ldap' = 'local'): Promise<GroupRecord> {
    const rec: GroupRecord = { id: newId(), name, source, createdAt: Date.now() };
    await this.q.run('INSERT INTO groups (id, name, source, created_at) VALUES (?, ?, ?, ?)', [rec.id, rec.name, rec.source, rec.createdAt]);
    return rec;
  }
  async getGroupByName(name: string): Promise<GroupRecord | undefined> {
    const r = await this.q.one('SELECT * FROM groups WHERE name = ?', [name]);
    return r && toGroup(r);
  }
  async listGroups(): Promise<GroupRecord[]> {
    return (await this.q.all('SELECT * FROM groups ORDER BY name')).map(toGroup);
  }
  /** Its members go by ON DELETE CASCADE. */
  async deleteGroup(id: string): Promise<boolean> {
    return (await this.q.run('DELETE FROM groups WHERE id = ?', [id])) > 0;
  }
  async addGroupMember(groupId: string, userId: string): Promise<void> {
    await this.q.run('INSERT INTO group_members (group_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING', [groupId, userId]);
  }
  async removeGroupMember(groupId: string, userId: string): Promise<boolean> {
    return (await this.q.run('DELETE FROM group_members WHERE group_id = ? AND user_id = ?', [groupId, userId])) > 0;
  }
  async listGroupMembers(groupId: string): Promise<UserRecord[]> {
    return (await this.q.all('SELECT u.* FROM group_members m JOIN users u ON u.id = m.user_id WHERE m.group_id = ? ORDER BY u.username', [groupId])).map(toUser);
  }
  async listGroupsOfUser(userId: string): Promise<string[]> {
    const rows = await this.q.all('SELECT g.name FROM group_members m JOIN groups g ON g.id = m.group_id WHERE m.user_id = ? ORDER BY g.name', [userId]);
    return rows.map((r) => r.name as string);
  }

  // ----- join requests

  async createJoinRequest(r: { tenancyId: string; userId: string; message: string }): Promise<JoinRequestRecord> {
    const row = await this.q.one(
      `INSERT INTO join_requests (id, tenancy_id, user_id, message, status, created_at) VALUES (?, ?, ?, ?, 'pending', ?) RETURNING ${JOIN_REQUEST_COLUMNS}`,
      [newId(), r.tenancyId, r.userId, r.message, Date.now()],
    );
    return toJoinRequest(row!);
  }
  async getJoinRequest(id: string): Promise<JoinRequestRecord | undefined> {
    const r = await this.q.one(`SELECT ${JOIN_REQUEST_COLUMNS} FROM join_requests WHERE id = ?`, [id]);
    return r && toJoinRequest(r);
  }
  /** Newest first (insertion order: timestamps can tie). */
  async listJoinRequests(tenancyId: string, status?: JoinRequestStatus): Promise<JoinRequestRecord[]> {
    const rows =
      status === undefined
        ? await this.q.all(`SELECT ${JOIN_REQUEST_COLUMNS} FROM join_requests WHERE tenancy_id = ? ORDER BY seq DESC`, [tenancyId])
        : await this.q.all(`SELECT ${JOIN_REQUEST_COLUMNS} FROM join_requests WHERE tenancy_id = ? AND status = ? ORDER BY seq DESC`, [tenancyId, status]);
    return rows.map(toJoinRequest);
  }
  async listJoinRequestsOfUser(userId: string): Promise<JoinRequestRecord[]> {
    return (await this.q.all(`SELECT ${JOIN_REQUEST_COLUMNS} FROM join_requests WHERE user_id = ? ORDER BY seq DESC`, [userId])).map(toJoinRequest);
  }

  /** The request must still be pending (a decided one is left as it is), so two deciders cannot both decide. */
  async decideJoinRequest(id: string, decision: { approve: boolean; role: Role; decidedBy: string; reason?: string }): Promise<JoinRequestRecord | undefined> {
    return this.q.transaction(async (tx) => {
      const now = Date.now();
      const row = await tx.one(
        `UPDATE join_requests SET status = ?, decided_at = ?, decided_by = ?, role = ?, reason = ?
          WHERE id = ? AND status = 'pending' RETURNING ${JOIN_REQUEST_COLUMNS}`,
        [decision.approve ? 'approved' : 'rejected', now, decision.decidedBy, decision.approve ? decision.role : null, decision.approve ? '' : (decision.reason ?? ''), id],
      );
      if (!row) return undefined;
      if (decision.approve) await tx.one(UPSERT_MEMBER, [row.tenancy_id, row.user_id, decision.role, now]);
      return toJoinRequest(row);
    });
  }

  // ----- audit trail

  async appendAudit(a: NewAuditRecord): Promise<AuditRecord> {
    const rec: AuditRecord = { id: newId(), at: Date.now(), actorId: a.actorId, tenancyId: a.tenancyId, action: a.action, target: a.target, details: a.details };
    await this.q.run('INSERT INTO audit_log (id, at, actor_id, tenancy_id, action, target, details) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      rec.id, rec.at, rec.actorId, rec.tenancyId, rec.action, rec.target, JSON.stringify(rec.details ?? {}),
    ]);
    return rec;
  }
  async listAudit(tenancyId: string | undefined, limit: number): Promise<AuditRecord[]> {
    const n = Math.max(0, Math.floor(limit));
    const rows =
      tenancyId === undefined
        ? await this.q.all('SELECT * FROM audit_log ORDER BY seq DESC LIMIT ?', [n])
        : await this.q.all('SELECT * FROM audit_log WHERE tenancy_id = ? ORDER BY seq DESC LIMIT ?', [tenancyId, n]);
    return rows.map(toAudit);
  }

  // ----- access keys (touches are coalesced by each dialect: touchAccessKey)

  async createAccessKey(k: NewAccessKey): Promise<AccessKeyRecord> {
    const rec: AccessKeyRecord = {
      accessKeyId: k.accessKeyId,
      userId: k.userId,
      tenancyId: k.tenancyId,
      name: k.name,
      secretEncrypted: k.secretEncrypted,
      createdAt: Date.now(),
      expiresAt: k.expiresAt,
      lastUsedAt: null,
      restriction: k.restriction,
    };
    await this.q.run(
      `INSERT INTO access_keys (access_key_id, user_id, tenancy_id, name, secret_encrypted, created_at, expires_at, last_used_at, restriction)
       VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?)`,
      [rec.accessKeyId, rec.userId, rec.tenancyId, rec.name, rec.secretEncrypted, rec.createdAt, rec.expiresAt, rec.restriction],
    );
    return rec;
  }
  async getAccessKey(accessKeyId: string): Promise<AccessKeyRecord | undefined> {
    const r = await this.q.one('SELECT * FROM access_keys WHERE access_key_id = ?', [accessKeyId]);
    return r && this.withPendingTouch(toAccessKey(r));
  }
  async listAccessKeys(userId: string): Promise<AccessKeyRecord[]> {
    const rows = await this.q.all('SELECT * FROM access_keys WHERE user_id = ? ORDER BY created_at, access_key_id', [userId]);
    return rows.map((r) => this.withPendingTouch(toAccessKey(r)));
  }
  async deleteAccessKey(accessKeyId: string): Promise<boolean> {
    this.pendingTouches.delete(accessKeyId);
    return (await this.q.run('DELETE FROM access_keys WHERE access_key_id = ?', [accessKeyId])) > 0;
  }
  /** Reads in this process overlay pending touches so they never look stale here. */
  private withPendingTouch(k: AccessKeyRecord): AccessKeyRecord {
    const pending = this.pendingTouches.get(k.accessKeyId);
    if (pending !== undefined && (k.lastUsedAt === null || pending > k.lastUsedAt)) k.lastUsedAt = pending;
    return k;
  }

  // ----- buckets (create differs per dialect: it races with the write path)

  /** The record of a bucket just inserted (every configuration unset). */
  static newBucketRecord(b: Omit<BucketRecord, keyof BucketConfigurations | 'quotaBytes' | 'quotaObjects' | 'createdAt'>): BucketRecord {
    return { ...b, createdAt: Date.now(), quotaBytes: null, quotaObjects: null, ...decodeConfiguration(EMPTY_BUCKET_CONFIGURATION) };
  }
  async getBucket(tenancyId: string, name: string): Promise<BucketRecord | undefined> {
    const r = await this.q.one('SELECT * FROM buckets WHERE tenancy_id = ? AND name = ?', [tenancyId, name]);
    return r && toBucket(r);
  }
  async getBucketById(id: string): Promise<BucketRecord | undefined> {
    const r = await this.q.one('SELECT * FROM buckets WHERE id = ?', [id]);
    return r && toBucket(r);
  }
  async listBuckets(tenancyId: string): Promise<BucketRecord[]> {
    return (await this.q.all('SELECT * FROM buckets WHERE tenancy_id = ? ORDER BY name', [tenancyId])).map(toBucket);
  }
  /**
   * Deletes only an empty bucket (its usage counters are columns of its row, so they go with it). The row
   * is locked first (PostgreSQL: FOR UPDATE waits for writers holding its key-share lock; SQLite: the write
   * lock), so an object or upload written concurrently is either seen here or finds the bucket gone.
   */
  async deleteBucket(bucketId: string): Promise<DeleteBucketResult> {
    return this.q.transaction(async (tx): Promise<DeleteBucketResult> => {
      if (!(await tx.one(`SELECT 1 AS found FROM buckets WHERE id = ?${tx.forUpdate}`, [bucketId]))) return 'not-found';
      // Noncurrent versions and delete markers keep a bucket from being empty, as in S3.
      const busy = `SELECT 1 AS busy WHERE EXISTS (SELECT 1 FROM objects WHERE bucket_id = ?) OR EXISTS (SELECT 1 FROM multipart_uploads WHERE bucket_id = ?)
        OR EXISTS (SELECT 1 FROM object_versions WHERE bucket_id = ?)`;
      if (await tx.one(busy, [bucketId, bucketId, bucketId])) return 'not-empty';
      await tx.run('DELETE FROM buckets WHERE id = ?', [bucketId]);
      return 'deleted';
    });
  }
  async setBucketQuota(bucketId: string, quota: { bytes: number | null; objects: number | null }): Promise<boolean> {
    return (await this.q.run('UPDATE buckets SET quota_bytes = ?, quota_objects = ? WHERE id = ?', [quota.bytes, quota.objects, bucketId])) > 0;
  }
  async setBucketConfiguration<K extends BucketConfigurationKind>(bucketId: string, kind: K, value: BucketConfigurations[K] | null): Promise<boolean> {
    const path = configurationPath(kind);
    const at = this.configurationSql.byPath ? path : kind;
    const changed =
      value === null
        ? await this.q.run(this.configurationSql.remove, [at, bucketId])
        : await this.q.run(this.configurationSql.set, [at, encodeConfiguration(kind, value), bucketId]);
    return changed > 0;
  }

  // ----- multipart uploads (the scan is the same statements on both; writing them is the write path's)

  scanUploads(bucketId: string, scan: UploadScan): Promise<MultipartUploadRecord[]> {
    return scanUploads(this.q, bucketId, scan);
  }

  // ----- usage

  // ----- object versions (reads, written once in version-reads.ts; the writes are each dialect's write path)

  getObjectVersion(bucketId: string, key: string, versionId: string): Promise<ObjectVersion | undefined> {
    return getObjectVersion(this.q, bucketId, key, versionId);
  }
  getDeleteMarker(bucketId: string, key: string): Promise<DeleteMarkerRecord | undefined> {
    return getDeleteMarker(this.q, bucketId, key);
  }
  scanObjectVersions(bucketId: string, scan: VersionScan): Promise<ListedVersion[]> {
    return scanObjectVersions(this.q, bucketId, scan);
  }

  async getTenancyUsage(tenancyId: string): Promise<UsageRecord> {
    const r = await this.q.one('SELECT used_bytes, used_objects FROM tenancies WHERE id = ?', [tenancyId]);
    return { bytes: r?.used_bytes ?? 0, objects: r?.used_objects ?? 0 };
  }
  async getBucketUsage(bucketId: string): Promise<UsageRecord> {
    const r = await this.q.one('SELECT used_bytes, used_objects FROM buckets WHERE id = ?', [bucketId]);
    return { bytes: r?.used_bytes ?? 0, objects: r?.used_objects ?? 0 };
  }
  async recordUsageSample(tenancyId: string, at: number, usage: UsageRecord): Promise<void> {
    await this.q.run(
      `INSERT INTO usage_samples (tenancy_id, at, bytes, objects) VALUES (?, ?, ?, ?)
       ON CONFLICT (tenancy_id, at) DO UPDATE SET bytes = excluded.bytes, objects = excluded.objects`,
      [tenancyId, at, usage.bytes, usage.objects],
    );
  }
  async listUsageSamples(tenancyId: string, since: number, limit: number): Promise<UsageSample[]> {
    const rows = await this.q.all(
      `SELECT at, bytes, objects FROM (SELECT at, bytes, objects FROM usage_samples WHERE tenancy_id = ? AND at >= ? ORDER BY at DESC LIMIT ?) s ORDER BY at`,
      [tenancyId, since, limit],
    );
    return rows.map((r) => ({ at: Number(r.at), bytes: Number(r.bytes), objects: Number(r.objects) }));
  }

  // ----- notices (sent once, across gateways)

  async claimNotice(key: string, at: number): Promise<boolean> {
    return (await this.q.run('INSERT INTO sent_notices (key, sent_at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING', [key, at])) > 0;
  }
  async releaseNotices(prefix: string): Promise<number> {
    return this.q.run('DELETE FROM sent_notices WHERE substr(key, 1, length(CAST(? AS TEXT))) = ?', [prefix, prefix]);
  }
  async hasNotice(key: string): Promise<boolean> {
    return (await this.q.one('SELECT 1 AS found FROM sent_notices WHERE key = ?', [key])) !== undefined;
  }

  // ----- server access log spool (core/log-delivery.ts)

  async appendLogRecords(records: readonly NewLogRecord[]): Promise<void> {
    // One statement per chunk, each atomic: a crash between chunks keeps the first ones, and the caller
    // acknowledges none of them until every chunk is in.
    for (let i = 0; i < records.length; i += LOG_CHUNK) {
      const chunk = records.slice(i, i + LOG_CHUNK);
      const params: unknown[] = [];
      for (const r of chunk) params.push(newId(), r.bucketId, r.eventTime, r.line);
      await this.q.run(`INSERT INTO log_records (id, bucket_id, event_time, line) VALUES ${chunk.map(() => '(?, ?, ?, ?)').join(', ')}`, params);
    }
  }
  async takeLogRecords(limit: number): Promise<LogRecord[]> {
    const rows = await this.q.all('SELECT id, bucket_id, event_time, line FROM log_records ORDER BY event_time, id LIMIT ?', [limit]);
    return rows.map((r) => ({ id: String(r.id), bucketId: String(r.bucket_id), eventTime: Number(r.event_time), line: String(r.line) }));
  }
  async ackLogRecords(ids: readonly string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += LOG_CHUNK * 4) {
      const chunk = ids.slice(i, i + LOG_CHUNK * 4);
      await this.q.run(`DELETE FROM log_records WHERE id IN (${chunk.map(() => '?').join(', ')})`, chunk);
    }
  }

  // ----- portal sessions

  async createSession(r: SessionRecord): Promise<void> {
    await this.q.run('INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen, elevated_until) VALUES (?, ?, ?, ?, ?, ?)', [
      r.idHash, r.userId, r.csrfToken, r.createdAt, r.lastSeen, r.elevatedUntil,
    ]);
  }
  async getSession(idHash: string): Promise<SessionRecord | undefined> {
    const r = await this.q.one('SELECT * FROM sessions WHERE id_hash = ?', [idHash]);
    return r && toSession(r);
  }
  async updateSession(idHash: string, update: { lastSeen?: number; elevatedUntil?: number }): Promise<boolean> {
    // Casts: an untyped NULL parameter would not tell PostgreSQL its type.
    const sql = 'UPDATE sessions SET last_seen = coalesce(CAST(? AS BIGINT), last_seen), elevated_until = coalesce(CAST(? AS BIGINT), elevated_until) WHERE id_hash = ?';
    return (await this.q.run(sql, [update.lastSeen ?? null, update.elevatedUntil ?? null, idHash])) > 0;
  }
  async deleteSession(idHash: string): Promise<boolean> {
    return (await this.q.run('DELETE FROM sessions WHERE id_hash = ?', [idHash])) > 0;
  }
  async deleteSessionsOfUser(userId: string): Promise<number> {
    return this.q.run('DELETE FROM sessions WHERE user_id = ?', [userId]);
  }
  async deleteExpiredSessions(idleBefore: number, createdBefore: number): Promise<number> {
    return this.q.run('DELETE FROM sessions WHERE last_seen < ? OR created_at < ?', [idleBefore, createdBefore]);
  }

  // ----- password-guessing throttle (beginAuthAttempt locks per dialect)

  async withdrawAuthFailure(key: string, at: number, previousLastFailure: number): Promise<void> {
    await this.q.transaction(async (tx) => {
      await tx.run(
        `UPDATE auth_failures SET failures = failures - 1,
           last_failure = CASE WHEN last_failure = ? THEN ? ELSE last_failure END WHERE key = ? AND failures > 0`,
        [at, previousLastFailure, key],
      );
      await tx.run('DELETE FROM auth_failures WHERE key = ? AND failures <= 0', [key]);
    });
  }

  async clearAuthFailures(key: string): Promise<void> {
    await this.q.run('DELETE FROM auth_failures WHERE key = ?', [key]);
  }
  async deleteAuthFailuresBefore(before: number): Promise<number> {
    return this.q.run('DELETE FROM auth_failures WHERE last_failure < ?', [before]);
  }
}
