import type { Assignment, PartitionTable, TableRules } from '../../../proto/gen/prism/admin/v1/partition.js';
import { PARTITION_COUNT } from '../partition.js';
import { emptyRules, normalizeRules } from './rules.js';
import { strategyFromEnum } from './strategy.js';

/**
 * Why a partition moves, which decides whether it may wait: `orphan` (its owner is gone: nothing to
 * hand off, it moves at once, outside the round limit), `drain` (its owner is draining: an operator
 * asked, it never waits for a cooldown or an approval), `balance` (its owner stays: a join, an
 * undrain, weights, strategy, rules or a rollback).
 */
export type MoveKind = 'orphan' | 'drain' | 'balance';

export interface Move {
  readonly partition: number;
  readonly from: string;
  readonly to: string;
  readonly kind: MoveKind;
}

/** The round limit: `percent` of the 256 partitions, rounded up (10 % → 26). */
export function movesPerRound(percent: number): number {
  return Math.max(1, Math.ceil((PARTITION_COUNT * percent) / 100));
}

/**
 * The moves that take `current` to `target`. `planned` holds the proxies the target was planned
 * for; `present` every proxy still in the fleet (planned, draining, restarting).
 */
export function pendingMoves(
  current: PartitionTable,
  target: PartitionTable,
  planned: ReadonlySet<string>,
  present: ReadonlySet<string>,
): Move[] {
  const to = ownersOf(target);
  const moves: Move[] = [];
  for (const a of current.assignments) {
    const next = to[a.partition];
    if (next === undefined || next === a.owner) continue;
    const kind: MoveKind = !present.has(a.owner) ? 'orphan' : planned.has(a.owner) ? 'balance' : 'drain';
    moves.push({ partition: a.partition, from: a.owner, to: next, kind });
  }
  return moves;
}

/** Rounds the moves take: orphans ride along in the first round, the others `perRound` at a time. */
export function roundsFor(moves: readonly Move[], perRound: number): number {
  if (moves.length === 0) return 0;
  return Math.max(1, Math.ceil(moves.filter((m) => m.kind !== 'orphan').length / perRound));
}

/**
 * One round: every orphan, then up to `perRound` of the allowed others, drains before balance moves,
 * each group in partition order (so a plan and the rounds that carry it out agree).
 */
export function pickRound(moves: readonly Move[], perRound: number, allowed: (m: Move) => boolean): Move[] {
  const rank: Record<MoveKind, number> = { orphan: 0, drain: 1, balance: 2 };
  const sorted = moves.filter(allowed).sort((a, b) => rank[a.kind] - rank[b.kind] || a.partition - b.partition);
  const orphans = sorted.filter((m) => m.kind === 'orphan');
  return [...orphans, ...sorted.filter((m) => m.kind !== 'orphan').slice(0, perRound)];
}

/**
 * The table one round leads to: `current` with the moved partitions given to their new owners (epoch
 * + 1) and version + 1. When nothing is left to move it is `target` itself, with its strategy and
 * rules: namespace-level overrides (prefix rules, namespace pins) switch in that final round. Before
 * it the current strategy and rules stay, less partition pins the round broke; should they name a
 * proxy no longer listed, the target's are used, and failing those none. The proxies listed are
 * those that own a partition: a joining one from the round that gives it its first, a draining one
 * until the round that takes its last (load balancers never get a proxy with nothing to serve).
 */
export function stepTable(current: PartitionTable, target: PartitionTable, moves: readonly Move[]): PartitionTable {
  const previous = ownersOf(current);
  const owners = [...previous];
  const epochs = new Map(current.assignments.map((a) => [a.partition, a.epoch]));
  for (const m of moves) owners[m.partition] = m.to;
  const targetOwners = ownersOf(target);
  const final = owners.every((o, p) => o === targetOwners[p]);
  const epochOf = (partition: number, owner: string) => {
    const before = epochs.get(partition) ?? 0;
    return previous[partition] === owner ? Math.max(before, 1) : before + 1;
  };
  if (final) {
    return {
      ...target,
      version: current.version + 1,
      assignments: target.assignments.map((a) => ({ ...a, epoch: epochOf(a.partition, a.owner) })),
    };
  }
  const listed = new Map(current.proxies.map((p) => [p.id, p]));
  for (const p of target.proxies) listed.set(p.id, p);
  const keep = new Set(owners);
  const proxies = [...listed.values()].filter((p) => keep.has(p.id)).sort((a, b) => (a.id < b.id ? -1 : 1));
  const fleet = new Set(proxies.map((p) => p.id));
  const { strategy, rules } = [current, target]
    .map((t) => ({ strategy: t.strategy, rules: keptPins(t.rules ?? emptyRules(), owners) }))
    .find((c) => valid(c.rules, c.strategy, fleet)) ?? { strategy: current.strategy, rules: emptyRules() };
  const pins = new Set(rules.partitionPins.map((p) => p.partition));
  const assignments: Assignment[] = owners.map((owner, partition) => ({
    partition,
    owner,
    epoch: epochOf(partition, owner),
    pinned: pins.has(partition),
  }));
  return { ...current, version: current.version + 1, strategy, rules, proxies, assignments };
}

function ownersOf(table: PartitionTable): string[] {
  const owners: string[] = new Array(PARTITION_COUNT);
  for (const a of table.assignments) owners[a.partition] = a.owner;
  return owners;
}

function keptPins(rules: TableRules, owners: readonly string[]): TableRules {
  return { ...rules, partitionPins: rules.partitionPins.filter((p) => owners[p.partition] === p.proxy) };
}

function valid(rules: TableRules, strategy: PartitionTable['strategy'], fleet: ReadonlySet<string>): boolean {
  try {
    normalizeRules(rules, strategyFromEnum(strategy), fleet);
    return true;
  } catch {
    return false;
  }
}
