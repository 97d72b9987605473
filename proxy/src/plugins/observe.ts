import type { PluginFactory } from './types.js';

/** Request counts and latency by outcome; forwarding counters and latency per peer. */
export const metricsPlugin: PluginFactory = (_options, env) => ({
  name: 'metrics',
  hooks: {
    onResponse(ctx) {
      const seconds = (performance.now() - ctx.startedAt) / 1000;
      if (ctx.namespace) env.state.traffic.set(ctx.namespace, (env.state.traffic.get(ctx.namespace) ?? 0) + 1);
      env.metrics.request(ctx.outcome, seconds);
      if (ctx.outcome === 'forwarded') env.metrics.forwarded(ctx.upstream, ctx.status, seconds);
      else if (ctx.outcome === 'misdirected')
        env.metrics.failure(ctx.errorCode === 'PRISM-ROUTE-009' ? 'fenced' : 'hop_limit');
    },
  },
});

/**
 * One log line per request while accessLog is on. Always in the chain and the option read per
 * response, so that it reloads (SIGHUP): one boolean test per request when it is off.
 */
export const accessLogPlugin: PluginFactory = (_options, env) => {
  const log = env.log.child({ kind: 'access' });
  return {
    name: 'access-log',
    hooks: {
      onResponse(ctx) {
        if (!env.config.accessLog) return;
        log.info({
          requestId: ctx.requestId,
          method: ctx.req.method,
          path: ctx.req.url,
          namespace: ctx.namespace,
          partition: ctx.partition,
          owner: ctx.owner,
          outcome: ctx.outcome,
          status: ctx.status,
          upstream: ctx.upstream,
          error: ctx.errorCode || undefined,
          ms: Math.round((performance.now() - ctx.startedAt) * 1000) / 1000,
        });
      },
    },
  };
};
