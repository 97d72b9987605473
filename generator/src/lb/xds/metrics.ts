import { Counter, Gauge } from 'prom-client';
import { buildWatchMetrics } from '../watch-metrics.js';

/**
 * What `prismctl lb xds` exports: the watcher's metrics where they mean the same (target="envoy-xds";
 * applied version = the oldest version a connected Envoy runs, apply failures = NACKs, apply
 * duration = from a version read at the admin to an Envoy's ACK of its route), plus its own.
 */
export function buildXdsMetrics() {
  const watch = buildWatchMetrics('envoy-xds');
  const registers = [watch.registry];
  return {
    ...watch,
    connected: new Gauge({
      name: 'prism_lb_xds_connected_envoys',
      help: 'Envoys with an open ADS stream to this xDS server.',
      registers,
    }),
    nacks: new Counter({
      name: 'prism_lb_xds_nacks_total',
      help: 'Configurations an Envoy rejected (NACK), by xDS type (CDS, LDS, RDS); the Envoy keeps what it had.',
      labelNames: ['type'],
      registers,
    }),
  };
}

export type XdsMetrics = ReturnType<typeof buildXdsMetrics>;
