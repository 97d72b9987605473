import { join } from 'node:path';
import { PrismError } from '../../../../core/src/errors.js';
import { type HaproxyIdentity, HaproxyRuntime, haproxyMaps, sameIdentity, syncHaproxy } from '../haproxy-runtime.js';
import type { LbModel } from '../model.js';
import { runCheck } from '../native-check.js';
import {
  type LiveContext,
  type LiveTarget,
  MISSING_NAMESPACE_BODY,
  type RenderOptions,
  type Target,
  tokenGuard,
} from '../target.js';

export { haproxyMaps };

/** HAProxy tokens we emit are plain words: refuse anything else rather than quote it. */
export const hq = tokenGuard(/^[A-Za-z0-9._:[\]/-]+$/, 'an HAProxy');

/** A single-quoted HAProxy string (no escapes inside single quotes, so a quote is refused). */
export function hstring(value: unknown): string {
  const s = String(value);
  if (s.includes("'") || /[\r\n]/.test(s))
    throw new PrismError('PRISM-LB-001', 'a string for HAProxy contains a quote or a newline');
  return `'${s}'`;
}

const hostPort = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

export const haproxyTarget: Target = {
  name: 'haproxy',
  files: () => [
    { path: 'haproxy.cfg', template: 'haproxy.cfg.hbs' },
    { path: 'partitions.map', template: 'partitions.map.hbs' },
    { path: 'prefix-rules.map', template: 'prefix-rules.map.hbs' },
    { path: 'prefix-owners.map', template: 'prefix-owners.map.hbs' },
    { path: 'namespace-pins.map', template: 'namespace-pins.map.hbs' },
  ],
  view: (model: LbModel, options: RenderOptions) => ({
    ...haproxyMaps(model),
    runtimeSocket: join(options.outDir, 'haproxy.sock'),
    listenAddress: hostPort(model.listenHost, model.listenPort),
    reject: model.missingNamespace === 'reject',
    rejectBody: MISSING_NAMESPACE_BODY,
    checkInterval: `${model.healthCheckIntervalMs}ms`,
    proxies: model.proxies.map((p) => ({ ...p, serverName: p.id, address: hostPort(p.host, p.dataPort) })),
  }),
  helpers: { hq, hstring },
  check: (dir) => runCheck('haproxy', ['-c', '-q', '-f', 'haproxy.cfg'], dir, 'apt-get install haproxy'),
  live: (ctx) => haproxyLive(ctx),
};

const summary = (changes: string[]) => (changes.length ? changes.join(', ') : 'HAProxy already matched');

/**
 * HAProxy through its runtime API, never a reload. The heartbeat asks `show info` which process
 * answers: a new pid or start time (a restart from the files, or a socket that was gone and is back)
 * means its servers and maps are whatever its files said, so it is re-synced from what it reports.
 */
function haproxyLive(ctx: LiveContext): LiveTarget & { api: HaproxyRuntime } {
  const api = new HaproxyRuntime(ctx.runtimeSocket ?? join(ctx.outDir, 'haproxy.sock'));
  let synced: HaproxyIdentity | undefined;
  let unreachable = false;
  const sync = async (model: LbModel) => {
    const before = await api.identity();
    const { changes } = await syncHaproxy(api, model);
    // A restart in the middle of a sync leaves the new process unsynced: the next heartbeat sees it.
    synced = before;
    return changes;
  };
  return {
    api,
    async apply({ to }) {
      return summary(await sync(to));
    },
    async heartbeat(applied) {
      let now: HaproxyIdentity;
      try {
        now = await api.identity();
      } catch (err) {
        unreachable = true;
        throw err;
      }
      if (synced && sameIdentity(now, synced) && !unreachable) return undefined;
      const why = unreachable ? 'is reachable again' : synced ? 'restarted' : 'answers';
      unreachable = false;
      const changes = await sync(applied);
      return {
        restarted: true,
        note: `HAProxy ${why} (pid ${now.pid}); re-synced to table v${applied.version}: ${summary(changes)}`,
      };
    },
    async stop() {},
  };
}
