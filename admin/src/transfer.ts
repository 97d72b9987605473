import { Ajv } from 'ajv';
import type { Clock } from '../../core/src/clock.js';
import { PrismError } from '../../core/src/errors.js';
import { PartitionTable } from '../../proto/gen/prism/admin/v1/partition.js';
import type { AdminStore, AuditEntry, NamespaceRecord, RevocationRecord, StoredKey, StoredProxy } from './store.js';

export const EXPORT_FORMAT = 'prism-admin-export';
export const EXPORT_FORMAT_VERSION = 1;
/**
 * Settings that hold this admin's own operator credentials (its token signing key, the registry of
 * the tokens it issued, its bootstrap token): neither exported nor imported, so the credentials that
 * run an import keep working after it. Operators get new tokens on the admin they move to.
 */
const OWN_SETTINGS = /^operator_/;
const CHUNK = 32;

/** Everything an admin stores, as `prismctl export` writes it (JSON, format version 1). */
export interface ExportDocument {
  format: typeof EXPORT_FORMAT;
  formatVersion: typeof EXPORT_FORMAT_VERSION;
  exportedAt: string;
  /** The store it came from: sqlite or etcd. */
  store: string;
  /** Every namespace, soft-deleted ones too, with its lease and the jti of its newest token. */
  namespaces: NamespaceRecord[];
  revocations: RevocationRecord[];
  /** The namespace token keys, private keys included: the file is a secret. */
  signingKeys: StoredKey[];
  settings: Record<string, unknown>;
  /** The partition table as proto3 JSON, or null before the first proxy joined. */
  table: unknown;
  proxies: StoredProxy[];
  /** Oldest first. */
  audit: AuditEntry[];
}

export interface ImportReport {
  namespaces: number;
  revocations: number;
  signingKeys: number;
  settings: number;
  proxies: number;
  audit: number;
  tableVersion: number;
  warnings: string[];
}

const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const intOrNull = { type: ['integer', 'null'] } as const;
const strOrNull = { type: ['string', 'null'] } as const;
const object = (properties: Record<string, object>, extra = false) =>
  ({ type: 'object', required: Object.keys(properties), properties, additionalProperties: extra }) as const;

const documentSchema = object({
  format: { const: EXPORT_FORMAT },
  formatVersion: { const: EXPORT_FORMAT_VERSION },
  exportedAt: str,
  store: str,
  namespaces: {
    type: 'array',
    items: object({
      name: str,
      team: str,
      backends: { type: 'array', items: str },
      config: { type: 'object', additionalProperties: str },
      createdAt: int,
      leaseId: str,
      ttlSeconds: int,
      grantedAt: int,
      expiresAt: int,
      graceUntil: int,
      tokenJti: str,
      revokedAt: intOrNull,
      deletedAt: intOrNull,
      deleteReason: strOrNull,
      lastTrafficAt: intOrNull,
    }),
  },
  revocations: { type: 'array', items: object({ jti: str, namespace: str, expiresAt: int, leaseId: str }) },
  signingKeys: {
    type: 'array',
    items: object({ kid: str, alg: str, privateJwk: str, publicJwk: str, createdAt: int, retiredAt: intOrNull }),
  },
  settings: { type: 'object' },
  table: { type: ['object', 'null'] },
  // Proxies pass through whole: fields newer admins add survive the trip.
  proxies: { type: 'array', items: { type: 'object', required: ['id'], properties: { id: str } } },
  audit: {
    type: 'array',
    items: object({ at: int, actor: str, action: str, target: str, result: str, detail: str }),
  },
});
const validate = new Ajv({ strict: false, allErrors: false }).compile(documentSchema);

/** Checks a document before anything is written; PRISM-STORE-006 names the first wrong field. */
export function parseExport(value: unknown): ExportDocument {
  if (!validate(value)) {
    const e = validate.errors?.[0];
    const where = e?.instancePath ? e.instancePath.slice(1).replaceAll('/', '.') : 'the document';
    throw new PrismError('PRISM-STORE-006', `${where} ${e?.message ?? 'is invalid'}`);
  }
  const doc = value as unknown as ExportDocument;
  if (doc.table !== null) PartitionTable.fromJSON(doc.table);
  return doc;
}

/** Reads everything from the store: namespaces and the audit log a page at a time. */
export async function exportStore(store: AdminStore, meta: { now: number; store: string }): Promise<ExportDocument> {
  const namespaces: NamespaceRecord[] = [];
  for (let after: string | undefined; ; ) {
    const page = await store.listNamespaces({ includeDeleted: true, after, limit: 1000 });
    namespaces.push(...page);
    if (page.length < 1000) break;
    after = page[page.length - 1].name;
  }
  const audit: AuditEntry[] = [];
  for (let after: string | undefined; ; ) {
    const page = await store.auditPage(after, 1000);
    audit.push(...page.entries);
    if (!page.next) break;
    after = page.next;
  }
  const table = await store.getTable();
  return {
    format: EXPORT_FORMAT,
    formatVersion: EXPORT_FORMAT_VERSION,
    exportedAt: new Date(meta.now).toISOString(),
    store: meta.store,
    namespaces,
    revocations: await store.listRevocations(),
    signingKeys: await store.listKeys(),
    settings: Object.fromEntries(Object.entries(await store.listSettings()).filter(([k]) => !OWN_SETTINGS.test(k))),
    table: table ? PartitionTable.toJSON(table) : null,
    proxies: await store.listProxies(),
    audit: audit.reverse(),
  };
}

async function inChunks<T>(items: T[], fn: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += CHUNK) await Promise.all(items.slice(i, i + CHUNK).map(fn));
}

/**
 * Writes a document into the store. Only into an empty one (no namespaces, proxies, revocations or
 * table) unless `force`; then records in the document replace those with the same name or id. Into an
 * empty store its signing keys replace the store's own (which signed nothing yet), so the tokens
 * issued before the export verify, and new ones are signed with the same key as before.
 */
export async function importIntoStore(store: AdminStore, doc: ExportDocument, force: boolean): Promise<ImportReport> {
  const current = await store.getTable();
  const held = [
    (await store.listNamespaces({ includeDeleted: true, limit: 1 })).length > 0 && 'namespaces',
    (await store.listProxies()).length > 0 && 'proxies',
    (await store.listRevocations()).length > 0 && 'revocations',
    current && `partition table v${current.version}`,
  ].filter(Boolean);
  if (held.length && !force) {
    throw new PrismError('PRISM-STORE-005', `this admin already holds ${held.join(', ')}; nothing was imported`);
  }
  const warnings: string[] = [];
  await inChunks(doc.namespaces, (r) => store.importNamespace(r));
  await inChunks(doc.revocations, (r) => store.addRevocation(r));
  const own = await store.listKeys();
  for (const k of doc.signingKeys) await store.putKey(k);
  if (!held.length && doc.signingKeys.some((k) => k.retiredAt === null)) {
    const kept = new Set(doc.signingKeys.map((k) => k.kid));
    for (const k of own) if (!kept.has(k.kid)) await store.deleteKey(k.kid);
  }
  const settings = Object.entries(doc.settings).filter(([k]) => !OWN_SETTINGS.test(k));
  for (const [k, v] of settings) await store.putSetting(k, v);
  const table = doc.table === null ? undefined : PartitionTable.fromJSON(doc.table);
  if (table && current && current.version >= table.version) {
    warnings.push(`kept this admin's partition table v${current.version}; the document's is v${table.version}`);
    await store.saveFleet(undefined, doc.proxies);
  } else {
    await store.saveFleet(table, doc.proxies);
  }
  // In order: the log keeps the document's order after what this store held.
  for (let i = 0; i < doc.audit.length; i += CHUNK) {
    await Promise.all(doc.audit.slice(i, i + CHUNK).map((e) => store.audit(e)));
  }
  return {
    namespaces: doc.namespaces.length,
    revocations: doc.revocations.length,
    signingKeys: doc.signingKeys.length,
    settings: settings.length,
    proxies: doc.proxies.length,
    audit: doc.audit.length,
    tableVersion: (await store.getTable())?.version ?? 0,
    warnings,
  };
}

export interface TransferDeps {
  store: AdminStore;
  clock: Clock;
  /** Which store this admin runs on, written into exports. */
  storeKind: string;
  /** Re-reads what the admin keeps in memory (signing keys, table, fleet) after an import. */
  reload(): Promise<void>;
}

/** Export and import as the operator API serves them, each audited. */
export function buildTransfer(deps: TransferDeps) {
  const { store, clock } = deps;
  return {
    async export(actor: string): Promise<ExportDocument> {
      const doc = await exportStore(store, { now: clock.now(), store: deps.storeKind });
      await store.audit({
        at: clock.now(),
        actor,
        action: 'export',
        target: 'admin',
        result: 'ok',
        detail: `${doc.namespaces.length} namespaces, ${doc.signingKeys.length} signing keys`,
      });
      return doc;
    },
    async import(value: unknown, force: boolean, actor: string): Promise<ImportReport> {
      const audit = (result: string, detail: string) =>
        store.audit({ at: clock.now(), actor, action: 'import', target: 'admin', result, detail });
      let report: ImportReport;
      try {
        report = await importIntoStore(store, parseExport(value), force);
      } catch (err) {
        if (err instanceof PrismError) await audit(err.code, err.message).catch(() => undefined);
        throw err;
      }
      await deps.reload();
      await audit(
        'ok',
        `${report.namespaces} namespaces, ${report.signingKeys} signing keys, table v${report.tableVersion}${force ? ', force' : ''}`,
      );
      return report;
    },
  };
}

export type Transfer = ReturnType<typeof buildTransfer>;
