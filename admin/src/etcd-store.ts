import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConsecutiveBreaker, circuitBreaker, handleWhen, retry } from 'cockatiel';
import {
  type ComparatorBuilder,
  Etcd3,
  EtcdAuthenticationFailedError,
  EtcdPermissionDeniedError,
  EtcdRoleNotGrantedError,
  EtcdUserNotFoundError,
  GRPCUnauthenticatedError,
  type IKeyValue,
  type IOperation,
  isRecoverableError,
  type Lease,
  type Namespace,
  Range,
} from 'etcd3';
import type { AdminConfig } from '../../core/src/config/admin-schema.js';
import { PrismError } from '../../core/src/errors.js';
import { describe } from '../../core/src/names.js';
import type { Prepare, Prepared } from '../../proto/gen/prism/admin/v1/control_plane.js';
import { PartitionTable } from '../../proto/gen/prism/admin/v1/partition.js';
import { decode, encode, keys, prefixEnd } from './etcd-keys.js';
import {
  type AdminStore,
  type AuditEntry,
  type Coordination,
  checkTableOrder,
  type EndpointHealth,
  type Fence,
  type InsertResult,
  type NamespaceRecord,
  type RevocationRecord,
  type StoredKey,
  type StoredProxy,
} from './store.js';

/** etcd's default --max-txn-ops is 128: proxies beyond this many go in follow-up transactions. */
const PROXIES_PER_TXN = 100;
/**
 * A compare that lost to another writer is retried from a fresh read this many times, after a short
 * random pause that grows: reservations of one team all compare its counter.
 */
const ATTEMPTS = 60;
const backoff = (attempt: number) =>
  attempt === 0 ? Promise.resolve() : sleep(Math.random() * Math.min(100, 2 ** Math.min(attempt, 7)));
const PAGE = 500;

export type EtcdOptions = Readonly<AdminConfig['etcd']>;

interface Versioned<T> {
  value: T;
  /** mod_revision, or 0 when the key does not exist (etcd compares a missing key's as 0). */
  rev: number;
}

const credentialErrors = [
  EtcdAuthenticationFailedError,
  EtcdPermissionDeniedError,
  EtcdRoleNotGrantedError,
  EtcdUserNotFoundError,
  GRPCUnauthenticatedError,
];

const readFile = (option: string, path: string) => {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new PrismError(
      'PRISM-CONFIG-007',
      `cannot read etcd.${option} ${describe(path)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
};

/** The etcd3 client the options describe: TLS and user as etcdctl takes them, short per-request deadlines. */
function connect(options: EtcdOptions): Etcd3 {
  const tls = options.cacert || options.cert || options.endpoints.some((e) => e.startsWith('https:'));
  return new Etcd3({
    hosts: [...options.endpoints],
    dialTimeout: options.dialTimeoutMs,
    credentials: tls
      ? {
          rootCertificate: options.cacert ? readFile('cacert', options.cacert) : (undefined as unknown as Buffer),
          certChain: options.cert ? readFile('cert', options.cert) : undefined,
          privateKey: options.key ? readFile('key', options.key) : undefined,
        }
      : undefined,
    auth: options.user
      ? { username: options.user, password: readFile('passwordFile', options.passwordFile).toString().trim() }
      : undefined,
    defaultCallOptions: () => ({ deadline: Date.now() + options.requestTimeoutMs }),
    faultHandling: {
      // A member that refused a connection is tried again after 1 s (the client's default is 5 s):
      // recovery after a quorum loss should not wait on the client.
      host: () =>
        circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: 1_000, breaker: new ConsecutiveBreaker(3) }),
      global: retry(handleWhen(isRecoverableError), { maxAttempts: Math.max(1, options.endpoints.length - 1) }),
    },
  });
}

/**
 * The AdminStore on etcd v3: several admins can share it. Every write that must be unique or
 * ordered is one transaction whose compares fail when another writer got there first (then it is
 * read again and retried): a name is created only while its key does not exist, a team's live count
 * is compared in the same transaction as the reservation, and the table key is compared with the
 * version that was checked. When etcd has no quorum, writes fail with PRISM-STORE-002 after
 * etcd.requestTimeoutMs and reads fall back to one member's copy (serializable).
 */
export async function openEtcdStore(options: EtcdOptions): Promise<AdminStore> {
  const prefix = options.prefix.endsWith('/') ? options.prefix : `${options.prefix}/`;
  const client = connect(options);
  const kv: Namespace = client.namespace(prefix);
  const endpoints = options.endpoints.join(',');
  const writer = randomBytes(4).toString('hex');
  let seq = 0;

  const storeError = (err: unknown, what: string): Error => {
    if (err instanceof PrismError) return err;
    const message = (err as Error).message ?? String(err);
    if (credentialErrors.some((c) => err instanceof c)) {
      return new PrismError('PRISM-STORE-007', `etcd (${endpoints}) refused the admin while ${what}: ${message}`, {
        cause: err,
      });
    }
    return new PrismError('PRISM-STORE-002', `etcd (${endpoints}) failed while ${what}: ${message}`, { cause: err });
  };
  const write = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw storeError(err, what);
    }
  };
  /** A linearizable read, or one member's copy when the cluster cannot answer (no quorum). */
  const read = async <T>(what: string, fn: (serializable: boolean) => Promise<T>): Promise<T> => {
    try {
      return await fn(false);
    } catch (err) {
      const coded = storeError(err, what);
      if (!(coded instanceof PrismError) || coded.code !== 'PRISM-STORE-002') throw coded;
      try {
        return await fn(true);
      } catch {
        throw coded;
      }
    }
  };

  const getOne = async <T>(key: string, serializable = false): Promise<Versioned<T> | undefined> => {
    const res = await kv.get(key).serializable(serializable).exec();
    const hit = res.kvs[0];
    return hit ? { value: decode<T>(key, hit.value), rev: Number(hit.mod_revision) } : undefined;
  };
  /** Keys in [start, end), in key order, at most `limit`. */
  const range = async (start: string, end: Buffer | string, limit: number, serializable = false) => {
    const res = await kv.getAll().inRange(new Range(start, end)).limit(limit).serializable(serializable).exec();
    return { kvs: res.kvs as IKeyValue[], more: res.more };
  };
  /** Every key under a prefix, a page at a time. */
  const scan = async <T>(p: string, serializable = false): Promise<{ key: string; value: T }[]> => {
    const out: { key: string; value: T }[] = [];
    let start = p;
    for (;;) {
      const { kvs, more } = await range(start, prefixEnd(p), PAGE, serializable);
      for (const hit of kvs) out.push({ key: hit.key.toString(), value: decode<T>(hit.key.toString(), hit.value) });
      if (!more || kvs.length === 0) return out;
      start = `${kvs[kvs.length - 1].key.toString()}\0`;
    }
  };
  const put = (key: string, value: unknown) => kv.put(key).value(encode(value));
  const del = (key: string) => kv.delete().key(key);
  /** A transaction without a condition (its compare always holds: versions are never negative). */
  const always = () => kv.if(keys.table, 'Version', '>', -1);
  const txn = (compares: [key: string, rev: number][]): ComparatorBuilder => {
    let t = kv.if(compares[0][0], 'Mod', '==', compares[0][1]);
    for (const [key, rev] of compares.slice(1)) t = t.and(key, 'Mod', '==', rev);
    return t;
  };
  /** Leader-only writes compare it; undefined until this admin campaigned (it writes nothing leader-only before). */
  let fence: Fence | 'follower' | undefined;
  let leaderName = '';
  const fencedHandlers: ((err: PrismError) => void)[] = [];
  const leaderOnly = (what: string) => {
    if (fence === 'follower') {
      throw new PrismError(
        'PRISM-HA-002',
        `${what} is the leader's work and this admin follows${leaderName ? ` ${leaderName}` : ' (no admin leads yet)'}`,
      );
    }
  };
  const withFence = (t: ComparatorBuilder): ComparatorBuilder =>
    fence && fence !== 'follower' ? t.and(fence.key, 'Create', '==', fence.createRevision) : t;
  /** After a failed leader-only transaction: when the fence no longer holds, step down and refuse. */
  const checkFence = async (what: string): Promise<void> => {
    if (!fence) return;
    const held = fence;
    const hit = held === 'follower' ? undefined : (await kv.get(held.key).exec()).kvs[0];
    if (held !== 'follower' && hit && Number(hit.create_revision) === held.createRevision) return;
    // Also when the admin stepped down while the transaction was on its way: it was refused all the same.
    fence = 'follower';
    const err = new PrismError(
      'PRISM-HA-001',
      held === 'follower'
        ? `${what} refused: this admin lost the leadership while writing`
        : `${what} refused: this admin's election key ${held.key} (created at revision ${held.createRevision}) ${hit ? 'belongs to a newer campaign' : 'is gone'}, another admin leads`,
    );
    for (const h of fencedHandlers) h(err);
    throw err;
  };
  /** Runs `attempt` until it commits; it returns false when its compares lost to another writer. */
  const retrying = async (what: string, attempt: () => Promise<boolean>): Promise<void> => {
    for (let i = 0; i < ATTEMPTS; i++) {
      await backoff(i);
      if (await attempt()) return;
    }
    throw new PrismError('PRISM-STORE-008', `${what} lost to other writers ${ATTEMPTS} times in a row`);
  };

  const auditOps = (entry: AuditEntry): IOperation[] => {
    const n = seq++;
    return [put(keys.audit(entry.at, n, writer), entry), put(keys.auditOf(entry.target, entry.at, n, writer), entry)];
  };

  const indexKeys = (r: NamespaceRecord | undefined): string[] =>
    !r ? [] : r.deletedAt === null ? [keys.live(r.graceUntil, r.name)] : [keys.deleted(r.deletedAt, r.name)];

  /**
   * The operations and compares that replace `old` by `next` (undefined = gone): the record, its
   * index keys and the live count of the teams whose count changes.
   */
  const namespaceChange = async (name: string, old: Versioned<NamespaceRecord> | undefined, next?: NamespaceRecord) => {
    const compares: [string, number][] = [[keys.namespace(name), old?.rev ?? 0]];
    const ops: IOperation[] = [next ? put(keys.namespace(name), next) : del(keys.namespace(name))];
    const before = new Set(indexKeys(old?.value));
    const after = new Set(indexKeys(next));
    for (const k of before) if (!after.has(k)) ops.push(del(k));
    for (const k of after) if (!before.has(k)) ops.push(kv.put(k).value(''));
    const delta = new Map<string, number>();
    const live = (r?: NamespaceRecord) => (r && r.deletedAt === null ? r.team : undefined);
    const was = live(old?.value);
    const is = live(next);
    if (was !== is) {
      if (was !== undefined) delta.set(was, (delta.get(was) ?? 0) - 1);
      if (is !== undefined) delta.set(is, (delta.get(is) ?? 0) + 1);
    }
    for (const [team, d] of delta) {
      const counter = await getOne<{ live: number }>(keys.team(team));
      compares.push([keys.team(team), counter?.rev ?? 0]);
      ops.push(put(keys.team(team), { live: Math.max(0, (counter?.value.live ?? 0) + d) }));
    }
    return { compares, ops };
  };

  /** Read, decide, write in one compare-guarded transaction, again from the read when another writer won. */
  const changeNamespace = (
    what: string,
    name: string,
    decide: (old: NamespaceRecord | undefined) => { next?: NamespaceRecord | 'delete'; audit?: AuditEntry },
  ) =>
    write(what, () =>
      retrying(what, async () => {
        const old = await getOne<NamespaceRecord>(keys.namespace(name));
        const { next, audit } = decide(old?.value);
        const auditList = audit ? auditOps(audit) : [];
        if (next === undefined) {
          if (auditList.length)
            await txn([[keys.namespace(name), old?.rev ?? 0]])
              .then(...auditList)
              .commit();
          return true;
        }
        const change = await namespaceChange(name, old, next === 'delete' ? undefined : next);
        const res = await txn(change.compares)
          .then(...change.ops, ...auditList)
          .commit();
        return res.succeeded;
      }),
    );

  const namespacesIn = async (start: string, end: string, limit: number) => {
    const { kvs } = await range(start, end, limit);
    const names = kvs.map((hit) =>
      hit.key
        .toString()
        .slice(start.length)
        .replace(/^\d{16}\//, ''),
    );
    const found = await Promise.all(names.map((n) => getOne<NamespaceRecord>(keys.namespace(n))));
    return found.filter((f) => f !== undefined).map((f) => f.value);
  };

  const healthClients = new Map<string, Etcd3>();
  // The election's keep-alives, retried campaigns and watches get a client of their own: during a
  // quorum loss their failures would otherwise open the circuit breaker of the members that still
  // serve reads.
  let coordinationClient: Etcd3 | undefined;
  const coordinationKv = () => {
    coordinationClient ??= connect(options);
    return coordinationClient.namespace(prefix);
  };
  let presenceLease: Promise<{ lease: Lease; id: string }> | undefined;
  const presenceLost: (() => void)[] = [];
  const ownPresence = () => {
    presenceLease ??= (async () => {
      const lease = coordinationKv().lease(options.leaderTtlSeconds);
      lease.on('lost', () => {
        presenceLease = undefined;
        for (const h of presenceLost) h();
      });
      return { lease, id: await lease.grant() };
    })().catch((err) => {
      presenceLease = undefined;
      throw err;
    });
    return presenceLease;
  };
  /** Every change under `p` (relative to the prefix), with the value before; decode errors are skipped. */
  const watchPrefix = async (p: string, onChange: (key: string, value: unknown, before: unknown) => void) => {
    const watcher = await coordinationKv().watch().prefix(p).withPreviousKV().create();
    const value = (hit: IKeyValue | undefined) => (hit ? decode<unknown>(hit.key.toString(), hit.value) : undefined);
    const report = (hit: IKeyValue, previous: IKeyValue | undefined, deleted: boolean) => {
      try {
        onChange(hit.key.toString(), deleted ? undefined : value(hit), value(previous));
      } catch {
        // A value this admin cannot read (schema version) is reported where the key is read.
      }
    };
    watcher.on('put', (hit, previous) => report(hit, previous, false));
    watcher.on('delete', (hit, previous) => report(hit, previous, true));
    return () => void watcher.cancel().catch(() => undefined);
  };
  const coordination: Coordination = {
    watch: watchPrefix,
    relay: {
      prepare: (id, message) =>
        write('relaying a Prepare', async () => {
          const { lease } = await ownPresence();
          await lease
            .put(keys.relayPrepare(id))
            .value(encode({ from: writer, message }))
            .exec();
        }),
      prepared: (id, message, to) =>
        write('relaying a Prepared', async () => {
          const { lease } = await ownPresence();
          await lease.put(keys.relayPrepared(id)).value(encode({ to, message })).exec();
        }),
      watch: async (onPrepare, onPrepared) => {
        const stops = await Promise.all([
          watchPrefix(keys.relayPrepares, (key, value) => {
            const v = value as { from: string; message: Prepare } | undefined;
            if (v) onPrepare(key.slice(keys.relayPrepares.length), v.message, v.from);
          }),
          watchPrefix(keys.relayPrepareds, (key, value) => {
            const v = value as { to: string; message: Prepared } | undefined;
            if (v && v.to === writer) onPrepared(key.slice(keys.relayPrepareds.length), v.message);
          }),
        ]);
        return () => {
          for (const stop of stops) stop();
        };
      },
    },
    electionSpace: () => coordinationKv().namespace('election/leader/'),
    electionPrefix: 'election/leader/',
    observe: () => coordinationKv().election('leader').observe(),
    fence: (next, leader) => {
      fence = next;
      leaderName = leader ?? '';
    },
    onFenced: (handler) => void fencedHandlers.push(handler),
    watchTable: async (onTable) => {
      const watcher = await kv.watch().key(keys.table).create();
      watcher.on('put', (hit) => {
        try {
          onTable(PartitionTable.fromJSON(decode<unknown>(keys.table, hit.value)));
        } catch {
          // A value this admin cannot read (schema version) is reported where the table is read.
        }
      });
      return () => void watcher.cancel().catch(() => undefined);
    },
    presence: {
      put: (proxy) =>
        write('announcing a proxy stream', async () => {
          const { lease } = await ownPresence();
          await lease.put(keys.presence(proxy.id)).value(encode(proxy)).exec();
        }),
      remove: (id) =>
        write('ending a proxy stream', async () => {
          const own = await presenceLease?.catch(() => undefined);
          if (!own) return;
          await kv
            .if(keys.presence(id), 'Lease', '==', own.id)
            .then(del(keys.presence(id)))
            .commit();
        }),
      list: () =>
        read('reading proxy streams', async (s) => (await scan<StoredProxy>(keys.presences, s)).map((e) => e.value)),
      watch: async (onPut, onRemove) => {
        const watcher = await coordinationKv().watch().prefix(keys.presences).create();
        watcher.on('put', (hit) => onPut(decode<StoredProxy>(hit.key.toString(), hit.value)));
        watcher.on('delete', (hit) => onRemove(hit.key.toString().slice(keys.presences.length)));
        return () => void watcher.cancel().catch(() => undefined);
      },
      onLost: (handler) => void presenceLost.push(handler),
    },
    health: () =>
      Promise.all(
        options.endpoints.map(async (endpoint): Promise<EndpointHealth> => {
          let one = healthClients.get(endpoint);
          if (!one) {
            one = connect({ ...options, endpoints: [endpoint], dialTimeoutMs: 1_000, requestTimeoutMs: 1_000 });
            healthClients.set(endpoint, one);
          }
          try {
            const s = await one.maintenance.status();
            return { endpoint, healthy: true, raftLeader: s.leader === s.header.member_id };
          } catch (err) {
            return { endpoint, healthy: false, error: (err as Error).message };
          }
        }),
      ),
  };

  const store: AdminStore = {
    insertNamespace: (record, audit, teamQuota) =>
      write('reserving a namespace', async () => {
        for (let i = 0; i < ATTEMPTS; i++) {
          await backoff(i);
          const [existing, counter] = await Promise.all([
            getOne<NamespaceRecord>(keys.namespace(record.name)),
            getOne<{ live: number }>(keys.team(record.team)),
          ]);
          let result: InsertResult | undefined;
          if (existing) {
            // Our own record, written by an attempt whose answer was lost: that reservation succeeded.
            if (existing.value.leaseId === record.leaseId) return { ok: true };
            result = { ok: false, holder: existing.value };
          } else if ((counter?.value.live ?? 0) >= teamQuota) result = { ok: false, quota: teamQuota };
          if (result) {
            const code = 'quota' in result ? 'PRISM-NS-009' : 'PRISM-NS-004';
            // The refusal stands only as long as what it was based on is unchanged.
            const res = await txn([
              [keys.namespace(record.name), existing?.rev ?? 0],
              ...(existing ? [] : ([[keys.team(record.team), counter?.rev ?? 0]] as [string, number][])),
            ])
              .then(...auditOps({ ...audit, result: code }))
              .commit();
            if (res.succeeded) return result;
            continue;
          }
          const ops = [
            put(keys.namespace(record.name), record),
            ...indexKeys(record).map((k) => kv.put(k).value('')),
            put(keys.team(record.team), { live: (counter?.value.live ?? 0) + (record.deletedAt === null ? 1 : 0) }),
            ...auditOps(audit),
          ];
          const res = await txn([
            [keys.namespace(record.name), 0],
            [keys.team(record.team), counter?.rev ?? 0],
          ])
            .then(...ops)
            .commit();
          if (res.succeeded) return { ok: true };
        }
        throw new PrismError(
          'PRISM-STORE-008',
          `reserving "${record.name}" lost to other writers ${ATTEMPTS} times in a row`,
        );
      }),
    getNamespace: (name) =>
      read('reading a namespace', async (s) => (await getOne<NamespaceRecord>(keys.namespace(name), s))?.value),
    listNamespaces: (q) =>
      read('listing namespaces', async (s) => {
        const base = keys.namespaces + (q.prefix ?? '');
        const after = q.after === undefined ? '' : `${keys.namespaces}${q.after}\0`;
        // Names are ASCII, so string order is etcd's byte order.
        let start = [after, base].sort()[1];
        const end = prefixEnd(base);
        const out: NamespaceRecord[] = [];
        // Deleted ones are skipped, so a page of live ones may take several ranges.
        while (out.length < q.limit) {
          const { kvs, more } = await range(start, end, Math.min(PAGE, q.limit - out.length), s);
          for (const hit of kvs) {
            const r = decode<NamespaceRecord>(hit.key.toString(), hit.value);
            if (q.includeDeleted || r.deletedAt === null) out.push(r);
          }
          if (!more || kvs.length === 0) break;
          start = `${kvs[kvs.length - 1].key.toString()}\0`;
        }
        return out;
      }),
    updateNamespace: (record, audit) =>
      changeNamespace('updating a namespace', record.name, (old) => ({ next: old ? record : undefined, audit })),
    purgeNamespace: (name, audit) =>
      changeNamespace('purging a namespace', name, (old) => ({ next: old ? 'delete' : undefined, audit })),
    importNamespace: (record) => changeNamespace('importing a namespace', record.name, () => ({ next: record })),
    recordTraffic: (names, at) =>
      write('recording traffic', async () => {
        for (let i = 0; i < names.length; i += 16) {
          await Promise.all(
            names.slice(i, i + 16).map((name) =>
              changeNamespace('recording traffic', name, (old) => ({
                next: old ? { ...old, lastTrafficAt: at } : undefined,
              })),
            ),
          );
        }
      }),
    expiredLive: (now, limit) =>
      read('finding expired leases', async () =>
        (await namespacesIn(keys.liveIndex, keys.liveBefore(now + 1), limit)).filter(
          (r) => r.deletedAt === null && r.graceUntil <= now,
        ),
      ),
    purgeable: (cutoff, limit) =>
      read('finding purgeable namespaces', async () =>
        (await namespacesIn(keys.deletedIndex, keys.deletedBefore(cutoff + 1), limit)).filter(
          (r) => r.deletedAt !== null && r.deletedAt <= cutoff,
        ),
      ),
    countLive: (now) =>
      read('counting leases', (s) =>
        kv
          .getAll()
          .inRange(new Range(keys.liveBefore(now + 1), prefixEnd(keys.liveIndex)))
          .serializable(s)
          .count(),
      ),

    audit: (entry) =>
      write('writing the audit log', async () => {
        const ops = auditOps(entry);
        await always()
          .then(...ops)
          .commit();
      }),
    listAudit: (target, limit) =>
      read('reading the audit log', async (s) => {
        const p = target === undefined ? keys.auditLog : keys.auditTarget(target);
        const { kvs } = await range(p, prefixEnd(p), limit, s);
        return kvs.map((hit) => decode<AuditEntry>(hit.key.toString(), hit.value));
      }),
    auditPage: (after, limit) =>
      read('reading the audit log', async (s) => {
        const start = after === undefined ? keys.auditLog : `${after}\0`;
        const { kvs, more } = await range(start, prefixEnd(keys.auditLog), limit, s);
        return {
          entries: kvs.map((hit) => decode<AuditEntry>(hit.key.toString(), hit.value)),
          next: more && kvs.length ? kvs[kvs.length - 1].key.toString() : undefined,
        };
      }),

    addRevocation: (r) =>
      write('revoking a token', async () => {
        await txn([[keys.revocation(r.jti), 0]])
          .then(put(keys.revocation(r.jti), r))
          .commit();
      }),
    listRevocations: () =>
      read('reading revocations', async (s) => (await scan<RevocationRecord>(keys.revocations, s)).map((e) => e.value)),
    pruneRevocations: (now) =>
      write('pruning revocations', async () => {
        const expired = (await scan<RevocationRecord>(keys.revocations)).filter((e) => e.value.expiresAt <= now);
        let pruned = 0;
        for (const e of expired) pruned += Number((await del(e.key)).deleted);
        return pruned;
      }),

    listKeys: () =>
      read('reading signing keys', async (s) =>
        (await scan<StoredKey>(keys.signingKeys, s))
          .map((e) => e.value)
          .sort((a, b) => a.createdAt - b.createdAt || (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0)),
      ),
    putKey: (key) =>
      write('saving a signing key', () =>
        retrying('saving a signing key', async () => {
          const old = await getOne<StoredKey>(keys.key(key.kid));
          const next = old ? { ...old.value, retiredAt: key.retiredAt } : key;
          return (
            await txn([[keys.key(key.kid), old?.rev ?? 0]])
              .then(put(keys.key(key.kid), next))
              .commit()
          ).succeeded;
        }),
      ),
    deleteKey: (kid) => write('deleting a signing key', async () => void (await del(keys.key(kid)))),

    getTable: () =>
      read('reading the partition table', async (s) => {
        const stored = await getOne<unknown>(keys.table, s);
        return stored ? PartitionTable.fromJSON(stored.value) : undefined;
      }),
    saveFleet: (table, proxies) =>
      write('saving the partition table', async () => {
        let rest = proxies;
        if (table) leaderOnly(`saving partition table v${table.version}`);
        if (table) {
          const json = PartitionTable.toJSON(table);
          const first = proxies.slice(0, PROXIES_PER_TXN);
          rest = proxies.slice(PROXIES_PER_TXN);
          await retrying('saving the partition table', async () => {
            const stored = await getOne<unknown>(keys.table);
            if (stored) {
              checkTableOrder(
                PartitionTable.fromJSON(stored.value),
                JSON.stringify(stored.value),
                table,
                JSON.stringify(json),
              );
            }
            // The compare on the table key makes the version check above hold at the commit; the
            // fence makes it the leader's write.
            const res = await withFence(txn([[keys.table, stored?.rev ?? 0]]))
              .then(put(keys.table, json), ...first.map((p) => put(keys.proxy(p.id), p)))
              .commit();
            if (!res.succeeded) await checkFence(`saving partition table v${table.version}`);
            return res.succeeded;
          });
        }
        for (let i = 0; i < rest.length; i += PROXIES_PER_TXN) {
          const chunk = rest.slice(i, i + PROXIES_PER_TXN);
          await always()
            .then(...chunk.map((p) => put(keys.proxy(p.id), p)))
            .commit();
        }
      }),
    listProxies: () =>
      read('reading proxies', async (s) => (await scan<StoredProxy>(keys.proxies, s)).map((e) => e.value)),
    putProxy: (p) => write('saving a proxy', async () => void (await put(keys.proxy(p.id), p))),
    getSetting: (key) => read('reading a setting', async (s) => (await getOne<unknown>(keys.setting(key), s))?.value),
    putSetting: (key, value, leaderOnlySetting) =>
      write('saving a setting', async () => {
        if (!leaderOnlySetting) return void (await put(keys.setting(key), value));
        leaderOnly(`saving the setting ${key}`);
        const res = await withFence(always())
          .then(put(keys.setting(key), value))
          .commit();
        if (!res.succeeded) await checkFence(`saving the setting ${key}`);
      }),
    updateSetting: <T>(key: string, update: (current: T | undefined) => T) =>
      write('saving a setting', async () => {
        let next: T | undefined;
        await retrying(`saving the setting ${key}`, async () => {
          const old = await getOne<T>(keys.setting(key));
          next = update(old?.value);
          return (
            await txn([[keys.setting(key), old?.rev ?? 0]])
              .then(put(keys.setting(key), next))
              .commit()
          ).succeeded;
        });
        return next as T;
      }),
    listSettings: () =>
      read('reading settings', async (s) =>
        Object.fromEntries(
          (await scan<unknown>(keys.settings, s)).map((e) => [e.key.slice(keys.settings.length), e.value]),
        ),
      ),

    coordination,

    close: async () => {
      for (const c of healthClients.values()) c.close();
      coordinationClient?.close();
      client.close();
    },
  };

  // Fail at start, naming the endpoints, rather than on the first request.
  try {
    await kv.get(keys.table).exec();
  } catch (err) {
    client.close();
    const coded = storeError(err, 'starting');
    if (coded instanceof PrismError && coded.code === 'PRISM-STORE-007') throw coded;
    throw new PrismError(
      'PRISM-STORE-003',
      `cannot reach etcd at ${endpoints} within ${options.dialTimeoutMs} ms: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return store;
}
