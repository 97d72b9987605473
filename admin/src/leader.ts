import type { ElectionObserver, Lease, Watcher } from 'etcd3';
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
 * Every admin on etcd campaigns; the election (a key per candidate under a lease of its own, the
 * oldest key leads) picks one. The leader's election key fences its writes (store Coordination):
 * an admin that was paused or cut off past its lease TTL finds its writes refused before it even
 * notices the lost lease, and steps down either way. A follower campaigns again at once, so it is
 * next in line when the leader's lease runs out.
 */
export class LeaderElection {
  private lease?: Lease;
  private watcher?: Watcher;
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
    this.observer = await this.deps.coordination.observe();
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
    this.campaign().catch((err) => this.lost(`the campaign failed: ${(err as Error).message}`));
  }

  /**
   * etcd's election recipe (as its Go client's concurrency.Election), written out so that a
   * waiting campaign's watch can be cancelled: etcd3's Campaign keeps it, and its reconnect loop
   * then holds a stopping admin open.
   */
  private async campaign(): Promise<void> {
    const { coordination, ttlSeconds } = this.deps;
    const space = coordination.electionSpace();
    const lease = space.lease(ttlSeconds);
    this.lease = lease;
    lease.on('lost', (err) => {
      if (this.lease === lease) this.lost(`the election lease was lost: ${err.message}`);
    });
    const id = await lease.grant();
    const created = await space
      .if(id, 'Create', '==', 0)
      .then(space.put(id).value(JSON.stringify(this.self)).lease(id))
      .commit();
    const revision = Number(created.header.revision);
    for (;;) {
      if (this.lease !== lease) return;
      const older = await space
        .getAll()
        .maxCreateRevision(String(revision - 1))
        .sort('Create', 'Descend')
        .limit(1)
        .exec();
      if (older.kvs.length === 0) break;
      // Wait until the next older candidate is gone (its admin resigned, stopped or lost its lease).
      const watcher = await space
        .watch()
        .key(older.kvs[0].key)
        .startRevision(older.header.revision)
        .only('delete')
        .create();
      this.watcher = watcher;
      await new Promise<void>((resolve, reject) => {
        watcher.once('delete', () => resolve());
        watcher.once('end', () => resolve());
        watcher.once('error', reject);
      }).finally(() => void watcher.cancel().catch(() => undefined));
      this.watcher = undefined;
    }
    if (this.lease !== lease || this.closed) return;
    const fence = { key: `${coordination.electionPrefix}${id}`, createRevision: revision };
    coordination.fence(fence);
    this.leading = true;
    this.leader = this.self;
    this.deps.log.info({ admin: this.self.id, key: fence.key, revision }, 'elected leader');
    await this.deps.elected();
  }

  /** Steps down (when leading) and campaigns again. */
  private lost(why: string): void {
    const was = this.leading;
    this.leading = false;
    this.deps.coordination.fence('follower', this.leaderName());
    if (this.leader?.id === this.self.id) this.leader = undefined;
    this.deps.follow(this.leaderName());
    if (this.closed) return;
    if (was) this.deps.log.warn({ admin: this.self.id, why }, 'stepped down: no longer the leader');
    else this.deps.log.warn({ admin: this.self.id, why }, 'campaign lost; campaigning again');
    this.drop();
    if (this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.run();
    }, this.deps.retryMs ?? 500);
    this.retry.unref();
  }

  /** Ends the current campaign: its key goes with its lease. */
  private drop(): Promise<unknown> {
    const lease = this.lease;
    const watcher = this.watcher;
    this.lease = undefined;
    this.watcher = undefined;
    return Promise.all([watcher?.cancel().catch(() => undefined), lease?.revoke().catch(() => undefined)]);
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
    // Bounded: with etcd unreachable, a revoke would wait for the request timeout, and shutdown with it.
    const bounded = (p: Promise<unknown> | undefined) =>
      Promise.race([p?.catch(() => undefined), new Promise((r) => setTimeout(r, 1_000).unref())]);
    await bounded(this.observer?.cancel());
    await bounded(this.drop());
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
