import type { HelperDelegate } from 'handlebars';
import { PrismError } from '../../../core/src/errors.js';
import type { LbModel } from './model.js';

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
