import { crc32 } from 'node:zlib';
import { type StrategyName, strategyFromEnum } from '../../../core/src/assign/strategy.js';
import { splitHostPort } from '../../../core/src/config/checks.js';
import { PrismError } from '../../../core/src/errors.js';
import { NAMESPACE_PATTERN, PREFIX_PATTERN, PROXY_ID_PATTERN } from '../../../core/src/names.js';
import { PARTITION_COUNT } from '../../../core/src/partition.js';
import { checkTable } from '../../../core/src/table.js';
import type { PartitionTable } from '../../../proto/gen/prism/admin/v1/partition.js';

/** Host names and IP addresses only: nothing that could break out of a config token. */
const HOST_PATTERN =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV6_PATTERN = /^[0-9a-fA-F:.]{2,45}$/;

export interface LbProxy {
  id: string;
  /** Stable numeric server id (HAProxy `id`), derived from the proxy id so every LB instance agrees. */
  serverId: number;
  host: string;
  dataPort: number;
  opsPort: number;
  weight: number;
}

export interface LbPrefixRule {
  prefix: string;
  proxies: string[];
}

/** The typed, sorted, validated model every template renders from. */
export interface LbModel {
  version: number;
  strategy: StrategyName;
  listenHost: string;
  listenPort: number;
  missingNamespace: 'reject' | 'any-proxy';
  /** Sorted by id. */
  proxies: LbProxy[];
  /** 256 owners, by partition. */
  owners: string[];
  /** Longest prefix first, then alphabetical. */
  prefixRules: LbPrefixRule[];
  namespacePins: { namespace: string; proxy: string }[];
  /** Registered namespaces, sorted (exact maps for LBs that cannot compute the partition). */
  namespaces: string[];
  hashBalanceFactor: number;
  healthCheckIntervalMs: number;
  /** NGINX: compute the partition with njs (exact) instead of an exact namespace map plus consistent hash. */
  nginxNjs: boolean;
}

export interface ModelOptions {
  listen: string;
  missingNamespace: 'reject' | 'any-proxy';
  hashBalanceFactor: number;
  healthCheckIntervalMs: number;
  nginxNjs: boolean;
  namespaces?: readonly string[];
}

const bad = (what: string) => new PrismError('PRISM-LB-001', what);

function checkHost(host: string, what: string): string {
  if (HOST_PATTERN.test(host) || (host.includes(':') && IPV6_PATTERN.test(host))) return host;
  throw bad(`${what} ${JSON.stringify(host.slice(0, 80))} is not a host name or IP address`);
}

function checkPort(port: number, what: string): number {
  if (Number.isInteger(port) && port >= 1 && port <= 65_535) return port;
  throw bad(`${what} ${JSON.stringify(port)} is not a port 1-65535`);
}

/** Server ids from crc32 of the proxy id, probing past collisions in id order: stable and unique. */
function serverIds(ids: string[]): Map<string, number> {
  const used = new Set<number>();
  const out = new Map<string, number>();
  for (const id of ids) {
    let n = 1 + (crc32(id) % 999_999_999);
    while (used.has(n)) n = (n % 999_999_999) + 1;
    used.add(n);
    out.set(id, n);
  }
  return out;
}

/**
 * Validates everything that will be placed into a config (every field by an allowlist) and builds
 * the sorted model. Refuses with PRISM-LB-001 before anything is rendered.
 */
export function buildModel(table: PartitionTable, options: ModelOptions): LbModel {
  try {
    checkTable(table, `table v${table.version}`);
  } catch (err) {
    throw bad((err as Error).message);
  }
  if (table.proxies.length === 0) throw bad('the table has no proxies');
  const listen = splitHostPort(options.listen);
  const ids = table.proxies.map((p) => p.id).sort();
  const sids = serverIds(ids);
  const proxies = [...table.proxies]
    .sort((a, b) => (a.id < b.id ? -1 : 1))
    .map((p): LbProxy => {
      if (!PROXY_ID_PATTERN.test(p.id))
        throw bad(`proxy id ${JSON.stringify(p.id.slice(0, 80))} is not a valid proxy id`);
      return {
        id: p.id,
        serverId: sids.get(p.id) ?? 0,
        host: checkHost(p.address, `address of proxy ${p.id}`),
        dataPort: checkPort(p.dataPort, `data port of proxy ${p.id}`),
        opsPort: checkPort(p.opsPort, `ops port of proxy ${p.id}`),
        weight: Math.min(Math.max(p.weight || 1, 1), 256),
      };
    });
  const owners = new Array<string>(PARTITION_COUNT);
  for (const a of table.assignments) owners[a.partition] = a.owner;
  const rules = table.rules;
  const prefixRules = (rules?.prefixRules ?? [])
    .map((r) => {
      if (!PREFIX_PATTERN.test(r.prefix))
        throw bad(`prefix ${JSON.stringify(r.prefix.slice(0, 80))} is not a namespace prefix`);
      return { prefix: r.prefix, proxies: [...r.proxies].sort() };
    })
    .sort((a, b) => b.prefix.length - a.prefix.length || (a.prefix < b.prefix ? -1 : 1));
  const namespacePins = (rules?.namespacePins ?? [])
    .map((p) => {
      if (!NAMESPACE_PATTERN.test(p.namespace))
        throw bad(`pinned namespace ${JSON.stringify(p.namespace.slice(0, 80))} does not match the namespace pattern`);
      return { namespace: p.namespace, proxy: p.proxy };
    })
    .sort((a, b) => (a.namespace < b.namespace ? -1 : 1));
  const namespaces = [...new Set(options.namespaces ?? [])].sort();
  for (const ns of namespaces) {
    if (!NAMESPACE_PATTERN.test(ns))
      throw bad(`namespace ${JSON.stringify(ns.slice(0, 80))} does not match the namespace pattern`);
  }
  return {
    version: table.version,
    strategy: strategyFromEnum(table.strategy),
    listenHost: checkHost(listen.host, 'listen host'),
    listenPort: checkPort(listen.port, 'listen port'),
    missingNamespace: options.missingNamespace,
    proxies,
    owners,
    prefixRules,
    namespacePins,
    namespaces,
    hashBalanceFactor: options.hashBalanceFactor,
    healthCheckIntervalMs: options.healthCheckIntervalMs,
    nginxNjs: options.nginxNjs,
  };
}
