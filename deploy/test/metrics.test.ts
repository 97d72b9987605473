import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../../test-support/lb-binaries.js';
import { promtool, requirePromtool } from '../../test-support/promtool.js';
import { type FleetScrapes, sampleNames, scrapeFleet } from './fleet-scrape.js';
import { ALERTS, dashboardQueries, metricNames, type Query, readDashboard, ruleQueries } from './promql.js';

const HAVE = requirePromtool();
/** The watcher's scrape needs a running HAProxy (watcher-scrape.ts). */
const HAVE_HAPROXY = requireBinary('haproxy', ['-v'], 'apt-get install haproxy');

let fleet: FleetScrapes;

beforeAll(async () => {
  fleet = await scrapeFleet({ watcher: HAVE_HAPROXY });
}, 90_000);

afterAll(async () => {
  await fleet?.stop();
});

const RUNTIME = [
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
  'process_open_fds',
  'process_start_time_seconds',
  'nodejs_heap_size_used_bytes',
  'nodejs_eventloop_lag_p99_seconds',
  'nodejs_version_info',
];

describe.skipIf(!HAVE)('promtool check metrics on real scrapes', () => {
  it('the admin: clean (it failed on prism_admin_proxy_count, a gauge with a histogram suffix)', async () => {
    const { status, output } = await promtool(['check', 'metrics'], fleet.admin);
    expect(output).toBe('');
    expect(status).toBe(0);
  });

  it('every proxy, after local, forwarded and failed requests: clean', async () => {
    expect(fleet.proxies.size).toBe(2);
    for (const [id, text] of fleet.proxies) {
      const { status, output } = await promtool(['check', 'metrics'], text);
      expect({ id, output }).toEqual({ id, output: '' });
      expect(status).toBe(0);
    }
  });

  it.skipIf(!HAVE_HAPROXY)(
    'the LB watcher (prismctl lb watch), after a failed and a successful apply: clean',
    async () => {
      const { status, output } = await promtool(['check', 'metrics'], fleet.watcher as string);
      expect(output).toBe('');
      expect(status).toBe(0);
    },
  );
});

describe('what the scrapes hold', () => {
  it('the admin exports prism_admin_proxies{status}, saying it replaces prism_admin_proxy_count', () => {
    expect(fleet.admin).toMatch(/^prism_admin_proxies\{status="healthy"\} 3$/m);
    expect(fleet.admin).toMatch(/^# HELP prism_admin_proxies .*Replaces the memo name prism_admin_proxy_count\.$/m);
    expect(sampleNames(fleet.admin).has('prism_admin_proxy_count')).toBe(false);
  });

  it('both programs export the process and Node runtime metrics', () => {
    for (const text of [fleet.admin, ...fleet.proxies.values()]) {
      const names = sampleNames(text);
      for (const name of RUNTIME) expect(names.has(name), name).toBe(true);
    }
  });

  it('per-peer forwarding series are labelled by proxy id, failures too', () => {
    const text = fleet.proxies.get('proxy-1') as string;
    expect(text).toMatch(
      /^prism_forwarding_requests_total\{from_proxy="proxy-1",to_proxy="proxy-2",status="200"\} \d+$/m,
    );
    expect(text).toMatch(
      /^prism_forwarding_peer_failures_total\{from_proxy="proxy-1",to_proxy="proxy-3",reason="unreachable"\} [1-9]\d*$/m,
    );
  });

  it('backend health: one series per backend of a namespace the proxy serves, and counts by state', () => {
    const scrapes = [...fleet.proxies.values()].join('\n');
    // Both proxies serve namespaces of the two live backends; one serves the namespace of the closed one.
    expect(scrapes.match(/^prism_proxy_backend_up\{backend="[^"]+"\} 0$/gm)).toHaveLength(1);
    expect(scrapes.match(/^prism_proxy_backend_up\{backend="[^"]+"\} 1$/gm)).toHaveLength(4);
    expect(scrapes.match(/^prism_proxy_backends\{state="down"\} 1$/gm)).toHaveLength(1);
    expect(scrapes.match(/^prism_proxy_backends\{state="up"\} 2$/gm)).toHaveLength(2);
  });

  it('no label takes a namespace', () => {
    for (const text of [fleet.admin, ...fleet.proxies.values()]) {
      expect(text).not.toMatch(/namespace="/);
      expect(text).not.toContain('orders-prod');
    }
  });
});

/** Series Prometheus makes itself for every target, not exported by a program. */
const PROMETHEUS_MADE = new Set(['up']);
const WATCHER = 'prism_lb_watch_';

describe('every metric a dashboard panel or an alert rule queries is exported', () => {
  const queries: Query[] = [...ruleQueries(readFileSync(ALERTS, 'utf8')).queries, ...dashboardQueries(readDashboard())];
  const queried = new Map<string, string[]>();
  for (const q of queries)
    for (const name of metricNames(q.expr)) queried.set(name, [...(queried.get(name) ?? []), q.where]);

  it('by a real scrape of the admin or a proxy, after traffic', () => {
    const exported = new Set([
      ...sampleNames(fleet.admin),
      ...[...fleet.proxies.values()].flatMap((t) => [...sampleNames(t)]),
    ]);
    const programs = [...queried.keys()].filter((n) => !PROMETHEUS_MADE.has(n) && !n.startsWith(WATCHER));
    expect(programs.length).toBeGreaterThan(20);
    const missing = programs.filter((n) => !exported.has(n)).map((n) => `${n} (${queried.get(n)?.join('; ')})`);
    expect(missing).toEqual([]);
  });

  // Scraped from a running watcher (watcher-scrape.ts): it had failed an apply and then applied, so
  // its labelled counters have series, as they would in a deployment that saw a failure.
  it.skipIf(!HAVE_HAPROXY)('by a real scrape of a running LB watcher (prismctl lb watch)', () => {
    const names = [...queried.keys()].filter((n) => n.startsWith(WATCHER));
    expect(names.length).toBeGreaterThan(0);
    const exported = sampleNames(fleet.watcher as string);
    expect(names.filter((n) => !exported.has(n)).map((n) => `${n} (${queried.get(n)?.join('; ')})`)).toEqual([]);
  });
});
