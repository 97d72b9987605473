import type { Server as HttpServer } from 'node:http';
import type { AddressInfo, Server as NetServer } from 'node:net';
import { type Logger, pino } from 'pino';
import { BackendPolicy, type ReservedEndpoint } from '../../core/src/backend-policy.js';
import { requireProxyIdentity, splitHostPort } from '../../core/src/config/checks.js';
import { configFingerprint } from '../../core/src/config/fingerprint.js';
import type { ProxyConfig } from '../../core/src/config/proxy-schema.js';
import { applyOptions, planReload } from '../../core/src/config/reload.js';
import { CertificateFiles } from '../../core/src/tls/cert-files.js';
import { startTracing } from '../../core/src/tracing.js';
import { Backends, servedBackends } from './backends.js';
import { buildChain } from './chain.js';
import { adminChannelCredentials, ControlClient } from './control-client.js';
import { buildDataPort } from './data-port.js';
import { Forwarder } from './forwarder.js';
import { ProxyHealth } from './health.js';
import { buildProxyMetrics } from './metrics.js';
import { buildOpsServer } from './ops.js';
import type { PluginEnv } from './plugins/types.js';
import { prepare } from './prepare.js';
import { RoutingState } from './state.js';

export interface BuildProxyOptions {
  config: Readonly<ProxyConfig>;
  logger?: Logger;
  /** How often --insecure is warned about after the start (default 60 s). */
  insecureWarningMs?: number;
}

export interface ProxyAddresses {
  data: string;
  ops: string;
  dataPort: number;
  opsPort: number;
}

const hostPort = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

/** Builds a ready proxy that is not listening yet; `listen()` binds the ports and joins the admin. */
export async function buildProxy(options: BuildProxyOptions) {
  // A live copy: SIGHUP sets the reloadable options in it (core/src/config/reload.ts), and the code
  // that reads those options does so where it uses them.
  const config = structuredClone(options.config) as ProxyConfig;
  requireProxyIdentity(config);
  const log = options.logger ?? pino({ name: 'prism-proxy', level: config.log.level });
  const state = new RoutingState(config.stateDir);
  if (state.load())
    log.info(
      { version: state.version, advertisements: state.advertisements.size },
      'serving from the last-known-good state',
    );
  const dataCertificates = config.tls.certFile
    ? new CertificateFiles({
        source: {
          cert: { option: 'tls.certFile', path: config.tls.certFile },
          key: { option: 'tls.keyFile', path: config.tls.keyFile },
        },
        reloadIntervalMs: config.tls.reloadIntervalMs,
        purpose: 'proxy data port',
        log,
      })
    : undefined;
  const fleet = fleetCertificates(config, log);
  const metrics = buildProxyMetrics(config.id, config.metrics);
  const backends = new Backends(config.pools);
  metrics.backendHealth(() => servedBackends(state, config.id, backends));
  // No backend may reach this proxy's own ports, an admin's, or a peer's (the admin refuses such
  // reservations; this catches names that resolve there later).
  const reserved = (): ReservedEndpoint[] => {
    const own: ReservedEndpoint[] = config.admin.map((a) => ({ ...splitHostPort(a), what: `admin ${a}` }));
    if (addresses) {
      own.push({ host: splitHostPort(config.listen).host, port: addresses.dataPort, what: 'this proxy data port' });
      own.push({ host: splitHostPort(config.opsListen).host, port: addresses.opsPort, what: 'this proxy ops port' });
    }
    for (const p of state.table?.proxies ?? []) {
      own.push({ host: p.address, port: p.dataPort, what: `the data port of proxy ${p.id}` });
      own.push({ host: p.address, port: p.opsPort, what: `the ops port of proxy ${p.id}` });
    }
    return own;
  };
  const policy = new BackendPolicy(config.backendPolicy, reserved);
  const health = new ProxyHealth();
  const forwarder = new Forwarder({
    health,
    self: config.id,
    config,
    state,
    backends,
    metrics,
    policy,
    fleet,
  });
  const tracing = config.tracing.enabled ? await startTracing(config.tracing, { instance: config.id, log }) : undefined;
  const env: Omit<PluginEnv, 'peerTarget' | 'error'> = {
    config,
    state,
    metrics,
    log,
    self: config.id,
    health,
    tracing,
  };
  const handle = await buildChain(env, backends, forwarder);

  const dataPort = buildDataPort({
    config,
    handle,
    metrics,
    log,
    clientCertificates: dataCertificates,
    fleetCertificates: fleet,
    health,
  });
  const data = dataPort.server;

  let control: ControlClient | undefined;
  const ops = buildOpsServer(state, metrics, () => control, { insecure: config.insecure, health });
  let addresses: ProxyAddresses | undefined;
  let insecureWarning: NodeJS.Timeout | undefined;

  const bind = (server: NetServer | HttpServer, address: string) =>
    new Promise<number>((resolve, reject) => {
      const { host, port } = splitHostPort(address);
      server.once('error', reject);
      server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
    });

  return {
    config,
    state,
    metrics,
    log,
    health,
    addresses: () => addresses,
    control: () => control,
    /** The files in use: the data port's certificate for clients, and the fleet identity (control plane and peers). */
    certificates: () => ({ data: dataCertificates?.current, control: fleet?.current }),

    /**
     * SIGHUP with a new configuration: takes its reloadable options, or refuses the whole reload with
     * PRISM-CONFIG-009 when it changes others. Returns the options changed and the new fingerprint
     * (the admin sees it in the next heartbeat, so a reload that ends drift shows there).
     */
    reloadConfig(next: Readonly<ProxyConfig>): { changed: string[]; fingerprint: string } {
      const changed = planReload('proxy', config, next);
      applyOptions(config as unknown as Record<string, unknown>, next as unknown as Record<string, unknown>, changed);
      if (changed.some((path) => path.startsWith('limits.'))) dataPort.applyLimits();
      const fingerprint = configFingerprint(config);
      control?.setConfigHash(fingerprint);
      log.info(
        { configVersion: fingerprint, changed },
        changed.length ? 'configuration reloaded' : 'configuration reloaded: nothing changed',
      );
      // Last, so that the line above is written whatever the new level.
      if (changed.includes('log.level')) log.level = config.log.level;
      return { changed, fingerprint };
    },

    /** Re-reads the certificate files now (SIGHUP); they are also re-read on their reload intervals. */
    async reloadCertificates(): Promise<void> {
      await dataCertificates?.reload();
      await fleet?.reload();
    },

    async listen(): Promise<ProxyAddresses> {
      const dataPort = await bind(data, config.listen);
      const opsPort = await bind(ops, config.opsListen);
      const listenHost = splitHostPort(config.listen).host;
      const advertised = config.advertise ? splitHostPort(config.advertise) : { host: listenHost, port: dataPort };
      control = new ControlClient({
        endpoints: config.admin,
        credentials: fleet ? adminChannelCredentials(fleet) : undefined,
        self: {
          id: config.id,
          address: advertised.host,
          dataPort: advertised.port || dataPort,
          opsPort,
          configHash: configFingerprint(config),
        },
        state,
        config: config.controlPlane,
        log,
        takeTraffic: () => state.takeTraffic(),
        onAdminLost: (since) => {
          health.adminLost(since);
          metrics.adminLost.set(since === undefined ? 0 : 1);
        },
        prepare: (message) => prepare(message, { state, forwarder, metrics }),
      });
      env.control = control;
      control.start();
      dataCertificates?.start();
      fleet?.start();
      const opsHost = splitHostPort(config.opsListen).host;
      addresses = { data: hostPort(listenHost, dataPort), ops: hostPort(opsHost, opsPort), dataPort, opsPort };
      log.info(
        {
          id: config.id,
          data: addresses.data,
          ops: addresses.ops,
          admin: config.admin,
          // With a fleet CA: mTLS to the admin and to peers, under this identity.
          mtls: fleet ? fleet.current.identity : false,
        },
        'prism-proxy listening',
      );
      if (config.insecure) {
        const warn = () =>
          log.warn(
            { insecure: true, admin: config.admin },
            'prism-proxy runs with --insecure: the control stream to the admin is plaintext and neither side is authenticated, so anything answering on the admin address can feed this proxy its table and keys; use it only for throwaway experiments',
          );
        warn();
        insecureWarning = setInterval(warn, options.insecureWarningMs ?? 60_000);
        insecureWarning.unref();
      }
      return addresses;
    },

    /**
     * The graceful half of a shutdown (SIGTERM): /readyz answers 503 at once while the proxy serves on
     * for drain.periodMs, closing HTTP/1.1 connections after each response and sending GOAWAY on
     * HTTP/2, so load balancers stop sending and clients reconnect elsewhere; then it stops accepting
     * and waits up to drain.timeoutMs for the requests in flight. It stays registered with the admin
     * meanwhile (close() ends the stream). An aborted `signal` (a second signal) ends the waits at once.
     */
    async drain(signal?: AbortSignal): Promise<void> {
      if (health.drainingSince !== undefined) return;
      const { periodMs, timeoutMs } = config.drain;
      health.drainingSince = Date.now();
      metrics.draining.set(1);
      dataPort.beginDrain();
      log.info(
        { periodMs, inFlight: handle.inFlight() },
        'draining: /readyz answers 503; serving on for drain.periodMs with Connection: close and GOAWAY so load balancers and clients go elsewhere',
      );
      await sleep(periodMs, signal);
      if (signal?.aborted) return;
      dataPort.stopAccepting();
      log.info(
        { inFlight: handle.inFlight(), timeoutMs },
        'drain period over: no longer accepting connections; waiting for the requests in flight',
      );
      const deadline = Date.now() + timeoutMs;
      while ((handle.inFlight() > 0 || dataPort.pending() > 0) && Date.now() < deadline && !signal?.aborted) {
        await sleep(50, signal);
        // A keep-alive connection whose response started before the drain is idle once it ends.
        dataPort.closeIdle();
      }
      if (signal?.aborted) return;
      if (handle.inFlight() > 0)
        log.warn({ inFlight: handle.inFlight(), timeoutMs }, 'drain timeout: closing the requests still in flight');
      else log.info('requests in flight finished');
    },

    async close(): Promise<void> {
      clearInterval(insecureWarning);
      dataCertificates?.stop();
      fleet?.stop();
      control?.stop();
      const closing = [data, ops].map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
      dataPort.drain();
      ops.closeAllConnections();
      await Promise.race([Promise.all(closing), new Promise((r) => setTimeout(r, 1000))]);
      dataPort.destroy();
      await forwarder.close();
      // After the last requests closed, so their spans are in the flush (bounded by tracing.exportTimeoutMs).
      await tracing?.shutdown();
      try {
        state.save();
        if (health.drainingSince !== undefined) log.info('state saved');
      } catch (err) {
        log.warn({ err }, 'saving the last-known-good state failed');
      }
    },
  };
}

/**
 * The proxy's fleet identity, towards the admin and its peers: controlPlane.tls, or the data port's
 * pair when only the CA is given there (one certificate per proxy serves both). It must allow
 * clientAuth (it connects to the admin and to peers) and serverAuth (peers connect to it). Checked
 * at start-up, so a proxy with another proxy's certificate stops with PRISM-TLS-008 instead of being
 * refused by the admin forever.
 */
function fleetCertificates(config: Readonly<ProxyConfig>, log: Logger): CertificateFiles | undefined {
  const tls = config.controlPlane.tls;
  if (!tls.caFile) return undefined;
  const own = tls.certFile !== '';
  return new CertificateFiles({
    source: {
      cert: own
        ? { option: 'controlPlane.tls.certFile', path: tls.certFile }
        : { option: 'tls.certFile', path: config.tls.certFile },
      key: own
        ? { option: 'controlPlane.tls.keyFile', path: tls.keyFile }
        : { option: 'tls.keyFile', path: config.tls.keyFile },
      ca: { option: 'controlPlane.tls.caFile', path: tls.caFile },
    },
    role: { usage: ['clientAuth', 'serverAuth'], role: 'proxy', name: config.id },
    reloadIntervalMs: tls.reloadIntervalMs,
    purpose: 'proxy fleet identity (control plane and peers)',
    log,
  });
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export type PrismProxy = Awaited<ReturnType<typeof buildProxy>>;
