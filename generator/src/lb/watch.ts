import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { PrismError } from '../../../core/src/errors.js';
import { generate } from './generate.js';
import { applyHaproxy } from './haproxy-runtime.js';
import type { LbModel, ModelOptions } from './model.js';
import type { LbInput } from './sources.js';
import type { TargetName } from './target.js';

const run = promisify(execFile);

export interface WatchOptions {
  target: TargetName;
  outDir: string;
  model: Omit<ModelOptions, 'namespaces'>;
  source: () => Promise<LbInput>;
  intervalMs: number;
  log: (line: string) => void;
  /** Stops the loop (tests). */
  signal?: AbortSignal;
  /** HAProxy runtime socket (default OUT/haproxy.sock). */
  runtimeSocket?: string;
  /** Envoy hot-restart base id (default: derived from the listen port). */
  envoyBaseId?: number;
}

/**
 * Envoy is restarted hot: the watcher runs it and starts epoch n+1 with the same base id for every
 * new table; the new process takes over the listening sockets and the old one drains and exits.
 */
class EnvoySupervisor {
  private epoch = -1;
  private readonly running = new Set<ChildProcess>();

  constructor(
    private readonly config: string,
    private readonly baseId: number,
    private readonly log: (line: string) => void,
  ) {}

  restart(): number {
    this.epoch++;
    const child = spawn(
      'envoy',
      [
        '-c',
        this.config,
        '--restart-epoch',
        String(this.epoch),
        '--base-id',
        String(this.baseId),
        '--drain-time-s',
        '2',
        '--parent-shutdown-time-s',
        '4',
        '--log-level',
        'warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (d) => {
      stderr = `${stderr}${d}`.slice(-2000);
    });
    this.running.add(child);
    const epoch = this.epoch;
    child.once('exit', (code, signal) => {
      this.running.delete(child);
      if (code && this.running.size === 0)
        this.log(`envoy epoch ${epoch} exited with ${code ?? signal}: ${stderr.trim()}`);
    });
    return child.pid ?? 0;
  }

  async stop(): Promise<void> {
    const all = [...this.running];
    for (const c of all) c.kill('SIGTERM');
    await Promise.all(all.map((c) => (c.exitCode === null && c.signalCode === null ? once(c, 'exit') : undefined)));
  }
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((r) => {
    const t = setTimeout(r, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      r();
    });
  });

/**
 * Follows the admin's table. Every new version is rendered, checked and written (so a later reload
 * keeps it), then applied to the running load balancer: HAProxy through its runtime API (no reload),
 * NGINX by a graceful reload after `nginx -t`, Envoy by a hot restart of the Envoy this watcher runs.
 * Failures are reported and retried with backoff.
 */
export async function runWatch(options: WatchOptions): Promise<void> {
  const outDir = resolve(options.outDir);
  const envoy =
    options.target === 'envoy'
      ? new EnvoySupervisor(
          join(outDir, 'envoy.yaml'),
          options.envoyBaseId ?? 1000 + (Number(options.model.listen.split(':').pop()) % 60_000),
          options.log,
        )
      : undefined;
  let applied: LbModel | undefined;
  let failures = 0;
  try {
    while (!options.signal?.aborted) {
      try {
        const input = await options.source();
        if (!applied || input.table.version !== applied.version) {
          const result = await generate({ ...options.model, ...input, target: options.target, outDir });
          let note = '';
          if (envoy) note = ` (envoy pid ${envoy.restart()}, hot restart)`;
          else if (applied) await apply(options, outDir, applied, result.model);
          else {
            note = ' (files written; start or reload the load balancer from them)';
            // The load balancer may run older files: bring HAProxy's maps up to this version now.
            if (options.target === 'haproxy') {
              const socket = options.runtimeSocket ?? join(outDir, 'haproxy.sock');
              await applyHaproxy(socket, result.model, result.model).catch(() => undefined);
            }
          }
          options.log(`applied table v${result.model.version} to ${options.target}${note}`);
          applied = result.model;
        }
        failures = 0;
        await sleep(options.intervalMs, options.signal);
      } catch (err) {
        failures++;
        const delay = Math.min(30_000, options.intervalMs * 2 ** Math.min(failures, 5));
        const what = err instanceof PrismError ? `${err.code}: ${err.message}` : (err as Error).message;
        options.log(`not applied (${what}); retrying in ${delay} ms`);
        await sleep(delay, options.signal);
      }
    }
  } finally {
    await envoy?.stop();
  }
}

async function apply(options: WatchOptions, outDir: string, from: LbModel, to: LbModel): Promise<void> {
  if (options.target === 'haproxy') {
    await applyHaproxy(options.runtimeSocket ?? join(outDir, 'haproxy.sock'), from, to);
    return;
  }
  try {
    await run('nginx', ['-t', '-q', '-e', 'stderr', '-p', outDir, '-c', 'nginx.conf']);
    await run('nginx', ['-s', 'reload', '-e', 'stderr', '-p', outDir, '-c', 'nginx.conf']);
  } catch (err) {
    throw new PrismError(
      'PRISM-LB-003',
      `nginx reload failed: ${(err as { stderr?: string }).stderr ?? (err as Error).message}`,
    );
  }
}
