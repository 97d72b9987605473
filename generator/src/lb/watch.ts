import { resolve } from 'node:path';
import { PrismError } from '../../../core/src/errors.js';
import { type GenerateResult, generate, targetFor } from './generate.js';
import type { ModelOptions } from './model.js';
import { changedFiles } from './render.js';
import type { LbInput, LbSource } from './sources.js';
import type { FragmentOptions, Target, TargetName } from './target.js';
import { reasonOf, type WatchMetrics } from './watch-metrics.js';

export interface WatchOptions {
  target: TargetName;
  /** A target built with its own options (an include-file fragment) instead of TARGETS[target]. */
  targetImpl?: Target;
  outDir: string;
  model: Omit<ModelOptions, 'namespaces'>;
  /** The admin long-poll (sources.ts followAdmin), or any function with its contract (tests). */
  source: LbSource;
  /** Least time between two reads of the source, so one that answers at once is not read in a loop. */
  intervalMs: number;
  /** How often the running load balancer is asked whether it restarted (default 500 ms). */
  heartbeatMs?: number;
  log: (line: string) => void;
  /** Stops the watcher; it stops what it started (the Envoy it runs) before it resolves. */
  signal?: AbortSignal;
  /** HAProxy runtime socket (default OUT/haproxy.sock). */
  runtimeSocket?: string;
  /** Envoy hot-restart base id (default: derived from the listen port). */
  envoyBaseId?: number;
  metrics?: WatchMetrics;
  /** Told every version the load balancer now runs (the source reports it to the admin). */
  onApplied?: (version: number) => void;
  /** Drive load balancers the watcher did not start, through `runtimeApis`, with this fragment. */
  fragment?: FragmentOptions;
  /** --fragment: the runtime APIs of those load balancers (unix socket paths or tcp:HOST:PORT). */
  runtimeApis?: string[];
}

const describeError = (err: unknown) =>
  err instanceof PrismError ? `${err.code}: ${err.message}` : (err as Error).message;

/** Exponential backoff from `base`, at most `cap`. */
const backoff = (failures: number, base: number, cap: number) => Math.min(cap, base * 2 ** Math.min(failures, 8));

/** Logs the 1st, 2nd, 4th, 8th... failure of a streak: a dead load balancer is reported, not logged every second. */
const worthLogging = (failures: number) => (failures & (failures - 1)) === 0;

const sameNames = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((n, i) => n === b[i]);

/**
 * Follows the admin's table and keeps a running load balancer in step, through the target's own
 * LiveTarget (this file does not know which load balancer it drives). Two loops share the state:
 * - follow: long-polls the admin; every new version (or namespace list, for a target that renders
 *   it) is rendered, checked and written, and becomes the desired one;
 * - apply: brings the load balancer to the desired version, and between versions asks it (heartbeat)
 *   whether it restarted, so a restarted load balancer is made exact again within about a second.
 * Either loop retries failures with backoff; the load balancer keeps the last applied table meanwhile.
 */
export async function runWatch(options: WatchOptions): Promise<void> {
  const target = options.targetImpl ?? targetFor(options.target, options.outDir, options.fragment);
  const outDir = resolve(options.outDir);
  const { log, metrics } = options;
  const heartbeatMs = options.heartbeatMs ?? 500;
  const stopping = new AbortController();
  const stop = stopping.signal;
  const onAbort = () => stopping.abort();
  if (options.signal?.aborted) return;
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const live = target.live({
    outDir,
    log,
    runtimeSocket: options.runtimeSocket,
    envoyBaseId: options.envoyBaseId,
    runtimeApis: options.runtimeApis,
    metrics,
  });
  let desired: { result: GenerateResult; namespaces: readonly string[] } | undefined;
  let applied: GenerateResult | undefined;
  let kick = () => {};

  /** Waits `ms`, or until stopped, or (when `wakeable`) until the follow loop has a new desired table. */
  const pause = (ms: number, wakeable = false) =>
    new Promise<void>((done) => {
      const finish = () => {
        clearTimeout(timer);
        stop.removeEventListener('abort', finish);
        if (wakeable) kick = () => {};
        done();
      };
      const timer = setTimeout(finish, ms);
      stop.addEventListener('abort', finish, { once: true });
      if (wakeable) kick = finish;
    });

  const inSync = (ok: boolean) =>
    metrics?.inSync.set(ok && applied !== undefined && desired?.result === applied ? 1 : 0);

  const follow = async () => {
    let failures = 0;
    while (!stop.aborted) {
      const started = Date.now();
      let input: LbInput;
      try {
        input = await options.source(desired?.result.model.version, stop);
      } catch (err) {
        if (stop.aborted) break;
        failures++;
        metrics?.adminFailures.inc({ reason: reasonOf(err) });
        const delay = backoff(failures, options.intervalMs, 5_000);
        if (worthLogging(failures))
          log(
            `cannot follow the admin (${describeError(err)}); the load balancer keeps table v${applied?.model.version ?? '-'}; retrying in ${delay} ms`,
          );
        await pause(delay);
        continue;
      }
      if (failures > 0) log(`following the admin again (table v${input.table.version})`);
      failures = 0;
      metrics?.desiredVersion.set(input.table.version);
      const current = desired;
      if (
        !current ||
        input.table.version !== current.result.model.version ||
        !sameNames(input.namespaces, current.namespaces)
      ) {
        try {
          const result = await generate({
            ...options.model,
            ...input,
            target: options.target,
            outDir: options.outDir,
            fragment: options.fragment,
            targetImpl: options.targetImpl,
          });
          desired = { result, namespaces: input.namespaces };
          log(`wrote table v${result.model.version} files to ${outDir}`);
          inSync(true);
          kick();
        } catch (err) {
          metrics?.applyFailures.inc({ reason: reasonOf(err) });
          const delay = backoff(1, options.intervalMs, 5_000);
          log(
            `not applied (${describeError(err)}); table v${input.table.version} is not written; retrying in ${delay} ms`,
          );
          await pause(delay);
          continue;
        }
      }
      const elapsed = Date.now() - started;
      if (elapsed < options.intervalMs) await pause(options.intervalMs - elapsed);
    }
  };

  const apply = async () => {
    let failures = 0;
    let reported: GenerateResult | undefined;
    while (!stop.aborted) {
      let delay = heartbeatMs;
      try {
        const next = desired?.result;
        if (next && next !== applied) {
          const t0 = performance.now();
          const note = await live.apply({
            from: applied?.model,
            to: next.model,
            changed: changedFiles(applied?.files, next.files),
          });
          applied = next;
          options.onApplied?.(next.model.version);
          metrics?.applySeconds.observe((performance.now() - t0) / 1000);
          metrics?.appliedVersion.set(next.model.version);
          metrics?.lastSuccess.set(Date.now() / 1000);
          log(`applied table v${next.model.version} to ${target.name}: ${note}`);
        } else if (applied && live.heartbeat) {
          const beat = await live.heartbeat(applied.model);
          if (beat) {
            log(beat.note);
            if (beat.restarted) metrics?.restarts.inc();
            metrics?.lastSuccess.set(Date.now() / 1000);
          }
        }
        if (failures > 0 && applied) log(`${target.name} follows table v${applied.model.version} again`);
        failures = 0;
        inSync(true);
      } catch (err) {
        if (stop.aborted) break;
        failures++;
        inSync(false);
        metrics?.applyFailures.inc({ reason: reasonOf(err) });
        delay = backoff(failures, heartbeatMs, Math.max(2_000, heartbeatMs));
        const pending = desired && desired.result !== applied ? desired.result : undefined;
        if (worthLogging(failures) || pending !== reported) {
          reported = pending;
          const what = pending ? `not applied table v${pending.model.version}` : `${target.name} check failed`;
          log(`${what} (${describeError(err)}); retrying in ${delay} ms`);
        }
      }
      await pause(delay, true);
    }
  };

  // A loop that throws (a bug) stops the other, and what the target started, before the error surfaces.
  const guard = (loop: () => Promise<void>) =>
    loop().catch((err) => {
      log(`watch stopped: ${describeError(err)}`);
      stopping.abort();
      throw err;
    });
  try {
    const ends = await Promise.allSettled([guard(follow), guard(apply)]);
    const failed = ends.find((e): e is PromiseRejectedResult => e.status === 'rejected');
    if (failed) throw failed.reason;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    stopping.abort();
    await live.stop();
  }
}
