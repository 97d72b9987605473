import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PrismError } from '../../core/src/errors.js';
import type { Backends } from './backends.js';
import { type Forwarder, responseGone } from './forwarder.js';
import type { ProxyHealth } from './health.js';
import { fleetTls } from './peer-tls.js';
import { authPlugin } from './plugins/auth.js';
import { namespacePlugin } from './plugins/namespace.js';
import { accessLogPlugin, metricsPlugin } from './plugins/observe.js';
import { peerPlugin } from './plugins/peer.js';
import { requestPlugin } from './plugins/request.js';
import { forwardingPlugin, localPlugin, routingPlugin } from './plugins/routing.js';
import {
  type Decision,
  HOOK_NAMES,
  type Plugin,
  type PluginEnv,
  type PluginFactory,
  type Req,
  type RequestContext,
  type Res,
} from './plugins/types.js';
import { sendEmpty, sendError } from './respond.js';

/** The plugin set in request order. Plugins that are off are not in the list; the access log, which reloads, checks its option. */
function builtins(env: PluginEnv, backends: Backends): PluginFactory[] {
  return [
    requestPlugin,
    namespacePlugin,
    ...(env.config.auth.required ? [authPlugin] : []),
    routingPlugin,
    ...(fleetTls(env.config) ? [peerPlugin] : []),
    localPlugin(backends),
    forwardingPlugin,
    metricsPlugin,
    accessLogPlugin,
  ];
}

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

/**
 * Composes the chain once at start-up: per phase, the array of hooks that exist, so a request walks
 * only what is on. Returns the request handler for the http and http2 servers.
 */
export async function buildChain(env: PluginEnv, backends: Backends, forwarder: Forwarder) {
  const plugins: Plugin[] = [];
  for (const factory of builtins(env, backends)) plugins.push(await factory({}, env));
  // User plugins run after the built-in decisions but before metrics and the access log see the outcome.
  const firstObserver = plugins.findIndex((p) => p.name === 'metrics');
  const user: Plugin[] = [];
  for (const spec of env.config.plugins)
    user.push(await loadUserPlugin(spec as { module: string; options?: Record<string, unknown> }, env));
  plugins.splice(firstObserver, 0, ...user);
  check(plugins);

  // One flat list in request order: onRequest, resolveNamespace, authenticate, route.
  const hooks = (['onRequest', 'resolveNamespace', 'authenticate', 'route'] as const).flatMap((name) =>
    plugins.flatMap((p) => (p.hooks[name] ? [p.hooks[name].bind(p.hooks) as Hook] : [])),
  );
  const onResponse = plugins.flatMap((p) => (p.hooks.onResponse ? [p.hooks.onResponse.bind(p.hooks)] : []));
  const onError = plugins.flatMap((p) => (p.hooks.onError ? [p.hooks.onError.bind(p.hooks)] : []));

  const finish = (ctx: RequestContext) => {
    ctx.status = ctx.res.statusCode;
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
      ctx.outcome = 'failed';
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
      ctx.outcome = 'failed';
      sendError(ctx, new PrismError('PRISM-INTERNAL-001', 'no plugin decided what to do with the request'));
    } else if (d.type === 'forward') {
      // A client that reset its stream (or closed its connection) while a hook was deciding gets
      // no upstream request: rapid reset (CVE-2023-44487) made every such stream cost one.
      if (responseGone(ctx.res)) ctx.outcome = 'aborted';
      else forwarder.forward(ctx, d.target);
    } else if (d.error) {
      if (ctx.outcome === 'rejected' && d.status >= 500) ctx.outcome = 'failed';
      sendError(ctx, d.error, d.headers);
    } else {
      sendEmpty(ctx, d.status, d.headers);
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
      if (!res.writableFinished && ctx.outcome !== 'failed') ctx.outcome = 'aborted';
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
  outcome: RequestContext['outcome'] = 'rejected';
  status = 0;
  upstream = '';
  errorCode = '';
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
