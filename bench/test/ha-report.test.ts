import { describe, expect, it } from 'vitest';
import type { ReservationRun } from '../admin/reservations.js';
import { formatHaReport, type HaResults, haJson } from '../ha/report.js';

const reservations = (concurrency: number, perS: number, p99: number): ReservationRun => ({
  concurrency,
  completed: 3000,
  failures: 0,
  failureKinds: {},
  elapsedMs: (3000 / perS) * 1000,
  capped: false,
  reservationsPerS: perS,
  p50Ms: 5,
  p99Ms: p99,
  adminCpuUsPerReservation: 400,
  clientCpuUsPerRequest: 100,
});

const results: HaResults = {
  reservations: [
    { store: 'sqlite', admins: 1, runs: [reservations(18, 1200, 30)] },
    { store: 'etcd', admins: 3, runs: [reservations(6, 200, 40), reservations(6, 100, 90), reservations(6, 300, 20)] },
  ],
  failover: [
    {
      setup: 'etcd 50/500 ms, leaderTtlSeconds 1',
      runs: [1200, 900, 1500, 1000, 1100].map((ms) => ({ leaderMs: ms, reservationMs: 40, tablePushMs: ms + 300 })),
    },
    { setup: 'slow', runs: [{ leaderMs: 4000, reservationMs: 50, tablePushMs: 5200 }] },
  ],
  startedAt: new Date(0),
  elapsedS: 60,
};

describe('bench:ha report', () => {
  it('adds the rates of admins measured at once, and gives failover medians beside the memo', () => {
    const json = haJson(results);
    expect(json.reservations[1]).toMatchObject({ admins: 3, concurrency: 18, reservations_per_s: 600, p99_ms: 90 });
    expect(json.failover[0]).toMatchObject({
      repeats: 5,
      memo_ms: 5000,
      to_leader_ms: { median: 1100, max: 1500 },
      to_table_on_all_proxies_ms: { median: 1400, max: 1800 },
    });
    const text = formatHaReport(results);
    expect(text).toMatch(/^etcd\s+3\s+18\s+9000\s+0\s+600\s+x0\.50/m);
    expect(text).toContain('< 5000 ms: met');
    expect(text).toContain('< 5000 ms: NOT met');
  });
});
