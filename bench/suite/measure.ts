import { processCpuMicros } from '../shared/proc-cpu.js';
import { h2load, wrk } from './load.js';
import type { Scenario } from './stack.js';

export interface Sample {
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  rps: number;
  cpu_us_per_req: number;
  forwarded_ratio: number;
  errors: number;
}

async function forwardedCount(ops: string[]): Promise<number> {
  let n = 0;
  for (const url of ops) {
    const text = await (await fetch(`${url}/metrics`)).text();
    const m = /^prism_proxy_requests_total\{outcome="forwarded"\} (\d+)/m.exec(text);
    n += m ? Number(m[1]) : 0;
  }
  return n;
}

const cpu = (pids: number[]) => pids.reduce((sum, pid) => sum + (pid ? processCpuMicros(pid) : 0), 0);

/** One measured run of a scenario: latency percentiles, throughput, CPU per request of its path, forwarded share. */
export async function measure(s: Scenario, connections: number, seconds: number): Promise<Sample> {
  const pids = s.pids();
  const forwardedBefore = await forwardedCount(s.proxyOps);
  const cpuBefore = cpu(pids);
  const scheme = s.tls ? 'https' : 'http';
  const r = s.h2c
    ? await h2load(s.port, connections, seconds, s.namespaces[0], scheme)
    : await wrk(s.port, connections, seconds, s.namespaces, scheme);
  const cpuUs = cpu(pids) - cpuBefore;
  const forwarded = (await forwardedCount(s.proxyOps)) - forwardedBefore;
  return {
    p50_ms: r.p50_us / 1000,
    p90_ms: r.p90_us / 1000,
    p99_ms: r.p99_us / 1000,
    rps: r.requests / r.seconds,
    cpu_us_per_req: r.requests ? cpuUs / r.requests : 0,
    forwarded_ratio: r.requests ? forwarded / r.requests : 0,
    errors: r.errors,
  };
}
