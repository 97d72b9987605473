import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PartitionTable } from '../../proto/gen/prism/admin/v1/partition.js';
import { PrismError, type ProxySpec, planTable, tableBalance, tableToJson } from '../src/index.js';

const ids = (n: number, prefix = 'proxy-') =>
  Array.from({ length: n }, (_, i) => `${prefix}${String(i + 1).padStart(2, '0')}`);
const fleet = (names: string[], weights?: Record<string, number>): ProxySpec[] =>
  names.map((id) => ({ id, weight: weights?.[id] ?? 1 }));

function counts(table: PartitionTable): Map<string, number> {
  return tableBalance(table).counts;
}

function fairShares(specs: readonly ProxySpec[]): Map<string, number> {
  const total = specs.reduce((s, p) => s + (p.weight ?? 1), 0);
  return new Map(specs.map((p) => [p.id, (256 * (p.weight ?? 1)) / total]));
}

/** Every proxy within one partition of its weighted fair share. */
function expectBalanced(table: PartitionTable, specs: readonly ProxySpec[]) {
  const c = counts(table);
  for (const [id, fair] of fairShares(specs)) {
    const n = c.get(id) ?? 0;
    expect(Math.abs(n - fair), `${id}: ${n} partitions, fair share ${fair}`).toBeLessThan(1);
  }
}

/**
 * The fewest moves any ±1-balanced table can make from `previous`: partitions of departed proxies
 * must move, and each survivor must shed what it holds above its target, where targets are floor or
 * ceil of the fair share and the ceilings (there are 256 − Σ floor of them) best go to survivors
 * that would otherwise shed one.
 */
function minimumMoves(previous: PartitionTable, specs: readonly ProxySpec[]): number {
  const held = counts(previous);
  const members = new Set(specs.map((p) => p.id));
  let orphans = 0;
  for (const a of previous.assignments) if (!members.has(a.owner)) orphans++;
  let shed = 0;
  let floors = 0;
  let canUseCeil = 0;
  for (const [id, fair] of fairShares(specs)) {
    const floor = Math.floor(fair + 1e-9);
    const frac = fair - floor > 1e-9;
    const h = held.get(id) ?? 0;
    floors += floor;
    shed += Math.max(0, h - floor);
    if (frac && h > floor) canUseCeil++;
  }
  return orphans + shed - Math.min(256 - floors, canUseCeil);
}

function moves(a: PartitionTable, b: PartitionTable): number {
  return b.assignments.filter((x, i) => a.assignments[i].owner !== x.owner).length;
}

function shuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

describe('consistent_hash: the figures operators were promised', () => {
  it('adding a 4th proxy to 3 moves exactly 64 partitions, all to the new proxy', () => {
    const t3 = planTable({ proxies: fleet(ids(3)) }).table;
    const r4 = planTable({ previous: t3, proxies: fleet(ids(4)) });
    expect(r4.moved).toBe(64);
    expect([...counts(r4.table).values()]).toEqual([64, 64, 64, 64]);
    for (const a of r4.table.assignments) {
      if (a.owner !== 'proxy-04') expect(t3.assignments[a.partition].owner).toBe(a.owner);
    }
  });

  it('removing a proxy from 4 moves only its 64 partitions', () => {
    const t4 = planTable({ proxies: fleet(ids(4)) }).table;
    const r3 = planTable({ previous: t4, proxies: fleet(['proxy-01', 'proxy-02', 'proxy-04']) });
    expect(r3.moved).toBe(64);
    const moved = r3.table.assignments.filter((a) => t4.assignments[a.partition].owner !== a.owner);
    for (const a of moved) expect(t4.assignments[a.partition].owner).toBe('proxy-03');
    expect([...counts(r3.table).values()].sort()).toEqual([85, 85, 86]);
  });

  it('balances 256 partitions perfectly at N=8 (a hash ring gets about 1.3x max/avg)', () => {
    const { table } = planTable({ proxies: fleet(ids(8)) });
    expect(tableBalance(table).imbalance).toBe(1);
  });

  it('gives a fresh table version 1 and every partition epoch 1', () => {
    const { table } = planTable({ proxies: fleet(ids(5)) });
    expect(table.version).toBe(1);
    expect(table.assignments.map((a) => a.epoch)).toEqual(new Array(256).fill(1));
    expect(table.assignments.map((a) => a.partition)).toEqual([...Array(256).keys()]);
  });

  it('replanning the same fleet changes nothing: same version, same epochs, no moves', () => {
    const t = planTable({ proxies: fleet(ids(7)) }).table;
    const again = planTable({ previous: t, proxies: shuffle(fleet(ids(7)), 7) });
    expect(again.changed).toBe(false);
    expect(again.moved).toBe(0);
    expect(tableToJson(again.table)).toBe(tableToJson(t));
  });

  it('weights give proportional shares', () => {
    const specs = fleet(['big', 'small-a', 'small-b'], { big: 2 });
    const { table } = planTable({ proxies: specs });
    expect(Object.fromEntries(counts(table))).toEqual({ big: 128, 'small-a': 64, 'small-b': 64 });
  });
});

const fleetArb = fc
  .record({
    size: fc.integer({ min: 1, max: 64 }),
    weighted: fc.boolean(),
    weightSeed: fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 64, maxLength: 64 }),
    nameSeed: fc.integer({ min: 0, max: 10_000 }),
  })
  .map(({ size, weighted, weightSeed, nameSeed }) =>
    Array.from({ length: size }, (_, i) => ({ id: `p${nameSeed + i * 7}`, weight: weighted ? weightSeed[i] : 1 })),
  );

const changeArb = fc.record({
  leave: fc.integer({ min: 0, max: 8 }),
  join: fc.integer({ min: 0, max: 8 }),
  reweigh: fc.integer({ min: 0, max: 4 }),
  newWeight: fc.integer({ min: 1, max: 8 }),
  order: fc.integer({ min: 1, max: 2 ** 31 }),
});

interface Change {
  leave: number;
  join: number;
  reweigh: number;
  newWeight: number;
  order: number;
}

function applyChange(specs: readonly ProxySpec[], c: Change, step = 0): ProxySpec[] {
  const kept = specs.slice(0, Math.max(1, specs.length - c.leave));
  const joined = Array.from({ length: c.join }, (_, i) => ({
    id: `joiner-${step}-${c.order % 1000}-${i}`,
    weight: 1 + ((c.order + i) % 3),
  }));
  const next = [...kept, ...joined].slice(0, 256).map((p, i) => (i < c.reweigh ? { ...p, weight: c.newWeight } : p));
  return shuffle(next, c.order);
}

describe('consistent_hash properties over random fleets (N = 1..64)', () => {
  it('every proxy ends within ±1 partition of its weighted fair share', () => {
    fc.assert(
      fc.property(fleetArb, (specs) => {
        expectBalanced(planTable({ proxies: specs }).table, specs);
      }),
      { numRuns: 200 },
    );
  });

  it('a join, leave or weight change moves only the partitions that must move, and stays balanced', () => {
    fc.assert(
      fc.property(fleetArb, changeArb, (specs, change) => {
        const before = planTable({ proxies: specs }).table;
        const nextSpecs = applyChange(specs, change);
        const after = planTable({ previous: before, proxies: nextSpecs });
        expectBalanced(after.table, nextSpecs);
        expect(after.moved).toBe(moves(before, after.table));
        expect(after.moved).toBe(minimumMoves(before, nextSpecs));
        // No proxy both gives and takes partitions: no move is wasted.
        const gave = new Set<string>();
        const took = new Set<string>();
        for (const a of after.table.assignments) {
          const prev = before.assignments[a.partition].owner;
          if (prev !== a.owner) {
            gave.add(prev);
            took.add(a.owner);
          }
        }
        for (const id of gave) expect(took.has(id)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('is deterministic whatever order the proxies come in', () => {
    fc.assert(
      fc.property(fleetArb, changeArb, fc.integer({ min: 1, max: 2 ** 31 }), (specs, change, seed) => {
        const before = planTable({ proxies: specs }).table;
        expect(tableToJson(planTable({ proxies: shuffle(specs, seed) }).table)).toBe(tableToJson(before));
        const nextSpecs = applyChange(specs, change);
        const a = planTable({ previous: before, proxies: nextSpecs }).table;
        const b = planTable({ previous: before, proxies: shuffle(nextSpecs, seed) }).table;
        expect(tableToJson(b)).toBe(tableToJson(a));
      }),
      { numRuns: 100 },
    );
  });

  it('bumps a partition epoch exactly when its owner changes, and the version exactly when the table does', () => {
    fc.assert(
      fc.property(fleetArb, changeArb, (specs, change) => {
        const before = planTable({ proxies: specs }).table;
        const after = planTable({ previous: before, proxies: applyChange(specs, change) });
        for (const a of after.table.assignments) {
          const prev = before.assignments[a.partition];
          expect(a.epoch).toBe(prev.owner === a.owner ? prev.epoch : prev.epoch + 1);
        }
        expect(after.table.version).toBe(after.changed ? before.version + 1 : before.version);
        if (after.moved > 0) expect(after.changed).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('a chain of fleet changes keeps every table balanced and every epoch monotonic', () => {
    fc.assert(
      fc.property(fleetArb, fc.array(changeArb, { minLength: 2, maxLength: 6 }), (specs, changes) => {
        let current: ProxySpec[] = specs;
        let table = planTable({ proxies: current }).table;
        for (const [step, change] of changes.entries()) {
          current = applyChange(current, change, step);
          const next = planTable({ previous: table, proxies: current }).table;
          expectBalanced(next, current);
          for (const a of next.assignments)
            expect(a.epoch).toBeGreaterThanOrEqual(table.assignments[a.partition].epoch);
          expect(next.version).toBeGreaterThanOrEqual(table.version);
          table = next;
        }
      }),
      { numRuns: 50 },
    );
  });
});

describe('bad input gets a coded error naming what was wrong', () => {
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(PrismError);
      return `${(err as PrismError).code}: ${(err as PrismError).message}`;
    }
    return 'no error';
  };

  it.each([
    [{ proxies: [] }, /^PRISM-PLAN-003/],
    [{ proxies: fleet(ids(257, 'p')) }, /^PRISM-PLAN-003/],
    [{ proxies: [{ id: 'a', weight: 0 }] }, /^PRISM-PLAN-001: weight 0 of proxy "a"/],
    [{ proxies: [{ id: 'a', weight: -2 }] }, /^PRISM-PLAN-001: weight -2/],
    [{ proxies: [{ id: 'a', weight: 1.5 }] }, /^PRISM-PLAN-001: weight 1.5/],
    [{ proxies: [{ id: 'a', weight: 257 }] }, /^PRISM-PLAN-001/],
    [{ proxies: [{ id: 'Bad Id' }] }, /^PRISM-PROXY-001: proxy id "Bad Id"/],
    [{ proxies: fleet(['a', 'b', 'a']) }, /^PRISM-PROXY-002: proxy id "a" is listed twice/],
    [{ proxies: fleet(['a']), strategy: 'round_robin' }, /^PRISM-PLAN-002: strategy "round_robin"/],
  ])('%j', (input, expected) => {
    expect(code(() => planTable(input as never))).toMatch(expected);
  });
});
