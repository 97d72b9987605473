import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JSONWebKeySet } from 'jose';
import { compileRouter, type Router } from '../../core/src/route.js';
import { checkTable } from '../../core/src/table.js';
import { NamespaceAdvertisement } from '../../proto/gen/prism/admin/v1/namespace.js';
import { PartitionTable } from '../../proto/gen/prism/admin/v1/partition.js';

const FILE = 'last-known-good.json';

/**
 * What a proxy routes with: the table (compiled once per version), namespace advertisements,
 * revoked token ids and the admin's keys. Changes are saved atomically (write, fsync, rename) so a
 * proxy that restarts with no admin reachable serves from the last-known-good state.
 */
export class RoutingState {
  table?: PartitionTable;
  router?: Router;
  readonly advertisements = new Map<string, NamespaceAdvertisement>();
  /** Request body limits set by a namespace's config value maxBodyBytes, parsed once per advertisement. */
  readonly bodyLimits = new Map<string, number>();
  /**
   * Namespaces whose config value ownerUnreachable is "fail": a request the owner cannot take gets the
   * coded 502 instead of being served by this proxy (plugins that need a single owner). Default: serve.
   */
  readonly ownerOnly = new Set<string>();
  /** Revoked token ids and revoked leases (every token of the lease), each until its expiry. */
  readonly revoked = new Map<string, number>();
  readonly revokedLeases = new Map<string, number>();
  jwks?: JSONWebKeySet;
  /** Requests per namespace since the last heartbeat. */
  traffic = new Map<string, number>();
  private saveTimer?: NodeJS.Timeout;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly stateDir: string | undefined) {}

  get version(): number {
    return this.table?.version ?? 0;
  }

  takeTraffic(): Record<string, number> {
    const out = Object.fromEntries(this.traffic);
    this.traffic = new Map();
    return out;
  }

  /** Called after every change (keys, revocations, table): e.g. to drop cached tokens. */
  onChange(listener: () => void): void {
    this.listeners.add(listener);
  }

  /** Applies a table if it is newer; returns whether it was applied. */
  applyTable(table: PartitionTable): boolean {
    if (table.version <= this.version) return false;
    checkTable(table, `table v${table.version}`);
    this.table = table;
    this.router = compileRouter(table);
    this.changed();
    return true;
  }

  applyAdvertisement(ad: NamespaceAdvertisement): void {
    if (ad.removed) this.advertisements.delete(ad.namespace);
    else this.advertisements.set(ad.namespace, ad);
    const limit = ad.removed ? undefined : ad.config?.maxBodyBytes;
    // Only a plain non-negative integer overrides limits.maxBodyBytes; anything else keeps the default.
    if (limit !== undefined && /^\d{1,15}$/.test(limit)) this.bodyLimits.set(ad.namespace, Number(limit));
    else this.bodyLimits.delete(ad.namespace);
    if (!ad.removed && ad.config?.ownerUnreachable === 'fail') this.ownerOnly.add(ad.namespace);
    else this.ownerOnly.delete(ad.namespace);
    this.changed(false);
  }

  applyRevocations(full: boolean, entries: { jti: string; leaseId?: string; expiresAt?: Date }[]): void {
    if (full) {
      this.revoked.clear();
      this.revokedLeases.clear();
    }
    for (const r of entries) {
      const until = r.expiresAt?.getTime() ?? Number.MAX_SAFE_INTEGER;
      this.revoked.set(r.jti, until);
      if (r.leaseId) this.revokedLeases.set(r.leaseId, until);
    }
    this.changed();
  }

  applyKeys(jwks: JSONWebKeySet): void {
    this.jwks = jwks;
    this.changed();
  }

  private changed(notify = true): void {
    if (notify) for (const l of this.listeners) l();
    if (!this.stateDir || this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      this.save();
    }, 50);
    this.saveTimer.unref();
  }

  /** Writes the state now (also called on shutdown). */
  save(): void {
    if (!this.stateDir || !this.table) return;
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    mkdirSync(this.stateDir, { recursive: true });
    const file = join(this.stateDir, FILE);
    const tmp = `${file}.${process.pid}.tmp`;
    const snapshot = {
      table: PartitionTable.toJSON(this.table),
      advertisements: [...this.advertisements.values()].map((a) => NamespaceAdvertisement.toJSON(a)),
      revoked: [...this.revoked.entries()],
      revokedLeases: [...this.revokedLeases.entries()],
      jwks: this.jwks ?? null,
    };
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeFileSync(fd, JSON.stringify(snapshot));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  }

  /** Loads the last-known-good state; returns false when there is none (or it is unreadable). */
  load(): boolean {
    if (!this.stateDir) return false;
    let snapshot: {
      table: unknown;
      advertisements: unknown[];
      revoked: [string, number][];
      revokedLeases?: [string, number][];
      jwks: JSONWebKeySet | null;
    };
    try {
      snapshot = JSON.parse(readFileSync(join(this.stateDir, FILE), 'utf8'));
    } catch {
      return false;
    }
    const table = PartitionTable.fromJSON(snapshot.table);
    checkTable(table, 'last-known-good table');
    this.table = table;
    this.router = compileRouter(table);
    for (const a of snapshot.advertisements ?? []) this.applyAdvertisement(NamespaceAdvertisement.fromJSON(a));
    for (const [jti, exp] of snapshot.revoked ?? []) this.revoked.set(jti, exp);
    for (const [lease, exp] of snapshot.revokedLeases ?? []) this.revokedLeases.set(lease, exp);
    this.jwks = snapshot.jwks ?? undefined;
    for (const l of this.listeners) l();
    return true;
  }
}
