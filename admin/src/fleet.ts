import type { Logger } from 'pino';
import { type PlanResult, planTable } from '../../core/src/assign/plan.js';
import { type StrategyName, strategyFromEnum } from '../../core/src/assign/strategy.js';
import type { Clock } from '../../core/src/clock.js';
import type { AdminConfig } from '../../core/src/config/admin-schema.js';
import { PrismError } from '../../core/src/errors.js';
import { checkProxyId, describe } from '../../core/src/names.js';
import { compileRouter, type Router } from '../../core/src/route.js';
import { tableBalance } from '../../core/src/table.js';
import type { AdminMessage, Heartbeat, Register, TableAck } from '../../proto/gen/prism/admin/v1/control_plane.js';
import type { RebalancePlan, RebalanceRequest } from '../../proto/gen/prism/admin/v1/operator.js';
import {
  type PartitionTable,
  type Proxy as ProxyEntry,
  ProxyStatus,
  type TableRules,
} from '../../proto/gen/prism/admin/v1/partition.js';
import type { AdminMetrics, FleetStatus } from './metrics.js';
import type { AdminStore, StoredProxy } from './store.js';

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
}

const STATUS_NAMES: Record<number, string> = {
  [ProxyStatus.PROXY_STATUS_HEALTHY]: 'healthy',
  [ProxyStatus.PROXY_STATUS_STALE]: 'stale',
  [ProxyStatus.PROXY_STATUS_DISCONNECTED]: 'disconnected',
};

/**
 * The partition table service: the proxy registry with health, the versioned table computed by the
 * configured strategy on every fleet change, pushed to every connected proxy, with acks tracked.
 * Mutations run one at a time (a promise chain), so two joins never compute the same version.
 */
export class Fleet {
  private table?: PartitionTable;
  private router?: Router;
  private readonly proxies = new Map<string, ProxyState>();
  private queue: Promise<unknown> = Promise.resolve();
  private rebalancePending = false;
  private readonly waiters = new Set<() => void>();
  private strategy: StrategyName;
  private rules?: TableRules;
  private weights: Record<string, number> = {};

  constructor(private readonly deps: FleetDeps) {
    this.strategy = deps.config.strategy;
    deps.metrics.fleetSource(() => this.status());
  }

  /** Loads the table and registry after a restart. Members get one disconnect window to reconnect. */
  async load(): Promise<void> {
    const { store, clock } = this.deps;
    this.setTable(await store.getTable());
    this.strategy = ((await store.getSetting('strategy')) as StrategyName | undefined) ?? this.deps.config.strategy;
    this.rules = (await store.getSetting('rules')) as TableRules | undefined;
    this.weights = ((await store.getSetting('weights')) as Record<string, number> | undefined) ?? {};
    const now = clock.now();
    for (const stored of await store.listProxies()) {
      this.proxies.set(stored.id, {
        stored: stored.member ? { ...stored, lastSeen: now } : stored,
        status: stored.member ? ProxyStatus.PROXY_STATUS_STALE : ProxyStatus.PROXY_STATUS_DISCONNECTED,
      });
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
      // A proxy that was a member (an admin restart, a reconnect) keeps its partitions meanwhile.
      const joining = !existing?.stored.member && this.table !== undefined;
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
      };
      this.proxies.set(id, { stored, status: ProxyStatus.PROXY_STATUS_HEALTHY, conn, joining });
      await this.deps.store.putProxy(stored);
      await this.deps.store.audit({
        at: now,
        actor: `proxy:${id}`,
        action: 'register',
        target: id,
        result: 'ok',
        detail: `${stored.address}:${stored.dataPort}${peer.certificate ? ` certificate ${peer.certificate.serial}` : ''}`,
      });
      this.deps.log.info({ proxy: id, address: stored.address, dataPort: stored.dataPort }, 'proxy registered');
      conn.send({
        registered: {
          proxyId: id,
          heartbeatIntervalMs: this.deps.config.proxies.heartbeatSeconds * 1000,
          tableVersion: this.table?.version ?? 0,
        },
      });
      await this.deps.welcome(conn);
      if (this.table) conn.send({ table: this.table });
      if (!joining) this.scheduleRebalance();
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
      this.scheduleRebalance();
    }
  }

  /** The stream of `id` closed: noticed at once, its partitions move. */
  disconnected(id: string, conn: Connection): Promise<void> {
    return this.serial(async () => {
      const state = this.proxies.get(id);
      if (!state || state.conn !== conn) return;
      await this.markDisconnected(state, 'stream closed');
    });
  }

  private async markDisconnected(state: ProxyState, why: string): Promise<void> {
    state.conn = undefined;
    state.status = ProxyStatus.PROXY_STATUS_DISCONNECTED;
    state.stored.member = false;
    await this.deps.store.putProxy(state.stored);
    await this.deps.store.audit({
      at: this.deps.clock.now(),
      actor: 'admin',
      action: 'disconnect',
      target: state.stored.id,
      result: 'ok',
      detail: why,
    });
    this.deps.log.warn({ proxy: state.stored.id, why }, 'proxy disconnected');
    this.scheduleRebalance();
  }

  /** Heartbeat bookkeeping: healthy → stale after 2 missed, → disconnected after 4 (configurable). */
  checkHealth(): Promise<void> {
    return this.serial(async () => {
      const { heartbeatSeconds, staleAfterMissed, disconnectedAfterMissed } = this.deps.config.proxies;
      const now = this.deps.clock.now();
      for (const state of this.proxies.values()) {
        if (state.status === ProxyStatus.PROXY_STATUS_DISCONNECTED) continue;
        const missed = (now - state.stored.lastSeen) / (heartbeatSeconds * 1000);
        if (missed >= disconnectedAfterMissed) {
          const conn = state.conn;
          await this.markDisconnected(state, `${Math.floor(missed)} heartbeats missed`);
          conn?.close();
        } else if (missed >= staleAfterMissed && state.status !== ProxyStatus.PROXY_STATUS_STALE) {
          state.status = ProxyStatus.PROXY_STATUS_STALE;
          this.deps.log.warn({ proxy: state.stored.id }, 'proxy stale');
        }
      }
    });
  }

  private scheduleRebalance(): void {
    if (this.rebalancePending) return;
    this.rebalancePending = true;
    setImmediate(() => {
      this.serial(async () => {
        this.rebalancePending = false;
        await this.rebalance();
      }).catch((err) => this.deps.log.error({ err }, 'rebalance failed'));
    });
  }

  private members(): ProxyEntry[] {
    return [...this.proxies.values()]
      .filter((s) => s.stored.member)
      .map((s) => ({
        id: s.stored.id,
        address: s.stored.address,
        dataPort: s.stored.dataPort,
        opsPort: s.stored.opsPort,
        weight: this.weights[s.stored.id] ?? s.stored.weight,
        status: ProxyStatus.PROXY_STATUS_UNSPECIFIED,
        lastSeen: undefined,
        appliedTableVersion: 0,
        draining: false,
      }));
  }

  private plan(req?: RebalanceRequest): PlanResult | undefined {
    const members = this.members().map((m) => (req?.weights?.[m.id] ? { ...m, weight: req.weights[m.id] } : m));
    if (members.length === 0) return undefined;
    const strategy = req?.strategy ? strategyFromEnum(req.strategy) : this.strategy;
    return planTable({ previous: this.table, proxies: members, strategy, rules: req?.rules ?? this.rules });
  }

  /** Computes the table for the current members; persists and pushes it when it changed. */
  private async rebalance(req?: RebalanceRequest): Promise<PlanResult | undefined> {
    const started = process.hrtime.bigint();
    const result = this.plan(req);
    if (!result) return undefined;
    if (!result.changed) return result;
    const table = { ...result.table, updatedAt: new Date(this.deps.clock.now()) };
    await this.deps.store.saveFleet(
      table,
      [...this.proxies.values()].map((s) => s.stored),
    );
    this.setTable(table);
    const { metrics } = this.deps;
    metrics.rebalances.inc({ strategy: strategyFromEnum(table.strategy) });
    metrics.rebalanceDuration.observe(Number(process.hrtime.bigint() - started) / 1e9);
    this.deps.log.info(
      { version: table.version, moved: result.moved, proxies: table.proxies.length },
      'partition table changed',
    );
    this.broadcast({ table });
    return { ...result, table };
  }

  /** Operator dry run. */
  preview(req: RebalanceRequest): RebalancePlan {
    const result = this.plan(req);
    if (!result) throw new PrismError('PRISM-TABLE-004', 'no proxy is registered, so there is no table to plan');
    return this.planMessage(result, undefined);
  }

  /** Operator apply: the strategy, rules and weights given become the admin's settings. */
  apply(req: RebalanceRequest, actor: string): Promise<RebalancePlan> {
    return this.serial(async () => {
      const preview = this.plan(req);
      if (!preview) throw new PrismError('PRISM-TABLE-004', 'no proxy is registered, so there is no table to apply');
      const from = this.table?.version ?? 0;
      const { store } = this.deps;
      if (req.strategy) {
        this.strategy = strategyFromEnum(req.strategy);
        await store.putSetting('strategy', this.strategy);
      }
      if (req.rules || req.strategy) {
        this.rules = preview.table.rules;
        await store.putSetting('rules', this.rules);
      }
      if (req.weights && Object.keys(req.weights).length) {
        this.weights = { ...this.weights, ...req.weights };
        await store.putSetting('weights', this.weights);
      }
      const result = (await this.rebalance()) ?? preview;
      await store.audit({
        at: this.deps.clock.now(),
        actor,
        action: 'apply-table',
        target: 'partition-table',
        result: 'ok',
        detail: `v${from} -> v${result.table.version}`,
      });
      return this.planMessage(result, new Date(this.deps.clock.now()), from);
    });
  }

  private planMessage(result: PlanResult, appliedAt: Date | undefined, from = this.table?.version ?? 0): RebalancePlan {
    return {
      fromVersion: from,
      table: result.table,
      movedPartitions: this.table ? result.moved : 256,
      imbalanceRatio: tableBalance(result.table).imbalance,
      appliedAt,
      rounds: 1,
      maxMovesPerRound: 256,
    };
  }

  broadcast(message: AdminMessage): void {
    for (const state of this.proxies.values()) state.conn?.send(message);
  }

  /** Every registered proxy with its health, for the operator. */
  list(): ProxyEntry[] {
    return [...this.proxies.values()]
      .map((s) => ({
        id: s.stored.id,
        address: s.stored.address,
        dataPort: s.stored.dataPort,
        opsPort: s.stored.opsPort,
        weight: this.weights[s.stored.id] ?? s.stored.weight,
        status: s.status,
        lastSeen: new Date(s.stored.lastSeen),
        appliedTableVersion: s.stored.appliedVersion,
        draining: false,
      }))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  /** Connected proxies that have not acknowledged the current version. */
  behind(): string[] {
    const version = this.table?.version ?? 0;
    return [...this.proxies.values()]
      .filter((s) => s.conn && s.stored.appliedVersion < version)
      .map((s) => s.stored.id);
  }

  /** Persists heartbeat bookkeeping (last seen, applied versions). */
  async flush(): Promise<void> {
    await this.deps.store.saveFleet(
      undefined,
      [...this.proxies.values()].map((s) => s.stored),
    );
  }

  closeAll(): void {
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
    const counts: Record<string, number> = { healthy: 0, stale: 0, disconnected: 0 };
    for (const s of this.proxies.values()) counts[STATUS_NAMES[s.status] ?? 'stale']++;
    return { counts, behind: this.behind().length };
  }
}
