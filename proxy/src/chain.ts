import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type ErrorCode, PrismError } from '../../core/src/errors.js';
import type { Backends } from './backends.js';
import { type Forwarder, responseGone } from './forwarder.js';
import type { ProxyHealth } from './health.js';
import { buildObserve, decidedOutcome, settle } from './outcome.js';
import { fleetTls } from './peer-tls.js';
import { authPlugin } from './plugins/auth.js';
import { namespacePlugin } from './plugins/namespace.js';
import { peerPlugin } from './plugins/peer.js';
import { requestPlugin } from './plugins/request.js';
import { forwardingPlugin, localPlugin, peerTargets, routingPlugin } from './plugins/routing.js';
import {
  type Decision,
  type ForwardTarget,
  HOOK_NAMES,
  type Outcome,
  type Plugin,
  type PluginEnv,
  type PluginFactory,
  type Req,
  type RequestContext,
  type Res,
} from './plugins/types.js';
import { sendEmpty, sendError } from './respond.js';

/**
 * The plugin set in request order (docs/plugins.md). Plugins that are off are simply not in the
 * list. User plugins go in at USER_PLUGINS: after the built-ins that establish what a request is
 * (namespace, token, owner, sending peer), before those that decide where it goes, so a user's route
 * hook sees the owner and can still decide.
 */
function builtins(env: PluginEnv, backends: Backends, trace?: PluginFactory): (PluginFactory | typeof USER_PLUGINS)[] {
  return [
    ...(trace ? [trace] : []),
    requestPlugin,
    namespacePlugin,
    ...(env.config.auth.required ? [authPlugin] : []),
    routingPlugin,
    ...(fleetTls(env.config) ? [peerPlugin] : []),
    USER_PLUGINS,
    localPlugin(backends),
    forwardingPlugin,
  ];
}

const USER_PLUGINS = Symbol('user plugins');

async function loadUserPlugin(
  spec: { module: string; options?: Record<string, unknown> },
  env: PluginEnv,
): Promise<Plugin> {
  const url =
    spec.module.startsWith('.') || isAbsolute(spec.module) ? pathToFileURL(resolve(spec.module)).href : spec.module;
  let mod: Record<string, unknown>;
  try {
    mod = await import(url);
  } catch (err) {
    throw new PrismError(
      'PRISM-PLUGIN-001',
      `plugin module ${JSON.stringify(spec.module)} cannot be loaded: ${(err as Error).message}`,
    );
  }
  const factory = (mod.default ?? mod.plugin) as PluginFactory | undefined;
  if (typeof factory !== 'function') {
    throw new PrismError(
      'PRISM-PLUGIN-001',
      `plugin module ${JSON.stringify(spec.module)} exports no factory (default export or "plugin")`,
    );
  }
  return factory(spec.options ?? {}, env);
}

function check(plugins: Plugin[]): void {
  const seen = new Set<string>();
  for (const p of plugins) {
    if (!p || typeof p.name !== 'string' || typeof p.hooks !== 'object') {
      throw new PrismError('PRISM-PLUGIN-001', 'a plugin factory returned something that is not {name, hooks}');
    }
    if (seen.has(p.name)) throw new PrismError('PRISM-PLUGIN-001', `two plugins are named "${p.name}"`);
    for (const [hook, fn] of Object.entries(p.hooks)) {
      if (!(HOOK_NAMES as readonly string[]).includes(hook)) {
        throw new PrismError(
          'PRISM-PLUGIN-001',
          `plugin "${p.name}" has an unknown hook "${hook}"; hooks are ${HOOK_NAMES.join(', ')}`,
        );
      }
      if (typeof fn !== 'function')
        throw new PrismError('PRISM-PLUGIN-001', `hook ${hook} of plugin "${p.name}" is not a function`);
    }
    for (const dep of p.dependencies ?? []) {
      if (!seen.has(dep))
        throw new PrismError('PRISM-PLUGIN-001', `plugin "${p.name}" needs "${dep}" earlier in the chain`);
    }
    seen.add(p.name);
  }
}

const OUTCOMES: ReadonlySet<string> = new Set<Outcome>([
  'local',
  'forwarded',
  'redirected',
  'misdirected',
  'rejected',
  'failed',
  'aborted',
]);

/** What is wrong with a decision a user plugin returned, or '' when the proxy can act on it. */
function invalidDecision(d: unknown, peerTarget: PluginEnv['peerTarget']): string {
  if (d === null || typeof d !== 'object') return `${d === null ? 'null' : typeof d}, not a decision`;
  const { type } = d as { type?: unknown };
  if (type === 'continue') return '';
  if (type === 'respond') {
    const { status, error, headers, outcome } = d as Record<string, unknown>;
    if (!Number.isInteger(status) || (status as number) < 200 || (status as number) > 599)
      return `a respond decision with status ${JSON.stringify(status)} (not 200-599)`;
    if (error !== undefined && !(error instanceof PrismError)) return 'a respond decision whose error is no PrismError';
    if (headers !== undefined && (headers === null || typeof headers !== 'object'))
      return 'a respond decision whose headers are no object';
    if (outcome !== undefined && !OUTCOMES.has(outcome as string))
      return `a respond decision with outcome ${JSON.stringify(outcome)} (one of ${[...OUTCOMES].join(', ')})`;
    return '';
  }
  if (type === 'forward') {
    const target = (d as { target?: Partial<ForwardTarget> }).target;
    if (target?.kind === 'backend') {
      const url = typeof target.origin === 'string' && URL.canParse(target.origin) ? new URL(target.origin) : undefined;
      if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || typeof target.name !== 'string')
        return 'a forward decision whose backend target is not {kind: "backend", origin: "http(s)://host:port", name}';
      return '';
    }
    if (target?.kind === 'peer') {
      const known = typeof target.name === 'string' ? peerTarget(target.name) : undefined;
      if (!known || known.origin !== target.origin)
        return `a forward decision to peer ${JSON.stringify(target.name)} that is not env.peerTarget() of a proxy in the table`;
      return '';
    }
    return 'a forward decision whose target kind is neither "backend" nor "peer"';
  }
  return `a decision of type ${JSON.stringify(type)} (continue, respond or forward)`;
}

/**
 * Composes the chain once at start-up: per phase, the array of hooks that exist, so a request walks
 * only what is on. Returns the request handler for the http and http2 servers.
 */
export async function buildChain(
  chainEnv: Omit<PluginEnv, 'peerTarget' | 'error'>,
  backends: Backends,
  forwarder: Forwarder,
) {
  const peer = peerTargets(chainEnv);
  // The same object, not a copy: the proxy sets env.control on it once the control client exists.
  const env: PluginEnv = Object.assign(chainEnv, {
    peerTarget: (id: string) => peer(id)?.target,
    error: (code: ErrorCode, message: string) => new PrismError(code, message),
  });
  const plugins: Plugin[] = [];
  // Loaded only with tracing on: a proxy without it never loads the OpenTelemetry SDK (core/src/tracing.ts).
  const trace = env.tracing ? (await import('./plugins/trace.js')).tracePlugin : undefined;
  const user = new Set<Plugin>();
  for (const factory of builtins(env, backends, trace)) {
    if (factory !== USER_PLUGINS) plugins.push(await factory({}, env));
    else
      for (const spec of env.config.plugins) {
        const plugin = await loadUserPlugin(spec as { module: string; options?: Record<string, unknown> }, env);
        plugins.push(plugin);
        user.add(plugin);
      }
  }
  check(plugins);
  const observe = buildObserve(env);

  /**
   * A user plugin's hook, whose decisions are checked before the proxy acts on them: one it cannot
   * act on is thrown as PRISM-PLUGIN-002 and goes the way of every exception (failed() below), so
   * the log names the plugin and the client learns no more than the request id.
   */
  const checked = (p: Plugin, name: string, hook: Hook): Hook => {
    const verdict = (d: Decision): Decision => {
      const why = invalidDecision(d, env.peerTarget);
      if (why) throw new PrismError('PRISM-PLUGIN-002', `plugin "${p.name}" (${name} hook) returned ${why}`);
      return d;
    };
    return (ctx) => {
      const d = hook(ctx);
      return d instanceof Promise ? d.then(verdict) : verdict(d);
    };
  };

  // One flat list in request order: onRequest, resolveNamespace, authenticate, route.
  const hooks = (['onRequest', 'resolveNamespace', 'authenticate', 'route'] as const).flatMap((name) =>
    plugins.flatMap((p) => {
      const hook = p.hooks[name]?.bind(p.hooks) as Hook | undefined;
      if (!hook) return [];
      return [user.has(p) ? checked(p, name, hook) : hook];
    }),
  );
  const onResponse = plugins.flatMap((p) => (p.hooks.onResponse ? [p.hooks.onResponse.bind(p.hooks)] : []));
  const onError = plugins.flatMap((p) => (p.hooks.onError ? [p.hooks.onError.bind(p.hooks)] : []));

  const finish = (ctx: RequestContext) => {
    // Node keeps statusCode at 200 until a head is written: a client that left first got nothing.
    ctx.status = ctx.res.headersSent ? ctx.res.statusCode : 0;
    observe(ctx);
    for (const hook of onResponse) {
      try {
        hook(ctx);
      } catch (err) {
        env.log.error({ err, requestId: ctx.requestId }, 'onResponse hook failed');
      }
    }
  };

  /**
   * The one rule for exceptions, from any hook (sync or async, built-in or user plugin) and from
   * the forwarder's own code: an error-level log line with the request id, a coded 500 naming the
   * id (or a cut response when its head went out), and nothing else. It never throws, tells the
   * client no more than the code, and leaves backend health alone: the exception says nothing about
   * the backend.
   */
  const failed = (ctx: RequestContext, err: unknown) => {
    try {
      for (const hook of onError) {
        try {
          hook(ctx, err);
        } catch (hookErr) {
          env.log.error({ err: hookErr, requestId: ctx.requestId }, 'onError hook failed');
        }
      }
      env.log.error(
        { err, requestId: ctx.requestId, method: ctx.req.method, path: ctx.req.url, namespace: ctx.namespace },
        'request failed',
      );
      settle(ctx, 'failed', 'internal');
      sendError(
        ctx,
        new PrismError('PRISM-INTERNAL-001', `the proxy failed to handle the request (request id ${ctx.requestId})`),
      );
    } catch (last) {
      env.log.error({ err: last, requestId: ctx.requestId }, 'answering a failed request failed');
      const { res } = ctx;
      'stream' in res ? res.stream.destroy() : res.destroy();
    }
  };
  forwarder.onInternalError = failed;

  const act = (ctx: RequestContext, d: Decision | undefined) => {
    if (!d || d.type === 'continue') {
      settle(ctx, 'failed', 'undecided');
      sendError(ctx, new PrismError('PRISM-INTERNAL-001', 'no plugin decided what to do with the request'));
    } else if (d.type === 'forward') {
      // A client that reset its stream (or closed its connection) while a hook was deciding gets
      // no upstream request: rapid reset (CVE-2023-44487) made every such stream cost one.
      if (responseGone(ctx.res)) settle(ctx, 'aborted', 'client_closed');
      else {
        // The id a log line on this proxy names travels with the request, so the owner's line names it too.
        if (d.target.kind === 'peer' && ctx.req.headers['x-request-id'] === undefined)
          ctx.req.headers['x-request-id'] = ctx.requestId;
        forwarder.forward(ctx, d.target);
      }
    } else {
      settle(ctx, decidedOutcome(d), d.reason);
      if (d.error) sendError(ctx, d.error, d.headers);
      else sendEmpty(ctx, d.status, d.headers);
    }
  };

  /**
   * Walks the hooks from `from` on. Hooks return plain objects; the walk goes async only from the
   * first hook that returns a promise, so the common request allocates no promise at all.
   */
  const run = (ctx: RequestContext, from: number): void => {
    try {
      for (let i = from; i < hooks.length; i++) {
        const d = hooks[i](ctx);
        if (d instanceof Promise) {
          d.then((r) => (r.type === 'continue' ? run(ctx, i + 1) : act(ctx, r))).catch((err) => failed(ctx, err));
          return;
        }
        if (d.type !== 'continue') {
          act(ctx, d);
          return;
        }
      }
      act(ctx, undefined);
    } catch (err) {
      failed(ctx, err);
    }
  };

  const { self, health } = env;
  let inFlight = 0;
  const handle = function handle(req: Req, res: Res): void {
    const ctx = new Context(req, res, self, health);
    inFlight++;
    // 'close' comes exactly once per response, after 'finish' when it completed (HTTP/1.1 and HTTP/2).
    res.on('close', () => {
      inFlight--;
      if (!res.writableFinished && ctx.outcome !== 'failed' && ctx.outcome !== 'aborted')
        settle(ctx, 'aborted', 'client_closed');
      finish(ctx);
    });
    res.on('error', ignore);
    run(ctx, 0);
  };
  /** Requests whose response has not closed yet (a drain waits for them). */
  return Object.assign(handle, { inFlight: () => inFlight });
}

/** A request id a client or a load balancer sent: printable ASCII, bounded, so a log line stays one line. */
const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;
let sequence = 0;

/**
 * The per-request context. A class rather than a literal so the request id can be made only when
 * something asks for it (a log line on failure, a plugin): the common request pays one increment.
 */
class Context implements RequestContext {
  readonly startedAt = performance.now();
  namespace = '';
  partition = -1;
  hops = 0;
  peerTableVersion = 0;
  peerEpoch = 0;
  peer = '';
  owner = '';
  epoch = 0;
  claims?: RequestContext['claims'];
  tableVersion = 0;
  outcome: RequestContext['outcome'] = 'rejected';
  reason = '';
  fallback: RequestContext['fallback'] = '';
  status = 0;
  upstream = '';
  upstreamKind: RequestContext['upstreamKind'] = '';
  errorCode = '';
  traceId = '';
  traceHop: RequestContext['traceHop'] = undefined;
  private readonly seq = ++sequence;
  private id?: string;

  constructor(
    readonly req: Req,
    readonly res: Res,
    private readonly self: string,
    readonly health: ProxyHealth | undefined,
  ) {}

  /** The incoming X-Request-Id when it is one, else "<proxy id>-<n>" (n counts this process's requests). */
  get requestId(): string {
    if (this.id === undefined) {
      const given = this.req.headers['x-request-id'];
      this.id = typeof given === 'string' && REQUEST_ID.test(given) ? given : `${this.self}-${this.seq}`;
    }
    return this.id;
  }
}

const ignore = () => undefined;
type Hook = (ctx: RequestContext) => Decision | Promise<Decision>;
