import type { Logger } from 'pino';
import { type PlanResult, planTable } from '../../core/src/assign/plan.js';
import { type StrategyName, strategyFromEnum } from '../../core/src/assign/strategy.js';
import type { Clock } from '../../core/src/clock.js';
import type { AdminConfig } from '../../core/src/config/admin-schema.js';
import { driftingFingerprints } from '../../core/src/config/fingerprint.js';
import { PrismError } from '../../core/src/errors.js';
import { checkProxyId, describe } from '../../core/src/names.js';
import { compileRouter, type Router } from '../../core/src/route.js';
import { tableBalance } from '../../core/src/table.js';
import type {
  AdminMessage,
  Heartbeat,
  Prepared,
  Register,
  TableAck,
} from '../../proto/gen/prism/admin/v1/control_plane.js';
import type { RebalancePlan, RebalanceRequest, Rollout } from '../../proto/gen/prism/admin/v1/operator.js';
import {
  PartitionTable,
  type Proxy as ProxyEntry,
  ProxyStatus,
  type TableRules,
} from '../../proto/gen/prism/admin/v1/partition.js';
import type { AdminMetrics, FleetStatus } from './metrics.js';
import { type Reason, Rollouts, type Snapshot } from './rollout.js';
import type { AdminStore, PrepareRelay, Presence, StoredProxy } from './store.js';

/** One proxy's open stream, as the fleet sees it. */
export interface Connection {
  send(message: AdminMessage): void;
  /** Ends the stream (with an error when given). */
  close(error?: PrismError): void;
}

interface ProxyState {
  stored: StoredProxy;
  status: ProxyStatus;
  conn?: Connection;
  /** Registered, waiting for its first ack before it gets partitions. */
  joining?: boolean;
  /** While RESTARTING: when its partitions move unless it registered again. */
  graceUntil?: number;
  /** Its stream is held by another admin (the leader learns it from the store's presence records). */
  remote?: boolean;
  /** Fingerprint of its effective configuration, from its Register and heartbeats ('' = unknown). */
  configHash?: string;
}

/** Who opened a control stream, as the transport saw it. */
export interface StreamPeer {
  /** Address the connection came from (used when Register names none). */
  host: string;
  /**
   * The verified client certificate, when the gRPC port requires mTLS: the proxy id its URI SAN
   * names (undefined for a certificate of another role), its identity for the audit log, its serial.
   */
  certificate?: { proxyId?: string; identity: string; serial: string };
}

export interface FleetDeps {
  store: AdminStore;
  clock: Clock;
  config: Readonly<AdminConfig>;
  metrics: AdminMetrics;
  log: Logger;
  /** Sends what a newly registered proxy needs besides the table (advertisements, revocations). */
  welcome(conn: Connection): Promise<void>;
  /** Ends restart graces and cooldowns on timers of their own (default false: tests call checkHealth). */
  timers?: boolean;
  /** With several admins: where each admin announces the streams it holds (store Coordination). */
  presence?: Presence;
  /** With several admins: how the leader prepares new owners whose stream another admin holds. */
  relay?: PrepareRelay;
}

const STATUS_NAMES: Record<number, string> = {
  [ProxyStatus.PROXY_STATUS_HEALTHY]: 'healthy',
  [ProxyStatus.PROXY_STATUS_STALE]: 'stale',
  [ProxyStatus.PROXY_STATUS_DISCONNECTED]: 'disconnected',
  [ProxyStatus.PROXY_STATUS_RESTARTING]: 'restarting',
};

/** The setting that keeps the table and settings before the last completed change, for rollback. */
const BEFORE_LAST_CHANGE = 'beforeLastChange';

/**
 * The partition table service: the proxy registry with health, and the versioned table computed by
 * the configured strategy whenever the fleet changes, pushed to every connected proxy, acks tracked.
 * A proxy whose stream closes keeps its partitions for the restart grace; partitions that really
 * move do so in rounds (rollout.ts). Mutations run one at a time (a promise chain), so two joins
 * never compute the same version.
 */
export class Fleet {
  private table?: PartitionTable;
  private router?: Router;
  private readonly proxies = new Map<string, ProxyState>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly waiters = new Set<() => void>();
  private readonly ackWaiters = new Set<() => void>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private strategy: StrategyName;
  private rules?: TableRules;
  private weights: Record<string, number> = {};
  private rollouts: Rollouts;
  /** Whether this admin runs the leader's work: plans, commits and pushes tables (always with one admin). */
  private leading = true;
  /** Who leads, when this admin follows (for PRISM-HA-002). */
  private leaderName = '';
  /** Every stream any admin announces (this one's too), by proxy id: the whole fleet's fingerprints. */
  private readonly announced = new Map<string, StoredProxy>();
  /** Prepares relayed here for streams this admin holds, by proxy id: the round and the admin that asked. */
  private readonly relayed = new Map<string, { round: number; from: string }>();
  private presenceQueue: Promise<void> = Promise.resolve();

  constructor(private readonly deps: FleetDeps) {
    this.strategy = deps.config.strategy;
    deps.metrics.fleetSource(() => this.status());
    this.rollouts = this.newRollouts();
  }

  private newRollouts(): Rollouts {
    return new Rollouts({
      config: this.deps.config.rebalance,
      clock: this.deps.clock,
      log: this.deps.log,
      metrics: this.deps.metrics,
      serial: (fn) => this.serial(fn),
      current: () => this.table,
      target: () => this.target(),
      membership: () => this.membership(),
      snapshot: () => this.snapshot(),
      commit: (table, audit) => this.commit(table, audit),
      firstTable: () => this.firstTable(),
      sendPrepare: (id, message) => {
        const state = this.proxies.get(id);
        if (state?.conn) {
          state.conn.send({ prepare: message });
          return true;
        }
        const relay = this.deps.relay;
        if (!state?.remote || !relay) return false;
        relay
          .prepare(id, message)
          .catch((err) => this.deps.log.warn({ err, proxy: id, round: message.round }, 'relaying a Prepare failed'));
        return true;
      },
      waitForAcks: (version, ms) => this.waitForAcks(version, ms),
      completed: (before) => this.deps.store.putSetting(BEFORE_LAST_CHANGE, snapshotToJson(before), true),
      later: (ms, fn) => this.later(ms, fn),
    });
  }

  /**
   * Loads the table and registry after a restart. Members not back yet are RESTARTING: they keep their
   * partitions for the restart grace, and at least for the heartbeat window the admin always gave.
   */
  /** The strategy, rules and weights an operator set, as stored. */
  private async readSettings(): Promise<void> {
    const { store, config } = this.deps;
    this.strategy = ((await store.getSetting('strategy')) as StrategyName | undefined) ?? config.strategy;
    this.rules = ((await store.getSetting('rules')) as TableRules | null | undefined) ?? undefined;
    this.weights = ((await store.getSetting('weights')) as Record<string, number> | undefined) ?? {};
  }

  /** How long a member not back yet keeps its partitions: the grace, at least the heartbeat window. */
  private returnGraceMs(): number {
    const { restartGraceSeconds, heartbeatSeconds, disconnectedAfterMissed } = this.deps.config.proxies;
    return Math.max(restartGraceSeconds, heartbeatSeconds * disconnectedAfterMissed) * 1000;
  }

  async load(): Promise<void> {
    const { store, clock } = this.deps;
    this.setTable(await store.getTable());
    await this.readSettings();
    const now = clock.now();
    const grace = this.returnGraceMs();
    for (const stored of await store.listProxies()) {
      const state: ProxyState = stored.member
        ? { stored: { ...stored, lastSeen: now }, status: ProxyStatus.PROXY_STATUS_RESTARTING, graceUntil: now + grace }
        : { stored, status: ProxyStatus.PROXY_STATUS_DISCONNECTED };
      this.proxies.set(stored.id, state);
      if (state.graceUntil) this.later(grace + 10, () => void this.checkHealth());
    }
  }

  currentTable(): PartitionTable | undefined {
    return this.table;
  }

  ownerOf(namespace: string): string {
    return this.router?.route(namespace).owner ?? '';
  }

  route(namespace: string) {
    return this.router?.route(namespace);
  }

  /** Resolves when the table version exceeds `version` or after `timeoutMs`. */
  waitForVersionAbove(version: number, timeoutMs: number): Promise<void> {
    if ((this.table?.version ?? 0) > version) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
    });
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  register(conn: Connection, reg: Register, peer: StreamPeer): Promise<void> {
    return this.serial(async () => {
      let id: string;
      try {
        id = checkProxyId(reg.proxyId);
      } catch (err) {
        throw new PrismError('PRISM-FLEET-002', (err as Error).message);
      }
      if (peer.certificate && peer.certificate.proxyId !== id) await this.refuseIdentity(id, peer);
      for (const [what, port] of [
        ['dataPort', reg.dataPort],
        ['opsPort', reg.opsPort],
      ] as const) {
        if (!Number.isInteger(port) || port < 1 || port > 65_535) {
          throw new PrismError(
            'PRISM-FLEET-002',
            `register of ${describe(id)}: ${what} ${describe(port)} is not a port 1-65535`,
          );
        }
      }
      if (reg.weight > 256)
        throw new PrismError('PRISM-FLEET-002', `register of ${describe(id)}: weight ${reg.weight} is above 256`);
      const existing = this.proxies.get(id);
      if (existing?.conn) {
        throw new PrismError(
          'PRISM-FLEET-001',
          `proxy id ${describe(id)} is held by a live proxy at ${existing.stored.address}:${existing.stored.dataPort}`,
        );
      }
      const now = this.deps.clock.now();
      // A new proxy becomes a member (and gets partitions) only once it acknowledged the table sent
      // after everything else, which proves it holds the advertisements, revocations and keys too.
      // A proxy that was a member (a restart within its grace, an admin restart) keeps its partitions.
      const joining = !existing?.stored.member && this.table !== undefined;
      const returning = existing?.status === ProxyStatus.PROXY_STATUS_RESTARTING ? existing.graceUntil : undefined;
      const stored: StoredProxy = {
        id,
        address: reg.address || peer.host,
        dataPort: reg.dataPort,
        opsPort: reg.opsPort,
        weight: reg.weight || 1,
        registeredAt: existing?.stored.registeredAt ?? now,
        lastSeen: now,
        appliedVersion: reg.knownTableVersion,
        member: !joining,
        draining: existing?.stored.draining ?? false,
      };
      this.proxies.set(id, {
        stored,
        status: ProxyStatus.PROXY_STATUS_HEALTHY,
        conn,
        joining,
        configHash: reg.configHash.slice(0, 64),
      });
      await this.deps.store.putProxy(stored);
      const where = `${stored.address}:${stored.dataPort}${peer.certificate ? ` certificate ${peer.certificate.serial}` : ''}`;
      await this.audit(`proxy:${id}`, 'register', id, where);
      if (returning !== undefined) {
        await this.audit(
          `proxy:${id}`,
          'return',
          id,
          `back within its restart grace (until ${new Date(returning).toISOString()}); its partitions stay`,
        );
      }
      this.deps.log.info(
        { proxy: id, address: stored.address, dataPort: stored.dataPort, returning: returning !== undefined },
        'proxy registered',
      );
      conn.send({
        registered: {
          proxyId: id,
          heartbeatIntervalMs: this.deps.config.proxies.heartbeatSeconds * 1000,
          tableVersion: this.table?.version ?? 0,
        },
      });
      await this.deps.welcome(conn);
      if (this.table) conn.send({ table: this.table });
      this.announce(stored);
      // A member coming back changes the table only if its address or ports changed.
      if (!joining) this.kick(this.table ? 'register' : 'join');
    });
  }

  /**
   * The certificate does not name the id being registered: refused before the id is looked up, so
   * a certificate of one proxy can neither take another's id nor hold it against its owner.
   */
  private async refuseIdentity(id: string, peer: StreamPeer): Promise<never> {
    const cert = peer.certificate!;
    const error = cert.proxyId
      ? new PrismError(
          'PRISM-FLEET-003',
          `register as proxy ${describe(id)} with the certificate of proxy ${describe(cert.proxyId)} (serial ${cert.serial})`,
        )
      : new PrismError(
          'PRISM-FLEET-004',
          `register as proxy ${describe(id)} with a certificate that names no proxy (${cert.identity}, serial ${cert.serial})`,
        );
    await this.deps.store.audit({
      at: this.deps.clock.now(),
      actor: cert.identity,
      action: 'register',
      target: id,
      result: error.code,
      detail: `from ${peer.host}: ${error.message}`,
    });
    throw error;
  }

  heartbeat(id: string, hb: Heartbeat): void {
    const state = this.proxies.get(id);
    if (!state) return;
    state.stored.lastSeen = this.deps.clock.now();
    state.stored.appliedVersion = Math.max(state.stored.appliedVersion, hb.appliedTableVersion);
    if (hb.configHash && hb.configHash.slice(0, 64) !== state.configHash) {
      state.configHash = hb.configHash.slice(0, 64);
      if (state.conn) this.announce(state.stored);
    }
    if (state.status === ProxyStatus.PROXY_STATUS_STALE) {
      state.status = ProxyStatus.PROXY_STATUS_HEALTHY;
      this.deps.log.info({ proxy: id }, 'proxy healthy again');
    }
    const used = Object.entries(hb.namespaceRequests ?? {})
      .filter(([, n]) => n > 0)
      .map(([ns]) => ns);
    if (used.length) {
      this.deps.store
        .recordTraffic(used, state.stored.lastSeen)
        .catch((err) => this.deps.log.warn({ err }, 'recording traffic failed'));
    }
  }

  ack(id: string, ack: TableAck): void {
    const state = this.proxies.get(id);
    if (!state) return;
    state.stored.lastSeen = this.deps.clock.now();
    if (ack.ok) state.stored.appliedVersion = Math.max(state.stored.appliedVersion, ack.version);
    else this.deps.log.warn({ proxy: id, version: ack.version, error: ack.error }, 'proxy could not apply the table');
    if (ack.ok && state.joining && state.conn) {
      state.joining = false;
      state.stored.member = true;
      this.kick('join');
    }
    if (ack.ok && state.conn) this.announce(state.stored);
    for (const wake of [...this.ackWaiters]) wake();
  }

  /** A proxy answered a Prepare: the leader's own, or one relayed here (the answer goes back to the leader). */
  prepared(id: string, message: Prepared): void {
    const relayed = this.relayed.get(id);
    if (relayed?.round === message.round && this.deps.relay) {
      this.relayed.delete(id);
      this.deps.relay
        .prepared(id, message, relayed.from)
        .catch((err) => this.deps.log.warn({ err, proxy: id, round: message.round }, 'relaying a Prepared failed'));
      return;
    }
    this.rollouts.prepared(id, message);
  }

  /**
   * Relayed Prepares: those for streams held here go to their proxy; answers to this admin's reach
   * its rollout. Resolves with a function that stops watching.
   */
  async watchRelay(): Promise<() => void> {
    const relay = this.deps.relay;
    if (!relay) return () => undefined;
    return relay.watch(
      (id, message, from) => {
        const conn = this.proxies.get(id)?.conn;
        if (!conn) return;
        this.relayed.set(id, { round: message.round, from });
        this.deps.log.info({ proxy: id, round: message.round }, "relaying the leader's Prepare");
        conn.send({ prepare: message });
      },
      (id, message) => {
        if (this.leading) this.rollouts.prepared(id, message);
      },
    );
  }

  /** The stream of `id` closed: a member keeps its partitions for the restart grace. */
  disconnected(id: string, conn: Connection): Promise<void> {
    return this.serial(async () => {
      const state = this.proxies.get(id);
      if (!state || state.conn !== conn) return;
      await this.lost(state, 'stream closed');
    });
  }

  private async lost(state: ProxyState, why: string): Promise<void> {
    if (state.conn) this.unannounce(state.stored.id);
    this.relayed.delete(state.stored.id);
    state.conn = undefined;
    state.remote = false;
    const grace = this.deps.config.proxies.restartGraceSeconds * 1000;
    if (!state.stored.member || grace === 0) return this.gone(state, why, 'disconnect');
    state.status = ProxyStatus.PROXY_STATUS_RESTARTING;
    state.graceUntil = this.deps.clock.now() + grace;
    await this.deps.store.putProxy(state.stored);
    await this.audit(
      'admin',
      'restarting',
      state.stored.id,
      `${why}; keeps its partitions until ${new Date(state.graceUntil).toISOString()} (proxies.restartGraceSeconds)`,
    );
    this.deps.log.warn({ proxy: state.stored.id, why, graceUntil: state.graceUntil }, 'proxy restarting');
    this.later(grace + 10, () => void this.checkHealth());
  }

  /** Out of the fleet: its partitions move (at once, they have no owner to hand off from). */
  private async gone(state: ProxyState, why: string, action: 'disconnect' | 'grace-expired'): Promise<void> {
    if (state.conn) this.unannounce(state.stored.id);
    state.conn = undefined;
    state.remote = false;
    state.status = ProxyStatus.PROXY_STATUS_DISCONNECTED;
    state.graceUntil = undefined;
    state.joining = false;
    const wasMember = state.stored.member;
    state.stored.member = false;
    await this.deps.store.putProxy(state.stored);
    await this.audit('admin', action, state.stored.id, why);
    this.deps.log.warn({ proxy: state.stored.id, why }, 'proxy disconnected');
    if (wasMember) this.kick('leave');
  }

  /**
   * Heartbeat bookkeeping: healthy → stale after 2 missed, → restarting after 4 (configurable), gone
   * when its restart grace ends. Also lets a change held back by a cooldown go once it is over.
   */
  checkHealth(): Promise<void> {
    return this.serial(async () => {
      const { heartbeatSeconds, staleAfterMissed, disconnectedAfterMissed } = this.deps.config.proxies;
      const now = this.deps.clock.now();
      for (const state of this.proxies.values()) {
        if (state.status === ProxyStatus.PROXY_STATUS_DISCONNECTED) continue;
        if (state.status === ProxyStatus.PROXY_STATUS_RESTARTING) {
          if (now >= (state.graceUntil ?? 0)) {
            await this.gone(state, 'not back within its restart grace; its partitions move', 'grace-expired');
          }
          continue;
        }
        // Its admin counts its heartbeats, and removes its presence when it misses too many.
        if (state.remote) continue;
        const missed = (now - state.stored.lastSeen) / (heartbeatSeconds * 1000);
        if (missed >= disconnectedAfterMissed) {
          const conn = state.conn;
          await this.lost(state, `${Math.floor(missed)} heartbeats missed`);
          conn?.close();
        } else if (missed >= staleAfterMissed && state.status !== ProxyStatus.PROXY_STATUS_STALE) {
          state.status = ProxyStatus.PROXY_STATUS_STALE;
          this.deps.log.warn({ proxy: state.stored.id }, 'proxy stale');
        }
      }
      if (this.leading) this.rollouts.tick();
    });
  }

  /** Operator drain (or undrain): its partitions move away in rounds; it gets none until undrained. */
  drain(id: string, draining: boolean, actor: string): Promise<ProxyEntry> {
    return this.serial(async () => {
      this.requireLeader(draining ? 'draining a proxy' : 'undraining a proxy');
      const state = this.proxies.get(id);
      if (!state) {
        await this.deps.store.audit({
          at: this.deps.clock.now(),
          actor,
          action: draining ? 'drain' : 'undrain',
          target: id,
          result: 'PRISM-FLEET-005',
          detail: 'unknown proxy',
        });
        throw new PrismError('PRISM-FLEET-005', `no proxy ${describe(id)} has registered with this admin`);
      }
      const changed = state.stored.draining !== draining;
      state.stored.draining = draining;
      await this.deps.store.putProxy(state.stored);
      const owned = this.table?.assignments.filter((a) => a.owner === id).length ?? 0;
      await this.audit(
        actor,
        draining ? 'drain' : 'undrain',
        id,
        changed ? `owns ${owned} partitions` : `was already ${draining ? 'draining' : 'undrained'}`,
      );
      if (changed) this.kick(draining ? 'drain' : 'undrain');
      return this.entry(state);
    });
  }

  /** Proxies the planner places partitions on: members that are not draining and not still joining. */
  private membership() {
    const planned = new Set<string>();
    const present = new Set<string>();
    for (const s of this.proxies.values()) {
      if (!s.stored.member) continue;
      present.add(s.stored.id);
      if (!s.stored.draining && !s.joining) planned.add(s.stored.id);
    }
    return { planned, present };
  }

  private members(weights: Record<string, number> = {}): ProxyEntry[] {
    const { planned } = this.membership();
    return [...this.proxies.values()]
      .filter((s) => planned.has(s.stored.id))
      .map((s) => ({
        id: s.stored.id,
        address: s.stored.address,
        dataPort: s.stored.dataPort,
        opsPort: s.stored.opsPort,
        weight: weights[s.stored.id] || this.weights[s.stored.id] || s.stored.weight,
        status: ProxyStatus.PROXY_STATUS_UNSPECIFIED,
        lastSeen: undefined,
        appliedTableVersion: 0,
        draining: false,
        configHash: '',
        configDrift: false,
      }));
  }

  /**
   * The table the fleet should reach: the strategy over the planned members, keeping the current
   * owners wherever balance allows, or a rollback's owners while one runs.
   */
  private target(req?: RebalanceRequest): PlanResult | undefined {
    const members = this.members(req?.weights);
    if (members.length === 0) return undefined;
    const strategy = req?.strategy ? strategyFromEnum(req.strategy) : this.strategy;
    const goal = this.rollouts.goal();
    const previous = goal && this.table ? withOwnersOf(this.table, goal) : this.table;
    return planTable({ previous, proxies: members, strategy, rules: req?.rules ?? this.rules });
  }

  private async firstTable(): Promise<void> {
    const result = this.target();
    if (!result) return;
    await this.commit(result.table, { actor: 'admin', action: 'create-table', detail: 'the first table' });
  }

  /** Persists, installs and pushes a new table version. */
  private async commit(table: PartitionTable, audit: { actor: string; action: string; detail: string }) {
    const started = process.hrtime.bigint();
    const saved = { ...table, updatedAt: new Date(this.deps.clock.now()) };
    await this.deps.store.saveFleet(
      saved,
      [...this.proxies.values()].map((s) => s.stored),
    );
    this.setTable(saved);
    const { metrics } = this.deps;
    metrics.rebalances.inc({ strategy: strategyFromEnum(saved.strategy) });
    metrics.rebalanceDuration.observe(Number(process.hrtime.bigint() - started) / 1e9);
    await this.audit(audit.actor, audit.action, 'partition-table', audit.detail);
    this.deps.log.info({ version: saved.version, proxies: saved.proxies.length }, 'partition table changed');
    this.broadcast({ table: saved });
  }

  private snapshot(): Snapshot | undefined {
    if (!this.table) return undefined;
    return { table: this.table, strategy: this.strategy, rules: this.rules, weights: { ...this.weights } };
  }

  /** Operator dry run; with an empty request, the change the admin would make now (or holds back). */
  preview(req: RebalanceRequest): RebalancePlan {
    const result = this.target(req);
    if (!result) throw new PrismError('PRISM-TABLE-004', 'no proxy is registered, so there is no table to plan');
    return this.rollouts.planMessage(result.table, undefined);
  }

  /**
   * Operator apply: the strategy, rules and weights given become the admin's settings, and the moves
   * start at once (no cooldown, no approval: applying a change held for approval approves it). With
   * `expectedVersion`, refused unless the table is still at that version.
   */
  apply(req: RebalanceRequest, actor: string): Promise<RebalancePlan> {
    return this.serial(async () => {
      this.requireLeader('applying a table change');
      await this.expectVersion(req.expectedVersion, actor, 'apply-table');
      const preview = this.target(req);
      if (!preview) throw new PrismError('PRISM-TABLE-004', 'no proxy is registered, so there is no table to apply');
      const from = this.table?.version ?? 0;
      const before = this.snapshot();
      const { store } = this.deps;
      const reasons: Reason[] = [];
      if (req.strategy) {
        this.strategy = strategyFromEnum(req.strategy);
        await store.putSetting('strategy', this.strategy, true);
        reasons.push('strategy');
      }
      if (req.rules || req.strategy) {
        this.rules = preview.table.rules;
        await store.putSetting('rules', this.rules, true);
        if (req.rules) reasons.push('rules');
      }
      if (req.weights && Object.keys(req.weights).length) {
        this.weights = { ...this.weights, ...req.weights };
        await store.putSetting('weights', this.weights, true);
        reasons.push('weights');
      }
      if (reasons.length === 0) reasons.push(this.rollouts.status().awaitingApproval ? 'approved' : 'apply');
      const plan = this.rollouts.planMessage(preview.table, new Date(this.deps.clock.now()));
      await this.audit(
        actor,
        'apply-table',
        'partition-table',
        `${reasons.join('+')}: v${from}, ${plan.movedPartitions} partitions to move in ${plan.rounds} rounds`,
      );
      if (this.table) for (const r of reasons) this.rollouts.kick(r, { operator: true, before });
      else await this.firstTable();
      return plan;
    });
  }

  /** Moves back to the owners (and settings) in force before the last completed change, in rounds. */
  rollback(expectedVersion: number, actor: string): Promise<RebalancePlan> {
    return this.serial(async () => {
      this.requireLeader('rolling the table back');
      await this.expectVersion(expectedVersion, actor, 'rollback-table');
      const stored = await this.deps.store.getSetting(BEFORE_LAST_CHANGE);
      const before = this.rollouts.active()?.before ?? (stored ? snapshotFromJson(stored) : undefined);
      if (!before || !this.table) {
        await this.refused(actor, 'rollback-table', 'PRISM-TABLE-007', 'nothing to roll back');
        throw new PrismError(
          'PRISM-TABLE-007',
          `no table change has completed on this admin since its table v${this.table?.version ?? 0} was made`,
        );
      }
      const { store } = this.deps;
      const now = this.snapshot();
      this.strategy = before.strategy;
      this.rules = before.rules;
      this.weights = before.weights;
      await store.putSetting('strategy', this.strategy, true);
      await store.putSetting('rules', this.rules ?? null, true);
      await store.putSetting('weights', this.weights, true);
      this.rollouts.kick('rollback', { operator: true, goal: before.table, before: now });
      const target = this.target();
      if (!target) throw new PrismError('PRISM-TABLE-004', 'no proxy is registered, so there is nothing to roll back');
      const plan = this.rollouts.planMessage(target.table, new Date(this.deps.clock.now()));
      await this.audit(
        actor,
        'rollback-table',
        'partition-table',
        `v${this.table.version} back to the owners of v${before.table.version}: ${plan.movedPartitions} partitions in ${plan.rounds} rounds`,
      );
      return plan;
    });
  }

  rollout(): Rollout {
    return this.rollouts.status();
  }

  private async expectVersion(expected: number, actor: string, action: string): Promise<void> {
    const version = this.table?.version ?? 0;
    if (!expected || expected === version) return;
    await this.refused(actor, action, 'PRISM-TABLE-006', `planned against v${expected}, the table is at v${version}`);
    throw new PrismError(
      'PRISM-TABLE-006',
      `the plan was made against table v${expected}, but the table is at v${version} now`,
    );
  }

  private refused(actor: string, action: string, code: string, detail: string) {
    return this.deps.store.audit({
      at: this.deps.clock.now(),
      actor,
      action,
      target: 'partition-table',
      result: code,
      detail,
    });
  }

  private audit(actor: string, action: string, target: string, detail: string) {
    return this.deps.store.audit({ at: this.deps.clock.now(), actor, action, target, result: 'ok', detail });
  }

  broadcast(message: AdminMessage): void {
    for (const state of this.proxies.values()) state.conn?.send(message);
  }

  /**
   * Config fingerprints of the proxies that are up (not disconnected), '' where unknown; with several
   * admins also those whose stream another admin holds, as it announced them: every admin compares
   * the whole fleet, not the part of it connected here.
   */
  private fingerprints(): string[] {
    const byId = new Map<string, string>();
    for (const s of this.proxies.values()) {
      if (s.status !== ProxyStatus.PROXY_STATUS_DISCONNECTED) byId.set(s.stored.id, s.configHash ?? '');
    }
    for (const p of this.announced.values()) {
      if (!this.proxies.get(p.id)?.conn) byId.set(p.id, p.configHash ?? '');
    }
    return [...byId.values()];
  }

  /** The fingerprint shown for a proxy: its own when its stream is here, else what its admin announced. */
  private configHashOf(s: ProxyState): string {
    return (s.conn ? s.configHash : (this.announced.get(s.stored.id)?.configHash ?? s.configHash)) ?? '';
  }

  private entry(s: ProxyState, drifting = driftingFingerprints(this.fingerprints())): ProxyEntry {
    return {
      id: s.stored.id,
      address: s.stored.address,
      dataPort: s.stored.dataPort,
      opsPort: s.stored.opsPort,
      weight: this.weights[s.stored.id] ?? s.stored.weight,
      status: s.status,
      lastSeen: new Date(s.stored.lastSeen),
      appliedTableVersion: s.stored.appliedVersion,
      draining: s.stored.draining,
      graceUntil: s.graceUntil === undefined ? undefined : new Date(s.graceUntil),
      configHash: this.configHashOf(s),
      configDrift: drifting.has(this.configHashOf(s)),
    };
  }

  /**
   * Every registered proxy with its health, for the operator. A follower shows the proxies whose
   * streams other admins hold as those admins announce them, so that every admin lists the same fleet.
   */
  list(): ProxyEntry[] {
    const drifting = driftingFingerprints(this.fingerprints());
    return [...this.view().values()].map((s) => this.entry(s, drifting)).sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  /** The proxies as the operator sees them on this admin: on a follower, with those other admins announce. */
  private view(): Map<string, ProxyState> {
    const states = new Map(this.proxies);
    if (!this.leading) {
      for (const a of this.announced.values()) {
        const s = states.get(a.id);
        if (s?.conn) continue;
        states.set(a.id, {
          stored: { ...a, draining: s?.stored.draining ?? a.draining },
          status: ProxyStatus.PROXY_STATUS_HEALTHY,
          remote: true,
          configHash: a.configHash,
        });
      }
    }
    return states;
  }

  /** Connected proxies that have not acknowledged the current version. */
  behind(): string[] {
    const version = this.table?.version ?? 0;
    return [...this.proxies.values()]
      .filter((s) => (s.conn || s.remote) && s.stored.appliedVersion < version)
      .map((s) => s.stored.id);
  }

  /** Resolves once every connected proxy acknowledged `version`, or after `ms`; returns who did not. */
  private waitForAcks(version: number, ms: number): Promise<string[]> {
    const lagging = () =>
      [...this.proxies.values()]
        .filter((s) => (s.conn || s.remote) && s.stored.appliedVersion < version)
        .map((s) => s.stored.id);
    if (lagging().length === 0 || ms === 0) return Promise.resolve(lagging());
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.ackWaiters.delete(check);
        resolve(lagging());
      };
      const check = () => {
        if (lagging().length === 0) done();
      };
      const timer = setTimeout(done, ms);
      this.ackWaiters.add(check);
    });
  }

  /** Runs `fn` after `ms` on a real timer when the admin runs its own timers. */
  private later(ms: number, fn: () => void): void {
    if (!this.deps.timers) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  /** Persists heartbeat bookkeeping (last seen, applied versions). */
  async flush(): Promise<void> {
    // A follower writes only the proxies it holds streams for: the rest are the leader's to write.
    await this.deps.store.saveFleet(
      undefined,
      [...this.proxies.values()].filter((s) => this.leading || s.conn).map((s) => s.stored),
    );
  }

  /** Whether this admin runs the leader's work now. */
  isLeading(): boolean {
    return this.leading;
  }

  /**
   * Elected: the table, settings and registry as the previous leader left them in the store (proxies
   * connected here keep their streams), then the rollouts run here. Resolves once it leads.
   */
  lead(): Promise<void> {
    return this.serial(async () => {
      const { store, clock } = this.deps;
      const table = await store.getTable();
      if (table && table.version >= (this.table?.version ?? 0)) this.setTable(table);
      await this.readSettings();
      const now = clock.now();
      const grace = this.returnGraceMs();
      for (const stored of await store.listProxies()) {
        if (this.proxies.get(stored.id)?.conn) continue;
        this.proxies.set(
          stored.id,
          stored.member
            ? {
                stored: { ...stored, lastSeen: now },
                status: ProxyStatus.PROXY_STATUS_RESTARTING,
                graceUntil: now + grace,
              }
            : { stored, status: ProxyStatus.PROXY_STATUS_DISCONNECTED },
        );
        if (stored.member) this.later(grace + 10, () => void this.checkHealth());
      }
      for (const proxy of (await this.deps.presence?.list()) ?? []) this.remoteStream(proxy);
      this.rollouts.stop();
      this.rollouts = this.newRollouts();
      this.leading = true;
      this.leaderName = '';
      this.deps.log.info({ version: this.table?.version ?? 0 }, 'leading the fleet');
      this.kick(this.table ? 'register' : 'join');
    });
  }

  /** Another admin leads (or none yet): no planning, no table writes; tables come from follow(). */
  follow(leader: string): void {
    if (this.leading) this.deps.log.warn({ leader }, 'no longer leading the fleet');
    const was = this.leading;
    this.leading = false;
    this.leaderName = leader;
    this.rollouts.stop();
    // Tables the new leader saved while this admin still thought it led were not taken from the watch.
    if (was)
      void this.serial(async () => {
        const table = await this.deps.store.getTable();
        if (table) this.followTable(table);
      }).catch((err) => this.deps.log.warn({ err }, 'reading the leader table failed'));
  }

  /** A table the leader saved (the store's watch): installed and pushed to the proxies held here. */
  followTable(table: PartitionTable): void {
    if (this.leading || table.version <= (this.table?.version ?? 0)) return;
    this.setTable(table);
    this.deps.log.info({ version: table.version }, "pushing the leader's partition table");
    this.broadcast({ table });
  }

  /**
   * Follows the streams other admins announce (and re-announces this admin's own when its presence
   * lease was lost). Only the leader acts on them; resolves with a function that stops watching.
   */
  async watchPresence(): Promise<() => void> {
    const presence = this.deps.presence;
    if (!presence) return () => undefined;
    presence.onLost(() => {
      for (const s of this.proxies.values()) if (s.conn) this.announce(s.stored);
    });
    for (const proxy of await presence.list()) this.announced.set(proxy.id, proxy);
    return presence.watch(
      (proxy) => {
        this.announced.set(proxy.id, proxy);
        if (this.leading) void this.serial(async () => this.remoteStream(proxy));
      },
      (id) => {
        this.announced.delete(id);
        if (!this.leading) return;
        void this.serial(async () => {
          const state = this.proxies.get(id);
          if (state?.remote) await this.lost(state, 'its admin no longer holds its stream');
        });
      },
    );
  }

  /** Another admin holds the stream of `proxy`: a member when that admin saw it acknowledge a table. */
  private remoteStream(proxy: StoredProxy): void {
    const state = this.proxies.get(proxy.id);
    if (state?.conn) return;
    const was = state?.stored;
    this.proxies.set(proxy.id, {
      stored: { ...proxy, draining: was?.draining ?? proxy.draining, lastSeen: this.deps.clock.now() },
      status: ProxyStatus.PROXY_STATUS_HEALTHY,
      remote: true,
      joining: !proxy.member,
      configHash: proxy.configHash,
    });
    for (const wake of [...this.ackWaiters]) wake();
    if (!proxy.member) return;
    if (!was?.member) this.kick('join');
    else if (was.address !== proxy.address || was.dataPort !== proxy.dataPort || was.opsPort !== proxy.opsPort)
      this.kick('register');
  }

  /**
   * Announcements go one after another: etcd's client spreads concurrent requests over the members,
   * so a proxy's "joining" announcement sent just before its "member" one could otherwise land last.
   */
  private presenceWrite(fn: (presence: Presence) => Promise<void>, what: string, id: string): void {
    const presence = this.deps.presence;
    if (!presence) return;
    this.presenceQueue = this.presenceQueue
      .then(() => fn(presence))
      .catch((err) => this.deps.log.warn({ err, proxy: id }, what));
  }

  private announce(proxy: StoredProxy): void {
    const configHash = this.proxies.get(proxy.id)?.configHash;
    const record = { ...proxy, ...(configHash && { configHash }) };
    this.presenceWrite((p) => p.put(record), 'announcing a stream failed', proxy.id);
  }

  private unannounce(id: string): void {
    this.presenceWrite((p) => p.remove(id), 'ending a stream failed', id);
  }

  private kick(reason: Reason): void {
    if (this.leading) this.rollouts.kick(reason);
  }

  private requireLeader(what: string): void {
    if (this.leading) return;
    throw new PrismError(
      'PRISM-HA-002',
      `${what} is the leader's work and this admin follows${this.leaderName ? ` ${this.leaderName}` : ' (no admin leads yet)'}`,
    );
  }

  closeAll(): void {
    this.rollouts.stop();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const state of this.proxies.values()) state.conn?.close();
  }

  private setTable(table: PartitionTable | undefined): void {
    this.table = table;
    this.router = table ? compileRouter(table) : undefined;
    const { metrics } = this.deps;
    metrics.tableVersion.set(table?.version ?? 0);
    metrics.assignments.reset();
    if (table) {
      const { counts, imbalance } = tableBalance(table);
      for (const [id, n] of counts) metrics.assignments.set({ proxy_id: id }, n);
      metrics.imbalance.set(imbalance);
    }
    for (const wake of [...this.waiters]) wake();
  }

  private status(): FleetStatus {
    const counts: Record<string, number> = { healthy: 0, stale: 0, disconnected: 0, restarting: 0 };
    for (const s of this.view().values()) counts[STATUS_NAMES[s.status] ?? 'stale']++;
    const fingerprints = this.fingerprints();
    const drifting = driftingFingerprints(fingerprints);
    return {
      counts,
      behind: this.behind().length,
      drifting: fingerprints.filter((f) => drifting.has(f)).length,
      fingerprints: new Set(fingerprints.filter(Boolean)).size,
    };
  }
}

/** `table` with the owners of `goal` (a rollback's), keeping its own epochs and version. */
function withOwnersOf(table: PartitionTable, goal: PartitionTable): PartitionTable {
  const owners = new Map(goal.assignments.map((a) => [a.partition, a.owner]));
  return {
    ...table,
    assignments: table.assignments.map((a) => ({ ...a, owner: owners.get(a.partition) ?? a.owner })),
  };
}

function snapshotToJson(s: Snapshot): unknown {
  return { table: PartitionTable.toJSON(s.table), strategy: s.strategy, rules: s.rules ?? null, weights: s.weights };
}

function snapshotFromJson(value: unknown): Snapshot {
  const v = value as {
    table: unknown;
    strategy: StrategyName;
    rules: TableRules | null;
    weights: Record<string, number>;
  };
  return {
    table: PartitionTable.fromJSON(v.table),
    strategy: v.strategy,
    rules: v.rules ?? undefined,
    weights: v.weights,
  };
}
