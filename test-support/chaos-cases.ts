import { api } from './admin-harness.js';
import type { ChaosFleet, LbUnderWatch, SeenTable } from './chaos.js';
import { type LoadRecord, NOT_SENT, now, openLoad } from './chaos-load.js';

/** The fleet changes of issue #12, in the order `npm run bench:chaos` runs them. */
export const CASES = ['rolling-restart', 'sigkill', 'lb-restart', 'drain', 'join', 'weights'] as const;
export type CaseName = (typeof CASES)[number];

export interface CaseOptions {
  /** Requests per second through each load balancer. */
  rate: number;
  /** Load before the change: the steady state the change is compared with. */
  steadyMs: number;
  /** Load after the change (and, for moves, after the table settled). */
  afterMs: number;
  connections?: number;
  /** How long a SIGKILLed proxy stays down before it is started again. */
  killDownMs?: number;
  /** The proxy drained, killed and weighted (default: the second running one). */
  victim?: string;
  /** The id of the proxy that joins. */
  joinId?: string;
  /** Quiet time after which a changing table counts as settled. */
  quietMs?: number;
}

export interface CaseResult {
  case: CaseName;
  lb: string;
  rate: number;
  sent: number;
  /** Requests that reached the load balancer and failed. */
  failed: number;
  failedByKind: Record<string, number>;
  /**
   * Requests the load generator did not send because a timeout's worth was still queued: the
   * machine running the load out of CPU, not the fleet failing (they are not in `failed`).
   */
  notSent: number;
  /** Requests sent a second time after their keep-alive connection closed before any answer byte. */
  retried: number;
  /** Answers marked X-Prism-Fallback (served by a proxy that is not the owner). */
  fallbacks: number;
  /** Answers forwarded by a non-owner the load balancer chose. */
  forwarded: number;
  p50SteadyMs: number;
  p99SteadyMs: number;
  p99ChangeMs: number;
  /** How long the operation itself took. */
  changeMs: number;
  versionBefore: number;
  versionAfter: number;
  /** Every version the recorder saw (polled every 50 ms). */
  versions: number[];
  /** Partitions that changed owner, before → after. */
  movedPartitions: number;
  /** Most partitions one table version moved (successive versions seen; a gap the poll missed is spread over its versions). */
  maxMovesPerVersion: number;
  /** The same as a share of the 256 partitions. */
  maxMovePercentPerVersion: number;
  movedNamespaces: number;
  /**
   * From the version that gave a moved namespace its new owner until every later request for it
   * went straight to that owner through the load balancer (no forward, no fallback).
   */
  routeToNewOwnerMs: { p50: number; max: number; unrouted: number } | null;
  /** SIGKILL: from the kill until the last failed request ended. */
  failoverMs: number | null;
  /** SIGKILL: requests that were in flight through the load balancer when the proxy died. */
  inFlightAtKill: number | null;
  /** Every failure started before the killed proxy's exit was seen (none after it). */
  failuresOnlyInFlight: boolean | null;
  /** LB restart: from its listener being back until every namespace reached its owner directly; -1 = not within 1 s. */
  exactAfterLbRestartMs: number | null;
  lbAlive: boolean;
  /** The case could not run on this checkout (an operation it does not have yet). */
  unsupported: string;
  notes: string[];
  /** Up to 10 failed requests: ms after the change started, error, namespace. */
  sampleFailures: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pct(values: number[], q: number): number {
  if (!values.length) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

const r1 = (v: number) => Math.round(v * 10) / 10;

interface OpOutcome {
  unsupported?: string;
  notes: string[];
  killedAt?: number;
  exitedAt?: number;
  exactAfterLbRestartMs?: Map<string, number>;
}

/** Runs the operation of a case against the fleet (and the load balancers, for lb-restart). */
async function operate(name: CaseName, fleet: ChaosFleet, lbs: LbUnderWatch[], o: CaseOptions): Promise<OpOutcome> {
  const victim = o.victim ?? fleet.running()[1];
  const notes: string[] = [];
  switch (name) {
    case 'rolling-restart':
      for (const id of fleet.running()) {
        const t0 = now();
        await fleet.stopProxy(id, 'SIGTERM');
        const t1 = now();
        await fleet.startProxy(id);
        notes.push(
          `${id}: exited ${Math.round(t1 - t0)} ms after SIGTERM, ready ${Math.round(now() - t1)} ms after its start`,
        );
      }
      return { notes };
    case 'sigkill': {
      const killedAt = now();
      await fleet.stopProxy(victim, 'SIGKILL');
      const exitedAt = now();
      await sleep(o.killDownMs ?? 3_000);
      await fleet.startProxy(victim);
      notes.push(`killed ${victim}, started again after ${o.killDownMs ?? 3_000} ms`);
      return { notes, killedAt, exitedAt };
    }
    case 'lb-restart': {
      const exact = new Map<string, number>();
      for (const lb of lbs) {
        if (lb.target === 'envoy') {
          notes.push('envoy: runs under the watcher, not restarted on its own');
          continue;
        }
        await lb.restart();
        exact.set(lb.target, await lb.exactWithin(1_000));
      }
      return { notes, exactAfterLbRestartMs: exact };
    }
    case 'drain': {
      const res = await fleet.prismctl(['proxies', 'drain', victim, '--wait']);
      if (res.code !== 0) return { notes, unsupported: `prismctl proxies drain: ${firstLine(res.stderr)}` };
      notes.push(`drained ${victim}`);
      return { notes };
    }
    case 'join': {
      await fleet.join(o.joinId ?? `p${fleet.ids().length + 1}`);
      notes.push(`${o.joinId ?? 'a new proxy'} joined`);
      return { notes };
    }
    case 'weights': {
      // Weight 3 against 1 for each other proxy: of 4, its share goes 64 → 128 partitions (a quarter
      // of the table moves); of 5 (after a join), 51 → 110 (23%).
      const res = await api(fleet.admin.http, 'POST', '/v1/partition-table:apply', { weights: { [victim]: 3 } });
      if (res.status !== 200) return { notes, unsupported: `apply weights: ${res.status} ${res.text}` };
      notes.push(`weight of ${victim} 1 → 3`);
      return { notes };
    }
  }
}

/** A case that did not run (its stack failed to start, or the checkout lacks an operation). */
export function notRun(name: CaseName, lb: string, why: string): CaseResult {
  return {
    case: name,
    lb,
    rate: 0,
    sent: 0,
    failed: 0,
    failedByKind: {},
    notSent: 0,
    retried: 0,
    fallbacks: 0,
    forwarded: 0,
    p50SteadyMs: Number.NaN,
    p99SteadyMs: Number.NaN,
    p99ChangeMs: Number.NaN,
    changeMs: 0,
    versionBefore: 0,
    versionAfter: 0,
    versions: [],
    movedPartitions: 0,
    maxMovesPerVersion: 0,
    maxMovePercentPerVersion: 0,
    movedNamespaces: 0,
    routeToNewOwnerMs: null,
    failoverMs: null,
    inFlightAtKill: null,
    failuresOnlyInFlight: null,
    exactAfterLbRestartMs: null,
    lbAlive: false,
    unsupported: why,
    notes: [],
    sampleFailures: [],
  };
}

const firstLine = (text: string) => text.trim().split('\n')[0] ?? '';

/**
 * One case under an open-loop load through every load balancer in `lbs` at once: steady load, the
 * operation, load until the table settled and `afterMs` more; then the figures per load balancer.
 */
export async function runCase(
  name: CaseName,
  fleet: ChaosFleet,
  lbs: LbUnderWatch[],
  o: CaseOptions,
): Promise<CaseResult[]> {
  const before = await fleet.seen();
  const recorder = fleet.recordTables(50);
  const bound = (o.steadyMs + o.afterMs) / 1000 + 120;
  const loads = lbs.map((lb) =>
    openLoad(lb.port, fleet.names, { rate: o.rate, seconds: bound, connections: o.connections }),
  );
  let outcome: OpOutcome = { notes: [] };
  let changeStart = 0;
  let changeEnd = 0;
  let settledAt = 0;
  let records: LoadRecord[][] = [];
  try {
    await sleep(o.steadyMs);
    changeStart = now();
    try {
      outcome = await operate(name, fleet, lbs, o);
    } catch (err) {
      outcome = { notes: [], unsupported: `failed: ${(err as Error).message.split('\n')[0]}` };
    }
    changeEnd = now();
    const version = await fleet.settled(o.quietMs ?? 1_000).catch((err: Error) => {
      outcome.notes.push(err.message);
      return undefined;
    });
    // The load balancers follow the table each at its own pace (Envoy: a hot restart that waits for
    // the new epoch's health checks); the after-window starts once each runs the final version.
    if (version !== undefined) {
      const late = await Promise.all(lbs.map((lb) => lb.appliedAtLeast(version, 20_000)));
      lbs.forEach((lb, i) => {
        if (!late[i]) outcome.notes.push(`${lb.target} did not apply table v${version} within 20 s`);
      });
    }
    settledAt = now();
    await sleep(o.afterMs);
  } finally {
    records = await Promise.all(loads.map((l) => l.stop()));
    await recorder.stop();
  }
  const after = await fleet.seen();
  const tables = [before, ...recorder.tables.filter((t) => t.version > before.version)];
  if (tables.at(-1)?.version !== after.version) tables.push(after);

  return lbs.map((lb, i) =>
    analyse(name, lb, records[i], { o, outcome, before, after, tables, changeStart, changeEnd, settledAt }),
  );
}

interface Context {
  o: CaseOptions;
  outcome: OpOutcome;
  before: SeenTable;
  after: SeenTable;
  tables: SeenTable[];
  changeStart: number;
  changeEnd: number;
  settledAt: number;
}

function analyse(name: CaseName, lb: LbUnderWatch, records: LoadRecord[], c: Context): CaseResult {
  const notSent = records.filter((r) => r.error === NOT_SENT).length;
  const failed = records.filter((r) => r.error && r.error !== NOT_SENT);
  const failedByKind: Record<string, number> = {};
  for (const r of failed) failedByKind[r.error] = (failedByKind[r.error] ?? 0) + 1;
  const t0 = records[0]?.start ?? c.changeStart;
  const ok = (r: LoadRecord) => !r.error;
  const steady = records.filter((r) => ok(r) && r.start >= t0 + 500 && r.start < c.changeStart).map((r) => r.latencyMs);
  const during = records
    .filter((r) => ok(r) && r.start >= c.changeStart && r.start <= Math.max(c.changeEnd, c.settledAt))
    .map((r) => r.latencyMs);

  let movedPartitions = 0;
  for (let p = 0; p < 256; p++) if (c.before.partitionOwners[p] !== c.after.partitionOwners[p]) movedPartitions++;
  let maxMoves = 0;
  for (let k = 1; k < c.tables.length; k++) {
    const [a, b] = [c.tables[k - 1], c.tables[k]];
    let moved = 0;
    for (let p = 0; p < 256; p++) if (a.partitionOwners[p] !== b.partitionOwners[p]) moved++;
    // A version the 50 ms poll missed: the moves of the gap spread over the versions in it.
    maxMoves = Math.max(maxMoves, moved / Math.max(1, b.version - a.version));
  }

  const moved = Object.keys(c.after.owners).filter((n) => c.before.owners[n] !== c.after.owners[n]);
  let routeToNewOwnerMs: CaseResult['routeToNewOwnerMs'] = null;
  if (moved.length) {
    const delays: number[] = [];
    let unrouted = 0;
    for (const ns of moved) {
      const owner = c.after.owners[ns];
      const given = c.tables.find((t) => t.version > c.before.version && t.owners[ns] === owner)?.at ?? c.changeStart;
      const mine = records.filter((r) => r.namespace === ns && r.start >= given);
      let from = mine.length;
      while (from > 0) {
        const r = mine[from - 1];
        if (r.error || r.servedBy !== owner || r.forwardedBy || r.fallback) break;
        from--;
      }
      if (from === mine.length) unrouted++;
      else delays.push(Math.max(0, mine[from].start - given));
    }
    routeToNewOwnerMs = {
      p50: r1(pct(delays, 0.5)),
      max: r1(delays.length ? Math.max(...delays) : Number.NaN),
      unrouted,
    };
  }

  let failoverMs: number | null = null;
  let inFlightAtKill: number | null = null;
  let failuresOnlyInFlight: boolean | null = null;
  const { killedAt, exitedAt } = c.outcome;
  if (killedAt !== undefined && exitedAt !== undefined) {
    const after = failed.filter((r) => r.start + r.latencyMs >= killedAt);
    failoverMs = after.length ? r1(Math.max(...after.map((r) => r.start + r.latencyMs)) - killedAt) : 0;
    inFlightAtKill = records.filter((r) => r.start <= exitedAt && r.start + r.latencyMs >= killedAt).length;
    failuresOnlyInFlight = failed.every((r) => r.start <= exitedAt && r.start + r.latencyMs >= killedAt);
  }

  return {
    case: name,
    lb: lb.target,
    rate: c.o.rate,
    sent: records.length,
    failed: failed.length,
    failedByKind,
    notSent,
    retried: records.filter((r) => r.retried).length,
    fallbacks: records.filter((r) => r.fallback).length,
    forwarded: records.filter((r) => r.forwardedBy).length,
    p50SteadyMs: r1(pct(steady, 0.5)),
    p99SteadyMs: r1(pct(steady, 0.99)),
    p99ChangeMs: r1(pct(during, 0.99)),
    changeMs: r1(c.changeEnd - c.changeStart),
    versionBefore: c.before.version,
    versionAfter: c.after.version,
    versions: c.tables.map((t) => t.version),
    movedPartitions,
    maxMovesPerVersion: r1(maxMoves),
    maxMovePercentPerVersion: r1((maxMoves / 256) * 100),
    movedNamespaces: moved.length,
    routeToNewOwnerMs,
    failoverMs,
    inFlightAtKill,
    failuresOnlyInFlight,
    exactAfterLbRestartMs: c.outcome.exactAfterLbRestartMs?.get(lb.target) ?? null,
    lbAlive: lb.alive(),
    unsupported: c.outcome.unsupported ?? '',
    notes: [...c.outcome.notes, ...lb.notes],
    sampleFailures: failed
      .slice(0, 10)
      .map((r) => `+${Math.round(r.start - c.changeStart)} ms ${r.error} ${r.namespace}`),
  };
}
