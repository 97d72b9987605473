import { partitionOf } from '../../core/src/partition.js';
import type { Prepare, Prepared } from '../../proto/gen/prism/admin/v1/control_plane.js';
import type { Forwarder } from './forwarder.js';
import type { ProxyMetrics } from './metrics.js';
import type { RoutingState } from './state.js';

/** The admin waits for Prepared before it cuts over: answer within this, with what is warm by then. */
const PREPARE_BUDGET_MS = 1_500;
/** Backends warmed per Prepare at most: one connection each, so a huge move cannot open thousands. */
const MAX_WARMED = 256;

export interface PrepareDeps {
  state: RoutingState;
  forwarder: Forwarder;
  metrics: ProxyMetrics;
}

/**
 * The first phase of a move round, on the proxy that is about to own `partitions`: it must hold the
 * advertisements of their namespaces (the admin sends them, then keys, on every stream before
 * anything else, so the keys are the sign the welcome is complete) and warms one pooled connection
 * per backend of those namespaces, so the first requests after the cut-over pay no handshake.
 * Answered within PREPARE_BUDGET_MS whatever the backends do; ok is false when something could not
 * be prepared (the proxy still takes the partitions at cut-over).
 */
export async function prepare(message: Prepare, deps: PrepareDeps): Promise<Prepared> {
  const { state, forwarder, metrics } = deps;
  const answer = (ok: boolean, error: string, warmedBackends: number): Prepared => {
    metrics.prepared(ok, warmedBackends);
    return { round: message.round, ok, error, warmedBackends };
  };
  if (!state.table || !state.jwks) return answer(false, 'this proxy has not received the table and keys yet', 0);
  const wanted = new Set(message.partitions);
  const backends = new Set<string>();
  for (const ad of state.advertisements.values()) {
    if (!wanted.has(partitionOf(ad.namespace))) continue;
    for (const b of ad.backends) backends.add(b);
  }
  const chosen = [...backends].slice(0, MAX_WARMED);
  let warmed = 0;
  const failed: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  const all = Promise.all(
    chosen.map((b) =>
      forwarder.warm(b).then(
        (ok) => (ok ? warmed++ : failed.push(b)),
        () => failed.push(b),
      ),
    ),
  );
  const finished = await Promise.race([
    all.then(() => true),
    new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), PREPARE_BUDGET_MS);
    }),
  ]);
  clearTimeout(timer);
  const problems: string[] = [];
  if (failed.length)
    problems.push(
      `backends not reachable or refused by the backend policy: ${failed.slice(0, 5).join(', ')}${failed.length > 5 ? ` and ${failed.length - 5} more` : ''}`,
    );
  if (!finished)
    problems.push(`${chosen.length - warmed - failed.length} backend(s) not connected within ${PREPARE_BUDGET_MS} ms`);
  return answer(problems.length === 0, problems.join('; '), warmed);
}
