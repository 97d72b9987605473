import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Clock } from '../../core/src/clock.js';
import { partitionOf } from '../../core/src/partition.js';
import { ProxyStatus } from '../../proto/gen/prism/admin/v1/partition.js';
import type { Fleet } from './fleet.js';
import type { AdminStore, AuditEntry } from './store.js';

/** Audit actions that change who owns what: the status page's "recent changes". */
const FLEET_ACTIONS = new Set([
  'register',
  'disconnect',
  'apply-table',
  'move-round',
  'rollback',
  'drain',
  'undrain',
  'restart',
  'return',
  'grace-expired',
]);

const STATUS_NAMES: Record<number, string> = {
  [ProxyStatus.PROXY_STATUS_HEALTHY]: 'healthy',
  [ProxyStatus.PROXY_STATUS_STALE]: 'stale',
  [ProxyStatus.PROXY_STATUS_DISCONNECTED]: 'disconnected',
  [ProxyStatus.PROXY_STATUS_RESTARTING]: 'restarting',
};

/** Names listed per partition on hover; the count is always exact. */
const SAMPLES_PER_PARTITION = 5;
/** The namespace index is rebuilt at most this often: listing every namespace per poll would not scale. */
const NAMESPACE_INDEX_MS = 5_000;
const NAMESPACE_PAGE = 1_000;
/** A lease that expires within this window (or is in its grace period) is "expiring soon". */
const EXPIRING_WINDOW_MS = 3_600_000;
const EXPIRING_SHOWN = 20;
/** A watcher not heard from for this long is dropped from the page. */
const WATCHER_FORGET_MS = 10 * 60_000;
const MAX_WATCHERS = 64;

export interface WatcherSeen {
  name: string;
  target: string;
  appliedVersion: number;
  lastSeen: number;
  from: string;
}

interface NamespaceIndex {
  at: number;
  counts: number[];
  samples: string[][];
  total: number;
  expiring: { name: string; team: string; expiresAt: string; graceUntil: string }[];
}

export interface StatusDeps {
  fleet: Fleet;
  store: AdminStore;
  clock: Clock;
}

/**
 * What the status page shows, in one JSON document (`GET /v1/status`): the table as 256 owners and
 * epochs, the proxies, namespaces per partition, recent fleet changes, leases expiring soon and the
 * load-balancer watchers that follow this admin.
 */
export class StatusService {
  private index?: NamespaceIndex;
  private building?: Promise<NamespaceIndex>;
  private readonly watchers = new Map<string, WatcherSeen>();

  constructor(private readonly deps: StatusDeps) {}

  /**
   * A watcher fetched the table, saying who it is (`X-Prism-Watcher: NAME[; target=T]`) and which
   * version it has applied (`X-Prism-Applied-Version`). Bounded: at most MAX_WATCHERS names.
   */
  noteWatcher(header: string, applied: number, from: string): void {
    const [rawName, ...params] = header.split(';').map((s) => s.trim());
    const name = rawName.slice(0, 64);
    if (!/^[A-Za-z0-9._:@/-]+$/.test(name)) return;
    const target = /^target=([a-z0-9-]{1,16})$/.exec(params.find((p) => p.startsWith('target=')) ?? '')?.[1] ?? '';
    const now = this.deps.clock.now();
    for (const [key, w] of this.watchers) if (now - w.lastSeen > WATCHER_FORGET_MS) this.watchers.delete(key);
    if (!this.watchers.has(name) && this.watchers.size >= MAX_WATCHERS) return;
    this.watchers.set(name, {
      name,
      target,
      appliedVersion: Number.isSafeInteger(applied) && applied >= 0 ? applied : 0,
      lastSeen: now,
      from,
    });
  }

  async snapshot() {
    const { fleet, store, clock } = this.deps;
    const table = fleet.currentTable();
    const version = table?.version ?? 0;
    const owners = Array.from({ length: 256 }, () => '');
    const epochs = Array.from({ length: 256 }, () => 0);
    for (const a of table?.assignments ?? []) {
      owners[a.partition] = a.owner;
      epochs[a.partition] = a.epoch;
    }
    const held = new Map<string, number>();
    for (const o of owners) if (o) held.set(o, (held.get(o) ?? 0) + 1);
    const namespaces = await this.namespaceIndex();
    const audit = await store.listAudit(undefined, 200);
    const now = clock.now();
    return {
      generatedAt: new Date(now).toISOString(),
      table: {
        version,
        strategy: table?.strategy ?? 0,
        updatedAt: table?.updatedAt?.toISOString() ?? null,
        owners,
        epochs,
      },
      proxies: fleet.list().map((p) => ({
        id: p.id,
        address: `${p.address}:${p.dataPort}`,
        status: STATUS_NAMES[p.status] ?? 'unknown',
        draining: p.draining,
        weight: p.weight,
        partitions: held.get(p.id) ?? 0,
        appliedTableVersion: p.appliedTableVersion,
        behind: p.appliedTableVersion < version,
        configHash: p.configHash,
        configDrift: p.configDrift,
        lastSeen: p.lastSeen?.toISOString() ?? null,
      })),
      namespaces: {
        total: namespaces.total,
        perPartition: namespaces.counts,
        samples: namespaces.samples,
        indexedAt: new Date(namespaces.at).toISOString(),
      },
      changes: audit
        .filter((e: AuditEntry) => FLEET_ACTIONS.has(e.action))
        .slice(0, 20)
        .map((e) => ({
          at: new Date(e.at).toISOString(),
          action: e.action,
          target: e.target,
          actor: e.actor,
          result: e.result,
          detail: e.detail,
        })),
      leasesExpiring: namespaces.expiring,
      watchers: [...this.watchers.values()]
        .sort((a, b) => (a.name < b.name ? -1 : 1))
        .map((w) => ({
          name: w.name,
          target: w.target,
          appliedVersion: w.appliedVersion,
          current: w.appliedVersion >= version,
          lastSeen: new Date(w.lastSeen).toISOString(),
          from: w.from,
        })),
    };
  }

  /** Namespaces per partition and the leases expiring soon, from one pass over the live names. */
  private async namespaceIndex(): Promise<NamespaceIndex> {
    const now = this.deps.clock.now();
    if (this.index && now - this.index.at < NAMESPACE_INDEX_MS) return this.index;
    this.building ??= this.buildIndex(now).finally(() => {
      this.building = undefined;
    });
    this.index = await this.building;
    return this.index;
  }

  private async buildIndex(now: number): Promise<NamespaceIndex> {
    const counts = Array.from({ length: 256 }, () => 0);
    const samples: string[][] = Array.from({ length: 256 }, () => []);
    const expiring: { name: string; team: string; expiresAt: number; graceUntil: number }[] = [];
    let total = 0;
    let after: string | undefined;
    for (;;) {
      const page = await this.deps.store.listNamespaces({ after, limit: NAMESPACE_PAGE });
      for (const r of page) {
        const p = partitionOf(r.name);
        counts[p]++;
        total++;
        if (samples[p].length < SAMPLES_PER_PARTITION) samples[p].push(r.name);
        if (r.expiresAt - now < EXPIRING_WINDOW_MS) expiring.push(r);
      }
      if (page.length < NAMESPACE_PAGE) break;
      after = page[page.length - 1].name;
    }
    expiring.sort((a, b) => a.expiresAt - b.expiresAt);
    return {
      at: now,
      counts,
      samples,
      total,
      expiring: expiring.slice(0, EXPIRING_SHOWN).map((r) => ({
        name: r.name,
        team: r.team,
        expiresAt: new Date(r.expiresAt).toISOString(),
        graceUntil: new Date(r.graceUntil).toISOString(),
      })),
    };
  }
}

/** The page's files (admin/status-page/), read once: no build step, served as they are. */
export function statusPageFiles(): Record<string, { body: string; type: string }> {
  const dir = findPageDir(import.meta.dirname);
  const read = (name: string, type: string) => ({ body: readFileSync(join(dir, name), 'utf8'), type });
  return {
    '/': read('index.html', 'text/html; charset=utf-8'),
    '/status/app.js': read('app.js', 'text/javascript; charset=utf-8'),
    '/status/style.css': read('style.css', 'text/css; charset=utf-8'),
  };
}

/** admin/status-page, from the sources or from dist/. */
function findPageDir(from: string): string {
  for (let dir = from; dirname(dir) !== dir; dir = dirname(dir)) {
    const candidate = join(dir, 'admin', 'status-page');
    if (existsSync(join(candidate, 'index.html')) && existsSync(join(dir, 'package.json'))) return candidate;
  }
  throw new Error(`cannot find admin/status-page above ${from}`);
}

/** The page may load only its own script and style, and talk only to this admin. */
export const STATUS_PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};
