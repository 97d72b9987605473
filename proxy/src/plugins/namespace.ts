import { PrismError } from '../../../core/src/errors.js';
import { NAMESPACE_PATTERN } from '../../../core/src/names.js';
import { partitionOf } from '../../../core/src/partition.js';
import { CONTINUE, type PluginFactory, reject } from './types.js';

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

function counter(value: string | string[] | undefined, header: string): number | PrismError {
  const v = first(value);
  if (v === undefined || v === '') return 0;
  if (!/^\d{1,15}$/.test(v))
    return new PrismError(
      'PRISM-ROUTE-007',
      `${header} ${JSON.stringify(v.slice(0, 40))} is not a non-negative integer`,
    );
  return Number(v);
}

/** Takes the namespace from X-Prism-Namespace (or the first path segment), validates it, computes the partition. */
export const namespacePlugin: PluginFactory = (_options, env) => {
  const fromPath = env.config.namespaceSource === 'header-or-path';
  return {
    name: 'namespace',
    hooks: {
      resolveNamespace(ctx) {
        const { headers } = ctx.req;
        let ns = first(headers['x-prism-namespace']);
        if (ns === undefined && fromPath) {
          const path = ctx.req.url ?? '/';
          const end = path.indexOf('/', 1);
          const seg = path.slice(1, end === -1 ? undefined : end).split('?')[0];
          if (seg) ns = seg;
        }
        if (ns === undefined || ns === '') {
          return reject(new PrismError('PRISM-NS-002', 'the request has no X-Prism-Namespace header'));
        }
        if (!NAMESPACE_PATTERN.test(ns)) {
          return reject(
            new PrismError(
              'PRISM-NS-001',
              `namespace ${JSON.stringify(ns.slice(0, 80))} does not match the namespace pattern`,
            ),
          );
        }
        const hops = counter(headers['x-prism-hops'], 'X-Prism-Hops');
        if (hops instanceof PrismError) return reject(hops);
        const version = counter(headers['x-prism-table-version'], 'X-Prism-Table-Version');
        if (version instanceof PrismError) return reject(version);
        const epoch = counter(headers['x-prism-epoch'], 'X-Prism-Epoch');
        if (epoch instanceof PrismError) return reject(epoch);
        ctx.namespace = ns;
        ctx.partition = partitionOf(ns);
        ctx.hops = hops;
        ctx.peerTableVersion = version;
        ctx.peerEpoch = epoch;
        return CONTINUE;
      },
    },
  };
};
