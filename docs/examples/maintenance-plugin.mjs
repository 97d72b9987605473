/**
 * An example prism-proxy plugin (docs/plugins.md): its `route` hook decides for the namespaces in its
 * options, at whichever proxy the request reaches, before the built-in local/forwarding decision.
 *
 *   "plugins": [{
 *     "module": "/etc/prism/maintenance-plugin.mjs",
 *     "options": {
 *       "maintenance": ["orders-prod"],
 *       "retryAfterSeconds": 300,
 *       "pin": { "search-idx": "http://10.0.3.7:9200" }
 *     }
 *   }]
 *
 * - a namespace in `maintenance` gets 503 PRISM-PLUGIN-003 with Retry-After, counted as rejected
 *   (reason "maintenance"), not as a failure that would page anyone;
 * - a namespace in `pin` is sent to that backend (the backend policy still applies), whichever
 *   proxy owns it;
 * - every other namespace goes on to the built-in routing.
 *
 * @param {{ maintenance?: string[], retryAfterSeconds?: number, pin?: Record<string, string> }} options
 * @param {import('../../proxy/src/plugins/types.js').PluginEnv} env
 * @returns {import('../../proxy/src/plugins/types.js').Plugin}
 */
export default function maintenancePlugin(options, env) {
  const maintenance = new Set(options.maintenance ?? []);
  const retryAfter = String(options.retryAfterSeconds ?? 300);
  // Targets are built once at start-up: the route hook does a map lookup per request, nothing more.
  const pinned = new Map(
    Object.entries(options.pin ?? {}).map(([ns, url]) => [ns, { kind: 'backend', origin: url, name: url }]),
  );
  return {
    name: 'maintenance',
    hooks: {
      route(ctx) {
        if (maintenance.has(ctx.namespace)) {
          return {
            type: 'respond',
            status: 503,
            headers: { 'retry-after': retryAfter },
            error: env.error('PRISM-PLUGIN-003', `namespace "${ctx.namespace}" is under maintenance`),
            outcome: 'rejected',
            reason: 'maintenance',
          };
        }
        const target = pinned.get(ctx.namespace);
        if (target) return { type: 'forward', target };
        return { type: 'continue' };
      },
    },
  };
}
