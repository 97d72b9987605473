import { Counter, Gauge, Registry } from 'prom-client';
import { registerRuntimeMetrics } from '../../core/src/runtime-metrics.js';

export type FallbackReason =
  | 'connect_refused'
  | 'connect_timeout'
  | 'closed_before_write'
  | 'closed_after_write'
  | 'timeout'
  | 'not_ready';

export type PeerRefusal = 'cleartext' | 'no_certificate' | 'untrusted_certificate' | 'not_a_proxy' | 'not_in_table';

/** Why a forward to a peer proxy failed (prism_forwarding_peer_failures_total). */
export type PeerFailure = 'unreachable' | 'peer_tls' | 'timeout' | 'reset' | 'not_ready';

/** How long the series of a peer that left the table are kept: several scrape intervals. */
export const PEER_SERIES_GRACE_MS = 10 * 60_000;

const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5, 10, 30];

type Labels = Record<string, string>;

/**
 * A counter or histogram for the request path, kept in plain numbers per label set and read by the
 * registry at scrape time. prom-client's own inc()/observe() validate and hash the labels on every
 * call, which cost this proxy 9–15% of its CPU per request (npm run bench:ab, metrics on vs off);
 * this keeps the exposition (names, labels, buckets, _sum and _count) and does the work per scrape.
 */
class RequestPathMetric {
  private readonly children = new Map<string, { labels: Labels; count: number; sum: number; buckets?: Float64Array }>();

  constructor(
    registry: Registry,
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'histogram',
    private readonly labelNames: readonly string[],
    private readonly bounds: readonly number[] = [],
  ) {
    registry.registerMetric(this as never);
  }

  /** The series for these label values; callers keep it, so the request path does no lookups. */
  child(...values: string[]) {
    const key = values.join('\u0000');
    let c = this.children.get(key);
    if (!c) {
      const labels: Labels = {};
      this.labelNames.forEach((n, i) => {
        labels[n] = values[i];
      });
      c = {
        labels,
        count: 0,
        sum: 0,
        buckets: this.type === 'histogram' ? new Float64Array(this.bounds.length) : undefined,
      };
      this.children.set(key, c);
    }
    const series = c;
    const bounds = this.bounds;
    return {
      inc() {
        series.count++;
      },
      observe(v: number) {
        series.count++;
        series.sum += v;
        const b = series.buckets as Float64Array;
        for (let i = 0; i < bounds.length; i++) {
          if (v <= bounds[i]) {
            b[i]++;
            break;
          }
        }
      },
    };
  }

  /** What prom-client's registry reads to render the exposition. */
  get() {
    const values: { labels: Labels | Record<string, string | number>; value: number; metricName?: string }[] = [];
    for (const { labels, count, sum, buckets } of this.children.values()) {
      if (!buckets) {
        values.push({ labels, value: count });
        continue;
      }
      let acc = 0;
      this.bounds.forEach((le, i) => {
        acc += buckets[i];
        values.push({ labels: { ...labels, le }, value: acc, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { ...labels, le: '+Inf' }, value: count, metricName: `${this.name}_bucket` });
      values.push({ labels, value: sum, metricName: `${this.name}_sum` });
      values.push({ labels, value: count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: 'sum' };
  }

  reset(): void {
    this.children.clear();
  }

  /** Drops the series whose labels match (their holders must drop the series they keep, too). */
  drop(matches: (labels: Labels) => boolean): void {
    for (const [key, c] of this.children) if (matches(c.labels)) this.children.delete(key);
  }
}

export interface ProxyMetricsOptions {
  /** At most this many prism_proxy_backend_up series (config metrics.backendSeries). */
  backendSeries: number;
}

/** Whether each backend of the namespaces this proxy serves is in use (true) or skipped after a failure. */
export type BackendHealth = () => ReadonlyMap<string, boolean>;

/**
 * The proxy's metrics (CONTRACT §8 names and labels, plus requests and latency by outcome, and the
 * process and Node runtime metrics). `promtool check metrics` passes on a real scrape (deploy/test).
 * No label takes a namespace: a fleet has thousands. Peer labels are proxy ids of the table (the
 * series of a proxy that left it are dropped PEER_SERIES_GRACE_MS later); backend labels are capped
 * by options.backendSeries. docs/observability.md lists them all.
 */
export function buildProxyMetrics(proxyId: string, options: ProxyMetricsOptions = { backendSeries: 100 }) {
  const registry = new Registry();
  const registers = [registry];
  registerRuntimeMetrics(registry);
  const forwards = new RequestPathMetric(
    registry,
    'prism_forwarding_requests_total',
    'Requests forwarded to a peer proxy, by source, destination and response status.',
    'counter',
    ['from_proxy', 'to_proxy', 'status'],
  );
  const forwardLatency = new RequestPathMetric(
    registry,
    'prism_forwarding_latency_seconds',
    'Time from receiving a request to the end of the owner proxy response, for forwarded requests.',
    'histogram',
    ['from_proxy', 'to_proxy'],
    LATENCY_BUCKETS,
  );
  const failures = new Counter({
    name: 'prism_forwarding_failures_total',
    help: 'Forwards that failed, by reason (unreachable, peer_tls, timeout, reset, hop_limit, fenced, backend_down, backend_reset, backend_policy, client_abort).',
    labelNames: ['reason'],
    registers,
  });
  const peerFailures = new Counter({
    name: 'prism_forwarding_peer_failures_total',
    help: 'Forwards to a peer proxy that failed, by source, destination and reason (unreachable, peer_tls, timeout, reset, not_ready), also when this proxy then served the request itself (owner fallback); with prism_forwarding_requests_total, the failure ratio per peer.',
    labelNames: ['from_proxy', 'to_proxy', 'reason'],
    registers,
  });
  const requests = new RequestPathMetric(
    registry,
    'prism_proxy_requests_total',
    'Requests by outcome (local, forwarded, redirected, misdirected, rejected, failed, aborted).',
    'counter',
    ['outcome'],
  );
  const duration = new RequestPathMetric(
    registry,
    'prism_proxy_request_duration_seconds',
    'Request latency by outcome.',
    'histogram',
    ['outcome'],
    LATENCY_BUCKETS,
  );
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

  // Connection defences (proxy/src/connection-guard.ts). They fire per connection or per abuse, not per
  // request, so prom-client's own counters are cheap enough here.
  const timeouts = new Counter({
    name: 'prism_proxy_timeouts_total',
    help: 'Client connections and requests cut by a timeout, by phase (sniff, headers, body, idle, send, h2_idle, goaway).',
    labelNames: ['phase'],
    registers,
  });
  const goaways = new Counter({
    name: 'prism_proxy_h2_goaways_total',
    help: 'HTTP/2 connections the proxy closed with GOAWAY, by reason (resets, flood, protocol_error, idle, shutdown).',
    labelNames: ['reason'],
    registers,
  });
  const limitRejections = new Counter({
    name: 'prism_proxy_limit_rejections_total',
    help: 'Connections and requests refused by a limit, by limit (connections, header_bytes, header_count; cleartext: a cleartext connection with tls.cleartext = false).',
    labelNames: ['limit'],
    registers,
  });
  // Peer mTLS (proxy/src/peer-tls.ts): per TLS handshake and per refused forwarded request.
  const tlsConnections = new Counter({
    name: 'prism_proxy_tls_connections_total',
    help: 'TLS connections accepted on the data port, by ALPN protocol (h2, http/1.1, none).',
    labelNames: ['protocol'],
    registers,
  });
  const peerRefusals = new Counter({
    name: 'prism_proxy_peer_refusals_total',
    help: 'Requests carrying X-Prism-Hops refused because they did not come from a fleet proxy, by reason (cleartext, no_certificate, untrusted_certificate, not_a_proxy, not_in_table).',
    labelNames: ['reason'],
    registers,
  });
  // Safe fleet changes (#12): drain, owner fallback, a lost admin, the Prepare phase of a move.
  const draining = new Gauge({
    name: 'prism_proxy_draining',
    help: '1 from SIGTERM (or SIGINT) until the proxy exits: /readyz answers 503 and connections are being closed.',
    registers,
  });
  const adminLost = new Gauge({
    name: 'prism_proxy_admin_lost',
    help: '1 while no admin stream has been up for longer than controlPlane.adminLostAfterMissed heartbeats; the proxy serves from its last table.',
    registers,
  });
  const ownerFallbacks = new Counter({
    name: 'prism_proxy_owner_fallbacks_total',
    help: 'Requests this proxy served from the namespace backends itself because the owner could not take them, by reason (connect_refused, connect_timeout, closed_before_write, closed_after_write, timeout, not_ready).',
    labelNames: ['reason'],
    registers,
  });
  const prepares = new Counter({
    name: 'prism_proxy_prepares_total',
    help: 'Prepare messages of the admin answered, by result (ok, failed).',
    labelNames: ['result'],
    registers,
  });
  const warmedBackends = new Counter({
    name: 'prism_proxy_warmed_backend_connections_total',
    help: 'Backend connections opened ahead of requests to answer a Prepare.',
    registers,
  });
  let countConnections: (() => Promise<number>) | undefined;
  new Gauge({
    name: 'prism_proxy_open_connections',
    help: 'Client connections open on the data port.',
    registers,
    async collect() {
      if (countConnections) this.set(await countConnections());
    },
  });

  // Backend health (backends.ts), read when scraped. The counts cover every backend of the namespaces
  // this proxy serves; the per-backend series only the first options.backendSeries of them by URL, so
  // a proxy serving thousands of namespaces does not grow its exposition without bound.
  let backendHealth: BackendHealth | undefined;
  new Gauge({
    name: 'prism_proxy_backend_up',
    help: `1 while a backend of a namespace this proxy serves is in use, 0 while it is skipped after a failure (pools.backendRetryMs); at most ${options.backendSeries} backends by URL (metrics.backendSeries), prism_proxy_backends counts all.`,
    labelNames: ['backend'],
    registers,
    collect() {
      this.reset();
      const health = backendHealth?.();
      if (!health) return;
      const shown = [...health.keys()].sort().slice(0, options.backendSeries);
      for (const backend of shown) this.set({ backend }, health.get(backend) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'prism_proxy_backends',
    help: 'Backends of the namespaces this proxy serves, by state (up: in use; down: skipped after a failure).',
    labelNames: ['state'],
    registers,
    collect() {
      let up = 0;
      let down = 0;
      for (const ok of backendHealth?.().values() ?? []) ok ? up++ : down++;
      this.set({ state: 'up' }, up);
      this.set({ state: 'down' }, down);
    },
  });

  type Series = { inc(): void; observe(v: number): void };
  const byOutcome = new Map<string, { count: Series; latency: Series }>();
  const byPeer = new Map<string, Series>();
  const byPeerStatus = new Map<string, Series & { to: string }>();
  /** The reasons counted per peer, to drop those series when the peer leaves the table. */
  const peerFailed = new Map<string, Set<PeerFailure>>();
  /** When each peer with series was first seen missing from the table. */
  const leftAt = new Map<string, number>();

  return {
    registry,
    failures,
    tableVersion,
    adminConnected,
    request(outcome: string, seconds: number) {
      let s = byOutcome.get(outcome);
      if (!s) {
        s = { count: requests.child(outcome), latency: duration.child(outcome) };
        byOutcome.set(outcome, s);
      }
      s.count.inc();
      s.latency.observe(seconds);
    },
    forwarded(to: string, status: number, seconds: number) {
      const key = `${to}\u0000${status}`;
      let count = byPeerStatus.get(key);
      if (!count) {
        count = Object.assign(forwards.child(proxyId, to, String(status)), { to });
        byPeerStatus.set(key, count);
      }
      count.inc();
      let latency = byPeer.get(to);
      if (!latency) {
        latency = forwardLatency.child(proxyId, to);
        byPeer.set(to, latency);
      }
      latency.observe(seconds);
    },
    /** A failed forward; `peer` names the peer proxy it was sent to (not given for backends). */
    failure(reason: string, peer?: { to: string; reason: PeerFailure }) {
      failures.labels(reason).inc();
      if (peer) this.peerFailure(peer.to, peer.reason);
    },
    /**
     * A forward to a peer that failed, counted per peer only: also when this proxy then served the
     * request itself (owner fallback), so the request did not fail but the peer did.
     */
    peerFailure(to: string, reason: PeerFailure) {
      peerFailures.labels(proxyId, to, reason).inc();
      const reasons = peerFailed.get(to) ?? new Set<PeerFailure>();
      reasons.add(reason);
      peerFailed.set(to, reasons);
    },
    /**
     * Drops the per-peer series of a proxy that has been out of the table for PEER_SERIES_GRACE_MS
     * (called when scraped): long enough for Prometheus to scrape what it counted before it left.
     */
    keepPeers(ids: ReadonlySet<string>, now = Date.now()) {
      for (const to of new Set([...byPeer.keys(), ...peerFailed.keys(), ...leftAt.keys()])) {
        if (ids.has(to)) {
          leftAt.delete(to);
          continue;
        }
        const since = leftAt.get(to);
        if (since === undefined) leftAt.set(to, now);
        if (since === undefined || now - since < PEER_SERIES_GRACE_MS) continue;
        leftAt.delete(to);
        byPeer.delete(to);
        for (const [key, series] of byPeerStatus) if (series.to === to) byPeerStatus.delete(key);
        const gone = (labels: Labels) => labels.to_proxy === to;
        forwards.drop(gone);
        forwardLatency.drop(gone);
        for (const reason of peerFailed.get(to) ?? []) peerFailures.remove(proxyId, to, reason);
        peerFailed.delete(to);
      }
    },
    timeout(phase: 'sniff' | 'headers' | 'body' | 'idle' | 'send' | 'h2_idle' | 'goaway') {
      timeouts.labels(phase).inc();
    },
    goaway(reason: 'resets' | 'flood' | 'protocol_error' | 'idle' | 'shutdown') {
      goaways.labels(reason).inc();
    },
    rejected(limit: 'connections' | 'header_bytes' | 'header_count' | 'cleartext') {
      limitRejections.labels(limit).inc();
    },
    tlsConnection(protocol: string | false | null) {
      tlsConnections.labels(protocol || 'none').inc();
    },
    peerRefused(reason: PeerRefusal) {
      peerRefusals.labels(reason).inc();
    },
    /** Where prism_proxy_backend_up and prism_proxy_backends read from. */
    backendHealth(source: BackendHealth) {
      backendHealth = source;
    },
    draining,
    adminLost,
    ownerFallback(reason: FallbackReason) {
      ownerFallbacks.labels(reason).inc();
    },
    prepared(ok: boolean, warmed: number) {
      prepares.labels(ok ? 'ok' : 'failed').inc();
      warmedBackends.inc(warmed);
    },
    /** Where prism_proxy_open_connections reads from (the data server, once built). */
    countConnections(count: () => Promise<number>) {
      countConnections = count;
    },
  };
}

export type ProxyMetrics = ReturnType<typeof buildProxyMetrics>;
