import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { ROOT } from '../../test-support/run.js';
import { processCpuMicros } from '../shared/proc-cpu.js';
import { startServer } from '../shared/servers.js';
import { percentile, round } from '../shared/stats.js';

/**
 * Which HTTP library (and API) prism-proxy should forward with: a node:http front forwarding to a
 * backend through undici (Pool: request(), stream(), dispatch()) or through http2-proxy
 * (http.request with a keep-alive Agent). Each runs in
 * its own process; runs are interleaved (A B B A ...) and medians reported, because this machine is
 * shared and noisy. Figures: p50/p99 latency, requests/s, and the forwarder's CPU time per request.
 */
const VARIANTS = ['undici', 'undici-stream', 'undici-dispatch', 'undici-core', 'http2-proxy'] as const;
const CONCURRENCY = [1, 10];
const REPS = Number(process.env.REPS ?? 3);
const SECONDS = Number(process.env.SECONDS ?? 3);
const children: ChildProcess[] = [];

async function start(role: string, upstream?: number): Promise<{ child: ChildProcess; port: number }> {
  const server = await startServer(role, upstream);
  children.push(server.child);
  return server;
}

async function load(port: number, connections: number, seconds: number) {
  const r = await autocannon({
    url: `http://127.0.0.1:${port}/`,
    connections,
    duration: seconds,
    headers: { 'x-prism-namespace': 'orders-prod' },
  });
  return {
    mean: r.latency.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    rps: r.requests.average,
    requests: r.requests.total,
    errors: r.errors + r.non2xx,
  };
}

interface Sample {
  p50: number;
  p99: number;
  rps: number;
  cpuUsPerReq: number;
}

async function main() {
  const backend = await start('backend');
  const forwarders = Object.fromEntries(
    await Promise.all(VARIANTS.map(async (v) => [v, await start(v, backend.port)] as const)),
  ) as Record<(typeof VARIANTS)[number], { child: ChildProcess; port: number }>;
  for (const v of VARIANTS) await load(forwarders[v].port, 10, 1);
  const direct: number[] = [];
  const samples: Record<string, Sample[]> = {};
  for (let rep = 0; rep < REPS; rep++) {
    for (const c of CONCURRENCY) {
      const order = rep % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
      if (c === 1) direct.push(1000 / (await load(backend.port, 1, SECONDS)).rps);
      for (const v of order) {
        const pid = forwarders[v].child.pid as number;
        const cpu0 = processCpuMicros(pid);
        const r = await load(forwarders[v].port, c, SECONDS);
        const cpu = processCpuMicros(pid) - cpu0;
        if (r.errors) throw new Error(`${v}: ${r.errors} errors at concurrency ${c}`);
        const key = `${v}@${c}`;
        samples[key] ??= [];
        samples[key].push({
          p50: r.p50,
          p99: r.p99,
          rps: r.rps,
          cpuUsPerReq: cpu / r.requests,
        });
        process.stderr.write('.');
      }
    }
  }
  process.stderr.write('\n');
  const median = (xs: number[]) => percentile(xs, 0.5);
  const rows = Object.entries(samples).map(([key, s]) => {
    const [variant, c] = key.split('@');
    return {
      variant,
      concurrency: Number(c),
      mean_ms: round(median(s.map((x) => (1000 * Number(c)) / x.rps)), 3),
      p99_ms: round(median(s.map((x) => x.p99)), 3),
      rps: Math.round(median(s.map((x) => x.rps))),
      cpu_us_per_req: Math.round(median(s.map((x) => x.cpuUsPerReq))),
    };
  });
  console.log(
    `forwarder libraries, ${cpus().length} CPUs, node ${process.version}, ${REPS} interleaved runs of ${SECONDS} s, medians`,
  );
  console.log(`direct (no forwarder) mean latency at concurrency 1 (1 / req/s): ${round(median(direct), 3)} ms`);
  console.log('mean latency = concurrency / req/s (closed loop); autocannon rounds percentiles to whole ms');
  console.log('variant          c  mean ms  p99 ms    req/s  CPU µs/req');
  for (const r of rows) {
    console.log(
      `${r.variant.padEnd(15)} ${String(r.concurrency).padStart(2)} ${String(r.mean_ms).padStart(8)} ${String(r.p99_ms).padStart(7)} ${String(r.rps).padStart(8)} ${String(r.cpu_us_per_req).padStart(11)}`,
    );
  }
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'forwarder-libraries.json'),
    `${JSON.stringify({ date: new Date().toISOString(), cpus: cpus().length, node: process.version, reps: REPS, seconds: SECONDS, direct_mean_ms: round(median(direct), 3), rows }, null, 2)}\n`,
  );
  console.log('wrote bench/results/forwarder-libraries.json');
}

try {
  await main();
} finally {
  for (const c of children) c.kill('SIGTERM');
}
