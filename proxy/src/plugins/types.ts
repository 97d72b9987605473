import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Logger } from 'pino';
import type { ProxyConfig } from '../../../core/src/config/proxy-schema.js';
import type { ErrorCode, PrismError } from '../../../core/src/errors.js';
import type { NamespaceClaims } from '../../../core/src/tokens.js';
import type { Tracing } from '../../../core/src/tracing.js';
import type { ControlClient } from '../control-client.js';
import type { ProxyHealth } from '../health.js';
import type { FallbackReason, ProxyMetrics } from '../metrics.js';
import type { RoutingState } from '../state.js';

export type Req = IncomingMessage | Http2ServerRequest;
export type Res = ServerResponse | Http2ServerResponse;

/** How a request ended: the `outcome` label of prism_proxy_requests_total (docs/observability.md). */
export type Outcome = 'local' | 'forwarded' | 'redirected' | 'misdirected' | 'rejected' | 'failed' | 'aborted';

/** Everything known about one request, on one object that every hook sees. */
export interface RequestContext {
  readonly req: Req;
  readonly res: Res;
  readonly startedAt: number;
  /** Draining and degraded state of this proxy (X-Prism-Degraded goes on every answer). */
  readonly health?: ProxyHealth;
  /** For log lines: the client's X-Request-Id when it is printable ASCII of at most 128 chars, else "<proxy id>-<n>". */
  readonly requestId: string;
  namespace: string;
  partition: number;
  /** X-Prism-Hops as received (0 when absent). */
  hops: number;
  /** X-Prism-Table-Version as received (0 when absent; with a fleet CA, also when not from a peer). */
  peerTableVersion: number;
  /** X-Prism-Epoch as received: the partition's epoch in the sender's table (0 as for peerTableVersion). */
  peerEpoch: number;
  /** With a fleet CA: the proxy id of the peer that forwarded the request, from its certificate ('' otherwise). */
  peer: string;
  owner: string;
  epoch: number;
  claims?: NamespaceClaims;
  /** Version of the partition table the request was routed with (0 before routing). */
  tableVersion: number;
  /**
   * How the request ended, with `reason`: set from the decision that answered it or from the
   * exchange's result, through outcome.ts only, and read once it is settled (onResponse).
   */
  outcome: Outcome;
  /**
   * Why, in one word: a failure (unreachable, timeout, backend_down, client_abort, ...), a
   * misdirect (client_mode, hop_limit, fenced), or a plugin's own; '' for a plain success.
   */
  reason: string;
  /** Set when this proxy served the request because the owner could not take it (owner fallback). */
  fallback: FallbackReason | '';
  status: number;
  /** Peer proxy id or backend URL the request went to. */
  upstream: string;
  upstreamKind: ForwardTarget['kind'] | '';
  errorCode: string;
  /** With tracing on: the W3C trace id of this request ('' with tracing off). */
  traceId: string;
  /** With tracing on: this hop's span, which the forwarder makes the parent of the next hop. */
  traceHop?: TraceHop;
}

/** This hop's span as the forwarder sees it: it only writes traceparent/tracestate for the next hop. */
export interface TraceHop {
  /** Replaces any traceparent/tracestate in a flat [name, value, …] request field list with this hop's. */
  inject(headers: string[]): void;
}

/** Where a request goes next. */
export interface ForwardTarget {
  kind: 'backend' | 'peer';
  /** http://host:port */
  origin: string;
  /** Peer proxy id or backend URL. */
  name: string;
}

/**
 * What a hook decided: go on, answer now, or forward. Nothing is signalled by throwing. An answer
 * carries its outcome and reason; without them it counts as failed (5xx), rejected (4xx),
 * redirected (3xx) or local (below 300) — outcome.ts decidedOutcome().
 */
export type Decision =
  | { readonly type: 'continue' }
  | {
      readonly type: 'respond';
      readonly status: number;
      readonly headers?: Record<string, string>;
      readonly error?: PrismError;
      readonly outcome?: Outcome;
      readonly reason?: string;
    }
  | { readonly type: 'forward'; readonly target: ForwardTarget };

export const CONTINUE: Decision = Object.freeze({ type: 'continue' });
export const reject = (error: PrismError, headers?: Record<string, string>): Decision => ({
  type: 'respond',
  status: error.status,
  error,
  headers,
});
/** A coded answer (421) telling the client the namespace is served elsewhere, with why. */
export const misdirect = (error: PrismError, reason: string, headers?: Record<string, string>): Decision => ({
  type: 'respond',
  status: error.status,
  error,
  headers,
  outcome: 'misdirected',
  reason,
});
export const forwardTo = (target: ForwardTarget): Decision => ({ type: 'forward', target });

type MaybeAsync<T> = T | Promise<T>;

/** The closed list of hooks, in request order. */
export interface PluginHooks {
  onRequest?(ctx: RequestContext): MaybeAsync<Decision>;
  resolveNamespace?(ctx: RequestContext): MaybeAsync<Decision>;
  authenticate?(ctx: RequestContext): MaybeAsync<Decision>;
  route?(ctx: RequestContext): MaybeAsync<Decision>;
  /** After the response is complete (or failed); must not throw. */
  onResponse?(ctx: RequestContext): void;
  onError?(ctx: RequestContext, error: unknown): void;
}

export const HOOK_NAMES = ['onRequest', 'resolveNamespace', 'authenticate', 'route', 'onResponse', 'onError'] as const;

export interface Plugin {
  name: string;
  /** Plugins that must come earlier in the chain. */
  dependencies?: string[];
  hooks: PluginHooks;
}

/** What a plugin factory gets besides its own options. */
export interface PluginEnv {
  config: Readonly<ProxyConfig>;
  state: RoutingState;
  control?: ControlClient;
  metrics: ProxyMetrics;
  log: Logger;
  /** This proxy's id. */
  self: string;
  health?: ProxyHealth;
  /**
   * The target that forwards to proxy `id` of the current table (over mTLS with a fleet CA), or
   * undefined when the table has no such proxy: the only peer target a user plugin may forward to.
   */
  peerTarget(id: string): ForwardTarget | undefined;
  /** A coded error of the catalog (docs/errors.md) for a respond decision: the proxy's own class, wherever the plugin lives. */
  error(code: ErrorCode, message: string): PrismError;
  /** Set only with tracing.enabled (core/src/tracing.ts). */
  tracing?: Tracing;
}

export type PluginFactory = (options: Record<string, unknown>, env: PluginEnv) => MaybeAsync<Plugin>;
