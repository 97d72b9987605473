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

  audit(entry: AuditEntry): Promise<void>;
  listAudit(target: string | undefined, limit: number): Promise<AuditEntry[]>;

  addRevocation(r: RevocationRecord): Promise<void>;
  listRevocations(): Promise<RevocationRecord[]>;
  pruneRevocations(now: number): Promise<number>;

  listKeys(): Promise<StoredKey[]>;
  putKey(key: StoredKey): Promise<void>;

  getTable(): Promise<PartitionTable | undefined>;
  /** The table and the proxy registry change together. */
  saveFleet(table: PartitionTable | undefined, proxies: StoredProxy[]): Promise<void>;
  listProxies(): Promise<StoredProxy[]>;
  /** Small JSON settings (strategy, rules, weight overrides, the table before the last change). */
  getSetting(key: string): Promise<unknown>;
  putSetting(key: string, value: unknown): Promise<void>;
  putProxy(proxy: StoredProxy): Promise<void>;

  close(): Promise<void>;
}
