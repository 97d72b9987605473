import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../test-support/run.js';
import type { Sample } from '../suite/measure.js';
import {
  checkThresholds,
  derive,
  markdown,
  type Results,
  svg,
  type Threshold,
  table,
  targets,
} from '../suite/report.js';

const sample = (p50: number, p99: number, cpu: number, forwarded = 0): Sample => ({
  p50_ms: p50,
  p90_ms: (p50 + p99) / 2,
  p99_ms: p99,
  rps: 1000 / p50,
  cpu_us_per_req: cpu,
  forwarded_ratio: forwarded,
  errors: 0,
});

const meta = { date: 'x', cpus: 2, node: 'v20', mode: 'full', reps: 1, seconds: 1, loaded_concurrency: 10 };

/** Every scenario the suite runs, with round numbers. */
function fullRun(ownerCpu = 50): Results {
  const both = (p50: number, p99: number, cpu: number, forwarded = 0) => ({
    c1: sample(p50, p99, cpu * 3, forwarded),
    c10: sample(p50 * 2, p99 * 2, cpu, forwarded),
  });
  return {
    direct: both(0.07, 0.4, 0),
    owner: both(0.2, 1, ownerCpu),
    forward: both(0.3, 1.2, 2 * ownerCpu, 1),
    'owner-h2c': both(0.3, 0.5, 90),
    'forward-h2c': both(0.4, 1, 180, 1),
    'haproxy-hop': both(0.11, 0.5, 20),
    'nginx-hop': both(0.1, 0.4, 19),
    'node-hop': both(0.19, 0.9, 45),
    'haproxy-affinity': both(0.3, 1.5, 150),
    'random-lb': both(0.45, 1.3, 200, 0.75),
    'nginx-affinity': both(0.3, 0.9, 135),
    'envoy-affinity': both(0.4, 0.8, 190),
    'haproxy-fragment-affinity': both(0.3, 1.5, 150),
    'envoy-xds-affinity': both(0.5, 0.8, 209),
    'owner-tls': both(0.25, 1.2, 60),
    'owner-tls-h2': both(0.33, 0.6, 99),
    'forward-tls': both(0.36, 1.5, 115, 1),
    'forward-mtls': both(0.39, 1.8, 130, 1),
    'forward-mtls-h2': both(0.6, 2.4, 200, 1),
    'haproxy-tls-hop': both(0.12, 0.6, 25),
    'haproxy-tls': both(0.33, 1.8, 160),
  };
}

describe('bench report', () => {
  it('derives overheads and ratios from the same run', () => {
    const d = derive(fullRun(), 'c10');
    expect(d.forwarding_overhead_ms.c1.p50).toBe(0.1);
    expect(d.affinity_gain_ms.c1.p50).toBe(0.15);
    expect(d.prism_hop_vs_haproxy_hop.cpu_ratio_loaded).toBe(2.5);
    expect(d.prism_hop_vs_haproxy_hop.forward_cpu_ratio_per_hop_loaded).toBe(2.5);
    expect(d.node_floor.prism_vs_node_hop_cpu_ratio_loaded).toBe(1.11);
  });

  it('sets each TLS scenario against its plaintext counterpart, and TLS termination in prism-proxy against HAProxy', () => {
    const results = fullRun();
    const tls = derive(results, 'c10').price_of_tls;
    expect(tls.ratios['owner-tls']).toEqual({
      vs: 'owner',
      c1: { p50: 1.25, p99: 1.2 },
      loaded: { p50: 1.25, p99: 1.2 },
      rps_loaded: 0.8,
      cpu_loaded: 1.2,
      cpu_added_us_loaded: 10,
    });
    expect(tls.ratios['owner-tls-h2']).toMatchObject({ vs: 'owner-h2c', cpu_loaded: 1.1 });
    expect(tls.ratios['forward-mtls']).toMatchObject({ vs: 'forward', c1: { p50: 1.3 }, cpu_loaded: 1.3 });
    expect(tls.ratios['forward-mtls-h2']).toMatchObject({ vs: 'forward', cpu_loaded: 2 });
    expect(tls.ratios['haproxy-tls']).toMatchObject({ vs: 'haproxy-affinity', cpu_added_us_loaded: 10 });
    expect(tls.termination).toEqual({
      cpu_added_us_loaded: { prism: 10, haproxy: 5 },
      prism_vs_haproxy_cpu_added_loaded: 2,
      added_p50_ms_c1: { prism: 0.05, haproxy: 0.01 },
    });

    const md = markdown(results, derive(results, 'c10'), meta, []);
    expect(md).toContain('## Price of TLS');
    expect(md).toContain(
      '| owner-tls | owner | 0.250 / 0.200 (1.25×) | 1.200 / 1.000 (1.2×) | 0.500 / 0.400 (1.25×) | 2.400 / 2.000 (1.2×) | 2000 / 2500 (0.8×) | 60 / 50 (1.2×) |',
    );
    expect(md).toContain(
      "prism-proxy 10 µs (owner-tls − owner), HAProxy 5 µs (haproxy-tls-hop − haproxy-hop), 2× HAProxy's",
    );
  });

  it('sets the HAProxy fragment and Envoy over xDS each against the whole config beside it, as ratios in the report', () => {
    const results = fullRun();
    const fit = derive(results, 'c10').lb_fit;
    expect(fit['haproxy-fragment-affinity']).toEqual({
      vs: 'haproxy-affinity',
      c1: { p50: 1, p99: 1 },
      loaded: { p50: 1, p99: 1 },
      rps_loaded: 1,
      cpu_loaded: 1,
    });
    expect(fit['envoy-xds-affinity']).toMatchObject({ vs: 'envoy-affinity', c1: { p50: 1.25 }, cpu_loaded: 1.1 });
    const md = markdown(results, derive(results, 'c10'), meta, []);
    expect(md).toContain(
      '- **haproxy-fragment-affinity ÷ haproxy-affinity**: p50 1×, p99 1× at concurrency 1; p50 1×, req/s 1×, CPU per request 1× at concurrency 10.',
    );
    expect(md).toContain('- **envoy-xds-affinity ÷ envoy-affinity**: p50 1.25×, p99 1× at concurrency 1;');
    // The table's columns stay aligned with the longer names.
    const ends = table(results)
      .split('\n')
      .map((l) => /^\S+ +(conc|c\d+) /.exec(l)?.[0].length);
    expect(new Set(ends)).toEqual(new Set(['haproxy-fragment-affinity  c10 '.length]));
    const { direct, 'envoy-xds-affinity': xds } = results;
    const alone = markdown(
      { direct, 'envoy-xds-affinity': xds },
      derive({ direct, 'envoy-xds-affinity': xds }, 'c10'),
      meta,
      [],
    );
    expect(alone).toContain('- **envoy-xds-affinity ÷ envoy-affinity**: p50 n/a, p99 n/a');
    expect(alone).not.toContain('haproxy-fragment-affinity ÷');
  });

  it('a TLS scenario run without its plaintext counterpart has its ratios missing, and a run without TLS no TLS section', () => {
    const { 'owner-tls': ownerTls, direct } = fullRun();
    const partial: Results = { 'owner-tls': ownerTls, direct };
    const d = derive(partial, 'c10');
    expect(d.price_of_tls.ratios['owner-tls'].cpu_loaded).toBeNull();
    expect(d.price_of_tls.termination.prism_vs_haproxy_cpu_added_loaded).toBeNull();
    expect(markdown(partial, d, meta, [])).toContain('| owner-tls | owner | 0.250 / n/a | 1.200 / n/a |');
    expect(markdown({ direct }, derive({ direct }, 'c10'), meta, [])).not.toContain('Price of TLS');
  });

  it('marks each target met or missed, a value at the limit being met', () => {
    const results = fullRun();
    const met = targets(results, derive(results, 'c10'), 'c10');
    const cpu = met.find((t) => t.name.startsWith('prism-proxy CPU'));
    expect(cpu).toMatchObject({ value: 2.5, max: 2.5, met: true });
    const over = fullRun(52);
    expect(targets(over, derive(over, 'c10'), 'c10').find((t) => t.name.startsWith('prism-proxy CPU'))?.met).toBe(
      false,
    );
  });

  it('a run without some scenarios still reports, with those figures missing', () => {
    const { owner, direct, 'haproxy-hop': hop } = fullRun();
    const partial: Results = { owner, direct, 'haproxy-hop': hop };
    const d = derive(partial, 'c10');
    expect(d.forwarding_overhead_ms.c1.p50).toBeNull();
    const goals = targets(partial, d, 'c10');
    expect(goals.find((t) => t.name.startsWith('forwarding overhead p50'))?.met).toBe(false);
    const md = markdown(partial, d, meta, goals);
    expect(md).toContain('| forwarding overhead p50 at concurrency 1 (ms) | n/a | ≤ 0.15 | missed |');
    expect(svg(partial)).toContain('<svg');
  });

  it('every check in bench/thresholds.json reads a number from a complete run, and a crossing fails', () => {
    const { checks } = JSON.parse(readFileSync(join(ROOT, 'bench', 'thresholds.json'), 'utf8')) as {
      checks: Threshold[];
    };
    const results = fullRun();
    const checked = checkThresholds(checks, results, derive(results, 'c10'));
    for (const c of checked) expect(Number.isFinite(c.value), `${c.name} (${c.path})`).toBe(true);
    expect(checked.every((c) => c.ok)).toBe(true);

    const regressed = fullRun(200);
    const failing = checkThresholds(checks, regressed, derive(regressed, 'c10')).filter((c) => !c.ok);
    expect(failing.map((c) => c.path)).toContain('derived.prism_hop_vs_haproxy_hop.cpu_ratio_loaded');
    expect(
      checkThresholds([{ name: 'typo', path: 'derived.no.such', max: 1 }], results, derive(results, 'c10'))[0].ok,
    ).toBe(false);
  });
});
