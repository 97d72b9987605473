import { Counter, collectDefaultMetrics, type Metric, Registry } from 'prom-client';

let runtime: Metric[] | undefined;

/**
 * Registers prom-client's default process and Node runtime metrics (process_cpu_seconds_total,
 * process_resident_memory_bytes, process_open_fds, nodejs_heap_size_used_bytes,
 * nodejs_eventloop_lag_p99_seconds, nodejs_gc_duration_seconds, …) in a program's own registry.
 * They describe the process, not one admin or proxy, and collectDefaultMetrics starts a GC observer
 * and an event-loop monitor that cannot be stopped: so they are made once per process and shared
 * by every registry in it (tests build dozens of admins and proxies in one process), never put in
 * prom-client's global registry. Left out: nodejs_active_handles_total, nodejs_active_requests_total
 * and nodejs_active_resources_total, gauges with a counter's suffix that `promtool check metrics`
 * refuses; sum(nodejs_active_handles) etc. give the same numbers.
 */
export function registerRuntimeMetrics(registry: Registry): void {
  if (!runtime) {
    const own = new Registry();
    collectDefaultMetrics({ register: own });
    // Registry order matters: nodejs_eventloop_lag_seconds sets the other event-loop gauges when read.
    runtime = (own.getMetricsAsArray() as unknown as Metric[]).filter(
      (m) => m instanceof Counter || !(m as unknown as { name: string }).name.endsWith('_total'),
    );
  }
  for (const metric of runtime) registry.registerMetric(metric);
}
