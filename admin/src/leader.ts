import type { Campaign, ElectionObserver } from 'etcd3';
import type { Logger } from 'pino';
import type { Coordination, EndpointHealth } from './store.js';

/** What an admin campaigns with; the leader's is what followers and `GET /v1/admin/status` show. */
export interface AdminIdentity {
  id: string;
  /** Its operator API base URL. */
  http: string;
  grpc: string;
}

export interface AdminRole {
  id: string;
  role: 'leader' | 'follower';
  leader?: AdminIdentity;
}

export interface LeaderDeps {
  coordination: Coordination;
  ttlSeconds: number;
  log: Logger;
  /** Won the election: load what the previous leader left and start the leader's work. */
  elected(): Promise<void>;
  /** Lost or gave up the leadership (or never had it): stop the leader's work at once. */
  follow(leader: string): void;
  /** Pause before campaigning again after a lost campaign (default 500 ms). */
  retryMs?: number;
}

/**
 * Every admin on etcd campaigns; etcd's election (a key per candidate under one lease each, the
 * oldest key leads) picks one. The leader's election key fences its writes (store Coordination):
 * an admin that was paused or cut off past its lease TTL finds its writes refused before it even
 * notices the lost lease, and steps down either way. A follower campaigns again at once, so it is
 * next in line when the leader's lease runs out.
 */
export class LeaderElection {
  private campaign?: Campaign;
  private observer?: ElectionObserver;
  private leading = false;
  private leader?: AdminIdentity;
  private closed = false;
  private retry?: NodeJS.Timeout;

  constructor(
    private readonly self: AdminIdentity,
    private readonly deps: LeaderDeps,
  ) {
    deps.coordination.onFenced((err) => this.lost(err.message));
  }

  async start(): Promise<void> {
    this.deps.coordination.fence('follower');
    this.deps.follow('');
    const election = this.deps.coordination.election(this.deps.ttlSeconds);
    this.observer = await election.observe();
    this.leader = parse(this.observer.leader());
    this.observer.on('change', (value) => {
      this.leader = parse(value);
      if (!this.leading) this.deps.follow(this.leaderName());
    });
    this.observer.on('error', (err) => this.deps.log.warn({ err }, 'watching the admin election failed'));
    this.run();
  }

  private run(): void {
    if (this.closed) return;
    const campaign = this.deps.coordination.election(this.deps.ttlSeconds).campaign(JSON.stringify(this.self));
    this.campaign = campaign;
    campaign.on('elected', () => void this.won(campaign));
    campaign.on('error', (err) => {
      if (this.campaign !== campaign) return;
      this.lost(`the campaign failed: ${err.message}`);
    });
  }

  private async won(campaign: Campaign): Promise<void> {
    try {
      const fence = await this.deps.coordination.fenceOf(await campaign.getCampaignKey());
      if (!fence || this.campaign !== campaign) throw new Error('the election key vanished right after the win');
      this.deps.coordination.fence(fence);
      this.leading = true;
      this.leader = this.self;
      this.deps.log.info({ admin: this.self.id, key: fence.key, revision: fence.createRevision }, 'elected leader');
      await this.deps.elected();
    } catch (err) {
      this.lost(`taking over failed: ${(err as Error).message}`);
    }
  }

  /** Steps down (when leading) and campaigns again. */
  private lost(why: string): void {
    const was = this.leading;
    this.leading = false;
    this.deps.coordination.fence('follower', this.leaderName());
    if (this.leader?.id === this.self.id) this.leader = undefined;
    this.deps.follow(this.leaderName());
    if (was) this.deps.log.warn({ admin: this.self.id, why }, 'stepped down: no longer the leader');
    else this.deps.log.warn({ admin: this.self.id, why }, 'campaign lost; campaigning again');
    const old = this.campaign;
    this.campaign = undefined;
    void old?.resign().catch(() => undefined);
    if (this.closed || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.run();
    }, this.deps.retryMs ?? 500);
    this.retry.unref();
  }

  private leaderName(): string {
    return this.leader && this.leader.id !== this.self.id ? `${this.leader.id} (${this.leader.http})` : '';
  }

  role(): AdminRole {
    return { id: this.self.id, role: this.leading ? 'leader' : 'follower', leader: this.leader };
  }

  health(): Promise<EndpointHealth[]> {
    return this.deps.coordination.health();
  }

  /** Resigns: another admin leads at once rather than after the lease TTL. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    this.leading = false;
    this.deps.coordination.fence('follower');
    await this.observer?.cancel().catch(() => undefined);
    await this.campaign?.resign().catch(() => undefined);
  }
}

function parse(value: string | undefined): AdminIdentity | undefined {
  if (!value) return undefined;
  try {
    return JSON.parse(value) as AdminIdentity;
  } catch {
    return { id: value, http: '', grpc: '' };
  }
}
