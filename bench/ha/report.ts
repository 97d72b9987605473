import { cpus, loadavg, platform, release } from 'node:os';
import { table } from '../admin/report.js';
import type { ReservationRun } from '../admin/reservations.js';
import { percentile, round } from '../shared/stats.js';
import type { FailoverRun } from './failover.js';

/** What the memo asks of the admin's failover. */
export const MEMO_FAILOVER_MS = 5_000;

export interface StoreRun {
  /** sqlite, etcd (1 admin), etcd (3 admins) */
  store: string;
  admins: number;
  /** One run per admin, measured at the same time. */
  runs: ReservationRun[];
}

export interface FailoverSeries {
  /** What etcd and the admins ran with, e.g. "etcd 50/500 ms, leaderTtlSeconds 1". */
  setup: string;
  runs: FailoverRun[];
}

export interface HaResults {
  reservations: StoreRun[];
  failover: FailoverSeries[];
  startedAt: Date;
  elapsedS: number;
}

/** Reservations/s of a store: every admin's run added up (they ran at the same time). */
export function storeRate(s: StoreRun) {
  const reserved = s.runs.reduce((n, r) => n + r.completed - r.failures, 0);
  const failures = s.runs.reduce((n, r) => n + r.failures, 0);
  const elapsedMs = Math.max(...s.runs.map((r) => r.elapsedMs));
  return {
    store: s.store,
    admins: s.admins,
    concurrency: s.runs.reduce((n, r) => n + r.concurrency, 0),
    reserved,
    failures,
    reservations_per_s: Math.round(s.runs.reduce((n, r) => n + r.reservationsPerS, 0)),
    p50_ms: round(
      percentile(
        s.runs.map((r) => r.p50Ms),
        0.5,
      ),
      2,
    ),
    p99_ms: round(Math.max(...s.runs.map((r) => r.p99Ms)), 2),
    elapsed_s: round(elapsedMs / 1000, 2),
  };
}

const median = (runs: FailoverRun[], k: keyof FailoverRun) =>
  Math.round(
    percentile(
      runs.map((r) => r[k]),
      0.5,
    ),
  );
const max = (runs: FailoverRun[], k: keyof FailoverRun) => Math.round(Math.max(...runs.map((r) => r[k])));

/** The figures as bench/results/ha.json holds them. */
export function haJson(r: HaResults) {
  return {
    benchmark: 'ha',
    machine: {
      cpus: cpus().length,
      cpu_model: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      os: `${platform()} ${release()}`,
      date: r.startedAt.toISOString(),
      // On a machine shared with other work the figures scale with it.
      load_average_1m: round(loadavg()[0]),
    },
    reservations: r.reservations.map(storeRate),
    failover: r.failover.map((f) => ({
      setup: f.setup,
      repeats: f.runs.length,
      memo_ms: MEMO_FAILOVER_MS,
      to_leader_ms: { median: median(f.runs, 'leaderMs'), max: max(f.runs, 'leaderMs') },
      to_first_reservation_ms: { median: median(f.runs, 'reservationMs'), max: max(f.runs, 'reservationMs') },
      to_table_on_all_proxies_ms: { median: median(f.runs, 'tablePushMs'), max: max(f.runs, 'tablePushMs') },
      samples: f.runs.map((x) => ({
        leader_ms: Math.round(x.leaderMs),
        reservation_ms: Math.round(x.reservationMs),
        table_ms: Math.round(x.tablePushMs),
      })),
    })),
    run_s: round(r.elapsedS),
  };
}

export function formatHaReport(r: HaResults): string {
  const json = haJson(r);
  const m = json.machine;
  const sqlite = json.reservations.find((x) => x.store === 'sqlite')?.reservations_per_s;
  const reservations = table(
    ['store', 'admins', 'concurrency', 'reserved', 'failures', 'res/s', 'vs sqlite', 'p50 ms', 'p99 ms', 's'],
    json.reservations.map((x) => [
      x.store,
      x.admins,
      x.concurrency,
      x.reserved,
      x.failures,
      x.reservations_per_s,
      sqlite ? `x${(x.reservations_per_s / sqlite).toFixed(2)}` : '-',
      x.p50_ms.toFixed(2),
      x.p99_ms.toFixed(2),
      x.elapsed_s.toFixed(2),
    ]),
  );
  const failover = table(
    ['setup', 'runs', 'leader ms', 'reservation ms', 'table on all proxies ms', 'memo'],
    json.failover.map((f) => [
      f.setup,
      f.repeats,
      `${f.to_leader_ms.median} (max ${f.to_leader_ms.max})`,
      `${f.to_first_reservation_ms.median} (max ${f.to_first_reservation_ms.max})`,
      `${f.to_table_on_all_proxies_ms.median} (max ${f.to_table_on_all_proxies_ms.max})`,
      `< ${f.memo_ms} ms: ${f.to_table_on_all_proxies_ms.max < f.memo_ms ? 'met' : 'NOT met'}`,
    ]),
  );
  return [
    `prism-admin HA benchmark: ${m.cpus} CPUs (${m.cpu_model}), node ${m.node}, ${m.os}, ${m.date}, load average ${m.load_average_1m}`,
    '',
    'Reservations: POST /v1/namespaces over keep-alive HTTPS, new names, the same total concurrency for each store;',
    'etcd = a 3-member cluster on loopback; with 3 admins, each gets a third of the clients at the same time.',
    reservations,
    '',
    'Failover: kill -9 of the leading admin (3 admins, 3 proxies listing all three) to: another admin reporting',
    'itself leader (GET /v1/admin/status); the first reservation acknowledged by a client listing the killed',
    'admin first; a weight change accepted by the new leader applied on all three proxies. Medians (max).',
    failover,
  ].join('\n');
}
