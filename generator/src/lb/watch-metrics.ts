import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { splitHostPort } from '../../../core/src/config/checks.js';
import { ERROR_CATALOG } from '../../../core/src/errors.js';

/** A failure's label: its catalog code, or `internal` (so the label set stays bounded). */
export const reasonOf = (err: unknown): string => {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && code in ERROR_CATALOG ? code : 'internal';
};

/** What `prismctl lb watch` exports about itself (its own registry: nothing else of the process). */
export function buildWatchMetrics(target: string) {
  const registry = new Registry();
  const registers = [registry];
  registry.setDefaultLabels({ target });
  return {
    registry,
    appliedVersion: new Gauge({
      name: 'prism_lb_watch_applied_table_version',
      help: 'Version of the partition table the load balancer was last brought to (0 before the first apply).',
      registers,
    }),
    desiredVersion: new Gauge({
      name: 'prism_lb_watch_admin_table_version',
      help: 'Newest partition table version read from the admin; above the applied version while an apply is pending or failing.',
      registers,
    }),
    inSync: new Gauge({
      name: 'prism_lb_watch_in_sync',
      help: '1 while the load balancer runs the newest table read from the admin and answered the last check, else 0.',
      registers,
    }),
    applyFailures: new Counter({
      name: 'prism_lb_watch_apply_failures_total',
      help: 'Applies or load-balancer checks that failed, by error code (reason).',
      labelNames: ['reason'],
      registers,
    }),
    adminFailures: new Counter({
      name: 'prism_lb_watch_admin_failures_total',
      help: 'Reads of the partition table from the admin that failed, by error code (reason).',
      labelNames: ['reason'],
      registers,
    }),
    applySeconds: new Histogram({
      name: 'prism_lb_watch_apply_duration_seconds',
      help: 'Time to bring the running load balancer to a new table (runtime API, checked reload or hot restart).',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    lastSuccess: new Gauge({
      name: 'prism_lb_watch_last_success_timestamp_seconds',
      help: 'Unix time of the last successful apply or re-sync (alert on time() minus this while in_sync is 0).',
      registers,
    }),
    restarts: new Counter({
      name: 'prism_lb_watch_lb_restarts_total',
      help: 'Times the load balancer was found restarted or back after being unreachable, and re-synced.',
      registers,
    }),
    // lb watch --fragment drives several HAProxy instances: one series per configured runtime API.
    instanceAppliedVersion: new Gauge({
      name: 'prism_lb_watch_instance_applied_table_version',
      help: 'Per HAProxy instance the watcher drives (lb watch --fragment; instance = its runtime socket or HOST:PORT): version of the partition table it was last brought to.',
      labelNames: ['instance'],
      registers,
    }),
    instanceUp: new Gauge({
      name: 'prism_lb_watch_instance_up',
      help: 'Per HAProxy instance the watcher drives (lb watch --fragment): 1 if its runtime API answered the last apply or check, else 0.',
      labelNames: ['instance'],
      registers,
    }),
    instanceRestarts: new Counter({
      name: 'prism_lb_watch_instance_restarts_total',
      help: 'Per HAProxy instance the watcher drives (lb watch --fragment): times it was found restarted or back after being unreachable, and re-synced.',
      labelNames: ['instance'],
      registers,
    }),
  };
}

export type WatchMetrics = ReturnType<typeof buildWatchMetrics>;

/** Serves GET /metrics on `listen` (HOST:PORT, port 0 picks one); resolves once it listens. */
export async function serveWatchMetrics(
  metrics: WatchMetrics,
  listen: string,
): Promise<{ url: string; close(): Promise<void> }> {
  const { host, port } = splitHostPort(listen);
  const server: Server = createServer(async (req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics here\n');
      return;
    }
    const body = await metrics.registry.metrics();
    res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}/metrics`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
