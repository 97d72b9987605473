import { PrismError } from '../errors.js';

/**
 * Options a running program takes from its config file on SIGHUP: each is read where it is used (or
 * applied on reload), so a new value takes effect without a restart. Everything else needs one.
 * docs/configuration.md marks them.
 */
export const RELOADABLE = {
  proxy: [
    'log.level',
    'limits.maxBodyBytes',
    'drain.periodMs',
    'drain.timeoutMs',
    'controlPlane.adminLostAfterMissed',
    // The forward timeout, per request (forwarder.ts).
    'forwarding.timeoutMs',
    // Connection timeouts and the connection cap: data-port.ts applyLimits().
    'limits.headersTimeoutMs',
    'limits.requestTimeoutMs',
    'limits.idleTimeoutMs',
    'limits.h2IdleTimeoutMs',
    'limits.goawayTimeoutMs',
    'limits.maxConnections',
    // Backend health: how long a failed backend is skipped (backends.ts).
    'pools.backendRetryMs',
    // Read at each scrape (metrics.ts).
    'metrics.backendSeries',
    // Read per response (outcome.ts observe()).
    'accessLog.enabled',
    'accessLog.sampleRate',
  ],
  admin: [
    'log.level',
    // Read at each plan and round (rollout.ts).
    'rebalance.maxMovePercent',
    'rebalance.approvalThreshold',
    'rebalance.cooldownSeconds',
    'rebalance.prepareTimeoutMs',
    'rebalance.ackTimeoutMs',
    'rebalance.settleMs',
    // Read when a proxy's stream closes and when imported or stored members load (fleet.ts): raised
    // for the length of a move between admins (docs/runbooks.md).
    'proxies.restartGraceSeconds',
    // The operator API's rate limits, read at each request (access.ts).
    'limits.operatorRequestsPerSecond',
    'limits.operatorBurst',
    'limits.expensivePerMinute',
    'limits.expensiveBurst',
  ],
  prismctl: [] as string[],
} as const satisfies Record<string, readonly string[]>;

export type ReloadProgram = keyof typeof RELOADABLE;

export const isReloadable = (program: ReloadProgram, path: string) =>
  (RELOADABLE[program] as readonly string[]).includes(path);

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Dotted paths of the leaves (arrays count as leaves) whose values differ between two configurations. */
export function changedOptions(before: unknown, after: unknown, prefix = ''): string[] {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => changedOptions(before[k], after[k], `${prefix}${k}.`));
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [prefix.slice(0, -1)];
}

/**
 * What a reload would change: the changed options, all reloadable, or PRISM-CONFIG-009 naming those
 * that need a restart (the running configuration stays as it is).
 */
export function planReload(program: ReloadProgram, current: unknown, next: unknown): string[] {
  const changed = changedOptions(current, next);
  const fixed = changed.filter((p) => !isReloadable(program, p));
  if (fixed.length) {
    throw new PrismError(
      'PRISM-CONFIG-009',
      `the new configuration changes ${fixed.join(', ')}, which take effect only after a restart; nothing was reloaded`,
    );
  }
  return changed;
}

/** Sets each of `paths` in `target` (a live, unfrozen configuration) to its value in `next`. */
export function applyOptions(target: Json, next: Json, paths: readonly string[]): void {
  for (const path of paths) {
    const keys = path.split('.');
    let into = target;
    let from = next;
    for (const k of keys.slice(0, -1)) {
      into = into[k] as Json;
      from = from[k] as Json;
    }
    const last = keys[keys.length - 1];
    into[last] = from[last];
  }
}
