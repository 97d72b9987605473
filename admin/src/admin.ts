import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import type { Server as SecureServer } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { type Logger, pino } from 'pino';
import { BackendPolicy, type ReservedEndpoint } from '../../core/src/backend-policy.js';
import { type Clock, systemClock } from '../../core/src/clock.js';
import type { AdminConfig } from '../../core/src/config/admin-schema.js';
import { requireAdminIdentity, splitHostPort } from '../../core/src/config/checks.js';
import { applyOptions, planReload } from '../../core/src/config/reload.js';
import { partitionOf } from '../../core/src/partition.js';
import { CertificateFiles } from '../../core/src/tls/cert-files.js';
import type { NamespaceAdvertisement } from '../../proto/gen/prism/admin/v1/namespace.js';
import { buildAccess } from './access.js';
import { CleanupJob } from './cleanup.js';
import { keys } from './etcd-keys.js';
import { openEtcdStore } from './etcd-store.js';
import { type Connection, Fleet } from './fleet.js';
import { buildControlPlane, controlPlaneService } from './grpc-server.js';
import { buildHttpApi } from './http-api.js';
import { LeaderElection } from './leader.js';
import { buildAdminMetrics } from './metrics.js';
import { NamespaceService } from './namespaces.js';
import { type OperatorTokenRecord, OperatorTokens, REGISTRY_SETTING } from './operator-tokens.js';
import { openSqliteStore } from './sqlite-store.js';
import { StatusService } from './status.js';
import type { AdminStore, Coordination, NamespaceRecord, RevocationRecord } from './store.js';
import { TokenIssuer } from './tokens.js';
import { buildTransfer } from './transfer.js';

export interface BuildAdminOptions {
  config: Readonly<AdminConfig>;
  clock?: Clock;
  logger?: Logger;
  /** Another store than the embedded SQLite one. */
  store?: AdminStore;
  /** Run the heartbeat check and cleanup job on timers (default true; tests drive them by hand). */
  timers?: boolean;
  /** Write a new bootstrap token even though one was written before (prism-admin --new-bootstrap-token). */
  newBootstrapToken?: boolean;
  /** How often --insecure is warned about after the start (default 60 s). */
  insecureWarningMs?: number;
}

export interface AdminAddresses {
  grpc: string;
  http: string;
  /** The operator API's base URL: https:// when the admin has its tls.* files. */
  httpUrl: string;
  grpcPort: number;
  httpPort: number;
}

/** Builds a ready admin that is not listening yet; `listen()` binds the gRPC and HTTP ports. */
export async function buildAdmin(options: BuildAdminOptions) {
  // A live copy: SIGHUP sets the reloadable options in it (core/src/config/reload.ts), and the code
  // that reads those options does so where it uses them (rollout.ts reads rebalance.* per round).
  const config = structuredClone(options.config) as AdminConfig;
  const clock = options.clock ?? systemClock;
  const log = options.logger ?? pino({ name: 'prism-admin', level: config.log.level });
  requireAdminIdentity(config);
  const certificates = config.tls.certFile
    ? new CertificateFiles({
        source: {
          cert: { option: 'tls.certFile', path: config.tls.certFile },
          key: { option: 'tls.keyFile', path: config.tls.keyFile },
          ca: { option: 'tls.caFile', path: config.tls.caFile },
        },
        role: { usage: 'serverAuth', role: 'admin' },
        reloadIntervalMs: config.tls.reloadIntervalMs,
        purpose: 'admin gRPC',
        log,
      })
    : undefined;
  const store =
    options.store ??
    (config.etcd.endpoints.length > 0
      ? await openEtcdStore(config.etcd)
      : openSqliteStore({ dataDir: config.dataDir, synchronous: config.storage.synchronous }));
  const metrics = buildAdminMetrics();
  const issuer = await TokenIssuer.open({
    store,
    clock,
    algorithm: config.tokens.algorithm,
    rotationDays: config.tokens.keyRotationDays,
    overlapDays: config.tokens.keyOverlapDays,
    maxVerifyingKeys: config.tokens.maxVerifyingKeys,
  });
  const operatorTokens = await OperatorTokens.open({ store, clock, algorithm: config.tokens.algorithm });
  const bootstrap = await operatorTokens.bootstrap(
    config.dataDir,
    config.auth.bootstrapTokenTtlSeconds,
    options.newBootstrapToken,
  );
  if (bootstrap) {
    log.info(
      { file: bootstrap.file, jti: bootstrap.jti, expiresAt: new Date(bootstrap.expiresAt).toISOString() },
      'wrote the initial admin token for the operator API (mode 0600); prismctl --token-file reads it',
    );
  }

  const advertisement = (r: NamespaceRecord): NamespaceAdvertisement => {
    const table = fleet.currentTable();
    const route = fleet.route(r.name);
    return {
      namespace: r.name,
      partitionId: partitionOf(r.name),
      proxies: route ? [route.owner] : [],
      backends: r.backends,
      config: r.config,
      strategy: table?.strategy ?? 0,
      tableVersion: table?.version ?? 0,
      epoch: route?.epoch ?? 0,
      removed: r.deletedAt !== null || r.revokedAt !== null,
    };
  };

  const revocation = (r: RevocationRecord) => ({ ...r, expiresAt: new Date(r.expiresAt) });

  const welcome = async (conn: Connection) => {
    let after: string | undefined;
    for (;;) {
      const page = await store.listNamespaces({ after, limit: 1000 });
      for (const r of page) conn.send({ advertisement: advertisement(r) });
      if (page.length < 1000) break;
      after = page[page.length - 1].name;
    }
    const revocations = (await store.listRevocations()).map((r) => ({ ...r, expiresAt: new Date(r.expiresAt) }));
    conn.send({ revocations: { full: true, revocations } });
    conn.send({ keys: { jwksJson: JSON.stringify(issuer.jwks()) } });
  };

  let addresses: AdminAddresses | undefined;
  const adminId = config.etcd.adminId || `${hostname()}-${process.pid}`;
  /** On a shared store (etcd): the election that decides which admin runs the leader's work. */
  let leader: LeaderElection | undefined;
  let stopTableWatch: (() => void) | undefined;
  const fleet: Fleet = new Fleet({
    store,
    clock,
    config,
    metrics,
    log,
    welcome,
    timers: options.timers !== false,
    presence: store.coordination?.presence,
    relay: store.coordination?.relay,
  });
  await fleet.load();

  // No backend may name the admin's own ports or a proxy's data or ops port: through the proxy, any
  // client of the namespace could call the operator API, or make a proxy forward to itself forever.
  const reserved = (): ReservedEndpoint[] => {
    const own: ReservedEndpoint[] = addresses
      ? [
          { host: splitHostPort(config.grpcListen).host, port: addresses.grpcPort, what: 'the admin gRPC port' },
          { host: splitHostPort(config.httpListen).host, port: addresses.httpPort, what: 'the admin HTTP port' },
        ]
      : [];
    for (const p of fleet.list()) {
      own.push({ host: p.address, port: p.dataPort, what: `the data port of proxy ${p.id}` });
      own.push({ host: p.address, port: p.opsPort, what: `the ops port of proxy ${p.id}` });
    }
    return own;
  };
  const namespaces = new NamespaceService({
    backendPolicy: new BackendPolicy(config.backendPolicy, reserved),
    store,
    clock,
    config,
    issuer,
    metrics,
    ownerOf: (ns) => fleet.ownerOf(ns),
    // On etcd every admin advertises what any admin writes, from the store's watch (below).
    events: store.coordination
      ? { changed: () => undefined, revoked: () => undefined }
      : {
          changed: (r) => fleet.broadcast({ advertisement: advertisement(r) }),
          revoked: (r) => fleet.broadcast({ revocations: { full: false, revocations: [revocation(r)] } }),
        },
  });
  issuer.onRotate = () => fleet.broadcast({ keys: { jwksJson: JSON.stringify(issuer.jwks()) } });
  const transfer = buildTransfer({
    store,
    clock,
    storeKind: options.store ? 'custom' : config.etcd.endpoints.length > 0 ? 'etcd' : 'sqlite',
    reload: async () => {
      await issuer.reload();
      await fleet.load();
    },
  });
  const cleanup = new CleanupJob({ store, clock, config, namespaces, issuer, metrics, log });

  /** What a proxy is told about a namespace: a write that changes none of it is not pushed again. */
  const advertised = (r: NamespaceRecord | undefined) =>
    r && JSON.stringify([r.backends, r.config, r.deletedAt, r.revokedAt]);
  /**
   * With several admins, what another admin writes reaches this one's proxies and operator API as
   * etcd's watch shows it (milliseconds): namespaces reserved or changed there, revocations, signing
   * keys (a rotation on the leader) and the operator token registry. This admin's own writes come back
   * too; proxies take a repeated advertisement or revocation as a no-op.
   */
  const followShared = (coordination: Coordination) =>
    Promise.all([
      coordination.watch(keys.namespaces, (_key, value, before) => {
        const r = value as NamespaceRecord | undefined;
        if (r && advertised(r) !== advertised(before as NamespaceRecord | undefined)) {
          fleet.broadcast({ advertisement: advertisement(r) });
        }
      }),
      coordination.watch(keys.revocations, (_key, value) => {
        const r = value as RevocationRecord | undefined;
        if (r) {
          fleet.broadcast({
            revocations: { full: false, revocations: [{ ...r, expiresAt: new Date(r.expiresAt) }] },
          });
        }
      }),
      coordination.watch(keys.signingKeys, () => {
        issuer.follow().catch((err) => log.warn({ err }, 'reading the signing keys another admin wrote failed'));
      }),
      coordination.watch(keys.setting(REGISTRY_SETTING), (_key, value) => {
        if (Array.isArray(value)) operatorTokens.adopt(value as OperatorTokenRecord[]);
      }),
    ]);

  // grpc-js (1.14) applies a certificate provider's updates with setSecureContext on the bound
  // server: rotated files take effect for new connections without re-binding the port. The same
  // provider serves as CA and identity source, which also makes the order of the arguments moot.
  const grpcCredentials = certificates
    ? grpc.experimental.createCertificateProviderServerCredentials(certificates, certificates, true)
    : grpc.ServerCredentials.createInsecure();
  const grpcServer = new grpc.Server({ 'grpc.keepalive_time_ms': 20_000, 'grpc.keepalive_permit_without_calls': 1 });
  grpcServer.addService(controlPlaneService, buildControlPlane(fleet, metrics, log, { mtls: !!certificates }));
  const { app: http, routeTable } = await buildHttpApi({
    namespaces,
    fleet,
    issuer,
    store,
    metrics,
    log,
    limits: config.limits,
    auth: config.auth,
    access: buildAccess({
      tokens: operatorTokens,
      insecure: config.insecure,
      operatorRoles: config.auth.operatorRoles,
      now: () => clock.now(),
    }),
    tokens: operatorTokens,
    insecure: config.insecure,
    tls: certificates && {
      cert: certificates.current.cert,
      key: certificates.current.key,
      ca: certificates.current.ca,
    },
    countLive: () => store.countLive(clock.now()),
    transfer,
    status: new StatusService({ fleet, store, clock }),
    adminStatus: async () => {
      const role = leader?.role() ?? { id: adminId, role: 'leader' as const, leader: undefined };
      const self = addresses && { id: adminId, http: addresses.httpUrl, grpc: addresses.grpc };
      return {
        adminId,
        role: role.role,
        leaderId: role.leader?.id ?? '',
        leader: role.role === 'leader' ? self : role.leader,
        store: store.coordination ? 'etcd' : options.store ? 'custom' : 'sqlite',
        etcd: leader ? await leader.health() : [],
        tableVersion: fleet.currentTable()?.version ?? 0,
      };
    },
  });
  // Rotated files apply to new HTTPS connections too, as on the gRPC port.
  certificates?.onChange((c) =>
    (http.server as unknown as SecureServer).setSecureContext({ cert: c.cert, key: c.key, ca: c.ca }),
  );
  const insecureWarning = () =>
    log.warn(
      { insecure: true, httpListen: config.httpListen, grpcListen: config.grpcListen, mtls: !!certificates },
      certificates
        ? 'prism-admin runs with --insecure: the operator API accepts every caller as an admin, without a credential; use it only for throwaway experiments'
        : 'prism-admin runs with --insecure: the operator API accepts every caller as an admin, without a credential, and the plaintext gRPC port lets any process register as any proxy; use it only for throwaway experiments',
    );

  const timers: NodeJS.Timeout[] = [];

  return {
    config,
    store,
    fleet,
    namespaces,
    cleanup,
    issuer,
    operatorTokens,
    metrics,
    log,
    /** The operator API (fastify): `inject()` serves a request without a socket. */
    http,
    /** Every operator API route with the role it needs. */
    routeTable,

    async listen(): Promise<AdminAddresses> {
      const g = splitHostPort(config.grpcListen);
      const grpcPort = await new Promise<number>((resolve, reject) =>
        grpcServer.bindAsync(
          `${g.host.includes(':') ? `[${g.host}]` : g.host}:${g.port}`,
          grpcCredentials,
          (err, port) => (err ? reject(err) : resolve(port)),
        ),
      );
      const h = splitHostPort(config.httpListen);
      // The node:http server directly, not fastify's listen(): its "Server listening" line would come
      // before the one line that names both ports.
      await http.ready();
      await new Promise<void>((resolve, reject) => {
        http.server.once('error', reject);
        http.server.listen(h.port, h.host, () => resolve());
      });
      const httpPort = (http.server.address() as AddressInfo).port;
      if (options.timers !== false) {
        const beat = config.proxies.heartbeatSeconds * 1000;
        timers.push(setInterval(() => void fleet.checkHealth(), Math.max(250, beat / 2)));
        timers.push(
          setInterval(() => void fleet.flush().catch((err) => log.warn({ err }, 'saving proxy state failed')), beat),
        );
        for (const t of timers) t.unref();
        if (!store.coordination) {
          cleanup.start();
          void cleanup.runOnce();
        }
      }
      certificates?.start();
      const authority = `${h.host.includes(':') ? `[${h.host}]` : h.host}:${httpPort}`;
      addresses = {
        grpc: `${g.host}:${grpcPort}`,
        http: `${h.host}:${httpPort}`,
        httpUrl: `${certificates ? 'https' : 'http'}://${authority}`,
        grpcPort,
        httpPort,
      };
      const coordination = store.coordination;
      if (coordination) {
        const stopTables = await coordination.watchTable((table) => fleet.followTable(table));
        const stopPresence = await fleet.watchPresence();
        const stopRelay = await fleet.watchRelay();
        const stopShared = await followShared(coordination);
        // What other admins wrote between this admin's start and its watches.
        await issuer.follow();
        operatorTokens.adopt(((await store.getSetting(REGISTRY_SETTING)) ?? []) as OperatorTokenRecord[]);
        stopTableWatch = () => {
          stopTables();
          stopPresence();
          stopRelay();
          for (const stop of stopShared) stop();
        };
        leader = new LeaderElection(
          { id: adminId, http: addresses.httpUrl, grpc: addresses.grpc },
          {
            coordination,
            ttlSeconds: config.etcd.leaderTtlSeconds,
            log,
            elected: async () => {
              await fleet.lead();
              if (options.timers !== false) {
                cleanup.start();
                void cleanup.runOnce();
              }
            },
            follow: (name) => {
              fleet.follow(name);
              cleanup.stop();
            },
          },
        );
        await leader.start();
      }
      log.info(
        {
          admin: adminId,
          grpc: addresses.grpc,
          http: addresses.http,
          url: addresses.httpUrl,
          dataDir: config.dataDir,
          mtls: certificates ? certificates.current.identity : false,
          insecure: config.insecure,
        },
        'prism-admin listening',
      );
      if (config.insecure) {
        insecureWarning();
        const repeat = setInterval(insecureWarning, options.insecureWarningMs ?? 60_000);
        repeat.unref();
        timers.push(repeat);
      }
      return addresses;
    },

    addresses: () => addresses,

    /**
     * SIGHUP with a new configuration: takes its reloadable options, or refuses the whole reload with
     * PRISM-CONFIG-009 when it changes others. Returns the options changed.
     */
    reloadConfig(next: Readonly<AdminConfig>): string[] {
      const changed = planReload('admin', config, next);
      applyOptions(config as unknown as Record<string, unknown>, next as unknown as Record<string, unknown>, changed);
      return changed;
    },

    /** Re-reads the certificate files now (SIGHUP); they are also re-read every tls.reloadIntervalMs. */
    reloadCertificates: () => certificates?.reload() ?? Promise.resolve('unchanged' as const),

    /** This admin's role in the leader election (always the leader on a store of its own). */
    role: () => leader?.role() ?? { id: adminId, role: 'leader' as const },

    async close(): Promise<void> {
      stopTableWatch?.();
      await leader?.close();
      certificates?.stop();
      for (const t of timers) clearInterval(t);
      cleanup.stop();
      fleet.closeAll();
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          grpcServer.forceShutdown();
          resolve();
        }, 1000);
        grpcServer.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      http.server.closeAllConnections();
      await http.close();
      await fleet.flush().catch(() => undefined);
      await store.close();
    },
  };
}

export type Admin = Awaited<ReturnType<typeof buildAdmin>>;
