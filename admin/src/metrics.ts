import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { registerRuntimeMetrics } from '../../core/src/runtime-metrics.js';

/** What the fleet gauges read when scraped. */
export interface FleetStatus {
  counts: Record<string, number>;
  behind: number;
  /** Proxies whose config fingerprint differs from the majority's. */
  drifting: number;
  /** Distinct config fingerprints among the proxies that are up. */
  fingerprints: number;
}

/**
 * The admin's metrics (CONTRACT §8 names and labels, plus a few of its own, and the process and
 * Node runtime metrics). `promtool check metrics` passes on a real scrape (deploy/test); the names
 * and their labels are listed in docs/observability.md.
 */
export function buildAdminMetrics() {
  const registry = new Registry();
  const registers = [registry];
  registerRuntimeMetrics(registry);
  // Fleet gauges are read when scraped, not recomputed on every heartbeat and ack.
  let fleetStatus: (() => FleetStatus) | undefined;
  return {
    fleetSource(source: () => FleetStatus) {
      fleetStatus = source;
    },
    registry,
    reservations: new Counter({
      name: 'prism_namespace_reservations_total',
      help: 'Namespace reservations by result (ok, conflict, invalid, quota).',
      labelNames: ['status'],
      registers,
    }),
    refreshes: new Counter({
      name: 'prism_namespace_lease_refreshes_total',
      help: 'Lease refreshes by result.',
      labelNames: ['status'],
      registers,
    }),
    expirations: new Counter({
      name: 'prism_namespace_lease_expirations_total',
      help: 'Leases the cleanup job expired after their grace period.',
      registers,
    }),
    activeLeases: new Gauge({
      name: 'prism_namespace_active_leases',
      help: 'Namespaces with a live lease (active or in grace).',
      registers,
    }),
    assignments: new Gauge({
      name: 'prism_partition_assignments_per_proxy',
      help: 'Partitions each proxy owns in the current table.',
      labelNames: ['proxy_id'],
      registers,
    }),
    rebalances: new Counter({
      name: 'prism_partition_rebalances_total',
      help: 'Partition tables computed, by strategy.',
      labelNames: ['strategy'],
      registers,
    }),
    rebalanceDuration: new Histogram({
      name: 'prism_partition_rebalance_duration_seconds',
      help: 'Time to compute and persist a new partition table.',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    imbalance: new Gauge({
      name: 'prism_partition_imbalance_ratio',
      help: 'Largest partition count over its weighted fair share in the current table (1 = perfect).',
      registers,
    }),
    partitionMoves: new Counter({
      name: 'prism_partition_moves_total',
      help: 'Partitions given a new owner in a move round, by why: orphan (its owner was gone), drain, balance (join, undrain, weights, strategy, rules, rollback).',
      labelNames: ['kind'],
      registers,
    }),
    moveRounds: new Counter({
      name: 'prism_partition_move_rounds_total',
      help: 'Move rounds cut over (each one table version moving at most rebalance.maxMovePercent of the partitions, plus any whose owner was gone).',
      registers,
    }),
    grpcRequests: new Counter({
      name: 'prism_admin_grpc_requests_total',
      help: 'gRPC requests and stream messages by method and status.',
      labelNames: ['method', 'status'],
      registers,
    }),
    tableVersion: new Gauge({
      name: 'prism_admin_partition_table_version',
      help: 'Version of the current partition table.',
      registers,
    }),
    // CONTRACT §8 names it prism_admin_proxy_count; promtool refuses a _count suffix on a gauge (it
    // reads as part of a histogram or summary), so it has the conventional name the contract allows.
    proxies: new Gauge({
      name: 'prism_admin_proxies',
      help: 'Registered proxies by status (healthy, stale, restarting, disconnected). Replaces the memo name prism_admin_proxy_count.',
      labelNames: ['status'],
      registers,
      collect() {
        const status = fleetStatus?.();
        if (status) for (const [label, n] of Object.entries(status.counts)) this.set({ status: label }, n);
      },
    }),
    proxiesBehind: new Gauge({
      name: 'prism_admin_proxies_behind',
      help: 'Connected proxies that have not acknowledged the current table version.',
      registers,
      collect() {
        this.set(fleetStatus?.().behind ?? 0);
      },
    }),
    proxiesDrifting: new Gauge({
      name: 'prism_admin_proxies_config_drift',
      help: 'Proxies whose configuration fingerprint differs from the one most proxies report (their own addresses, certificate paths and log settings aside).',
      registers,
      collect() {
        this.set(fleetStatus?.().drifting ?? 0);
      },
    }),
    configFingerprints: new Gauge({
      name: 'prism_admin_proxy_config_fingerprints',
      help: 'Distinct configuration fingerprints among the proxies that are up: 1 when every proxy runs the same settings.',
      registers,
      collect() {
        this.set(fleetStatus?.().fingerprints ?? 0);
      },
    }),
    cleanupFailures: new Counter({
      name: 'prism_admin_cleanup_failures_total',
      help: 'Cleanup steps that failed (each is retried with backoff and logged).',
      labelNames: ['step'],
      registers,
    }),
    purges: new Counter({
      name: 'prism_admin_namespace_purges_total',
      help: 'Soft-deleted namespaces purged, by result (purged, skipped_traffic).',
      labelNames: ['result'],
      registers,
    }),
  };
}

export type AdminMetrics = ReturnType<typeof buildAdminMetrics>;
