import type { ElectionObserver, Namespace } from 'etcd3';
import { PrismError } from '../../core/src/errors.js';
import type { Prepare, Prepared } from '../../proto/gen/prism/admin/v1/control_plane.js';
import type { PartitionTable } from '../../proto/gen/prism/admin/v1/partition.js';

/** One namespace row: the reservation, its current lease and its soft-delete state. Times in ms. */
export interface NamespaceRecord {
  name: string;
  team: string;
  backends: string[];
  config: Record<string, string>;
  createdAt: number;
  leaseId: string;
  ttlSeconds: number;
  grantedAt: number;
  expiresAt: number;
  graceUntil: number;
  /** jti of the newest token issued for the namespace. */
  tokenJti: string;
  revokedAt: number | null;
  deletedAt: number | null;
  /** Why it was soft-deleted: deleted, expired or revoked. */
  deleteReason: string | null;
  lastTrafficAt: number | null;
}

export interface AuditEntry {
  at: number;
  actor: string;
  action: string;
  target: string;
  /** ok, or the error code. */
  result: string;
  detail: string;
}

export interface StoredKey {
  kid: string;
  alg: string;
  privateJwk: string;
  publicJwk: string;
  createdAt: number;
  /** When it stopped signing; it still verifies until retiredAt + overlap. */
  retiredAt: number | null;
}

export interface StoredProxy {
  id: string;
  address: string;
  dataPort: number;
  opsPort: number;
  weight: number;
  registeredAt: number;
  lastSeen: number;
  appliedVersion: number;
  /** Whether it is a member of the fleet (owns partitions); false once gone (its restart grace ended). */
  member: boolean;
  /** Drained by an operator: it gets no partitions until undrained. */
  draining: boolean;
  /**
   * Fingerprint of its effective configuration, as the admin holding its stream last heard it (in
   * presence records, so that every admin compares the whole fleet's); absent in older records.
   */
  configHash?: string;
}

export interface RevocationRecord {
  jti: string;
  namespace: string;
  expiresAt: number;
  /** The lease whose every token is refused ('' in records older than lease revocation). */
  leaseId: string;
}

export interface ListQuery {
  prefix?: string;
  includeDeleted?: boolean;
  /** Names strictly after this one. */
  after?: string;
  limit: number;
}

export interface AuditPage {
  entries: AuditEntry[];
  /** Where the next page starts; undefined after the last page. */
  next: string | undefined;
}

export type InsertResult =
  | { ok: true }
  | { ok: false; holder: NamespaceRecord }
  /** The team already holds `quota` live namespaces. */
  | { ok: false; quota: number };

/**
 * Everything the admin persists. Async so that an etcd-backed store can implement it; the SQLite
 * store answers synchronously inside the promise. Every method either applies fully or throws.
 */
export interface AdminStore {
  /**
   * Atomic: a name that exists (live or soft-deleted) is never overwritten, and a team never holds
   * more than `teamQuota` live namespaces. Writes the audit entry too.
   */
  insertNamespace(record: NamespaceRecord, audit: AuditEntry, teamQuota: number): Promise<InsertResult>;
  getNamespace(name: string): Promise<NamespaceRecord | undefined>;
  listNamespaces(query: ListQuery): Promise<NamespaceRecord[]>;
  /** Replaces the row (matched by name) and writes the audit entry, in one transaction. */
  updateNamespace(record: NamespaceRecord, audit: AuditEntry): Promise<void>;
  purgeNamespace(name: string, audit: AuditEntry): Promise<void>;
  /** Live namespaces whose grace period ended at or before `now`. */
  expiredLive(now: number, limit: number): Promise<NamespaceRecord[]>;
  /** Soft-deleted namespaces deleted at or before `cutoff`. */
  purgeable(cutoff: number, limit: number): Promise<NamespaceRecord[]>;
  countLive(now: number): Promise<number>;
  recordTraffic(names: string[], at: number): Promise<void>;
  /** Writes the record as it is, new or replacing one of that name, without an audit entry (import). */
  importNamespace(record: NamespaceRecord): Promise<void>;

  audit(entry: AuditEntry): Promise<void>;
  /** Newest first, at most `limit`; only those of `target` when given. */
  listAudit(target: string | undefined, limit: number): Promise<AuditEntry[]>;
  /** The whole log a page at a time, newest first: pass the previous page's `next` as `after`. */
  auditPage(after: string | undefined, limit: number): Promise<AuditPage>;

  addRevocation(r: RevocationRecord): Promise<void>;
  listRevocations(): Promise<RevocationRecord[]>;
  pruneRevocations(now: number): Promise<number>;

  listKeys(): Promise<StoredKey[]>;
  /** Inserts a key, or updates only retiredAt of a key with that kid. */
  putKey(key: StoredKey): Promise<void>;
  deleteKey(kid: string): Promise<void>;

  getTable(): Promise<PartitionTable | undefined>;
  /**
   * The table and the proxy registry change together. A table whose version is below the stored
   * one, or equal to it with other content, is refused (PRISM-STORE-004): versions never go back.
   */
  saveFleet(table: PartitionTable | undefined, proxies: StoredProxy[]): Promise<void>;
  listProxies(): Promise<StoredProxy[]>;
  /** Small JSON settings (strategy, rules, weight overrides, the table before the last change). */
  getSetting(key: string): Promise<unknown>;
  /** `leaderOnly`: a setting the fleet's leader writes (strategy, rules, weights), fenced like the table. */
  putSetting(key: string, value: unknown, leaderOnly?: boolean): Promise<void>;
  /**
   * Reads, changes and writes a setting as one step: when another admin sharing the store changed it
   * meanwhile, it is read again and `update` runs again (so `update` must have no other effect that
   * a second run would repeat). Resolves with the value written.
   */
  updateSetting<T>(key: string, update: (current: T | undefined) => T): Promise<T>;
  /** Every setting by key (export). */
  listSettings(): Promise<Record<string, unknown>>;
  putProxy(proxy: StoredProxy): Promise<void>;
  /** What several admins sharing the store elect a leader with; absent on a store one admin owns (SQLite). */
  coordination?: Coordination;

  close(): Promise<void>;
}

/** A leader's election key (relative to the store's prefix) and the revision that created it. */
export interface Fence {
  key: string;
  createRevision: number;
}

export interface EndpointHealth {
  endpoint: string;
  healthy: boolean;
  /** Whether this member is etcd's raft leader. */
  raftLeader?: boolean;
  error?: string;
}

/**
 * Leader election on the shared store. Every leader-only write (a table save, a leaderOnly setting)
 * compares the fence in its own transaction: once the election key is gone or belongs to another
 * campaign, the write is refused with PRISM-HA-001 and the fenced handlers run (the admin steps down).
 */
export interface Coordination {
  /** The keys of the election every admin campaigns in (one per candidate, under its lease). */
  electionSpace(): Namespace;
  /** Where they are, relative to the store's prefix (the fence names keys that way). */
  electionPrefix: string;
  /** Reports the leader's campaign value as it changes (etcd3's observer over the election keys). */
  observe(): Promise<ElectionObserver>;
  /** From now on leader-only writes compare `fence`; 'follower' refuses them with PRISM-HA-002. */
  fence(fence: Fence | 'follower', leader?: string): void;
  onFenced(handler: (err: PrismError) => void): void;
  /** Calls `onTable` with every table another admin saves; resolves with a function that stops watching. */
  watchTable(onTable: (table: PartitionTable) => void): Promise<() => void>;
  health(): Promise<EndpointHealth[]>;
  /** Which proxies hold a control stream on which admin, so that the leader plans with all of them. */
  presence: Presence;
  /**
   * Calls `onChange` with every write under `prefix` (relative to the store's prefix) by any admin,
   * this one included: the key (relative too), the value (undefined for a deletion) and the value
   * before (undefined for a new key). Resolves with a function that stops watching.
   */
  watch(prefix: string, onChange: (key: string, value: unknown, before: unknown) => void): Promise<() => void>;
  /** Prepare and Prepared between the leader and the admin that holds a new owner's stream. */
  relay: PrepareRelay;
}

/**
 * The leader prepares every new owner of a round, also those whose stream another admin holds: it
 * writes the Prepare where that admin watches, that admin sends it on the stream and writes the
 * proxy's answer back where the leader watches. Both under the writer's presence lease.
 */
export interface PrepareRelay {
  /** Asks the admin holding the stream of `proxyId` to send it `message`. */
  prepare(proxyId: string, message: Prepare): Promise<void>;
  /** Passes a proxy's answer back to the admin that asked (`to`, as onPrepare named it). */
  prepared(proxyId: string, message: Prepared, to: string): Promise<void>;
  /**
   * onPrepare for every relayed Prepare (the admin holding the stream sends it), onPrepared for the
   * answers to this admin's own; resolves with a function that stops watching.
   */
  watch(
    onPrepare: (proxyId: string, message: Prepare, from: string) => void,
    onPrepared: (proxyId: string, message: Prepared) => void,
  ): Promise<() => void>;
}

/** A proxy whose control stream this admin holds, as the leader learns it. */
export interface Presence {
  /** Announces (or updates) a stream held here, under this admin's presence lease. */
  put(proxy: StoredProxy): Promise<void>;
  /** The stream ended here; another admin's announcement of the same proxy is left alone. */
  remove(id: string): Promise<void>;
  list(): Promise<StoredProxy[]>;
  /** Every announcement and removal by any admin; resolves with a function that stops watching. */
  watch(onPut: (proxy: StoredProxy) => void, onRemove: (id: string) => void): Promise<() => void>;
  /** This admin's presence lease expired (it was paused or cut off): announce the streams again. */
  onLost(handler: () => void): void;
}

/**
 * Refuses to replace the stored table with an older one, or with another table of the same version
 * (two admins that computed the same next version differently): what proxies were told stays true.
 * `storedJson` and `nextJson` are the proto3 JSON texts, compared to let an identical rewrite through.
 */
export function checkTableOrder(
  stored: PartitionTable,
  storedJson: string,
  next: PartitionTable,
  nextJson: string,
): void {
  if (next.version > stored.version || (next.version === stored.version && nextJson === storedJson)) return;
  throw new PrismError(
    'PRISM-STORE-004',
    `partition table v${next.version} was not saved: v${stored.version} is already stored${next.version === stored.version ? ' with other content' : ''}`,
  );
}
