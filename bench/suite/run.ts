import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../test-support/run.js';
import { percentile } from '../shared/stats.js';
import { measure, type Sample } from './measure.js';
import {
  checkThresholds,
  derive,
  markdown,
  type Results,
  svg,
  type Threshold,
  TLS_CI_SCENARIOS,
  TLS_SCENARIO_NAMES,
  TRACED_SCENARIO,
  table,
  targets,
} from './report.js';
import { SCENARIO_NAMES, startBenchStack } from './stack.js';

/**
 * npm run bench [-- --ci]: every scenario on loopback with real processes, warm-up, then
 * interleaved runs (the order rotates each round) and medians, because this machine is shared and
 * noisy. --ci: fewer and shorter runs (under 90 s) and a non-zero exit when a figure crosses its
 * threshold in bench/thresholds.json.
 */
const ci = process.argv.includes('--ci');
const onlyAt = process.argv.indexOf('--only');
/** --only a,b,c: just these scenarios (for a quick look; the report then has only them). */
const only = onlyAt > 0 ? new Set((process.argv[onlyAt + 1] ?? '').split(',').filter(Boolean)) : undefined;
const REPS = ci ? 1 : Number(process.env.REPS ?? 3);
const SECONDS = ci ? 2 : Number(process.env.SECONDS ?? 4);
const LOADED = 10;
const started = Date.now();
const progress = (s: string) =>
  process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${s}\n`);

if (only) {
  const unknown = [...only].filter((n) => !(SCENARIO_NAMES as readonly string[]).includes(n));
  if (unknown.length || only.size === 0) {
    console.error(
      `bench: --only takes scenario names from: ${SCENARIO_NAMES.join(', ')}; got "${[...only].join(',')}"`,
    );
    process.exit(2);
  }
}
/**
 * --ci runs of the TLS scenarios only the one that tells most (report.ts), and not the traced owner,
 * to keep its time budget.
 */
const want = (name: string) =>
  only
    ? only.has(name)
    : !ci ||
      (name !== TRACED_SCENARIO &&
        (!(TLS_SCENARIO_NAMES as readonly string[]).includes(name) || TLS_CI_SCENARIOS.includes(name)));
const stack = await startBenchStack(progress, { want });
let exitCode = 0;
try {
  if (only) stack.scenarios = stack.scenarios.filter((s) => only.has(s.name));
  const concurrencies = [1, LOADED];
  progress(`warming up ${stack.scenarios.length} scenarios`);
  for (const s of stack.scenarios) await measure(s, LOADED, 1);
  const samples: Record<string, Record<string, Sample[]>> = {};
  const total = REPS * concurrencies.length * stack.scenarios.length;
  let n = 0;
  for (let rep = 0; rep < REPS; rep++) {
    for (const c of concurrencies) {
      const shift = (rep * 3 + c) % stack.scenarios.length;
      const order = [...stack.scenarios.slice(shift), ...stack.scenarios.slice(0, shift)];
      for (const s of order) {
        const sample = await measure(s, c, SECONDS);
        n++;
        progress(
          `${n}/${total} ${s.name} c=${c}: p50 ${sample.p50_ms.toFixed(3)} ms, ${Math.round(sample.rps)} req/s${sample.errors ? `, ${sample.errors} errors` : ''}`,
        );
        samples[s.name] ??= {};
        samples[s.name][`c${c}`] ??= [];
        samples[s.name][`c${c}`].push(sample);
      }
    }
  }
  if (stack.scenarios.some((s) => s.name === TRACED_SCENARIO))
    progress(`${TRACED_SCENARIO}: the OTLP sink received ${stack.tracedSpans()} spans`);
  const median = (xs: number[]) => percentile(xs, 0.5);
  const results: Results = {};
  for (const s of stack.scenarios) {
    results[s.name] = {};
    for (const [c, list] of Object.entries(samples[s.name])) {
      results[s.name][c] = {
        p50_ms: median(list.map((x) => x.p50_ms)),
        p90_ms: median(list.map((x) => x.p90_ms)),
        p99_ms: median(list.map((x) => x.p99_ms)),
        rps: median(list.map((x) => x.rps)),
        cpu_us_per_req: median(list.map((x) => x.cpu_us_per_req)),
        forwarded_ratio: median(list.map((x) => x.forwarded_ratio)),
        errors: list.reduce((a, x) => a + x.errors, 0),
      };
    }
  }
  const derived = derive(results, `c${LOADED}`);
  const goals = targets(results, derived, `c${LOADED}`);
  const meta = {
    date: new Date().toISOString(),
    cpus: cpus().length,
    node: process.version,
    mode: ci ? 'ci' : 'full',
    reps: REPS,
    seconds: SECONDS,
    loaded_concurrency: LOADED,
  };
  console.log(`\n${table(results)}\n`);
  console.log(JSON.stringify(derived, null, 2));
  for (const g of goals) console.log(`${g.met ? 'met   ' : 'missed'} ${g.name}: ${g.value} (target ≤ ${g.max})`);

  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const name = only ? 'only' : ci ? 'ci' : 'latest';
  writeFileSync(
    join(dir, `${name}.json`),
    `${JSON.stringify({ ...meta, scenarios: results, derived, targets: goals }, null, 2)}\n`,
  );
  writeFileSync(join(dir, `${name}.svg`), svg(results, `c${LOADED}`));
  writeFileSync(join(dir, `${name}.md`), markdown(results, derived, meta, goals).replace('latest.svg', `${name}.svg`));
  progress(`wrote bench/results/${name}.json, ${name}.md, ${name}.svg`);

  const errors = Object.values(results)
    .flatMap((byC) => Object.values(byC))
    .reduce((a, s) => a + s.errors, 0);
  if (errors) {
    console.error(`bench: ${errors} failed requests`);
    exitCode = 1;
  }
  if (ci && !only) {
    const thresholds = JSON.parse(readFileSync(join(ROOT, 'bench', 'thresholds.json'), 'utf8')) as {
      checks: Threshold[];
    };
    for (const t of checkThresholds(thresholds.checks, results, derived)) {
      console.log(`${t.ok ? 'ok  ' : 'FAIL'} ${t.name}: ${t.value} (threshold ${t.max})`);
      if (!t.ok) exitCode = 1;
    }
  }
} finally {
  await stack.stop();
}
process.exitCode = exitCode;
