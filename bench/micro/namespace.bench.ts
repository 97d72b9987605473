import pino from 'pino';
import { bench, describe } from 'vitest';
import { loadConfig } from '../../core/src/config/load.js';
import { partitionOf } from '../../core/src/partition.js';
import { buildProxyMetrics } from '../../proxy/src/metrics.js';
import { namespacePlugin } from '../../proxy/src/plugins/namespace.js';
import type { Plugin, Req, RequestContext, Res } from '../../proxy/src/plugins/types.js';
import { RoutingState } from '../../proxy/src/state.js';
import { BENCH, cycle, sink } from './options.js';

const env = {
  config: loadConfig('proxy'),
  state: new RoutingState(undefined),
  metrics: buildProxyMetrics('bench'),
  log: pino({ level: 'silent' }),
  self: 'bench',
};
const plugin = (await namespacePlugin({}, env)) as Plugin;
const resolveNamespace = plugin.hooks.resolveNamespace!;

const names = Array.from({ length: 1024 }, (_, i) => `team-${i % 97}-orders-${i}`);

function context(headers: Record<string, string>): RequestContext {
  return {
    req: { headers, url: '/v1/items?limit=10', method: 'GET' } as unknown as Req,
    res: {} as Res,
    startedAt: 0,
    requestId: 'bench-1',
    namespace: '',
    partition: -1,
    hops: 0,
    peerTableVersion: 0,
    peerEpoch: 0,
    peer: '',
    owner: '',
    epoch: 0,
    outcome: 'local',
    status: 0,
    upstream: '',
    errorCode: '',
    traceId: '',
  };
}

const baseHeaders = (ns: string): Record<string, string> => ({
  host: 'edge.prism.internal',
  'x-prism-namespace': ns,
  accept: 'application/json',
  'user-agent': 'prism-client/1.4.2',
});

const plain = cycle(names.map((ns) => context(baseHeaders(ns))));
const forwarded = cycle(
  names.map((ns, i) => context({ ...baseHeaders(ns), 'x-prism-hops': '1', 'x-prism-table-version': String(40 + i) })),
);
const nextName = cycle(names);

describe('namespace extraction', () => {
  bench(
    'namespace plugin resolveNamespace (client request)',
    () => {
      resolveNamespace(plain());
    },
    BENCH,
  );
  bench(
    'namespace plugin resolveNamespace (peer hop: x-prism-hops + table version)',
    () => {
      resolveNamespace(forwarded());
    },
    BENCH,
  );
  bench(
    'baseline: partitionOf(ns) alone',
    () => {
      sink.n = partitionOf(nextName());
    },
    BENCH,
  );
});
