import {
  type Assignment,
  type PartitionTable,
  type Proxy as ProxyEntry,
  ProxyStatus,
  type TableRules,
} from '../../../proto/gen/prism/admin/v1/partition.js';
import { PrismError } from '../errors.js';
import { checkProxyId, describe } from '../names.js';
import { PARTITION_COUNT } from '../partition.js';
import { balance } from './balance.js';
import { compare, emptyRules, normalizeRules } from './rules.js';
import { parseStrategy, type StrategyName, strategyFromEnum, strategyToEnum } from './strategy.js';

export const MAX_PROXIES = 256;
export const MAX_WEIGHT = 256;

export interface ProxySpec {
  readonly id: string;
  /** Relative capacity 1-256, default 1. */
  readonly weight?: number;
  readonly address?: string;
  readonly dataPort?: number;
  readonly opsPort?: number;
  readonly status?: ProxyStatus;
}

export interface PlanInput {
  /** The table in force; its owners are kept wherever balance allows, its epochs and version continue. */
  readonly previous?: PartitionTable;
  /** The fleet; any order. */
  readonly proxies: readonly ProxySpec[];
  /** Default: the previous table's strategy, else consistent_hash. */
  readonly strategy?: string;
  /** Default: the previous table's rules when the strategy is unchanged, else none. */
  readonly rules?: TableRules;
}

export interface PlanResult {
  readonly table: PartitionTable;
  /** Partitions whose owner differs from the previous table (all 256 when there is none). */
  readonly moved: number;
  /** False when the plan reproduces the previous table exactly (the version is then unchanged). */
  readonly changed: boolean;
  /** Partitions per proxy id. */
  readonly counts: ReadonlyMap<string, number>;
  /** Weighted fair share per proxy id (256 · w / Σw). */
  readonly fairShares: ReadonlyMap<string, number>;
}

/**
 * The pure core of every strategy: (previous table, fleet, rules) → next table. Deterministic in the
 * content of its inputs: shuffling the proxy list or the rules gives a byte-identical table.
 */
export function planTable(input: PlanInput): PlanResult {
  const proxies = normalizeProxies(input.proxies);
  const fleet = new Set(proxies.map((p) => p.id));
  const previous = input.previous;
  const previousStrategy = previous ? strategyFromEnum(previous.strategy) : undefined;
  const strategy: StrategyName =
    input.strategy === undefined ? (previousStrategy ?? 'consistent_hash') : parseStrategy(input.strategy);
  const rules = normalizeRules(
    input.rules ?? (strategy === previousStrategy && previous?.rules ? previous.rules : emptyRules()),
    strategy,
    fleet,
  );

  const previousOwners: (string | undefined)[] = new Array(PARTITION_COUNT).fill(undefined);
  const previousEpochs: number[] = new Array(PARTITION_COUNT).fill(0);
  for (const a of previous?.assignments ?? []) {
    previousOwners[a.partition] = a.owner;
    previousEpochs[a.partition] = a.epoch;
  }
  const pins = new Map(rules.partitionPins.map((p) => [p.partition, p.proxy]));
  const { owners, fairShares } = balance({
    proxies: proxies.map((p) => ({ id: p.id, weight: p.weight })),
    previousOwners,
    pins,
  });

  let moved = 0;
  const counts = new Map<string, number>(proxies.map((p) => [p.id, 0]));
  const assignments: Assignment[] = owners.map((owner, partition) => {
    const same = previous !== undefined && previousOwners[partition] === owner;
    if (!same) moved++;
    counts.set(owner, (counts.get(owner) ?? 0) + 1);
    return {
      partition,
      owner,
      epoch: same ? Math.max(previousEpochs[partition], 1) : previousEpochs[partition] + 1,
      pinned: pins.has(partition),
    };
  });

  const next: PartitionTable = {
    version: 0,
    strategy: strategyToEnum(strategy),
    assignments,
    proxies,
    rules,
    updatedAt: undefined,
  };
  const changed = previous === undefined || tableFingerprint(previous) !== tableFingerprint(next);
  next.version = previous === undefined ? 1 : changed ? previous.version + 1 : previous.version;
  if (!changed && previous?.updatedAt) next.updatedAt = previous.updatedAt;
  return { table: next, moved, changed, counts, fairShares };
}

function normalizeProxies(specs: readonly ProxySpec[]): ProxyEntry[] {
  if (specs.length === 0 || specs.length > MAX_PROXIES) {
    throw new PrismError(
      'PRISM-PLAN-003',
      `the fleet has ${specs.length} proxies; between 1 and ${MAX_PROXIES} are needed`,
    );
  }
  const seen = new Set<string>();
  const proxies = specs.map((spec): ProxyEntry => {
    const id = checkProxyId(spec.id);
    if (seen.has(id)) throw new PrismError('PRISM-PROXY-002', `proxy id ${describe(id)} is listed twice`);
    seen.add(id);
    const weight = spec.weight ?? 1;
    if (!Number.isInteger(weight) || weight < 1 || weight > MAX_WEIGHT) {
      throw new PrismError(
        'PRISM-PLAN-001',
        `weight ${describe(weight)} of proxy ${describe(id)} is not an integer from 1 to ${MAX_WEIGHT}`,
      );
    }
    return {
      id,
      address: spec.address ?? '',
      dataPort: spec.dataPort ?? 0,
      opsPort: spec.opsPort ?? 0,
      weight,
      status: spec.status ?? ProxyStatus.PROXY_STATUS_UNSPECIFIED,
      lastSeen: undefined,
      appliedTableVersion: 0,
      draining: false,
      configHash: '',
      configDrift: false,
    };
  });
  return proxies.sort((a, b) => compare(a.id, b.id));
}

/** What makes two tables "the same" for versioning: ownership, fleet membership and rules, not health. */
export function tableFingerprint(t: PartitionTable): string {
  return JSON.stringify([
    t.strategy,
    t.assignments.map((a) => [a.partition, a.owner, a.pinned]),
    t.proxies.map((p) => [p.id, p.weight || 1, p.address, p.dataPort, p.opsPort]),
    t.rules ?? emptyRules(),
  ]);
}
