import { cpus, platform, release } from 'node:os';
import { round, type Spread } from '../shared/stats.js';
import type { FleetChangeRun } from './fleet-change.js';
import type { ReservationRun } from './reservations.js';

export interface BenchResults {
  reservations: ReservationRun[];
  fleet: FleetChangeRun;
  startedAt: Date;
  elapsedS: number;
}

const spreadJson = (s: Spread) => ({
  median: round(s.median),
  max: round(s.max),
  samples: s.samples.map((v) => round(v)),
});

/** The figures as bench/results/admin-latest.json holds them. */
export function resultsJson(r: BenchResults) {
  return {
    benchmark: 'admin',
    machine: {
      cpus: cpus().length,
      cpu_model: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      os: `${platform()} ${release()}`,
      date: r.startedAt.toISOString(),
    },
    reservations: Object.fromEntries(
      r.reservations.map((x) => [
        String(x.concurrency),
        {
          reservations_per_s: Math.round(x.reservationsPerS),
          p50_ms: round(x.p50Ms, 2),
          p99_ms: round(x.p99Ms, 2),
          cpu_us_per_reservation: Math.round(x.adminCpuUsPerReservation),
          client_cpu_us_per_request: Math.round(x.clientCpuUsPerRequest),
          completed: x.completed,
          failures: x.failures,
          failure_kinds: x.failureKinds,
          elapsed_s: round(x.elapsedMs / 1000, 2),
          capped: x.capped,
        },
      ]),
    ),
    fleet: {
      proxies: r.fleet.proxies,
      repeats: r.fleet.repeats,
      start_ms: round(r.fleet.startMs),
      settle_ms: round(r.fleet.settleMs),
    },
    fleet_change_to_last_table_ms: {
      join: spreadJson(r.fleet.toLastTableMs.join),
      leave: spreadJson(r.fleet.toLastTableMs.leave),
    },
    fleet_change_to_last_ack_ms: {
      join: spreadJson(r.fleet.toLastAckMs.join),
      leave: spreadJson(r.fleet.toLastAckMs.leave),
    },
    run_s: round(r.elapsedS),
  };
}

/** A plain-text table: the first column left-aligned, the others right-aligned (bench:admin, bench:ha). */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  return cells
    .map((row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '))
    .join('\n');
}

export function formatReport(r: BenchResults): string {
  const json = resultsJson(r);
  const m = json.machine;
  const reservations = table(
    ['concurrency', 'reserved', 'failures', 'res/s', 'p50 ms', 'p99 ms', 'admin CPU µs/res', 'client CPU µs/req', 's'],
    r.reservations.map((x) => [
      x.concurrency,
      x.completed - x.failures,
      x.failures,
      Math.round(x.reservationsPerS),
      x.p50Ms.toFixed(2),
      x.p99Ms.toFixed(2),
      Math.round(x.adminCpuUsPerReservation),
      Math.round(x.clientCpuUsPerRequest),
      `${(x.elapsedMs / 1000).toFixed(2)}${x.capped ? ' (capped)' : ''}`,
    ]),
  );
  const f = r.fleet;
  const fleet = table(
    ['change', 'last table median ms', 'last table max ms', 'last ack median ms', 'last ack max ms'],
    (['join', 'leave'] as const).map((k) => [
      k,
      f.toLastTableMs[k].median.toFixed(1),
      f.toLastTableMs[k].max.toFixed(1),
      f.toLastAckMs[k].median.toFixed(1),
      f.toLastAckMs[k].max.toFixed(1),
    ]),
  );
  return [
    `prism-admin benchmark: ${m.cpus} CPUs (${m.cpu_model}), node ${m.node}, ${m.os}, ${m.date}`,
    '',
    'Reservations: POST /v1/namespaces to a prism-admin process on SQLite (WAL), keep-alive HTTP/1.1',
    reservations,
    '',
    `Fleet change: ${f.proxies} simulated proxies (own process, one gRPC connection each), ${f.repeats} repeats`,
    `(connect + register of all ${f.proxies}: ${f.startMs.toFixed(0)} ms; settled on one acked table: ${f.settleMs.toFixed(0)} ms)`,
    fleet,
    'join = one more proxy connects; leave = one proxy cancels its stream. Last table: swarm clock, to the last',
    'proxy receiving the new version; last ack: /v1/proxies polled every 5 ms, until all show it applied.',
  ].join('\n');
}
