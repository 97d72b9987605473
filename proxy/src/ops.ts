import { createServer, type Server } from 'node:http';
import { PrismError } from '../../core/src/errors.js';
import { PartitionTable } from '../../proto/gen/prism/admin/v1/partition.js';
import type { ControlClient } from './control-client.js';
import { ProxyHealth } from './health.js';
import type { ProxyMetrics } from './metrics.js';
import type { RoutingState } from './state.js';

/** The ops port: /metrics, /healthz, /readyz (ready once a table is loaded), /prism/v1/partition-table. */
export function buildOpsServer(
  state: RoutingState,
  metrics: ProxyMetrics,
  control: () => ControlClient | undefined,
  options: { insecure: boolean; health?: ProxyHealth } = { insecure: false },
): Server {
  const health = options.health ?? new ProxyHealth();
  const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
  const json = (
    res: import('node:http').ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  };
  const noTable = () => new PrismError('PRISM-ROUTE-004', 'this proxy has not loaded a partition table yet').toBody();
  return createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return json(
        res,
        405,
        new PrismError('PRISM-API-004', `${req.method} is not allowed on the ops port; use GET`).toBody(),
        { allow: 'GET, HEAD' },
      );
    }
    switch (path) {
      case '/metrics': {
        metrics.tableVersion.set(state.version);
        metrics.adminConnected.set(control()?.connected ? 1 : 0);
        if (state.table) metrics.keepPeers(new Set(state.table.proxies.map((p) => p.id)));
        metrics.adminLost.set(health.adminLostSince === undefined ? 0 : 1);
        metrics.draining.set(health.drainingSince === undefined ? 0 : 1);
        const text = await metrics.registry.metrics();
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        return res.end(text);
      }
      case '/healthz':
        return json(res, 200, { status: 'ok', insecure: options.insecure });
      case '/readyz': {
        if (health.drainingSince !== undefined) {
          // Load balancers take the proxy out of rotation on this 503, while it still serves.
          const since = iso(health.drainingSince);
          const error = new PrismError('PRISM-CONN-004', `this proxy has been draining since ${since}`);
          return json(res, 503, { ...error.toBody(), status: 'draining', drainingSince: since });
        }
        if (!state.table) return json(res, 503, noTable());
        // A lost admin keeps the proxy ready (it serves from its last table) but is said here.
        const degraded = health.degraded;
        return json(res, 200, {
          status: 'ready',
          tableVersion: state.version,
          admin: control()?.connected ? control()?.current : null,
          ...(health.adminLostSince !== undefined && { adminLostSince: iso(health.adminLostSince) }),
          ...(degraded.length > 0 && { degraded }),
        });
      }
      case '/prism/v1/partition-table':
        return state.table
          ? json(res, 200, PartitionTable.toJSON(state.table), { 'x-prism-table-version': String(state.version) })
          : json(res, 503, noTable());
      default:
        return json(res, 404, new PrismError('PRISM-API-003', `no endpoint ${path} on the ops port`).toBody());
    }
  });
}
