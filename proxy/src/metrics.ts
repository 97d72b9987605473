import { Counter, Gauge, Histogram, Registry } from 'prom-client';

const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5, 10, 30];

/** The proxy's metrics (CONTRACT §8 names and labels, plus requests and latency by outcome). */
export function buildProxyMetrics(proxyId: string) {
  const registry = new Registry();
  registry.setDefaultLabels({});
  const registers = [registry];
  const forwards = new Counter({
    name: 'prism_forwarding_requests_total',
    help: 'Requests forwarded to a peer proxy, by source, destination and response status.',
    labelNames: ['from_proxy', 'to_proxy', 'status'],
    registers,
  });
  const forwardLatency = new Histogram({
    name: 'prism_forwarding_latency_seconds',
    help: 'Time from receiving a request to the end of the owner proxy response, for forwarded requests.',
    labelNames: ['from_proxy', 'to_proxy'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const failures = new Counter({
    name: 'prism_forwarding_failures_total',
    help: 'Forwards that failed, by reason (unreachable, timeout, reset, hop_limit, backend_down, client_abort).',
    labelNames: ['reason'],
    registers,
  });
  const requests = new Counter({
    name: 'prism_proxy_requests_total',
    help: 'Requests by outcome (local, forwarded, redirected, misdirected, rejected, failed, aborted).',
    labelNames: ['outcome'],
    registers,
  });
  const duration = new Histogram({
    name: 'prism_proxy_request_duration_seconds',
    help: 'Request latency by outcome.',
    labelNames: ['outcome'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const tableVersion = new Gauge({
    name: 'prism_proxy_partition_table_version',
    help: 'Version of the partition table this proxy routes with.',
    registers,
  });
  const adminConnected = new Gauge({
    name: 'prism_proxy_admin_connected',
    help: '1 while a control stream to an admin is open.',
    registers,
  });

  // Children are cached so the request path does no label hashing.
  const cache = new Map<string, { inc(): void; observe?(v: number): void }>();
  const child = <T>(key: string, make: () => T): T => {
    let c = cache.get(key) as T | undefined;
    if (!c) {
      c = make();
      cache.set(key, c as never);
    }
    return c;
  };

  return {
    registry,
    failures,
    tableVersion,
    adminConnected,
    request(outcome: string, seconds: number) {
      child(`r:${outcome}`, () => requests.labels(outcome)).inc();
      child(`d:${outcome}`, () => duration.labels(outcome)).observe(seconds);
    },
    forwarded(to: string, status: number, seconds: number) {
      child(`f:${to}:${status}`, () => forwards.labels(proxyId, to, String(status))).inc();
      child(`l:${to}`, () => forwardLatency.labels(proxyId, to)).observe(seconds);
    },
    failure(reason: string) {
      child(`x:${reason}`, () => failures.labels(reason)).inc();
    },
  };
}

export type ProxyMetrics = ReturnType<typeof buildProxyMetrics>;
