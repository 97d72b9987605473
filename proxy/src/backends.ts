import type { RoutingState } from './state.js';

/** Round robin over a namespace's backends, skipping a backend that failed until its pause is over. */
export class Backends {
  private readonly downUntil = new Map<string, number>();
  private readonly next = new Map<string, number>();

  /** `pools` is the live configuration's: pools.backendRetryMs reloads (SIGHUP). */
  constructor(private readonly pools: { readonly backendRetryMs: number }) {}

  pick(namespace: string, backends: readonly string[]): string | undefined {
    const n = backends.length;
    if (n === 0) return undefined;
    // The common case: one backend, none failed.
    if (n === 1 && this.downUntil.size === 0) return backends[0];
    const start = this.next.get(namespace) ?? 0;
    const now = Date.now();
    for (let i = 0; i < n; i++) {
      const b = backends[(start + i) % n];
      const until = this.downUntil.get(b);
      if (until === undefined || until <= now) {
        this.next.set(namespace, (start + i + 1) % n);
        return b;
      }
    }
    return undefined;
  }

  failed(backend: string): void {
    this.downUntil.set(backend, Date.now() + this.pools.backendRetryMs);
  }

  succeeded(backend: string): void {
    if (this.downUntil.size) this.downUntil.delete(backend);
  }

  /** Whether pick() may choose `backend` now (false while it is skipped after a failure). */
  isUp(backend: string, now = Date.now()): boolean {
    const until = this.downUntil.get(backend);
    return until === undefined || until <= now;
  }
}

/**
 * The backends of the namespaces `self` serves under the current table (the only ones it sends
 * requests to), each with whether it is in use: what prism_proxy_backend_up reports when scraped.
 */
export function servedBackends(state: RoutingState, self: string, backends: Backends): Map<string, boolean> {
  const health = new Map<string, boolean>();
  const router = state.router;
  if (!router) return health;
  const now = Date.now();
  for (const ad of state.advertisements.values()) {
    if (router.route(ad.namespace).owner !== self) continue;
    for (const b of ad.backends) health.set(b, backends.isUp(b, now));
  }
  return health;
}
