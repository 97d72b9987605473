import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { PrismError } from '../../core/src/errors.js';
import { PartitionTable } from '../../proto/gen/prism/admin/v1/partition.js';
import type {
  AdminStore,
  AuditEntry,
  InsertResult,
  ListQuery,
  NamespaceRecord,
  RevocationRecord,
  StoredKey,
  StoredProxy,
} from './store.js';
import { checkTableOrder } from './store.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS namespaces (
  name TEXT PRIMARY KEY,
  team TEXT NOT NULL,
  backends TEXT NOT NULL,
  config TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  lease_id TEXT NOT NULL,
  ttl_seconds INTEGER NOT NULL,
  granted_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  grace_until INTEGER NOT NULL,
  token_jti TEXT NOT NULL,
  revoked_at INTEGER,
  deleted_at INTEGER,
  delete_reason TEXT,
  last_traffic_at INTEGER
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS namespaces_live_grace ON namespaces (grace_until) WHERE deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS namespaces_deleted ON namespaces (deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS namespaces_team ON namespaces (team) WHERE deleted_at IS NULL;
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  result TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_target ON audit (target, id);
CREATE TABLE IF NOT EXISTS revocations (
  jti TEXT PRIMARY KEY,
  namespace TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  lease_id TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS signing_keys (
  kid TEXT PRIMARY KEY,
  alg TEXT NOT NULL,
  private_jwk TEXT NOT NULL,
  public_jwk TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  retired_at INTEGER
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS proxies (
  id TEXT PRIMARY KEY,
  address TEXT NOT NULL,
  data_port INTEGER NOT NULL,
  ops_port INTEGER NOT NULL,
  weight INTEGER NOT NULL,
  registered_at INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  applied_version INTEGER NOT NULL,
  member INTEGER NOT NULL,
  draining INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS kv (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
`;

interface NamespaceRow {
  name: string;
  team: string;
  backends: string;
  config: string;
  created_at: number;
  lease_id: string;
  ttl_seconds: number;
  granted_at: number;
  expires_at: number;
  grace_until: number;
  token_jti: string;
  revoked_at: number | null;
  deleted_at: number | null;
  delete_reason: string | null;
  last_traffic_at: number | null;
}

const toRecord = (r: NamespaceRow): NamespaceRecord => ({
  name: r.name,
  team: r.team,
  backends: JSON.parse(r.backends),
  config: JSON.parse(r.config),
  createdAt: r.created_at,
  leaseId: r.lease_id,
  ttlSeconds: r.ttl_seconds,
  grantedAt: r.granted_at,
  expiresAt: r.expires_at,
  graceUntil: r.grace_until,
  tokenJti: r.token_jti,
  revokedAt: r.revoked_at,
  deletedAt: r.deleted_at,
  deleteReason: r.delete_reason,
  lastTrafficAt: r.last_traffic_at,
});

const toRow = (r: NamespaceRecord): NamespaceRow => ({
  name: r.name,
  team: r.team,
  backends: JSON.stringify(r.backends),
  config: JSON.stringify(r.config),
  created_at: r.createdAt,
  lease_id: r.leaseId,
  ttl_seconds: r.ttlSeconds,
  granted_at: r.grantedAt,
  expires_at: r.expiresAt,
  grace_until: r.graceUntil,
  token_jti: r.tokenJti,
  revoked_at: r.revokedAt,
  deleted_at: r.deletedAt,
  delete_reason: r.deleteReason,
  last_traffic_at: r.lastTrafficAt,
});

const COLUMNS =
  'name, team, backends, config, created_at, lease_id, ttl_seconds, granted_at, expires_at, grace_until, token_jti, revoked_at, deleted_at, delete_reason, last_traffic_at';
const PARAMS = COLUMNS.split(', ')
  .map((c) => `@${c}`)
  .join(', ');

export interface SqliteStoreOptions {
  dataDir: string;
  synchronous?: 'normal' | 'full';
}

/** The embedded default: one SQLite file in WAL mode under the data directory. */
export function openSqliteStore(options: SqliteStoreOptions): AdminStore {
  let db: Database.Database;
  try {
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    const file = join(options.dataDir, 'prism-admin.sqlite');
    db = new Database(file);
    chmodSync(file, 0o600);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    db.exec(SCHEMA);
    // Data directories from before lease revocation: add the column (entries keep '' and revoke by jti only).
    const columns = db.prepare('PRAGMA table_info(revocations)').all() as { name: string }[];
    if (!columns.some((c) => c.name === 'lease_id')) {
      db.exec("ALTER TABLE revocations ADD COLUMN lease_id TEXT NOT NULL DEFAULT ''");
    }
    // From before drains: every proxy is undrained.
    const proxyColumns = db.prepare('PRAGMA table_info(proxies)').all() as { name: string }[];
    if (!proxyColumns.some((c) => c.name === 'draining')) {
      db.exec('ALTER TABLE proxies ADD COLUMN draining INTEGER NOT NULL DEFAULT 0');
    }
  } catch (err) {
    throw new PrismError(
      'PRISM-STORE-001',
      `cannot open the admin database in ${JSON.stringify(options.dataDir)}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }

  const stmt = {
    insertNs: db.prepare(`INSERT INTO namespaces (${COLUMNS}) VALUES (${PARAMS}) ON CONFLICT(name) DO NOTHING`),
    getNs: db.prepare('SELECT * FROM namespaces WHERE name = ?'),
    countTeam: db.prepare('SELECT count(*) AS n FROM namespaces WHERE team = ? AND deleted_at IS NULL'),
    updateNs: db.prepare(
      `UPDATE namespaces SET ${COLUMNS.split(', ')
        .slice(1)
        .map((c) => `${c} = @${c}`)
        .join(', ')} WHERE name = @name`,
    ),
    deleteNs: db.prepare('DELETE FROM namespaces WHERE name = ?'),
    expiredLive: db.prepare(
      'SELECT * FROM namespaces WHERE deleted_at IS NULL AND grace_until <= ? ORDER BY grace_until LIMIT ?',
    ),
    purgeable: db.prepare(
      'SELECT * FROM namespaces WHERE deleted_at IS NOT NULL AND deleted_at <= ? ORDER BY deleted_at LIMIT ?',
    ),
    countLive: db.prepare(
      'SELECT count(*) AS n FROM namespaces WHERE deleted_at IS NULL AND revoked_at IS NULL AND grace_until > ?',
    ),
    traffic: db.prepare('UPDATE namespaces SET last_traffic_at = ? WHERE name = ?'),
    audit: db.prepare(
      'INSERT INTO audit (at, actor, action, target, result, detail) VALUES (@at, @actor, @action, @target, @result, @detail)',
    ),
    auditAll: db.prepare('SELECT at, actor, action, target, result, detail FROM audit ORDER BY id DESC LIMIT ?'),
    auditPage: db.prepare(
      'SELECT id, at, actor, action, target, result, detail FROM audit WHERE id < ? ORDER BY id DESC LIMIT ?',
    ),
    upsertNs: db.prepare(
      `INSERT INTO namespaces (${COLUMNS}) VALUES (${PARAMS}) ON CONFLICT(name) DO UPDATE SET ${COLUMNS.split(', ')
        .slice(1)
        .map((c) => `${c} = excluded.${c}`)
        .join(', ')}`,
    ),
    deleteKey: db.prepare('DELETE FROM signing_keys WHERE kid = ?'),
    getTableRow: db.prepare("SELECT value FROM kv WHERE key = 'partition_table'"),
    listSettings: db.prepare("SELECT key, value FROM kv WHERE key LIKE 'setting:%' ORDER BY key"),
    auditFor: db.prepare(
      'SELECT at, actor, action, target, result, detail FROM audit WHERE target = ? ORDER BY id DESC LIMIT ?',
    ),
    addRevocation: db.prepare(
      'INSERT INTO revocations (jti, namespace, expires_at, lease_id) VALUES (@jti, @namespace, @expiresAt, @leaseId) ON CONFLICT(jti) DO NOTHING',
    ),
    listRevocations: db.prepare(
      'SELECT jti, namespace, expires_at AS expiresAt, lease_id AS leaseId FROM revocations ORDER BY jti',
    ),
    pruneRevocations: db.prepare('DELETE FROM revocations WHERE expires_at <= ?'),
    listKeys: db.prepare(
      'SELECT kid, alg, private_jwk AS privateJwk, public_jwk AS publicJwk, created_at AS createdAt, retired_at AS retiredAt FROM signing_keys ORDER BY created_at, kid',
    ),
    putKey: db.prepare(
      `INSERT INTO signing_keys (kid, alg, private_jwk, public_jwk, created_at, retired_at)
       VALUES (@kid, @alg, @privateJwk, @publicJwk, @createdAt, @retiredAt)
       ON CONFLICT(kid) DO UPDATE SET retired_at = excluded.retired_at`,
    ),
    getKv: db.prepare('SELECT value FROM kv WHERE key = ?'),
    putKv: db.prepare(
      'INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
    ),
    listProxies: db.prepare(
      'SELECT id, address, data_port AS dataPort, ops_port AS opsPort, weight, registered_at AS registeredAt, last_seen AS lastSeen, applied_version AS appliedVersion, member, draining FROM proxies ORDER BY id',
    ),
    putProxy: db.prepare(
      `INSERT INTO proxies (id, address, data_port, ops_port, weight, registered_at, last_seen, applied_version, member, draining)
       VALUES (@id, @address, @dataPort, @opsPort, @weight, @registeredAt, @lastSeen, @appliedVersion, @member, @draining)
       ON CONFLICT(id) DO UPDATE SET address = excluded.address, data_port = excluded.data_port,
         ops_port = excluded.ops_port, weight = excluded.weight, last_seen = excluded.last_seen,
         applied_version = excluded.applied_version, member = excluded.member, draining = excluded.draining`,
    ),
  };

  /** Runs `fn` in a transaction, mapping storage failures to PRISM-STORE-001. */
  const run = <T>(what: string, fn: () => T): Promise<T> => {
    try {
      return Promise.resolve(db.transaction(fn).immediate());
    } catch (err) {
      if (err instanceof PrismError) return Promise.reject(err);
      return Promise.reject(
        new PrismError('PRISM-STORE-001', `storage failed while ${what}: ${(err as Error).message}`, { cause: err }),
      );
    }
  };
  const putProxyRow = (p: StoredProxy) =>
    stmt.putProxy.run({ ...p, member: p.member ? 1 : 0, draining: p.draining ? 1 : 0 });

  return {
    insertNamespace: (record, audit, teamQuota) =>
      // One synchronous step: no other reservation of this process runs between the count and the insert.
      run('reserving a namespace', (): InsertResult => {
        const existing = stmt.getNs.get(record.name) as NamespaceRow | undefined;
        if (!existing && (stmt.countTeam.get(record.team) as { n: number }).n >= teamQuota) {
          stmt.audit.run({ ...audit, result: 'PRISM-NS-009' });
          return { ok: false, quota: teamQuota };
        }
        const { changes } = stmt.insertNs.run(toRow(record));
        if (changes === 1) {
          stmt.audit.run(audit);
          return { ok: true };
        }
        stmt.audit.run({ ...audit, result: 'PRISM-NS-004' });
        return { ok: false, holder: toRecord(stmt.getNs.get(record.name) as NamespaceRow) };
      }),
    getNamespace: (name) =>
      run('reading a namespace', () => {
        const row = stmt.getNs.get(name) as NamespaceRow | undefined;
        return row && toRecord(row);
      }),
    listNamespaces: (q: ListQuery) =>
      run('listing namespaces', () => {
        const where = ['name > @after'];
        if (q.prefix) where.push('name >= @prefix AND name < (@prefix || char(1114111))');
        if (!q.includeDeleted) where.push('deleted_at IS NULL');
        const rows = db
          .prepare(`SELECT * FROM namespaces WHERE ${where.join(' AND ')} ORDER BY name LIMIT @limit`)
          .all({ after: q.after ?? '', prefix: q.prefix ?? '', limit: q.limit }) as NamespaceRow[];
        return rows.map(toRecord);
      }),
    updateNamespace: (record, audit) =>
      run('updating a namespace', () => {
        stmt.updateNs.run(toRow(record));
        stmt.audit.run(audit);
      }),
    purgeNamespace: (name, audit) =>
      run('purging a namespace', () => {
        stmt.deleteNs.run(name);
        stmt.audit.run(audit);
      }),
    expiredLive: (now, limit) =>
      run('finding expired leases', () => (stmt.expiredLive.all(now, limit) as NamespaceRow[]).map(toRecord)),
    purgeable: (cutoff, limit) =>
      run('finding purgeable namespaces', () => (stmt.purgeable.all(cutoff, limit) as NamespaceRow[]).map(toRecord)),
    countLive: (now) => run('counting leases', () => (stmt.countLive.get(now) as { n: number }).n),
    recordTraffic: (names, at) =>
      run('recording traffic', () => {
        for (const name of names) stmt.traffic.run(at, name);
      }),
    importNamespace: (record) => run('importing a namespace', () => void stmt.upsertNs.run(toRow(record))),
    audit: (entry) => run('writing the audit log', () => void stmt.audit.run(entry)),
    auditPage: (after, limit) =>
      run('reading the audit log', () => {
        const rows = stmt.auditPage.all(
          after === undefined ? Number.MAX_SAFE_INTEGER : Number(after),
          limit,
        ) as (AuditEntry & {
          id: number;
        })[];
        return {
          entries: rows.map(({ id: _id, ...e }) => e),
          next: rows.length === limit ? String(rows[rows.length - 1].id) : undefined,
        };
      }),
    listAudit: (target, limit) =>
      run(
        'reading the audit log',
        () => (target === undefined ? stmt.auditAll.all(limit) : stmt.auditFor.all(target, limit)) as AuditEntry[],
      ),
    addRevocation: (r: RevocationRecord) => run('revoking a token', () => void stmt.addRevocation.run(r)),
    listRevocations: () => run('reading revocations', () => stmt.listRevocations.all() as RevocationRecord[]),
    pruneRevocations: (now) => run('pruning revocations', () => stmt.pruneRevocations.run(now).changes),
    listKeys: () => run('reading signing keys', () => stmt.listKeys.all() as StoredKey[]),
    putKey: (key) => run('saving a signing key', () => void stmt.putKey.run(key)),
    deleteKey: (kid) => run('deleting a signing key', () => void stmt.deleteKey.run(kid)),
    getTable: () =>
      run('reading the partition table', () => {
        const row = stmt.getKv.get('partition_table') as { value: string } | undefined;
        return row ? PartitionTable.fromJSON(JSON.parse(row.value)) : undefined;
      }),
    saveFleet: (table, proxies) =>
      run('saving the partition table', () => {
        if (table) {
          const value = JSON.stringify(PartitionTable.toJSON(table));
          const row = stmt.getTableRow.get() as { value: string } | undefined;
          if (row) checkTableOrder(PartitionTable.fromJSON(JSON.parse(row.value)), row.value, table, value);
          stmt.putKv.run('partition_table', value);
        }
        for (const p of proxies) putProxyRow(p);
      }),
    listProxies: () =>
      run('reading proxies', () =>
        (
          stmt.listProxies.all() as (Omit<StoredProxy, 'member' | 'draining'> & { member: number; draining: number })[]
        ).map((p) => ({
          ...p,
          member: p.member === 1,
          draining: p.draining === 1,
        })),
      ),
    putProxy: (p) => run('saving a proxy', () => void putProxyRow(p)),
    getSetting: (key) =>
      run('reading a setting', () => {
        const row = stmt.getKv.get(`setting:${key}`) as { value: string } | undefined;
        return row ? JSON.parse(row.value) : undefined;
      }),
    putSetting: (key, value) =>
      run('saving a setting', () => void stmt.putKv.run(`setting:${key}`, JSON.stringify(value))),
    // One admin owns the file and the read and write run without a turn of the event loop between them.
    updateSetting: <T>(key: string, update: (current: T | undefined) => T) =>
      run('saving a setting', () => {
        const row = stmt.getKv.get(`setting:${key}`) as { value: string } | undefined;
        const next = update(row ? (JSON.parse(row.value) as T) : undefined);
        stmt.putKv.run(`setting:${key}`, JSON.stringify(next));
        return next;
      }),
    listSettings: () =>
      run('reading settings', () =>
        Object.fromEntries(
          (stmt.listSettings.all() as { key: string; value: string }[]).map((r) => [
            r.key.slice('setting:'.length),
            JSON.parse(r.value),
          ]),
        ),
      ),
    close: async () => {
      db.close();
    },
  };
}
