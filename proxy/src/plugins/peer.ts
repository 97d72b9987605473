import { PrismError } from '../../../core/src/errors.js';
import type { PeerRefusal } from '../metrics.js';
import { peerOf } from '../peer-tls.js';
import { CONTINUE, type Decision, type PluginFactory, type RequestContext, reject } from './types.js';

const LOG_GAP_MS = 10_000;

/**
 * On with a fleet CA: a request that says it was forwarded (X-Prism-Hops) is taken only from a TLS
 * connection whose verified certificate names a proxy of the current table; anything else gets 403
 * and is never forwarded. Without the header, X-Prism-Table-Version and X-Prism-Epoch are ignored:
 * the first would make this proxy pull the table, the second refuse the request. The certificate is looked at once per connection (peer-tls.ts); a request
 * from the load balancer costs one header lookup.
 *
 * Table membership is checked in the route phase, after the routing plugin: a proxy that has just
 * joined forwards with a table version this proxy may not have yet, and routing pulls it first.
 */
export const peerPlugin: PluginFactory = (_options, env) => {
  const { state, metrics, log } = env;
  let membersVersion = -1;
  let members = new Set<string>();
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
          members = new Set((state.table?.proxies ?? []).map((p) => p.id));
          membersVersion = state.version;
        }
        if (members.has(ctx.peer)) return CONTINUE;
        return refuse(ctx, 'not_in_table', `proxy ${ctx.peer} is not in partition table v${state.version}`);
      },
    },
  };
};
