import { PrismError } from '../../../core/src/errors.js';
import type { PeerRefusal } from '../metrics.js';
import { peerOf } from '../peer-tls.js';
import { CONTINUE, type Decision, type PluginFactory, type RequestContext, reject } from './types.js';

const LOG_GAP_MS = 10_000;
/**
 * A proxy that left the table (drained to nothing, or gone after its restart grace) is still taken
 * as a peer this long: load balancers follow the table a little later (a watcher's apply, health
 * checks), and the requests they still send it must not be refused when it forwards them.
 */
export const DEPARTED_PEER_MS = 60_000;

/**
 * On with a fleet CA: a request that says it was forwarded (X-Prism-Hops) is taken only from a TLS
 * connection whose verified certificate names a proxy of the current table; anything else gets 403
 * and is never forwarded. Without the header, X-Prism-Table-Version and X-Prism-Epoch are ignored:
 * the first would make this proxy pull the table, the second refuse the request. The certificate is looked at once per connection (peer-tls.ts); a request
 * from the load balancer costs one header lookup.
 *
 * Table membership is checked in the route phase, after the routing plugin: a proxy that has just
 * joined forwards with a table version this proxy may not have yet, and routing pulls it first. A
 * proxy that left the table stays a peer for DEPARTED_PEER_MS.
 */
export const peerPlugin: PluginFactory = (_options, env) => {
  const { state, metrics, log } = env;
  let membersVersion = -1;
  let members = new Set<string>();
  /** Ids that left the table, with when this proxy saw them leave. */
  const departed = new Map<string, number>();
  const loggedAt = new Map<PeerRefusal, number>();

  const refuse = (ctx: RequestContext, reason: PeerRefusal, why: string): Decision => {
    metrics.peerRefused(reason);
    const now = Date.now();
    if (now - (loggedAt.get(reason) ?? Number.NEGATIVE_INFINITY) >= LOG_GAP_MS) {
      loggedAt.set(reason, now);
      log.warn(
        { reason, why, remote: ctx.req.socket?.remoteAddress, requestId: ctx.requestId },
        'refused a forwarded request that did not come from a fleet proxy (logged once per 10 s per reason)',
      );
    }
    return reject(new PrismError('PRISM-PEER-001', `X-Prism-Hops is accepted only from fleet proxies: ${why}`));
  };

  return {
    name: 'peer',
    dependencies: ['namespace', 'routing'],
    hooks: {
      resolveNamespace(ctx) {
        if (ctx.req.headers['x-prism-hops'] === undefined) {
          ctx.peerTableVersion = 0;
          ctx.peerEpoch = 0;
          return CONTINUE;
        }
        const peer = peerOf(ctx.req);
        if (peer.id === undefined) return refuse(ctx, peer.reason, peer.why);
        ctx.peer = peer.id;
        return CONTINUE;
      },
      route(ctx) {
        if (ctx.peer === '') return CONTINUE;
        if (membersVersion !== state.version) {
          const now = performance.now();
          const next = new Set((state.table?.proxies ?? []).map((p) => p.id));
          for (const id of members) if (!next.has(id)) departed.set(id, now);
          for (const [id, at] of departed) if (next.has(id) || now - at > DEPARTED_PEER_MS) departed.delete(id);
          members = next;
          membersVersion = state.version;
        }
        if (members.has(ctx.peer)) return CONTINUE;
        const left = departed.get(ctx.peer);
        if (left !== undefined && performance.now() - left <= DEPARTED_PEER_MS) return CONTINUE;
        return refuse(ctx, 'not_in_table', `proxy ${ctx.peer} is not in partition table v${state.version}`);
      },
    },
  };
};
