import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../../test-support/run.js';

const run = promisify(execFile);

export interface LoadResult {
  requests: number;
  seconds: number;
  errors: number;
  p50_us: number;
  p90_us: number;
  p99_us: number;
}

/**
 * One closed-loop HTTP/1.1 run with wrk (exact microsecond percentiles; autocannon's histogram has
 * 1 ms resolution, too coarse for hops that cost a tenth of that). Keep-alive, one thread. Over
 * `https`, each connection's TLS handshake is paid once, before its first request.
 */
export async function wrk(
  port: number,
  connections: number,
  seconds: number,
  namespaces: string[],
  scheme: 'http' | 'https' = 'http',
): Promise<LoadResult> {
  const { stdout } = await run(
    'wrk',
    [
      '-t1',
      `-c${connections}`,
      `-d${seconds}s`,
      '--timeout',
      '5s',
      '-s',
      join(ROOT, 'bench', 'suite', 'wrk-report.lua'),
      `${scheme}://127.0.0.1:${port}/`,
    ],
    { env: { ...process.env, PRISM_NAMESPACES: namespaces.join(',') }, timeout: (seconds + 20) * 1000 },
  );
  const line = stdout.split('\n').find((l) => l.startsWith('JSON '));
  if (!line) throw new Error(`wrk printed no result: ${stdout}`);
  const r = JSON.parse(line.slice(5));
  return {
    requests: r.requests,
    seconds: r.duration_us / 1e6,
    errors: r.errors + r.non2xx,
    p50_us: r.p50,
    p90_us: r.p90,
    p99_us: r.p99,
  };
}

/**
 * The same over h2c with prior knowledge, or over `https` h2 by ALPN, with h2load; percentiles from
 * its per-request log.
 */
export async function h2load(
  port: number,
  connections: number,
  seconds: number,
  namespace: string,
  scheme: 'http' | 'https' = 'http',
): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'prism-h2load-'));
  const log = join(dir, 'requests.log');
  try {
    await run(
      'h2load',
      [
        '-t1',
        `-c${connections}`,
        '-m1',
        '-D',
        String(seconds),
        '-H',
        `x-prism-namespace: ${namespace}`,
        '--log-file',
        log,
        `${scheme}://127.0.0.1:${port}/`,
      ],
      { timeout: (seconds + 20) * 1000 },
    );
    const durations: number[] = [];
    let errors = 0;
    for (const line of readFileSync(log, 'utf8').split('\n')) {
      if (!line) continue;
      const [, status, us] = line.split('\t');
      if (Number(status) < 200 || Number(status) > 299) errors++;
      else durations.push(Number(us));
    }
    durations.sort((a, b) => a - b);
    const pct = (q: number) =>
      durations.length ? durations[Math.min(durations.length - 1, Math.ceil(q * durations.length) - 1)] : 0;
    return {
      requests: durations.length + errors,
      seconds,
      errors,
      p50_us: pct(0.5),
      p90_us: pct(0.9),
      p99_us: pct(0.99),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
