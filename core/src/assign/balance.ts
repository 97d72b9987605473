import { PARTITION_COUNT } from '../partition.js';
import { proxySeed, rendezvousScore } from './rendezvous.js';

export interface WeightedProxy {
  readonly id: string;
  readonly weight: number;
}

export interface BalanceInput {
  /** The fleet, sorted by id, ids unique, weights 1-256. */
  readonly proxies: readonly WeightedProxy[];
  /** Owner of each partition in the previous table, or undefined (length PARTITION_COUNT or empty). */
  readonly previousOwners: readonly (string | undefined)[];
  /** Partitions that must go to a given proxy, whatever the balance says. */
  readonly pins: ReadonlyMap<number, string>;
}

/** The partition count each proxy should end with, and the resulting owners. */
export interface BalanceResult {
  readonly owners: string[];
  readonly targets: ReadonlyMap<string, number>;
  /** The weighted fair share of each proxy (256 · w / Σw, before pins). */
  readonly fairShares: ReadonlyMap<string, number>;
}

/**
 * Assigns the 256 partitions so that each proxy ends within one partition of its weighted fair
 * share, moving as few partitions as possible away from their previous owners:
 *
 * 1. Pins are placed; every other partition stays with its previous owner if that proxy is still
 *    in the fleet, otherwise it is orphaned.
 * 2. Each proxy gets a target of floor or ceil of its fair share. The ceilings go first to proxies
 *    that already hold more than the floor, which is what makes the move count minimal:
 *    moves = orphans + Σ max(0, held − target).
 * 3. Proxies above target release the partitions they score lowest on (rendezvous score).
 * 4. Released and orphaned partitions go to proxies below target, highest rendezvous score first.
 *
 * With no previous table this is rendezvous hashing with capacity limits. The result depends only
 * on the inputs' content, not their order.
 */
export function balance(input: BalanceInput): BalanceResult {
  const { proxies, previousOwners, pins } = input;
  const seeds = new Map(proxies.map((p) => [p.id, proxySeed(p.id)]));
  const owners: (string | undefined)[] = new Array(PARTITION_COUNT).fill(undefined);
  const held = new Map<string, number>(proxies.map((p) => [p.id, 0]));
  const pinnedCount = new Map<string, number>(proxies.map((p) => [p.id, 0]));

  for (const [partition, proxy] of pins) {
    owners[partition] = proxy;
    held.set(proxy, (held.get(proxy) ?? 0) + 1);
    pinnedCount.set(proxy, (pinnedCount.get(proxy) ?? 0) + 1);
  }
  const pool: number[] = [];
  for (let p = 0; p < PARTITION_COUNT; p++) {
    if (pins.has(p)) continue;
    const prev = previousOwners[p];
    if (prev !== undefined && held.has(prev)) {
      owners[p] = prev;
      held.set(prev, (held.get(prev) ?? 0) + 1);
    } else {
      pool.push(p);
    }
  }

  const { targets, fairShares } = computeTargets(proxies, held, pinnedCount, seeds);

  // Release surplus: each over-target proxy gives up its lowest-scoring unpinned partitions.
  const byOwner = new Map<string, number[]>(proxies.map((p) => [p.id, []]));
  for (let p = 0; p < PARTITION_COUNT; p++) {
    const owner = owners[p];
    if (owner !== undefined && !pins.has(p)) byOwner.get(owner)?.push(p);
  }
  for (const proxy of proxies) {
    const surplus = (held.get(proxy.id) ?? 0) - (targets.get(proxy.id) ?? 0);
    if (surplus <= 0) continue;
    const seed = seeds.get(proxy.id) ?? 0;
    const mine = (byOwner.get(proxy.id) ?? []).sort(
      (a, b) => rendezvousScore(a, seed) - rendezvousScore(b, seed) || a - b,
    );
    for (const p of mine.slice(0, surplus)) {
      owners[p] = undefined;
      pool.push(p);
    }
    held.set(proxy.id, targets.get(proxy.id) ?? 0);
  }

  // Fill deficits: the globally highest (partition, proxy) scores win first.
  const open = proxies.filter((p) => (held.get(p.id) ?? 0) < (targets.get(p.id) ?? 0));
  const candidates: { score: number; partition: number; proxy: string }[] = [];
  for (const p of pool) {
    for (const proxy of open) {
      candidates.push({ score: rendezvousScore(p, seeds.get(proxy.id) ?? 0), partition: p, proxy: proxy.id });
    }
  }
  candidates.sort(
    (a, b) => b.score - a.score || a.partition - b.partition || (a.proxy < b.proxy ? -1 : a.proxy > b.proxy ? 1 : 0),
  );
  let left = pool.length;
  for (const c of candidates) {
    if (left === 0) break;
    if (owners[c.partition] !== undefined) continue;
    const h = held.get(c.proxy) ?? 0;
    if (h >= (targets.get(c.proxy) ?? 0)) continue;
    owners[c.partition] = c.proxy;
    held.set(c.proxy, h + 1);
    left--;
  }
  if (left !== 0) throw new Error(`balance: ${left} partitions left unassigned (targets do not sum to 256)`);
  return { owners: owners as string[], targets, fairShares };
}

/**
 * Targets of floor/ceil of the weighted fair share. Proxies whose pins alone exceed their share
 * keep exactly their pins, and the rest of the partitions are shared among the others.
 */
function computeTargets(
  proxies: readonly WeightedProxy[],
  held: ReadonlyMap<string, number>,
  pinnedCount: ReadonlyMap<string, number>,
  seeds: ReadonlyMap<string, number>,
): { targets: Map<string, number>; fairShares: Map<string, number> } {
  const totalWeight = proxies.reduce((s, p) => s + p.weight, 0);
  const fairShares = new Map(proxies.map((p) => [p.id, (PARTITION_COUNT * p.weight) / totalWeight]));
  const targets = new Map<string, number>();

  let active = [...proxies];
  let remaining = PARTITION_COUNT;
  for (;;) {
    const weight = active.reduce((s, p) => s + p.weight, 0);
    const overPinned = active.filter((p) => (pinnedCount.get(p.id) ?? 0) > (remaining * p.weight) / weight);
    if (overPinned.length === 0) break;
    for (const p of overPinned) {
      const pinned = pinnedCount.get(p.id) ?? 0;
      targets.set(p.id, pinned);
      remaining -= pinned;
    }
    active = active.filter((p) => !overPinned.includes(p));
  }
  if (active.length === 0) return { targets, fairShares };

  const weight = active.reduce((s, p) => s + p.weight, 0);
  // Exact rational arithmetic: share = remaining·w / weight; floor and remainder in integers.
  const rows = active.map((p) => {
    const numerator = remaining * p.weight;
    const floor = Math.floor(numerator / weight);
    return { p, floor, remainder: numerator - floor * weight, held: held.get(p.id) ?? 0 };
  });
  let extra = remaining - rows.reduce((s, r) => s + r.floor, 0);
  rows.sort(
    (a, b) =>
      Number(b.held > b.floor) - Number(a.held > a.floor) ||
      b.remainder - a.remainder ||
      (seeds.get(a.p.id) ?? 0) - (seeds.get(b.p.id) ?? 0) ||
      (a.p.id < b.p.id ? -1 : 1),
  );
  for (const r of rows) {
    const ceil = extra > 0 && r.remainder > 0;
    if (ceil) extra--;
    targets.set(r.p.id, r.floor + (ceil ? 1 : 0));
  }
  return { targets, fairShares };
}
