/**
 * Notices by mail, sent by a background job: a reminder 14 days before an access key expires (to its
 * owner), a join request waiting (to the tenancy's managers and deputies), and the warning and critical
 * quota levels (to the tenancy's members). Each notice has a key (`key-expiry:<id>`, `join-request:<id>`,
 * `quota:<tenancy>:<level>`) claimed in the metadata store before it is sent, so it is sent once even
 * when passes overlap or gateways take turns; a sending that fails is released and tried next pass. A
 * quota level left (usage fell below it) is released too, so the next time usage rises past it its
 * members hear again. With several gateways, one runs a pass at a time (`exclusive`: a PostgreSQL
 * advisory lock, as the blob sweeper takes).
 */
import { PORTAL_KEY_NAME } from './user-keys.js';
import { keyIsExpired } from '../iam/access-keys.js';
import { formatSize } from '../lib/format-size.js';
import type { Mailer } from '../lib/mailer.js';
import type { AccessKeyRepository, JoinRequestRepository, NoticeRepository, QuotaRepository, TenancyRecord, TenancyRepository, UserRecord, UserRepository } from '../metadata/store.js';
import { quotaStatus, type QuotaThresholds } from './quota.js';

const DAY_MS = 86_400_000;
/** How long before its expiry a key's owner is reminded. */
export const KEY_REMINDER_DAYS = 14;

export interface NoticeJobOptions {
  intervalMs: number;
  thresholds: QuotaThresholds;
  /** Where people sign in, for links in the messages. */
  portalUrl: () => string;
  exclusive?: <T>(fn: () => Promise<T>) => Promise<{ ran: true; value: T } | { ran: false }>;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  now?: () => number;
}

export class NoticeJob {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly now: () => number;

  constructor(
    private readonly metadata: AccessKeyRepository & JoinRequestRepository & NoticeRepository & QuotaRepository & TenancyRepository & UserRepository,
    private readonly mailer: Mailer,
    private readonly options: NoticeJobOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Runs a pass now, then one every interval; the timer never keeps the process alive. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.tail = this.pass();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.tail.catch(() => {});
  }

  private schedule(): void {
    if (!this.running || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.tail = this.tail.catch(() => {}).then(() => this.pass()).finally(() => this.schedule());
    }, this.options.intervalMs);
    this.timer.unref();
  }

  private async pass(): Promise<void> {
    try {
      if (this.options.exclusive) await this.options.exclusive(() => this.runOnce());
      else await this.runOnce();
    } catch (e) {
      this.options.log?.('notice pass failed', { error: (e as Error).message });
    }
  }

  /** One pass over everything; returns how many messages were sent. */
  async runOnce(): Promise<number> {
    let sent = 0;
    const users = new Map<string, UserRecord | undefined>();
    const user = async (id: string) => {
      if (!users.has(id)) users.set(id, await this.metadata.getUserById(id));
      return users.get(id);
    };
    for (const t of await this.metadata.listTenancies()) {
      sent += await this.joinRequests(t, user);
      sent += await this.quota(t, user);
      sent += await this.keyExpiry(t, user);
    }
    return sent;
  }

  /** Claims the notice, sends it to each address, and releases it if sending failed. */
  private async notify(key: string, to: UserRecord[], subject: string, text: (u: UserRecord) => string): Promise<number> {
    const recipients = to.filter((u) => u.email !== '');
    if (recipients.length === 0) return 0;
    if (!(await this.metadata.claimNotice(key, this.now()))) return 0;
    try {
      for (const u of recipients) await this.mailer.send({ to: u.email, subject, text: text(u) });
      return recipients.length;
    } catch (e) {
      await this.metadata.releaseNotices(key).catch(() => 0);
      this.options.log?.('a notice could not be sent; it is tried again next time', { notice: key, error: (e as Error).message });
      return 0;
    }
  }

  private async members(t: TenancyRecord, roles?: string[]): Promise<UserRecord[]> {
    const out: UserRecord[] = [];
    for (const m of await this.metadata.listMembers(t.id)) {
      if (roles && !roles.includes(m.role)) continue;
      const u = await this.metadata.getUserById(m.userId);
      if (u) out.push(u);
    }
    return out;
  }

  private async joinRequests(t: TenancyRecord, user: (id: string) => Promise<UserRecord | undefined>): Promise<number> {
    const pending = await this.metadata.listJoinRequests(t.id, 'pending');
    if (pending.length === 0) return 0;
    const deciders = await this.members(t, ['MANAGER', 'DEPUTY']);
    let sent = 0;
    for (const r of pending) {
      const who = await user(r.userId);
      const name = who ? `${who.displayName} (${who.username})` : r.userId;
      sent += await this.notify(`join-request:${r.id}`, deciders, `[Granary] ${name} asks to join ${t.name}`, (u) =>
        [
          `Hello ${u.displayName},`,
          '',
          `${name} asked on ${new Date(r.createdAt).toISOString().slice(0, 10)} to join the tenancy ${t.name}.`,
          ...(r.message ? ['', 'Their message:', ...r.message.split('\n').map((l) => `  ${l}`)] : []),
          '',
          `Approve or reject it in the portal: ${this.options.portalUrl()}/_admin/portal/#/t/${encodeURIComponent(t.name)}/members`,
          '',
        ].join('\n'),
      );
    }
    return sent;
  }

  private async quota(t: TenancyRecord, _user: (id: string) => Promise<UserRecord | undefined>): Promise<number> {
    if (t.quotaBytes === null && t.quotaObjects === null) {
      await this.metadata.releaseNotices(`quota:${t.id}:`);
      return 0;
    }
    const usage = await this.metadata.getTenancyUsage(t.id);
    const status = quotaStatus(usage, t, this.options.thresholds);
    const percent = status.percent ?? 0;
    const th = this.options.thresholds;
    // A level left is forgotten, so crossing it again is told again (the level is quotaStatus's, as everywhere).
    if (status.level === 'ok' || status.level === 'warning') await this.metadata.releaseNotices(`quota:${t.id}:critical`);
    if (status.level === 'ok') {
      await this.metadata.releaseNotices(`quota:${t.id}:warning`);
      return 0;
    }
    const level = status.level === 'warning' ? 'warning' : 'critical';
    const members = await this.members(t);
    const used = `${formatSize(usage.bytes)}${t.quotaBytes !== null ? ` of ${formatSize(t.quotaBytes)}` : ''}, ${usage.objects} objects${t.quotaObjects !== null ? ` of ${t.quotaObjects}` : ''}`;
    let sent = 0;
    // Rising straight past both levels tells the critical one only.
    if (level === 'critical') await this.metadata.claimNotice(`quota:${t.id}:warning`, this.now());
    sent += await this.notify(`quota:${t.id}:${level}`, members, `[Granary] ${t.name} is ${percent.toFixed(1)}% full (${level})`, (u) =>
      [
        `Hello ${u.displayName},`,
        '',
        `The tenancy ${t.name} uses ${used}: ${percent.toFixed(1)}% of its quota, past the ${level} level (${level === 'critical' ? th.critical : th.warning}%).`,
        status.level === 'full' || level === 'critical'
          ? `When it is full, ${t.quotaAction === 'notify' ? 'writes still succeed (the quota only notifies)' : t.quotaAction === 'read-delete' ? 'new data is refused; reading and deleting still work' : t.quotaAction === 'read-only' ? 'it becomes read-only' : 'it is locked'}.`
          : 'Nothing is refused yet.',
        '',
        `See what uses the space: ${this.options.portalUrl()}/_admin/portal/#/t/${encodeURIComponent(t.name)}/usage`,
        '',
      ].join('\n'),
    );
    return sent;
  }

  private async keyExpiry(t: TenancyRecord, user: (id: string) => Promise<UserRecord | undefined>): Promise<number> {
    const now = this.now();
    let sent = 0;
    for (const m of await this.metadata.listMembers(t.id)) {
      const owner = await user(m.userId);
      if (!owner) continue;
      for (const k of await this.metadata.listAccessKeys(owner.id)) {
        // The portal renews its own key by itself; keys without expiry never expire.
        if (k.tenancyId !== t.id || k.name === PORTAL_KEY_NAME || k.expiresAt === null || keyIsExpired(k, now)) continue;
        if (k.expiresAt - now > KEY_REMINDER_DAYS * DAY_MS) continue;
        const day = new Date(k.expiresAt).toISOString().slice(0, 10);
        const days = Math.max(0, Math.ceil((k.expiresAt - now) / DAY_MS));
        sent += await this.notify(`key-expiry:${k.accessKeyId}`, [owner], `[Granary] your access key "${k.name}" for ${t.name} expires on ${day}`, (u) =>
          [
            `Hello ${u.displayName},`,
            '',
            `Your access key "${k.name}" (${k.accessKeyId}) for the tenancy ${t.name} expires on ${day}, in ${days} day${days === 1 ? '' : 's'}.`,
            'Programs using it stop working then. Create a new key and put it in their configuration before that day:',
            `${this.options.portalUrl()}/_admin/portal/#/t/${encodeURIComponent(t.name)}/keys`,
            '',
          ].join('\n'),
        );
      }
    }
    return sent;
  }
}
