import { PrismError } from '../../../core/src/errors.js';
import type { Backends } from '../backends.js';
import { fleetTls } from '../peer-tls.js';
import {
  CONTINUE,
  type ForwardTarget,
  forwardTo,
  misdirect,
  type PluginEnv,
  type PluginFactory,
  type RequestContext,
  reject,
} from './types.js';

const PEER_VERSION_WAIT_MS = 1_000;
/**
 * X-Prism-Table-Version comes from peers, but nothing stops a client from sending a huge one on every
 * request: without a gap, each would make the proxy fetch the whole table from the admin.
 */
const PEER_VERSION_PULL_GAP_MS = 1_000;

/** Looks up the owner in the cached table; refreshes the table first when a peer has a newer one. */
export const routingPlugin: PluginFactory = (_options, env) => {
  const { state } = env;
  let pulling: Promise<void> | undefined;
  let pulledAt = Number.NEGATIVE_INFINITY;
  /** The pull in flight, or a new one unless the last ended within the gap. */
  const pull = (control: NonNullable<typeof env.control>) => {
    if (!pulling && performance.now() - pulledAt >= PEER_VERSION_PULL_GAP_MS) {
      pulling = control.pullNow(PEER_VERSION_WAIT_MS, state.version).finally(() => {
        pulling = undefined;
        pulledAt = performance.now();
      });
    }
    return pulling;
  };
  /**
   * Fencing: the sender's table gives the partition a newer epoch than this proxy's, even after a
   * pull. Serving or forwarding on the older ownership could put two owners on one partition, so
   * the request goes back, naming the owner this proxy knows.
   */
  const fenced = (ctx: RequestContext) => {
    const known = state.table?.proxies.find((p) => p.id === ctx.owner);
    const address = known ? `${known.address}:${known.dataPort}` : '';
    return misdirect(
      new PrismError(
        'PRISM-ROUTE-009',
        `partition ${ctx.partition} of namespace "${ctx.namespace}" has epoch ${ctx.peerEpoch} at the sender, ${ctx.epoch} in table v${state.version} here (owner ${ctx.owner})`,
      ),
      'fenced',
      address ? { 'x-prism-owner': address } : undefined,
    );
  };
  return {
    name: 'routing',
    dependencies: ['namespace'],
    hooks: {
      route(ctx) {
        const decide = () => {
          const router = state.router;
          if (!router)
            return reject(new PrismError('PRISM-ROUTE-004', 'this proxy has not loaded a partition table yet'));
          if (!state.advertisements.has(ctx.namespace)) {
            return reject(
              new PrismError('PRISM-NS-003', `namespace "${ctx.namespace}" is not reserved (or no longer)`),
            );
          }
          const route = router.route(ctx.namespace, ctx.partition >= 0 ? ctx.partition : undefined);
          ctx.owner = route.owner;
          ctx.epoch = route.epoch;
          ctx.tableVersion = state.version;
          if (ctx.peerEpoch > route.epoch) return fenced(ctx);
          return CONTINUE;
        };
        const pending = ctx.peerTableVersion > state.version && env.control ? pull(env.control) : undefined;
        return pending ? pending.then(decide, decide) : decide();
      },
    },
  };
};

/** Serves namespaces this proxy owns by forwarding to one of their backends. */
export const localPlugin =
  (backends: Backends): PluginFactory =>
  (_options, env) => {
    // One target object per backend URL, reused by every request to it.
    const targets = new Map<string, ForwardTarget>();
    return {
      name: 'local',
      dependencies: ['routing'],
      hooks: {
        route(ctx) {
          if (ctx.owner !== env.self) return CONTINUE;
          const ad = env.state.advertisements.get(ctx.namespace);
          const backend = ad && backends.pick(ctx.namespace, ad.backends);
          if (!backend) {
            const why = ad?.backends.length ? 'every backend failed recently' : 'it has no backends';
            return reject(new PrismError('PRISM-ROUTE-005', `namespace "${ctx.namespace}" cannot be served: ${why}`));
          }
          let target = targets.get(backend);
          if (!target) {
            target = { kind: 'backend', origin: backend, name: backend };
            targets.set(backend, target);
          }
          return forwardTo(target);
        },
      },
    };
  };

/** The proxies of the current table as forward targets: address and target by proxy id. */
export function peerTargets(env: Pick<PluginEnv, 'state' | 'config'>) {
  const { state, config } = env;
  const scheme = fleetTls(config) ? 'https' : 'http';
  let peersVersion = -1;
  // Per table version: each peer's address and the forward target, built once rather than per request.
  let peers = new Map<string, { address: string; target: ForwardTarget }>();
  return (id: string) => {
    if (peersVersion !== state.version) {
      peers = new Map(
        (state.table?.proxies ?? []).map((p) => {
          const address = `${p.address}:${p.dataPort}`;
          return [p.id, { address, target: { kind: 'peer', origin: `${scheme}://${address}`, name: p.id } }];
        }),
      );
      peersVersion = state.version;
    }
    return peers.get(id);
  };
}

/** A namespace owned by another proxy: forward it, redirect the client, or tell the client. */
export const forwardingPlugin: PluginFactory = (_options, env) => {
  const { state, config } = env;
  const { mode, maxHops } = config.forwarding;
  const peer = peerTargets(env);
  return {
    name: 'forwarding',
    dependencies: ['routing'],
    hooks: {
      route(ctx) {
        if (ctx.owner === env.self) return CONTINUE;
        const found = peer(ctx.owner);
        if (!found) {
          return reject(
            new PrismError(
              'PRISM-ROUTE-002',
              `the owner "${ctx.owner}" of namespace "${ctx.namespace}" has no address in table v${state.version}`,
            ),
          );
        }
        const owner = found.address;
        const headers = { 'x-prism-owner': owner };
        if (ctx.hops >= maxHops || mode === 'client') {
          const why =
            mode === 'client'
              ? 'send it there'
              : `the request already took ${ctx.hops} hop(s), the limit is ${maxHops}`;
          // A client-mode 421 is the configured answer, not a forward that failed (hop_limit).
          return misdirect(
            new PrismError(
              'PRISM-ROUTE-001',
              `namespace "${ctx.namespace}" is owned by ${ctx.owner} at ${owner}; ${why}`,
            ),
            mode === 'client' ? 'client_mode' : 'hop_limit',
            headers,
          );
        }
        if (mode === 'redirect') {
          return {
            type: 'respond',
            status: 307,
            headers: { ...headers, location: `http://${owner}${ctx.req.url ?? '/'}` },
            outcome: 'redirected',
          };
        }
        return forwardTo(found.target);
      },
    },
  };
};
