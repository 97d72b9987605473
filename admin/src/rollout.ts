import type { Logger } from 'pino';
import type { PlanResult } from '../../core/src/assign/plan.js';
import { tableFingerprint } from '../../core/src/assign/plan.js';
import {
  type Move,
  movesPerRound,
  pendingMoves,
  pickRound,
  roundsFor,
  stepTable,
} from '../../core/src/assign/rounds.js';
import type { StrategyName } from '../../core/src/assign/strategy.js';
import type { Clock } from '../../core/src/clock.js';
import type { AdminConfig } from '../../core/src/config/admin-schema.js';
import { tableBalance } from '../../core/src/table.js';
import type { Prepare, Prepared } from '../../proto/gen/prism/admin/v1/control_plane.js';
import type { RebalancePlan, Rollout } from '../../proto/gen/prism/admin/v1/operator.js';
import type { PartitionTable, TableRules } from '../../proto/gen/prism/admin/v1/partition.js';
import type { AdminMetrics } from './metrics.js';

/** What set a rollout off (`register` and `cooldown` only re-evaluate; they are not shown). */
export type Reason =
  | 'join'
  | 'leave'
  | 'drain'
  | 'undrain'
  | 'register'
  | 'weights'
  | 'strategy'
  | 'rules'
  | 'rollback'
  | 'apply'
  | 'approved'
  | 'cooldown';

/** Reasons of automatic changes: they wait for the cooldown and, when big, for an approval. */
const AUTOMATIC: ReadonlySet<Reason> = new Set(['join', 'undrain', 'register', 'cooldown']);

/** The table and the settings in force before a change: what a rollback returns to. */
export interface Snapshot {
  table: PartitionTable;
  strategy: StrategyName;
  rules?: TableRules;
  weights: Record<string, number>;
}

/** What the rollouts need from the fleet. */
export interface RolloutDeps {
  config: Readonly<AdminConfig['rebalance']>;
  clock: Clock;
  log: Logger;
  metrics: AdminMetrics;
  /** Runs `fn` in the fleet's one-at-a-time queue. */
  serial<T>(fn: () => Promise<T>): Promise<T>;
  current(): PartitionTable | undefined;
  /** The table the fleet should reach now (recomputed at the start of every round). */
  target(): PlanResult | undefined;
  /** `planned`: proxies partitions are placed on; `present`: those plus draining and restarting ones. */
  membership(): { planned: ReadonlySet<string>; present: ReadonlySet<string> };
  snapshot(): Snapshot | undefined;
  commit(table: PartitionTable, audit: { actor: string; action: string; detail: string }): Promise<void>;
  /** Makes the first table, at once (there is nobody to move partitions away from). */
  firstTable(): Promise<void>;
  /** Sends a Prepare to a connected proxy; false when it is not connected. */
  sendPrepare(id: string, message: Prepare): boolean;
  waitForAcks(version: number, ms: number): Promise<string[]>;
  /** A rollout that moved partitions completed: `before` is what a rollback returns to. */
  completed(before: Snapshot): Promise<void>;
  later(ms: number, fn: () => void): void;
}

interface Active {
  reasons: Reason[];
  /** Started or joined by an operator (apply, rollback): balance moves go without cooldown or approval. */
  operator: boolean;
  balanceAllowed: boolean;
  /** Balance moves went on the admin's own decision: a cooldown follows. */
  automatic: boolean;
  before: Snapshot;
  goal?: PartitionTable;
  roundsDone: number;
  roundsTotal: number;
  remaining: number;
}

interface Pending {
  reasons: Reason[];
  operator: boolean;
  goal?: PartitionTable;
  /** The settings before an operator changed them (the table has not changed yet). */
  before?: Snapshot;
}

interface Round {
  id: number;
  from: number;
  moves: Move[];
  /** Not for a round of orphans only: their owner is gone, there is nothing to hand off. */
  prepare: boolean;
  /** The proxies the round was planned for: if they changed by the cut-over, it is planned again. */
  planned: string;
}

/**
 * Moves partitions in rounds of at most rebalance.maxMovePercent: prepare (every new owner that is
 * connected gets a Prepare and answers Prepared, or the prepare timeout passes), cut over (a new
 * table version in which only those partitions changed owner, pushed, acks awaited), settle (a pause
 * for the load balancers' watchers). The target is recomputed at the start of every round, so a join
 * during a rollout folds in, as in Akka's rebalance rounds. Partitions of a proxy that is gone move in
 * the first round, outside the limit. Automatic balance moves (a join, an undrain) wait for the
 * cooldown after the previous automatic rollout, and for an operator when they move more than
 * rebalance.approvalThreshold percent.
 */
export class Rollouts {
  private current?: Active;
  private pending: Pending = { reasons: [], operator: false };
  private driving = false;
  private again = false;
  private stopped = false;
  private cooldownUntil = 0;
  private holding?: 'cooldown' | 'approval';
  private awaiting?: RebalancePlan;
  private roundSeq = 0;
  private preparing?: { round: number; waiting: Set<string>; done: () => void };
  private settling?: { timer: NodeJS.Timeout; done: () => void };

  constructor(private readonly deps: RolloutDeps) {}

  /** Something changed: re-evaluate, and move when the target differs from the table. */
  kick(reason: Reason, options: { operator?: boolean; goal?: PartitionTable; before?: Snapshot } = {}): void {
    if (!this.pending.reasons.includes(reason)) this.pending.reasons.push(reason);
    if (options.operator) this.pending.operator = true;
    if (options.goal) this.pending.goal = options.goal;
    this.pending.before ??= options.before;
    void this.drive();
  }

  /** Called with the health check: a change held by a cooldown that is over goes now. */
  tick(): void {
    if (this.holding === 'cooldown' && this.deps.clock.now() >= this.cooldownUntil) this.kick('cooldown');
  }

  /** The owners a rollback is moving back to, while it runs. */
  goal(): PartitionTable | undefined {
    return this.pending.goal ?? this.current?.goal;
  }

  active(): Active | undefined {
    return this.current;
  }

  prepared(id: string, message: Prepared): void {
    const p = this.preparing;
    if (!p || message.round !== p.round) return;
    if (!message.ok) this.deps.log.warn({ proxy: id, round: p.round, error: message.error }, 'proxy could not prepare');
    p.waiting.delete(id);
    if (p.waiting.size === 0) p.done();
  }

  stop(): void {
    this.stopped = true;
    this.preparing?.done();
    this.settling?.done();
  }

  status(): Rollout {
    const a = this.current;
    const shown = (a?.reasons ?? this.pending.reasons).filter((r) => r !== 'register' && r !== 'cooldown');
    const now = this.deps.clock.now();
    return {
      inProgress: a !== undefined,
      reason: shown.join(','),
      targetVersion: a ? (this.deps.current()?.version ?? 0) + a.roundsTotal - a.roundsDone : 0,
      roundsDone: a?.roundsDone ?? 0,
      roundsTotal: a?.roundsTotal ?? 0,
      remainingMoves: a?.remaining ?? 0,
      awaitingApproval: this.awaiting,
      cooldownUntil: this.cooldownUntil > now ? new Date(this.cooldownUntil) : undefined,
    };
  }

  /** The plan message for reaching `target` from the current table at this admin's round limit. */
  planMessage(target: PartitionTable, appliedAt: Date | undefined): RebalancePlan {
    const current = this.deps.current();
    const perRound = movesPerRound(this.deps.config.maxMovePercent);
    if (!current) {
      const imbalanceRatio = tableBalance(target).imbalance;
      return {
        fromVersion: 0,
        table: target,
        movedPartitions: 256,
        imbalanceRatio,
        appliedAt,
        rounds: 1,
        maxMovesPerRound: perRound,
      };
    }
    const { planned, present } = this.deps.membership();
    const moves = pendingMoves(current, target, planned, present);
    const changed = tableFingerprint(current) !== tableFingerprint(target);
    const rounds = roundsFor(moves, perRound) || (changed ? 1 : 0);
    const table = changed ? { ...stepTable(current, target, moves), version: current.version + rounds } : current;
    return {
      fromVersion: current.version,
      table,
      movedPartitions: moves.length,
      imbalanceRatio: tableBalance(table).imbalance,
      appliedAt,
      rounds,
      maxMovesPerRound: perRound,
    };
  }

  private async drive(): Promise<void> {
    if (this.driving) {
      this.again = true;
      return;
    }
    this.driving = true;
    try {
      while (!this.stopped) {
        this.again = false;
        const round = await this.deps.serial(() => this.planRound());
        if (!round) {
          if (this.again) continue;
          break;
        }
        if (round.prepare) await this.prepare(round);
        if (this.stopped) break;
        const cut = await this.deps.serial(() => this.cutOver(round));
        if (!cut || cut === 'replan' || cut.remaining === 0) continue;
        const lagging = await this.deps.waitForAcks(cut.version, this.deps.config.ackTimeoutMs);
        if (lagging.length) {
          this.deps.log.warn({ version: cut.version, lagging }, 'proxies did not acknowledge the cut-over in time');
        }
        await this.settle(this.deps.config.settleMs);
      }
    } catch (err) {
      this.deps.log.error({ err }, 'rebalance failed');
    } finally {
      this.driving = false;
    }
  }

  /** Decides the next round, or finishes the rollout; undefined when nothing moves now. */
  private async planRound(): Promise<Round | undefined> {
    const { deps } = this;
    const current = deps.current();
    if (!current) {
      this.pending = { reasons: [], operator: false };
      await deps.firstTable();
      return undefined;
    }
    const target = deps.target();
    const { planned, present } = deps.membership();
    const moves = target ? pendingMoves(current, target.table, planned, present) : [];
    this.holding = undefined;
    this.awaiting = undefined;
    if (!target || moves.length === 0) {
      if (target && tableFingerprint(target.table) !== tableFingerprint(current)) {
        const table = stepTable(current, target.table, []);
        const why = this.reasons().join('+') || 'fleet';
        await deps.commit(table, {
          actor: 'admin',
          action: 'change-table',
          detail: `${why}: v${current.version} -> v${table.version}, no partition moves`,
        });
      }
      this.pending = { reasons: [], operator: false };
      await this.finish();
      return undefined;
    }

    const active: Active = this.current ?? {
      reasons: [],
      operator: false,
      balanceAllowed: false,
      automatic: false,
      before: this.pending.before ?? (deps.snapshot() as Snapshot),
      roundsDone: 0,
      roundsTotal: 0,
      remaining: 0,
    };
    for (const r of this.pending.reasons) if (!active.reasons.includes(r)) active.reasons.push(r);
    active.operator ||= this.pending.operator;
    active.goal = this.pending.goal ?? active.goal;
    this.pending = { reasons: [], operator: false };
    if (active.operator) active.balanceAllowed = true;

    const balance = moves.filter((m) => m.kind === 'balance').length;
    if (balance > 0 && !active.balanceAllowed) {
      const now = deps.clock.now();
      if (now < this.cooldownUntil) {
        this.holding = 'cooldown';
        deps.later(this.cooldownUntil - now + 10, () => this.kick('cooldown'));
      } else if (balance * 100 > deps.config.approvalThreshold * 256) {
        this.holding = 'approval';
        this.awaiting = this.planMessage(target.table, undefined);
        deps.log.warn(
          { moves: balance, threshold: deps.config.approvalThreshold, fromVersion: current.version },
          'an automatic change waits for approval (prismctl partitions plan / apply --plan)',
        );
      } else {
        active.balanceAllowed = true;
        active.automatic = true;
      }
    }
    const perRound = movesPerRound(deps.config.maxMovePercent);
    const allowed = (m: Move) => m.kind !== 'balance' || active.balanceAllowed;
    const picked = pickRound(moves, perRound, allowed);
    if (picked.length === 0) {
      // Held back: the automatic reasons stay pending for when the cooldown ends or an operator approves.
      this.pending.reasons = active.reasons.filter((r) => AUTOMATIC.has(r));
      if (this.current) await this.finish();
      return undefined;
    }
    this.current = active;
    const allowedMoves = moves.filter(allowed);
    active.remaining = allowedMoves.length;
    active.roundsTotal = active.roundsDone + roundsFor(allowedMoves, perRound);
    return {
      id: ++this.roundSeq,
      from: current.version,
      moves: picked,
      prepare: picked.some((m) => m.kind !== 'orphan'),
      planned: [...planned].sort().join(','),
    };
  }

  /** Sends Prepare to every new owner that is connected and waits for their Prepared (bounded). */
  private async prepare(round: Round): Promise<void> {
    const byOwner = new Map<string, number[]>();
    for (const m of round.moves) byOwner.set(m.to, [...(byOwner.get(m.to) ?? []), m.partition]);
    const waiting = new Set<string>();
    for (const [id, partitions] of byOwner) {
      const message = { round: round.id, tableVersion: round.from + 1, partitions: partitions.sort((a, b) => a - b) };
      if (this.deps.sendPrepare(id, message)) waiting.add(id);
    }
    if (waiting.size === 0) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.preparing = undefined;
        resolve();
      };
      const timer = setTimeout(done, this.deps.config.prepareTimeoutMs);
      this.preparing = { round: round.id, waiting, done };
    });
    if (waiting.size > 0 && !this.stopped) {
      // Availability first: every proxy can serve a partition whose owner is not ready yet.
      this.deps.log.warn(
        { round: round.id, missing: [...waiting], timeoutMs: this.deps.config.prepareTimeoutMs },
        'new owners did not answer Prepare in time; cutting over anyway',
      );
    }
  }

  /**
   * The round's new table version. The target is recomputed: when the proxies it is planned for
   * changed during the prepare (a join), the round is planned again, with a new prepare; otherwise
   * a move whose new owner changed waits for a later round, and partitions whose owner went away
   * meanwhile move now.
   */
  private async cutOver(round: Round): Promise<{ version: number; remaining: number } | 'replan' | undefined> {
    const { deps } = this;
    const active = this.current;
    const current = deps.current();
    const target = deps.target();
    if (!active || !current || !target) return undefined;
    const { planned, present } = deps.membership();
    if ([...planned].sort().join(',') !== round.planned) return 'replan';
    const fresh = new Map(pendingMoves(current, target.table, planned, present).map((m) => [m.partition, m]));
    const picked = [...fresh.values()].filter(
      (m) =>
        m.kind === 'orphan' ||
        round.moves.some((r) => r.partition === m.partition && r.to === m.to && r.kind !== 'orphan'),
    );
    if (picked.length === 0) return undefined;
    const table = stepTable(current, target.table, picked);
    const perRound = movesPerRound(deps.config.maxMovePercent);
    const left = pendingMoves(table, target.table, planned, present).filter(
      (m) => m.kind !== 'balance' || active.balanceAllowed,
    );
    active.roundsDone++;
    active.remaining = left.length;
    active.roundsTotal = active.roundsDone + roundsFor(left, perRound);
    const tally = (side: 'from' | 'to') => {
      const n = new Map<string, number>();
      for (const m of picked) n.set(m[side], (n.get(m[side]) ?? 0) + 1);
      return [...n].map(([id, k]) => `${id}:${k}`).join(',');
    };
    await deps.commit(table, {
      actor: 'admin',
      action: 'move-round',
      detail:
        `round ${active.roundsDone}/${active.roundsTotal} (${this.reasons(active).join('+')}): v${current.version} -> v${table.version}, ` +
        `${picked.length} partitions [${picked.map((m) => m.partition).join(',')}] from ${tally('from')} to ${tally('to')}`,
    });
    for (const m of picked) deps.metrics.partitionMoves.inc({ kind: m.kind });
    deps.metrics.moveRounds.inc();
    return { version: table.version, remaining: left.length };
  }

  private async finish(): Promise<void> {
    const active = this.current;
    this.current = undefined;
    if (!active) return;
    if (active.roundsDone > 0) await this.deps.completed(active.before);
    const { cooldownSeconds } = this.deps.config;
    if (active.automatic && !active.operator && cooldownSeconds > 0) {
      this.cooldownUntil = this.deps.clock.now() + cooldownSeconds * 1000;
    }
    this.deps.log.info({ reasons: active.reasons, rounds: active.roundsDone }, 'rollout complete');
  }

  private reasons(active?: Active): Reason[] {
    return (active?.reasons ?? this.pending.reasons).filter((r) => r !== 'register' && r !== 'cooldown');
  }

  private settle(ms: number): Promise<void> {
    if (ms === 0 || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.settling = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.settling = { timer, done };
    });
  }
}
