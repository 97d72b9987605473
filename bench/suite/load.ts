import { execFile } from 'node:child_process';
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
 * 1 ms resolution, too coarse for hops that cost a tenth of that). Keep-alive, one thread.
 */
export async function wrk(
  port: number,
  connections: number,
  seconds: number,
  namespaces: string[],
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
      `http://127.0.0.1:${port}/`,
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
