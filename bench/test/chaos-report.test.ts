import { describe, expect, it } from 'vitest';
import { type CaseName, type CaseResult, notRun } from '../../test-support/chaos-cases.js';
import { goals, markdown } from '../chaos/report.js';

const result = (name: CaseName, lb: string, values: Partial<CaseResult>): CaseResult => ({
  ...notRun(name, lb, ''),
  rate: 1000,
  sent: 9000,
  p50SteadyMs: 0.8,
  p99SteadyMs: 3,
  p99ChangeMs: 20,
  versionBefore: 6,
  versionAfter: 6,
  versions: [6],
  lbAlive: true,
  ...values,
});

const meta = {
  date: 'x',
  cpus: 2,
  node: 'v20',
  rate: 1000,
  seconds: 3,
  proxies: 4,
  namespaces: 64,
  connections: 16,
  dropped: [],
};

describe('bench:chaos report', () => {
  it('holds each case to its target: 0 failed, the table version of a rolling restart, only in-flight failures for a crash', () => {
    const met = goals([
      result('rolling-restart', 'haproxy', { versionAfter: 14, failed: 2, failedByKind: { ECONNREFUSED: 2 } }),
      result('sigkill', 'nginx', { failed: 3, inFlightAtKill: 5, failuresOnlyInFlight: true, failoverMs: 40 }),
      result('sigkill', 'envoy', { failed: 460, inFlightAtKill: 12, failuresOnlyInFlight: false, failoverMs: 6200 }),
    ]);
    const missed = met.filter((g) => !g.met).map((g) => `${g.case}/${g.lb}: ${g.name}`);
    expect(missed).toEqual([
      'rolling-restart/haproxy: failed requests',
      'rolling-restart/haproxy: table version unchanged',
      'sigkill/envoy: failures only in flight',
      'sigkill/envoy: failover',
    ]);
  });

  it('lists a case the checkout cannot run with its reason, and no figure for it', () => {
    const md = markdown(
      [
        result('drain', 'haproxy', { unsupported: "prismctl proxies drain: error: unknown option '--wait'" }),
        result('join', 'haproxy', {
          movedPartitions: 51,
          maxMovePercentPerVersion: 19.9,
          routeToNewOwnerMs: { p50: 180, max: 900, unrouted: 0 },
        }),
      ],
      meta,
    );
    expect(md).toContain(
      "| drain | haproxy | – | – | – | – | – | – | – | – | – | – | not run: prismctl proxies drain: error: unknown option '--wait' |",
    );
    expect(md).toContain(
      '| join | haproxy | 9000 | 0 | 0 | 0 | 3 | 20 | v6 → v6 (0 new) | 51 (19.9%) | 180 / 900 | – | yes |',
    );
    expect(goals([result('drain', 'haproxy', { unsupported: 'x' })])).toEqual([]);
  });
});
