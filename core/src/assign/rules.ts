import type { TableRules } from '../../../proto/gen/prism/admin/v1/partition.js';
import { PrismError } from '../errors.js';
import { checkNamespace, describe, PREFIX_PATTERN } from '../names.js';
import { PARTITION_COUNT } from '../partition.js';
import type { StrategyName } from './strategy.js';

export function emptyRules(): TableRules {
  return { prefixRules: [], namespacePins: [], partitionPins: [] };
}

/**
 * Validates rules against the strategy and the fleet and returns them in canonical (sorted) form.
 * Every rejection is a coded error naming the rule.
 */
export function normalizeRules(rules: TableRules, strategy: StrategyName, fleet: ReadonlySet<string>): TableRules {
  const hasPrefix = rules.prefixRules.length > 0;
  const hasPins = rules.namespacePins.length > 0 || rules.partitionPins.length > 0;
  if (hasPrefix && strategy !== 'key_range') {
    throw new PrismError(
      'PRISM-PLAN-005',
      `prefix rule ${describe(rules.prefixRules[0]?.prefix)} needs strategy key_range, not ${strategy}`,
    );
  }
  if (hasPins && strategy !== 'explicit') {
    const first = rules.namespacePins[0]?.namespace ?? `partition ${rules.partitionPins[0]?.partition}`;
    throw new PrismError('PRISM-PLAN-005', `pin of ${first} needs strategy explicit, not ${strategy}`);
  }

  const knownProxy = (proxy: string, what: string): string => {
    if (!fleet.has(proxy)) {
      throw new PrismError('PRISM-PLAN-004', `${what} names proxy ${describe(proxy)}, which is not in the fleet`);
    }
    return proxy;
  };

  const prefixes = new Set<string>();
  const prefixRules = rules.prefixRules.map((r) => {
    if (typeof r.prefix !== 'string' || !PREFIX_PATTERN.test(r.prefix)) {
      throw new PrismError(
        'PRISM-PLAN-006',
        `prefix ${describe(r.prefix)} is not a namespace prefix (1-63 characters of a-z, 0-9, "-", "_", starting with a letter or digit)`,
      );
    }
    if (prefixes.has(r.prefix)) throw new PrismError('PRISM-PLAN-006', `prefix ${describe(r.prefix)} has two rules`);
    prefixes.add(r.prefix);
    if (r.proxies.length === 0) {
      throw new PrismError('PRISM-PLAN-006', `prefix rule ${describe(r.prefix)} names no proxy`);
    }
    const proxies = [...new Set(r.proxies.map((p) => knownProxy(p, `prefix rule ${describe(r.prefix)}`)))].sort();
    return { prefix: r.prefix, proxies };
  });

  const pinnedNamespaces = new Set<string>();
  const namespacePins = rules.namespacePins.map((pin) => {
    const namespace = checkNamespace(pin.namespace);
    if (pinnedNamespaces.has(namespace)) {
      throw new PrismError('PRISM-PLAN-006', `namespace ${describe(namespace)} is pinned twice`);
    }
    pinnedNamespaces.add(namespace);
    return { namespace, proxy: knownProxy(pin.proxy, `pin of namespace ${describe(namespace)}`) };
  });

  const pinnedPartitions = new Set<number>();
  const partitionPins = rules.partitionPins.map((pin) => {
    const { partition } = pin;
    if (!Number.isInteger(partition) || partition < 0 || partition >= PARTITION_COUNT) {
      throw new PrismError('PRISM-PLAN-006', `partition ${describe(partition)} is not a partition number 0-255`);
    }
    if (pinnedPartitions.has(partition)) {
      throw new PrismError('PRISM-PLAN-006', `partition ${partition} is pinned twice`);
    }
    pinnedPartitions.add(partition);
    return { partition, proxy: knownProxy(pin.proxy, `pin of partition ${partition}`) };
  });

  return {
    prefixRules: prefixRules.sort((a, b) => compare(a.prefix, b.prefix)),
    namespacePins: namespacePins.sort((a, b) => compare(a.namespace, b.namespace)),
    partitionPins: partitionPins.sort((a, b) => a.partition - b.partition),
  };
}

export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
