import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../test-support/run.js';
import type { Sample } from '../suite/measure.js';
import { checkThresholds, derive, markdown, type Results, svg, type Threshold, targets } from '../suite/report.js';

const sample = (p50: number, p99: number, cpu: number, forwarded = 0): Sample => ({
  p50_ms: p50,
  p90_ms: (p50 + p99) / 2,
  p99_ms: p99,
  rps: 1000 / p50,
  cpu_us_per_req: cpu,
  forwarded_ratio: forwarded,
  errors: 0,
});

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
    const md = markdown(
      partial,
      d,
      { date: 'x', cpus: 2, node: 'v20', mode: 'full', reps: 1, seconds: 1, loaded_concurrency: 10 },
      goals,
    );
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
