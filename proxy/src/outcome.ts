import { crc32 } from 'node:zlib';
import type { Logger } from 'pino';
import type { FallbackReason, PeerFailure, ProxyMetrics } from './metrics.js';
import type { Decision, ForwardTarget, Outcome, RequestContext } from './plugins/types.js';

/**
 * A request's outcome is set in one of three ways — the decision that answered it (chain.ts), the
 * result of its exchange with a backend or a peer (forwarder.ts), or the client leaving — always
 * through settle() below, and mapped once, by observe(), to the metrics, the access log line and
 * (with tracing) the span. No other code counts a request's outcome.
 */

/** Reasons counted in prism_forwarding_failures_total (CONTRACT §8): a forward that failed. */
const FORWARD_FAILURES = new Set([
  'unreachable',
  'peer_tls',
  'timeout',
  'reset',
  'hop_limit',
  'fenced',
  'backend_down',
  'backend_reset',
  'backend_policy',
  'client_abort',
]);

/** Reasons a forward to a peer failed that are also counted per peer (prism_forwarding_peer_failures_total). */
const PEER_FAILURES: ReadonlySet<string> = new Set<PeerFailure>(['unreachable', 'peer_tls', 'timeout', 'reset']);

/** How an owner fallback counts in prism_forwarding_peer_failures_total. */
const PEER_FAILURE_OF: Record<FallbackReason, PeerFailure> = {
  connect_refused: 'unreachable',
  connect_timeout: 'unreachable',
  closed_before_write: 'unreachable',
  closed_after_write: 'reset',
  timeout: 'timeout',
  not_ready: 'not_ready',
};

/** Sets how the request ended; `target` names where it went (the exchange's upstream). */
export function settle(ctx: RequestContext, outcome: Outcome, reason = '', target?: ForwardTarget): void {
  ctx.outcome = outcome;
  ctx.reason = reason;
  if (target) {
    ctx.upstream = target.name;
    ctx.upstreamKind = target.kind;
  }
}

/** The outcome an answering decision carries, or the one its status implies. */
export function decidedOutcome(d: Extract<Decision, { type: 'respond' }>): Outcome {
  if (d.outcome) return d.outcome;
  return d.status >= 500 ? 'failed' : d.status >= 400 ? 'rejected' : d.status >= 300 ? 'redirected' : 'local';
}

/** The settled outcome as the access log writes it and a span carries it (docs/observability.md). */
export interface OutcomeFields {
  requestId: string;
  proxy: string;
  method: string;
  /** Without the query string: queries carry tokens and personal data, and the backend logs them. */
  path: string;
  namespace: string;
  partition: number;
  owner: string;
  outcome: Outcome;
  reason: string;
  error?: string;
  fallback?: FallbackReason;
  status: number;
  ms: number;
  /** The peer proxy that forwarded the request here, else the one it was forwarded to. */
  peer: string;
  upstream: string;
  tableVersion: number;
  traceId: string;
}

const MAX_PATH = 512;

function pathOf(url: string | undefined): string {
  if (!url) return '';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  return path.length > MAX_PATH ? `${path.slice(0, MAX_PATH)}…` : path;
}

/** Maps a settled request to its fields: what the access log writes, what a span's attributes say. */
export function outcomeFields(ctx: RequestContext, self: string, ms: number): OutcomeFields {
  return {
    requestId: ctx.requestId,
    proxy: self,
    method: ctx.req.method ?? '',
    path: pathOf(ctx.req.url),
    namespace: ctx.namespace,
    partition: ctx.partition,
    owner: ctx.owner,
    outcome: ctx.outcome,
    reason: ctx.reason,
    error: ctx.errorCode || undefined,
    fallback: ctx.fallback || undefined,
    status: ctx.status,
    ms: Math.round(ms * 1000) / 1000,
    peer: ctx.peer || (ctx.upstreamKind === 'peer' ? ctx.upstream : ''),
    upstream: ctx.upstream,
    tableVersion: ctx.tableVersion,
    traceId: ctx.traceId,
  };
}

/**
 * The same fields as span attributes (`prism.*`; the request's own — method, path — are the
 * OpenTelemetry HTTP conventions the trace plugin sets when the span starts), for the trace plugin's
 * onResponse: span.setAttributes(spanAttributes(fields)).
 */
export function spanAttributes(f: OutcomeFields): Record<string, string | number> {
  const attributes: Record<string, string | number> = {
    'http.response.status_code': f.status,
    'prism.proxy': f.proxy,
    'prism.request_id': f.requestId,
    'prism.outcome': f.outcome,
    'prism.table_version': f.tableVersion,
  };
  if (f.namespace) attributes['prism.namespace'] = f.namespace;
  if (f.partition >= 0) attributes['prism.partition'] = f.partition;
  if (f.owner) attributes['prism.owner'] = f.owner;
  if (f.reason) attributes['prism.reason'] = f.reason;
  if (f.error) attributes['prism.error_code'] = f.error;
  if (f.fallback) attributes['prism.fallback'] = f.fallback;
  if (f.peer) attributes['prism.peer'] = f.peer;
  if (f.upstream) attributes['prism.upstream'] = f.upstream;
  return attributes;
}

/** What observe() writes to, and the access log options it reads per request (they reload on SIGHUP). */
export interface ObserveEnv {
  self: string;
  metrics: ProxyMetrics;
  log: Logger;
  /** Where requests per namespace are counted for the heartbeat's load report (the map is replaced per report). */
  state: { traffic: Map<string, number> };
  config: { readonly accessLog: { readonly enabled: boolean; readonly sampleRate: number } };
}

const TWO_32 = 2 ** 32;

/**
 * An access log line is kept for every request that failed or was aborted, and for a share
 * `sampleRate` of the others, chosen by the request id: every proxy a request passes keeps it or
 * drops it alike, so a sampled request can be followed across a forward.
 */
function sampled(ctx: RequestContext, rate: number): boolean {
  if (rate >= 1 || ctx.outcome === 'failed' || ctx.outcome === 'aborted' || ctx.status >= 500) return true;
  return rate > 0 && crc32(ctx.requestId) / TWO_32 < rate;
}

/**
 * The one mapping from a settled request to what is counted and logged. Runs once per request,
 * when its response has closed, before the plugins' onResponse hooks (which read the same settled
 * context, outcomeFields() included).
 */
export function buildObserve(env: ObserveEnv): (ctx: RequestContext) => void {
  const { metrics, state, config, self } = env;
  const access = env.log.child({ kind: 'access' });
  return (ctx) => {
    const ms = performance.now() - ctx.startedAt;
    const seconds = ms / 1000;
    const { outcome, reason } = ctx;
    if (ctx.namespace) state.traffic.set(ctx.namespace, (state.traffic.get(ctx.namespace) ?? 0) + 1);
    metrics.request(outcome, seconds);
    if (outcome === 'forwarded') metrics.forwarded(ctx.upstream, ctx.status, seconds);
    if (FORWARD_FAILURES.has(reason)) {
      const peer = outcome === 'failed' && ctx.upstreamKind === 'peer' && PEER_FAILURES.has(reason);
      metrics.failure(reason, peer ? { to: ctx.upstream, reason: reason as PeerFailure } : undefined);
    }
    if (ctx.fallback) {
      metrics.ownerFallback(ctx.fallback);
      metrics.peerFailure(ctx.owner, PEER_FAILURE_OF[ctx.fallback]);
    }
    const { enabled, sampleRate } = config.accessLog;
    if (enabled && sampled(ctx, sampleRate)) access.info(outcomeFields(ctx, self, ms));
  };
}
