import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/src/config/load.js';
import type { PrismError } from '../../core/src/errors.js';
import { PartitionTable } from '../../proto/gen/prism/admin/v1/partition.js';
import { type EtcdCluster, haveEtcd, startEtcdCluster } from '../../test-support/etcd-cluster.js';
import { openEtcdStore } from '../src/etcd-store.js';
import { openSqliteStore } from '../src/sqlite-store.js';
import type { AdminStore, AuditEntry, NamespaceRecord, StoredProxy } from '../src/store.js';

/**
 * One suite, every AdminStore method, run against both stores: SQLite in a temporary directory and
 * etcd on a real 3-member cluster. Each test opens fresh stores (a new directory, a new etcd prefix);
 * `twin` opens a second store on the same data, as a second admin would.
 */
interface Backend {
  name: string;
  open(): Promise<{ store: AdminStore; twin(): Promise<AdminStore>; close(): Promise<void> }>;
}

let cluster: EtcdCluster | undefined;
const etcd = haveEtcd();
let opened = 0;

const sqlite: Backend = {
  name: 'sqlite',
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'prism-store-'));
    const stores = [openSqliteStore({ dataDir: dir })];
    return {
      store: stores[0],
      twin: async () => {
        stores.push(openSqliteStore({ dataDir: dir }));
        return stores[stores.length - 1];
      },
      close: async () => {
        for (const s of stores) await s.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

const etcdBackend: Backend = {
  name: 'etcd',
  async open() {
    const options = loadConfig('admin', {
      values: { etcd: { endpoints: cluster?.endpoints, prefix: `/conformance/${process.pid}-${opened++}/` } },
    }).etcd;
    const stores = [await openEtcdStore(options)];
    return {
      store: stores[0],
      twin: async () => {
        stores.push(await openEtcdStore(options));
        return stores[stores.length - 1];
      },
      close: async () => {
        for (const s of stores) await s.close();
      },
    };
  },
};

beforeAll(async () => {
  if (etcd) cluster = await startEtcdCluster(3);
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;

function record(name: string, overrides: Partial<NamespaceRecord> = {}): NamespaceRecord {
  return {
    name,
    team: 'alpha',
    backends: ['http://127.0.0.1:9000'],
    config: { tier: 'gold' },
    createdAt: T0,
    leaseId: `lease-${name}`,
    ttlSeconds: 3600,
    grantedAt: T0,
    expiresAt: T0 + HOUR,
    graceUntil: T0 + 2 * HOUR,
    tokenJti: `jti-${name}`,
    revokedAt: null,
    deletedAt: null,
    deleteReason: null,
    lastTrafficAt: null,
    ...overrides,
  };
}

const audit = (action: string, target: string, at = T0): AuditEntry => ({
  at,
  actor: 'token:test',
  action,
  target,
  result: 'ok',
  detail: '',
});

function table(version: number, owner = 'p1'): PartitionTable {
  return PartitionTable.fromJSON({
    version,
    strategy: 'STRATEGY_CONSISTENT_HASH',
    proxies: [{ id: owner, address: '127.0.0.1', dataPort: 8980, opsPort: 9980, weight: 1 }],
    assignments: Array.from({ length: 256 }, (_, p) => ({ partitionId: p, proxyId: owner, epoch: version })),
    updatedAt: new Date(T0 + version).toISOString(),
  });
}

const proxy = (id: string, extra: Record<string, unknown> = {}): StoredProxy => ({
  id,
  address: '127.0.0.1',
  dataPort: 8980,
  opsPort: 9980,
  weight: 1,
  registeredAt: T0,
  lastSeen: T0,
  appliedVersion: 1,
  member: true,
  draining: false,
  ...extra,
});

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (err: PrismError) => err.code ?? String(err),
  );

const backends = [sqlite, ...(etcd ? [etcdBackend] : [])];

describe.each(backends)('AdminStore on $name', (backend) => {
  const withStore = (fn: (s: AdminStore, twin: () => Promise<AdminStore>) => Promise<void>) => async () => {
    const opened = await backend.open();
    try {
      await fn(opened.store, opened.twin);
    } finally {
      await opened.close();
    }
  };

  it(
    'reserves a name once: a second insert gets the holder, the audit log records both',
    withStore(async (s) => {
      expect(await s.insertNamespace(record('orders'), audit('reserve', 'orders'), 10)).toEqual({ ok: true });
      const again = await s.insertNamespace(record('orders', { leaseId: 'other' }), audit('reserve', 'orders'), 10);
      expect(again).toEqual({ ok: false, holder: record('orders') });
      expect(await s.getNamespace('orders')).toEqual(record('orders'));
      expect(await s.getNamespace('missing')).toBeUndefined();
      expect((await s.listAudit('orders', 10)).map((e) => e.result)).toEqual(['PRISM-NS-004', 'ok']);
    }),
  );

  it(
    'keeps a team under its quota; soft-deleted namespaces do not count, restored ones do again',
    withStore(async (s) => {
      for (const n of ['a1', 'a2']) expect((await s.insertNamespace(record(n), audit('reserve', n), 2)).ok).toBe(true);
      expect(await s.insertNamespace(record('a3'), audit('reserve', 'a3'), 2)).toEqual({ ok: false, quota: 2 });
      expect((await s.insertNamespace(record('b1', { team: 'beta' }), audit('reserve', 'b1'), 2)).ok).toBe(true);
      await s.updateNamespace(record('a1', { deletedAt: T0, deleteReason: 'deleted' }), audit('delete', 'a1'));
      expect((await s.insertNamespace(record('a3'), audit('reserve', 'a3'), 2)).ok).toBe(true);
      await s.updateNamespace(record('a1'), audit('restore', 'a1'));
      expect(await s.insertNamespace(record('a4'), audit('reserve', 'a4'), 3)).toEqual({ ok: false, quota: 3 });
      // Purging a deleted one frees nothing more; purging a live one (by hand) does.
      await s.purgeNamespace('a3', audit('purge', 'a3'));
      expect((await s.insertNamespace(record('a4'), audit('reserve', 'a4'), 3)).ok).toBe(true);
      expect(await s.getNamespace('a3')).toBeUndefined();
      expect((await s.listAudit('a3', 10)).map((e) => e.action)).toEqual(['purge', 'reserve', 'reserve']);
    }),
  );

  it(
    'lists by name in pages, by prefix, with and without deleted ones',
    withStore(async (s) => {
      const names = Array.from({ length: 30 }, (_, i) => `ns-${String(i).padStart(2, '0')}`);
      for (const [i, n] of names.entries()) {
        await s.importNamespace(record(n, i % 3 === 0 ? { deletedAt: T0, deleteReason: 'deleted' } : {}));
      }
      await s.importNamespace(record('other'));
      const live = names.filter((_, i) => i % 3 !== 0);
      const pages: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await s.listNamespaces({ prefix: 'ns-', after, limit: 7 });
        pages.push(...page.map((r) => r.name));
        if (page.length < 7) break;
        after = page[page.length - 1].name;
      }
      expect(pages).toEqual(live);
      expect((await s.listNamespaces({ includeDeleted: true, limit: 100 })).map((r) => r.name)).toEqual([
        ...names,
        'other',
      ]);
      expect((await s.listNamespaces({ after: 'ns-28', limit: 100 })).map((r) => r.name)).toEqual(['ns-29', 'other']);
      expect(await s.listNamespaces({ prefix: 'zz', limit: 10 })).toEqual([]);
    }),
  );

  it(
    'finds expired leases, purgeable namespaces and counts live leases by time',
    withStore(async (s) => {
      await s.importNamespace(record('early', { graceUntil: T0 + HOUR }));
      await s.importNamespace(record('late', { graceUntil: T0 + 3 * HOUR }));
      await s.importNamespace(record('gone', { deletedAt: T0 + HOUR, deleteReason: 'expired' }));
      await s.importNamespace(record('gone-later', { deletedAt: T0 + 5 * HOUR, deleteReason: 'deleted' }));
      expect((await s.expiredLive(T0 + HOUR, 10)).map((r) => r.name)).toEqual(['early']);
      expect((await s.expiredLive(T0 + 4 * HOUR, 10)).map((r) => r.name)).toEqual(['early', 'late']);
      expect((await s.expiredLive(T0 + 4 * HOUR, 1)).map((r) => r.name)).toEqual(['early']);
      expect((await s.purgeable(T0 + 2 * HOUR, 10)).map((r) => r.name)).toEqual(['gone']);
      expect(await s.countLive(T0)).toBe(2);
      expect(await s.countLive(T0 + HOUR)).toBe(1);
      expect(await s.countLive(T0 + 3 * HOUR)).toBe(0);
    }),
  );

  it(
    'records traffic on existing namespaces and ignores unknown names',
    withStore(async (s) => {
      await s.importNamespace(record('busy'));
      await s.recordTraffic(['busy', 'nobody'], T0 + 5);
      expect((await s.getNamespace('busy'))?.lastTrafficAt).toBe(T0 + 5);
      expect(await s.getNamespace('nobody')).toBeUndefined();
    }),
  );

  it(
    'keeps the audit log newest first, by target, bounded, and pages through all of it',
    withStore(async (s) => {
      for (let i = 0; i < 12; i++) await s.audit(audit(`a${i}`, i % 2 ? 'odd' : 'even', T0 + Math.floor(i / 4)));
      expect((await s.listAudit(undefined, 3)).map((e) => e.action)).toEqual(['a11', 'a10', 'a9']);
      expect((await s.listAudit('odd', 2)).map((e) => e.action)).toEqual(['a11', 'a9']);
      const all: string[] = [];
      let after: string | undefined;
      do {
        const page = await s.auditPage(after, 5);
        all.push(...page.entries.map((e) => e.action));
        after = page.next;
      } while (after);
      expect(all).toEqual(Array.from({ length: 12 }, (_, i) => `a${11 - i}`));
      expect((await s.listAudit(undefined, 1))[0]).toEqual(audit('a11', 'odd', T0 + 2));
    }),
  );

  it(
    'stores revocations once, lists them by jti and prunes the expired',
    withStore(async (s) => {
      await s.addRevocation({ jti: 'b', namespace: 'n', expiresAt: T0 + 10, leaseId: 'l1' });
      await s.addRevocation({ jti: 'a', namespace: 'n', expiresAt: T0 + 20, leaseId: 'l2' });
      await s.addRevocation({ jti: 'b', namespace: 'changed', expiresAt: T0 + 99, leaseId: 'l3' });
      expect(await s.listRevocations()).toEqual([
        { jti: 'a', namespace: 'n', expiresAt: T0 + 20, leaseId: 'l2' },
        { jti: 'b', namespace: 'n', expiresAt: T0 + 10, leaseId: 'l1' },
      ]);
      expect(await s.pruneRevocations(T0 + 15)).toBe(1);
      expect((await s.listRevocations()).map((r) => r.jti)).toEqual(['a']);
    }),
  );

  it(
    'keeps signing keys by creation; a second put changes only retiredAt; delete removes one',
    withStore(async (s) => {
      const key = (kid: string, createdAt: number) => ({
        kid,
        alg: 'ES256',
        privateJwk: `{"d":"${kid}"}`,
        publicJwk: `{"x":"${kid}"}`,
        createdAt,
        retiredAt: null,
      });
      await s.putKey(key('k2', T0 + 1));
      await s.putKey(key('k1', T0));
      await s.putKey({ ...key('k1', T0), privateJwk: 'ignored', retiredAt: T0 + 1 });
      expect(await s.listKeys()).toEqual([{ ...key('k1', T0), retiredAt: T0 + 1 }, key('k2', T0 + 1)]);
      await s.deleteKey('k1');
      expect((await s.listKeys()).map((k) => k.kid)).toEqual(['k2']);
    }),
  );

  it(
    'saves the table with the proxies; refuses an older table or another one of the same version',
    withStore(async (s) => {
      expect(await s.getTable()).toBeUndefined();
      await s.saveFleet(table(2), [proxy('p1')]);
      expect(PartitionTable.toJSON((await s.getTable()) as PartitionTable)).toEqual(PartitionTable.toJSON(table(2)));
      expect(await codeOf(s.saveFleet(table(1), []))).toBe('PRISM-STORE-004');
      expect(await codeOf(s.saveFleet(table(2, 'p2'), []))).toBe('PRISM-STORE-004');
      expect(await codeOf(s.saveFleet(table(2), []))).toBe('ok');
      await s.saveFleet(table(3, 'p2'), [proxy('p2')]);
      expect((await s.getTable())?.version).toBe(3);
      await s.saveFleet(undefined, [proxy('p1', { lastSeen: T0 + 7, member: false })]);
      expect(await s.listProxies()).toEqual([proxy('p1', { lastSeen: T0 + 7, member: false }), proxy('p2')]);
      await s.putProxy(proxy('p0'));
      expect((await s.listProxies()).map((p) => p.id)).toEqual(['p0', 'p1', 'p2']);
    }),
  );

  it(
    'keeps settings as JSON values and lists them',
    withStore(async (s) => {
      expect(await s.getSetting('strategy')).toBeUndefined();
      await s.putSetting('strategy', 'key_range');
      await s.putSetting('weights', { p1: 2 });
      await s.putSetting('weights', { p1: 3 });
      expect(await s.getSetting('weights')).toEqual({ p1: 3 });
      expect(await s.listSettings()).toEqual({ strategy: 'key_range', weights: { p1: 3 } });
    }),
  );

  it(
    'updates a setting as one step: concurrent updates from two admins all count',
    withStore(async (s, twin) => {
      const other = await twin();
      const add = (store: AdminStore, i: number) =>
        store.updateSetting<number[]>('tokens', (current) => [...(current ?? []), i]);
      await Promise.all(Array.from({ length: 20 }, (_, i) => add(i % 2 ? other : s, i)));
      expect(((await s.getSetting('tokens')) as number[]).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 20 }, (_, i) => i),
      );
      expect(await s.updateSetting<string>('kept', (current) => current ?? 'first')).toBe('first');
      expect(await other.updateSetting<string>('kept', (current) => current ?? 'second')).toBe('first');
    }),
  );

  it(
    'imports a namespace as it is, replacing one of that name, and counts it against the quota',
    withStore(async (s) => {
      await s.importNamespace(record('imp', { lastTrafficAt: T0 + 1 }));
      await s.importNamespace(record('imp', { lastTrafficAt: T0 + 2 }));
      expect(await s.getNamespace('imp')).toEqual(record('imp', { lastTrafficAt: T0 + 2 }));
      expect(await s.insertNamespace(record('imp2'), audit('reserve', 'imp2'), 1)).toEqual({ ok: false, quota: 1 });
      expect(await s.listAudit('imp', 10)).toEqual([]);
    }),
  );

  it(
    'two admins reserving one name at once: exactly one wins, the other sees the holder',
    withStore(async (s, twin) => {
      const other = await twin();
      for (let round = 0; round < 3; round++) {
        const name = `race-${round}`;
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            (i % 2 ? other : s).insertNamespace(
              record(name, { leaseId: `l${i}`, team: `t${round}` }),
              audit('reserve', name),
              100,
            ),
          ),
        );
        expect(results.filter((r) => r.ok)).toHaveLength(1);
        const holder = (await s.getNamespace(name)) as NamespaceRecord;
        for (const r of results) if (!r.ok) expect(r).toEqual({ ok: false, holder });
      }
    }),
  );

  it(
    "two admins filling one team's quota at once: never past it",
    withStore(async (s, twin) => {
      const other = await twin();
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          (i % 2 ? other : s).insertNamespace(record(`q-${i}`), audit('reserve', `q-${i}`), 5),
        ),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(5);
      expect(results.filter((r) => !r.ok && 'quota' in r)).toHaveLength(7);
      expect(await s.listNamespaces({ prefix: 'q-', limit: 100 })).toHaveLength(5);
    }),
  );

  it(
    'two admins saving the same next table version: one wins, the other is refused, none goes back',
    withStore(async (s, twin) => {
      const other = await twin();
      await s.saveFleet(table(1), []);
      const codes = await Promise.all([
        codeOf(s.saveFleet(table(2, 'a'), [])),
        codeOf(other.saveFleet(table(2, 'b'), [])),
      ]);
      expect(codes.sort()).toEqual(['PRISM-STORE-004', 'ok']);
      expect(await codeOf(other.saveFleet(table(1), []))).toBe('PRISM-STORE-004');
      expect((await other.getTable())?.version).toBe(2);
    }),
  );
});

describe.runIf(etcd)('etcd store only', () => {
  it('passes fields it does not know through proxies and settings (other code adds them)', async () => {
    const opened = await etcdBackend.open();
    try {
      await opened.store.saveFleet(undefined, [proxy('p1', { draining: true, zone: 'eu-1' })]);
      expect((await opened.store.listProxies())[0]).toMatchObject({ draining: true, zone: 'eu-1' });
    } finally {
      await opened.close();
    }
  });

  it('pages through more namespaces than one etcd range returns', async () => {
    const opened = await etcdBackend.open();
    try {
      // Half of them deleted: a page of 300 live ones spans two etcd ranges of 500 keys.
      const names = Array.from({ length: 520 }, (_, i) => `bulk-${String(i).padStart(4, '0')}`);
      for (let i = 0; i < names.length; i += 65) {
        await Promise.all(
          names
            .slice(i, i + 65)
            .map((n, j) =>
              opened.store.importNamespace(
                record(n, { team: n, ...((i + j) % 2 ? {} : { deletedAt: T0, deleteReason: 'deleted' }) }),
              ),
            ),
        );
      }
      const live = await opened.store.listNamespaces({ limit: 300 });
      expect(live.map((r) => r.name)).toEqual(names.filter((_, i) => i % 2).slice(0, 260));
      expect(await opened.store.countLive(T0)).toBe(260);
      expect(await opened.store.purgeable(T0, 1000)).toHaveLength(260);
    } finally {
      await opened.close();
    }
  });
});
