import { performance } from 'node:perf_hooks';
import type { FastifyRequest } from 'fastify';
import { PrismError } from '../../core/src/errors.js';

/**
 * A token-bucket store for @fastify/rate-limit, whose own store counts requests in fixed windows: a
 * client can spend a whole window's budget at the end of one window and again at the start of the
 * next. Here every key has a bucket of `max` tokens refilled at `max / timeWindow` per ms, so a
 * principal gets a burst of `max` and then the sustained rate, whatever the phase.
 *
 * The plugin's contract: `incr` answers `current` (requests counted; above `max` means refused) and
 * `ttl` (ms). A refusal reports the time until one token is back, which becomes `Retry-After`.
 * Every route shares this one store (`child` returns it): the plugin appends a route's `groupId` to
 * the key, which keeps the expensive routes' bucket apart from the ordinary one.
 */
export class TokenBucketStore {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    _options?: unknown,
    private readonly now: () => number = () => performance.now(),
    /** Most keys kept; the least recently used bucket goes first (a full bucket is the same as none). */
    private readonly maxKeys = 100_000,
  ) {}

  incr(
    key: string,
    done: (err: Error | null, result: { current: number; ttl: number }) => void,
    timeWindow: number,
    max: number,
  ): void {
    const now = this.now();
    const perMs = timeWindow > 0 ? max / timeWindow : Number.POSITIVE_INFINITY;
    const bucket = this.buckets.get(key);
    let tokens = bucket ? Math.min(max, bucket.tokens + (now - bucket.at) * perMs) : max;
    // Re-inserted, so the Map's order is least recently used first.
    if (bucket) this.buckets.delete(key);
    else if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value as string);
    const allowed = tokens >= 1;
    if (allowed) tokens -= 1;
    this.buckets.set(key, { tokens, at: now });
    if (allowed) done(null, { current: max - Math.floor(tokens), ttl: Math.ceil((max - tokens) / perMs) });
    else done(null, { current: max + 1, ttl: Math.max(1, Math.ceil((1 - tokens) / perMs)) });
  }

  child(): TokenBucketStore {
    return this;
  }
}

/** The coded 429 the plugin throws; it has set Retry-After already. */
export function rateLimited(req: FastifyRequest, context: { after: string; max: number }, who: string): PrismError {
  const expensive =
    req.routeOptions.config.rateLimit && (req.routeOptions.config.rateLimit as { groupId?: string }).groupId;
  return new PrismError(
    'PRISM-API-008',
    `${who} sent more ${expensive ? 'key rotations, table applies and token creations' : 'requests'} than its budget (bursts of ${context.max}); retry in ${context.after}`,
  );
}
