import type { CaseResult } from '../../test-support/chaos-cases.js';

/** The memo's targets (../shared/research/anchors.md): buffering keeps p99 under 100 ms, failover under 5 s. */
export const TARGETS = { p99ChangeMs: 100, failoverMs: 5_000 } as const;

export interface ChaosMeta {
  date: string;
  cpus: number;
  node: string;
  rate: number;
  seconds: number;
  proxies: number;
  namespaces: number;
  connections: number;
  /** Options of the harness this checkout's programs do not know (dropped), e.g. before #12's fixes. */
  dropped: string[];
}

export interface Goal {
  case: string;
  lb: string;
  name: string;
  value: number | string;
  target: string;
  met: boolean;
}

/** Every target a result can be held to: 0 failed (only in-flight ones for a crash), p99, failover, LB alive. */
export function goals(results: CaseResult[]): Goal[] {
  const out: Goal[] = [];
  for (const r of results) {
    if (r.unsupported) continue;
    const g = (name: string, value: number | string, target: string, met: boolean) =>
      out.push({ case: r.case, lb: r.lb, name, value, target, met });
    if (r.case === 'sigkill') {
      g('failures only in flight', r.failed, `≤ ${r.inFlightAtKill ?? 0} in flight`, r.failuresOnlyInFlight === true);
      g('failover', r.failoverMs ?? 0, `< ${TARGETS.failoverMs} ms`, (r.failoverMs ?? 0) < TARGETS.failoverMs);
    } else if (r.case !== 'lb-restart') g('failed requests', r.failed, '0', r.failed === 0);
    if (r.case !== 'lb-restart')
      g('p99 during the change', r.p99ChangeMs, `< ${TARGETS.p99ChangeMs} ms`, r.p99ChangeMs < TARGETS.p99ChangeMs);
    if (r.case === 'rolling-restart')
      g(
        'table version unchanged',
        `v${r.versionBefore} → v${r.versionAfter}`,
        'same',
        r.versionBefore === r.versionAfter,
      );
    if (r.case === 'lb-restart' && r.exactAfterLbRestartMs !== null)
      g('routes exact after restart', r.exactAfterLbRestartMs, '≤ 1000 ms', r.exactAfterLbRestartMs >= 0);
    g('LB alive after', String(r.lbAlive), 'true', r.lbAlive);
  }
  return out;
}

const ms = (v: number | null | undefined) => (v === null || v === undefined || Number.isNaN(v) ? '–' : String(v));

const kinds = (r: CaseResult) =>
  Object.entries(r.failedByKind)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');

/** One row per case and load balancer. */
export function table(results: CaseResult[]): string {
  const head = [
    'case',
    'LB',
    'sent',
    'failed',
    'retried',
    'fallback',
    'p99 steady ms',
    'p99 change ms',
    'table',
    'moved (max %/version)',
    'to new owner p50/max ms',
    'failover ms',
    'LB alive',
  ];
  const rows = results.map((r) =>
    r.unsupported
      ? [r.case, r.lb, '–', '–', '–', '–', '–', '–', '–', '–', '–', '–', `not run: ${r.unsupported}`]
      : [
          r.case,
          r.lb,
          String(r.sent),
          (r.failed ? `**${r.failed}** (${kinds(r)})` : '0') +
            (r.notSent ? `, ${r.notSent} not sent (client overloaded)` : ''),
          String(r.retried),
          String(r.fallbacks),
          ms(r.p99SteadyMs),
          ms(r.p99ChangeMs),
          `v${r.versionBefore} → v${r.versionAfter} (${r.versions.length - 1} new)`,
          r.movedPartitions ? `${r.movedPartitions} (${r.maxMovePercentPerVersion}%)` : '0',
          r.routeToNewOwnerMs
            ? `${ms(r.routeToNewOwnerMs.p50)} / ${ms(r.routeToNewOwnerMs.max)}${r.routeToNewOwnerMs.unrouted ? `, ${r.routeToNewOwnerMs.unrouted} never` : ''}`
            : r.exactAfterLbRestartMs !== null
              ? `exact ${r.exactAfterLbRestartMs < 0 ? 'not within 1 s' : `in ${Math.round(r.exactAfterLbRestartMs)} ms`}`
              : '–',
          ms(r.failoverMs),
          r.lbAlive ? 'yes' : '**no**',
        ],
  );
  return [head, head.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

export function markdown(results: CaseResult[], meta: ChaosMeta): string {
  const met = goals(results);
  const notes = results.flatMap((r) => r.notes.map((n) => `- ${r.case} / ${r.lb}: ${n}`));
  const failures = results
    .filter((r) => r.sampleFailures.length)
    .map((r) => `- ${r.case} / ${r.lb}: ${r.sampleFailures.join('; ')}`);
  return [
    '# Fleet changes under load (`npm run bench:chaos`)',
    '',
    `${meta.date}, ${meta.cpus} CPUs, Node ${meta.node}: ${meta.proxies} prism-proxy processes, ${meta.namespaces} namespaces,` +
      ` ${meta.rate} req/s open loop over ${meta.connections} keep-alive connections through the load balancer,` +
      ` ${meta.seconds} s of steady load before each change and after it.`,
    meta.dropped.length ? `Options this checkout does not have (not set): ${meta.dropped.join(', ')}.` : '',
    '',
    table(results),
    '',
    `Targets (the memo): 0 failed requests (a crash: only the requests in flight on the dead proxy), p99 during a change < ${TARGETS.p99ChangeMs} ms (buffering), failover < ${TARGETS.failoverMs / 1000} s, the load balancer alive.`,
    '',
    '| case | LB | target | value | met |',
    '|---|---|---|---|---|',
    ...met.map((g) => `| ${g.case} | ${g.lb} | ${g.name} ${g.target} | ${g.value} | ${g.met ? 'yes' : '**no**'} |`),
    '',
    notes.length ? `Notes:\n${notes.join('\n')}` : '',
    failures.length ? `\nFirst failed requests (ms after the change started):\n${failures.join('\n')}` : '',
    '',
  ].join('\n');
}
