import type { PartitionTable } from '../../proto/gen/prism/admin/v1/partition.js';
import { PARTITION_COUNT, partitionOf } from './partition.js';

export type RouteSource = 'partition' | 'prefix' | 'pin';

export interface Route {
  readonly partition: number;
  readonly owner: string;
  /** The partition's epoch (also for overrides: an override moves with the table version). */
  readonly epoch: number;
  /** Which rule decided the owner. */
  readonly via: RouteSource;
}

export interface Router {
  readonly version: number;
  /** Owner of a validated namespace name; pass its partition when it is already known. */
  route(namespace: string, partition?: number): Route;
  /** Owner of a partition, ignoring namespace overrides. */
  ownerOfPartition(partition: number): string;
}

/**
 * Precomputes everything a lookup needs, once per table version, so that routing a request costs
 * one CRC-32 and an array index (plus a map lookup when the table has namespace overrides).
 * Precedence: namespace pin, then the longest matching prefix rule, then the partition's owner.
 */
export function compileRouter(table: PartitionTable): Router {
  const owners: string[] = new Array(PARTITION_COUNT);
  const epochs: number[] = new Array(PARTITION_COUNT).fill(0);
  for (const a of table.assignments) {
    owners[a.partition] = a.owner;
    epochs[a.partition] = a.epoch;
  }
  const pins = new Map((table.rules?.namespacePins ?? []).map((p) => [p.namespace, p.proxy]));
  const prefixes = [...(table.rules?.prefixRules ?? [])].sort((a, b) => b.prefix.length - a.prefix.length);
  const hasOverrides = pins.size > 0 || prefixes.length > 0;

  const route = (namespace: string, known?: number): Route => {
    const partition = known ?? partitionOf(namespace);
    const epoch = epochs[partition];
    if (hasOverrides) {
      const pinned = pins.get(namespace);
      if (pinned !== undefined) return { partition, owner: pinned, epoch, via: 'pin' };
      for (const rule of prefixes) {
        if (namespace.startsWith(rule.prefix)) {
          return { partition, owner: rule.proxies[partition % rule.proxies.length], epoch, via: 'prefix' };
        }
      }
    }
    return { partition, owner: owners[partition], epoch, via: 'partition' };
  };
  return { version: table.version, route, ownerOfPartition: (p) => owners[p] };
}
