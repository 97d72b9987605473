import type { HelperDelegate } from 'handlebars';
import { PrismError } from '../../../core/src/errors.js';
import type { LbModel } from './model.js';
import type { WatchMetrics } from './watch-metrics.js';

export type TargetName = 'haproxy' | 'nginx' | 'envoy';

export interface CheckResult {
  ok: boolean;
  /** What the checker printed. */
  output: string;
  /** Set when the check could not run (binary missing); the reason names the install command. */
  skipped?: string;
}

/** One load balancer: which files to render from which templates, its escaping helper, its native check. */
export interface Target {
  name: TargetName;
  /** Output file → template file in lb-templates/<name>/. The first is the main config. */
  files(model: LbModel): { path: string; template: string }[];
  /** Extra view data the templates need, computed from the model (no logic in templates). */
  view(model: LbModel, options: RenderOptions): Record<string, unknown>;
  /** The target's escaping helper(s) and formatting helpers. */
  helpers: Record<string, HelperDelegate>;
  /** Validates a rendered folder with the real binary. */
  check(dir: string): Promise<CheckResult>;
  /** Whether the rendered files depend on the registered namespace names (watch mode lists them only then). */
  usesNamespaces?(options: { nginxNjs: boolean }): boolean;
  /** How watch mode drives a running load balancer of this kind (watch.ts knows nothing else about it). */
  live(ctx: LiveContext): LiveTarget;
}

export interface LiveContext {
  /** The watched output folder (absolute); its files are written before every apply. */
  outDir: string;
  log: (line: string) => void;
  /** HAProxy runtime socket (default OUT/haproxy.sock). */
  runtimeSocket?: string;
  /** Envoy hot-restart base id (default: derived from the listen port). */
  envoyBaseId?: number;
  /** --fragment: the runtime APIs of the load balancers the watcher drives but did not start (unix paths or tcp:HOST:PORT). */
  runtimeApis?: string[];
  /** Per-instance metrics (a fragment watcher drives several load balancers). */
  metrics?: WatchMetrics;
}

/** One step of watch mode: the files of `to` are written; the running load balancer still has `from`. */
export interface ApplyStep {
  /** What this watcher applied last; undefined on the first apply (the load balancer may run older files). */
  from?: LbModel;
  to: LbModel;
  /** Files whose routing content differs from the last applied ones (banner and version lines aside); every file on the first apply. */
  changed: string[];
}

export interface HeartbeatResult {
  /** What the watcher did about it, for the log. */
  note: string;
  /** The load balancer restarted (or came back) and was re-synced. */
  restarted: boolean;
}

/**
 * A running load balancer as watch mode sees it. Every method throws a coded PrismError when the load
 * balancer did not confirm the change; the watcher retries with backoff.
 */
export interface LiveTarget {
  /** Brings the running load balancer to `step.to`; resolves with a note for the log. */
  apply(step: ApplyStep): Promise<string>;
  /**
   * Called about every second between applies with the last applied model: notices a load balancer
   * that restarted or came back and makes it exact again. Undefined when all is as applied.
   */
  heartbeat?(applied: LbModel): Promise<HeartbeatResult | undefined>;
  /** Stops what watch mode started (the Envoy it runs) and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * `--fragment`: only the part an operator loads into the load balancer they already run, beside their
 * own configuration. Each target reads what applies to it.
 */
export interface FragmentOptions {
  /** HAProxy: the backend's name (default `prism`). */
  backendName?: string;
  /** HAProxy: the folder the fragment names its map files under, as HAProxy will find it (default: --out as given). */
  mapDir?: string;
  /** The operator's main configuration file, checked together with the fragment. */
  checkWith?: string;
}

export interface RenderOptions {
  /** Absolute path of the folder the files will live in (for paths the LB needs absolute). */
  outDir: string;
}

/** The coded answer every target gives a request without X-Prism-Namespace in `reject` mode (CONTRACT §4). */
export const MISSING_NAMESPACE_BODY =
  '{"error":{"code":"PRISM-NS-002","message":"the request has no X-Prism-Namespace header","action":"Send the namespace in the X-Prism-Namespace header."}}';

/**
 * A target's escaping helper: the values we emit are plain tokens (ids, hosts, ports, namespaces),
 * so anything outside `safe` is refused with PRISM-LB-001 rather than quoted.
 */
export function tokenGuard(safe: RegExp, lb: string): (value: unknown) => string {
  return (value) => {
    const s = String(value);
    if (!safe.test(s)) {
      throw new PrismError(
        'PRISM-LB-001',
        `value ${JSON.stringify(s.slice(0, 80))} cannot be placed into ${lb} config`,
      );
    }
    return s;
  };
}
