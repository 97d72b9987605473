import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { processCpuMicros } from '../shared/proc-cpu.js';
import { percentile } from '../shared/stats.js';
import { spawnBenchAdmin } from './bench-admin.js';
import { onAbort } from './teardown.js';

export interface ReservationRun {
  concurrency: number;
  completed: number;
  failures: number;
  /** Status codes other than 201 (or `error` for a failed request), with their counts. */
  failureKinds: Record<string, number>;
  elapsedMs: number;
  /** True when the time cap stopped the run before `count` reservations. */
  capped: boolean;
  reservationsPerS: number;
  p50Ms: number;
  p99Ms: number;
  adminCpuUsPerReservation: number;
  clientCpuUsPerRequest: number;
}

export interface ReservationOptions {
  /** The admin's HTTPS base URL, e.g. https://127.0.0.1:34567. */
  http: string;
  /** The CA of its certificate. */
  caFile: string;
  /** Operator token sent with every reservation. */
  token: string;
  adminPid: number;
  concurrency: number;
  count: number;
  capMs: number;
  /** Names are `${prefix}${n}`; n counts up across runs so every name is new. */
  prefix: string;
  firstIndex: number;
}

const BACKENDS = ['http://127.0.0.1:9000'];

function post(agent: Agent, base: URL, token: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      base,
      {
        method: 'POST',
        path: '/v1/namespaces',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${token}`,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Reserves up to `count` new namespaces with `concurrency` requests in flight, over keep-alive connections. */
export async function benchReservations(o: ReservationOptions): Promise<ReservationRun> {
  const base = new URL(o.http);
  const agent = new Agent({ keepAlive: true, maxSockets: o.concurrency, ca: readFileSync(o.caFile) });
  const latencies = new Float64Array(o.count);
  const failureKinds: Record<string, number> = {};
  let next = 0;
  let done = 0;
  let failures = 0;

  const adminCpuBefore = processCpuMicros(o.adminPid);
  const clientCpuBefore = process.cpuUsage();
  const started = performance.now();
  const worker = async () => {
    while (next < o.count && performance.now() - started < o.capMs) {
      const n = next++;
      // Spread over 64 teams, so a run of 10,000+ stays inside the default per-team quota.
      const i = o.firstIndex + n;
      const body = JSON.stringify({ name: `${o.prefix}${i}`, backends: BACKENDS, team: `bench-${i % 64}` });
      const sent = performance.now();
      const status = await post(agent, base, o.token, body).catch(() => 'error' as const);
      latencies[done++] = performance.now() - sent;
      if (status !== 201) {
        failures++;
        failureKinds[status] = (failureKinds[status] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  const elapsedMs = performance.now() - started;
  const clientCpu = process.cpuUsage(clientCpuBefore);
  const adminCpuUs = processCpuMicros(o.adminPid) - adminCpuBefore;
  agent.destroy();

  const succeeded = done - failures;
  const measured = latencies.subarray(0, done);
  return {
    concurrency: o.concurrency,
    completed: done,
    failures,
    failureKinds,
    elapsedMs,
    capped: done < o.count,
    reservationsPerS: (succeeded * 1000) / elapsedMs,
    p50Ms: percentile(measured, 0.5),
    p99Ms: percentile(measured, 0.99),
    adminCpuUsPerReservation: succeeded ? adminCpuUs / succeeded : Number.NaN,
    clientCpuUsPerRequest: done ? (clientCpu.user + clientCpu.system) / done : Number.NaN,
  };
}

export interface ReservationLevels {
  levels: number[];
  count: number;
  capMs: number;
}

// Below ~5,000 warm-up reservations the first level measured up to 30% more admin CPU per reservation (JIT).
const WARMUP = 5000;

/** A fresh admin process on an empty SQLite directory, warmed up, then one run per concurrency level. */
export async function benchReservationLevels(o: ReservationLevels): Promise<ReservationRun[]> {
  const dir = mkdtempSync(join(tmpdir(), 'prism-bench-reserve-'));
  const forgetDir = onAbort(() => rmSync(dir, { recursive: true, force: true }));
  const admin = await spawnBenchAdmin(dir);
  const forgetAdmin = onAbort(() => process.kill(admin.pid, 'SIGKILL'));
  try {
    const common = {
      http: admin.http,
      caFile: admin.caFile,
      token: admin.token,
      adminPid: admin.pid,
      capMs: o.capMs,
    };
    await benchReservations({
      ...common,
      concurrency: o.levels[0],
      count: WARMUP,
      prefix: 'bench-warmup-',
      firstIndex: 0,
    });
    const runs: ReservationRun[] = [];
    let firstIndex = 0;
    for (const concurrency of o.levels) {
      runs.push(await benchReservations({ ...common, concurrency, count: o.count, prefix: 'bench-', firstIndex }));
      firstIndex += o.count;
    }
    return runs;
  } finally {
    await admin.stop();
    forgetAdmin();
    rmSync(dir, { recursive: true, force: true });
    forgetDir();
  }
}
