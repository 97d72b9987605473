import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { promtool, requirePromtool } from '../../test-support/promtool.js';
import {
  ALERTS,
  DEPLOY,
  dashboardPanels,
  dashboardQueries,
  metricNames,
  readDashboard,
  ruleQueries,
  withGrafanaVariables,
} from './promql.js';

const HAVE = requirePromtool();
const PROMETHEUS = join(DEPLOY, 'prometheus');
const TEST_FILES = ['alerts.test.yml', 'alerts-daily.test.yml'];

/** The alerts the issue asks for (#15), by what they watch. */
const REQUIRED_ALERTS = [
  'PrismProxyBehindOnTable',
  'PrismAdminDown',
  'PrismProxyAdminUnreachable',
  'PrismForwardingFailureRatio',
  'PrismPartitionImbalance',
  'PrismLeaseExpirySpike',
  'PrismLbWatcherNotApplying',
  'PrismEventLoopLag',
];

describe.skipIf(!HAVE)('alert rules and the scrape configuration, with promtool', () => {
  it('promtool check rules: alerts.yml is valid and lint-clean', async () => {
    const { status, output } = await promtool(['check', 'rules', 'alerts.yml'], undefined, PROMETHEUS);
    expect(output).toMatch(/SUCCESS: \d+ rules found/);
    expect(status).toBe(0);
  });

  it('promtool test rules: every unit test in alerts.test.yml and alerts-daily.test.yml passes', async () => {
    const { status, output } = await promtool(['test', 'rules', ...TEST_FILES], undefined, PROMETHEUS);
    expect(output.match(/SUCCESS/g)).toHaveLength(TEST_FILES.length);
    expect(status).toBe(0);
  });

  it('promtool check config: the example prometheus.yml, with the rules it loads', async () => {
    const { status, output } = await promtool(['check', 'config', 'prometheus.yml'], undefined, PROMETHEUS);
    expect(output).toContain('SUCCESS');
    expect(status).toBe(0);
  });

  it('every dashboard query is valid PromQL (checked as a recording rule by promtool)', async () => {
    const queries = dashboardQueries(readDashboard());
    const dir = mkdtempSync(join(tmpdir(), 'prism-dashboard-rules-'));
    try {
      const rules = queries.map(
        (q, i) => `      - record: dashboard:query_${i}\n        expr: ${JSON.stringify(withGrafanaVariables(q.expr))}`,
      );
      writeFileSync(join(dir, 'dashboard.yml'), `groups:\n  - name: dashboard\n    rules:\n${rules.join('\n')}\n`);
      const { status, output } = await promtool(['check', 'rules', 'dashboard.yml'], undefined, dir);
      expect(output).toContain(`SUCCESS: ${queries.length} rules found`);
      expect(status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('alerts as code', () => {
  const alerts = readFileSync(ALERTS, 'utf8');
  const tests = TEST_FILES.map((f) => readFileSync(join(PROMETHEUS, f), 'utf8')).join('\n');
  const names = [...alerts.matchAll(/^\s*- alert: (\S+)$/gm)].map((m) => m[1]);

  it('has the alerts the issue asks for', () => {
    expect(names).toEqual(expect.arrayContaining(REQUIRED_ALERTS));
    expect(new Set(names).size).toBe(names.length);
  });

  it('every alert has a unit test in which it fires', () => {
    // A case: "alertname: X" followed by a non-empty exp_alerts list.
    const firing = new Set(
      [...tests.matchAll(/alertname: (\S+)\n\s+exp_alerts:\n\s+- exp_labels/g)].map((m) => m[1] as string),
    );
    expect(names.filter((n) => !firing.has(n))).toEqual([]);
  });

  it('one expression per rule is found (what the coverage test reads)', () => {
    const { rules, queries } = ruleQueries(alerts);
    expect(queries).toHaveLength(rules);
    expect(rules).toBe(names.length);
  });
});

describe('the fleet dashboard', () => {
  const dashboard = readDashboard();
  const panels = dashboardPanels(dashboard);

  it('has a stable uid, unique panel ids, and every graph a Prometheus query on the datasource variable', () => {
    expect(dashboard.uid).toBe('prism-fleet-overview');
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    for (const p of panels.filter((p) => p.type !== 'row')) {
      // Grafana's variable syntax, not a template string.
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: '$' + '{datasource}' });
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
    }
  });

  it('shows what the issue asks for', () => {
    const queried = new Set(dashboardQueries(dashboard).flatMap((q) => metricNames(q.expr)));
    for (const name of [
      'prism_proxy_requests_total', // rps, errors, forwarded share
      'prism_proxy_request_duration_seconds_bucket', // latency percentiles
      'prism_proxy_partition_table_version', // table version per proxy
      'prism_partition_assignments_per_proxy', // partitions per proxy
      'up', // admin health
      'prism_admin_proxies',
      'prism_namespace_lease_expirations_total', // lease expiries
      'prism_lb_watch_applied_table_version', // LB watcher
      'nodejs_eventloop_lag_p99_seconds',
    ])
      expect(queried.has(name), name).toBe(true);
  });
});

describe('metricNames reads PromQL', () => {
  it('keeps metric names, drops functions, keywords, labels, ranges and numbers', () => {
    expect(
      metricNames(
        'histogram_quantile(0.99, sum by (le, to_proxy) (rate(prism_forwarding_latency_seconds_bucket{job="x"}[$__rate_interval])))',
      ),
    ).toEqual(['prism_forwarding_latency_seconds_bucket']);
    expect(
      metricNames(
        'a_total > 3 * (sum(increase(b_total[1d] offset 15m)) / 96 or vector(0)) and on () group_left () max(up) == 1e3',
      ),
    ).toEqual(['a_total', 'b_total', 'up']);
    expect(metricNames('time() - prism_lb_watch_last_success_timestamp_seconds')).toEqual([
      'prism_lb_watch_last_success_timestamp_seconds',
    ]);
  });
});
