import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { planTable } from '../../core/src/assign/plan.js';
import { generate, TARGETS } from '../../generator/src/lb/generate.js';
import { buildModel } from '../../generator/src/lb/model.js';
import { renderTarget } from '../../generator/src/lb/render.js';
import type { TargetName } from '../../generator/src/lb/target.js';
import { ROOT } from '../../test-support/run.js';
import { percentile, round } from '../shared/stats.js';

/**
 * How long `prismctl lb generate` takes for a large fleet: 64 proxies, 10,000 registered namespaces
 * (all of them in NGINX's exact map without njs, 1,000 of them pinned). Times the in-memory part
 * (validate, model, render) and the whole pipeline with the native check and the writes.
 */
const PROXIES = 64;
const NAMESPACES = 10_000;
const RUNS = Number(process.env.RUNS ?? 5);

const proxies = Array.from({ length: PROXIES }, (_, i) => ({
  id: `proxy-${i}`,
  address: `10.0.${i >> 8}.${i & 255}`,
  dataPort: 8980,
  opsPort: 9980,
}));
const namespaces = Array.from({ length: NAMESPACES }, (_, i) => `tenant-${i}`);
const { table } = planTable({
  proxies,
  strategy: 'explicit',
  rules: {
    prefixRules: [],
    namespacePins: namespaces.slice(0, 1000).map((namespace, i) => ({ namespace, proxy: `proxy-${i % PROXIES}` })),
    partitionPins: [],
  },
});
const options = {
  listen: '127.0.0.1:8080',
  missingNamespace: 'reject' as const,
  hashBalanceFactor: 0,
  healthCheckIntervalMs: 2000,
};

const rows: Record<string, number | string>[] = [];
for (const [target, nginxNjs] of [
  ['haproxy', true],
  ['nginx', true],
  ['nginx', false],
  ['envoy', true],
] as [TargetName, boolean][]) {
  const label = target === 'nginx' ? `nginx (${nginxNjs ? 'njs' : 'exact map'})` : target;
  const render: number[] = [];
  const whole: number[] = [];
  let bytes = 0;
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const files = renderTarget(TARGETS[target], buildModel(table, { ...options, nginxNjs, namespaces }), {
      outDir: '/etc/prism/lb',
    });
    render.push(performance.now() - t0);
    bytes = [...files.values()].reduce((n, f) => n + f.length, 0);
    const out = mkdtempSync(join(tmpdir(), 'prism-lb-bench-'));
    const t1 = performance.now();
    const result = await generate({ ...options, nginxNjs, namespaces, table, target, outDir: out });
    whole.push(performance.now() - t1);
    rmSync(out, { recursive: true, force: true });
    if (result.check.skipped) console.warn(`${label}: ${result.check.skipped}`);
  }
  rows.push({
    target: label,
    render_ms_median: round(percentile(render, 0.5)),
    render_ms_max: round(Math.max(...render)),
    with_check_and_write_ms_median: round(percentile(whole, 0.5)),
    output_kb: Math.round(bytes / 1024),
  });
}

console.log(
  `lb generate: ${PROXIES} proxies, ${NAMESPACES} namespaces (1,000 pinned), ${RUNS} runs, ${cpus().length} CPUs, node ${process.version}`,
);
console.log('target                render ms (median / max)  with native check + write ms  output KB');
for (const r of rows) {
  console.log(
    `${String(r.target).padEnd(21)} ${`${r.render_ms_median} / ${r.render_ms_max}`.padStart(24)}  ${String(r.with_check_and_write_ms_median).padStart(28)}  ${String(r.output_kb).padStart(9)}`,
  );
}
const dir = join(ROOT, 'bench', 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(
  join(dir, 'lb-render.json'),
  `${JSON.stringify({ date: new Date().toISOString(), proxies: PROXIES, namespaces: NAMESPACES, runs: RUNS, rows }, null, 2)}\n`,
);
console.log('wrote bench/results/lb-render.json');
