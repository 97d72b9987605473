import { execFile } from 'node:child_process';
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
 * NGINX by a graceful reload after `nginx -t`. Failures are reported and retried with backoff.
 */
export async function runWatch(options: WatchOptions): Promise<void> {
  const outDir = resolve(options.outDir);
  let applied: LbModel | undefined;
  let failures = 0;
  while (!options.signal?.aborted) {
    try {
      const input = await options.source();
      if (!applied || input.table.version !== applied.version) {
        const result = await generate({ ...options.model, ...input, target: options.target, outDir });
        // On the first round the load balancer may run older files: bring its maps up to this version.
        if (applied) await apply(options, outDir, applied, result.model);
        else if (options.target === 'haproxy') {
          await applyHaproxy(options.runtimeSocket ?? join(outDir, 'haproxy.sock'), result.model, result.model).catch(
            () => undefined,
          );
        }
        options.log(
          `applied table v${result.model.version} to ${options.target}${applied ? '' : ' (files written; start or reload the load balancer from them)'}`,
        );
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
}

async function apply(options: WatchOptions, outDir: string, from: LbModel, to: LbModel): Promise<void> {
  if (options.target === 'haproxy') {
    await applyHaproxy(options.runtimeSocket ?? join(outDir, 'haproxy.sock'), from, to);
  } else if (options.target === 'nginx') {
    try {
      await run('nginx', ['-t', '-q', '-e', 'stderr', '-p', outDir, '-c', 'nginx.conf']);
      await run('nginx', ['-s', 'reload', '-e', 'stderr', '-p', outDir, '-c', 'nginx.conf']);
    } catch (err) {
      throw new PrismError(
        'PRISM-LB-003',
        `nginx reload failed: ${(err as { stderr?: string }).stderr ?? (err as Error).message}`,
      );
    }
  } else {
    throw new PrismError(
      'PRISM-LB-003',
      'watch mode for envoy restarts it through `prismctl lb watch --target envoy`, which is not built yet; regenerate and restart Envoy',
    );
  }
}
