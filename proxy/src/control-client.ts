import { checkServerIdentity } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { BrokenCircuitError, ConsecutiveBreaker, circuitBreaker, handleAll } from 'cockatiel';
import type { Logger } from 'pino';
import type { ProxyConfig } from '../../core/src/config/proxy-schema.js';
import type { CertificateFiles } from '../../core/src/tls/cert-files.js';
import { identityOf } from '../../core/src/tls/identity.js';
import {
  type AdminMessage,
  ControlPlaneClient,
  type Prepare,
  type Prepared,
} from '../../proto/gen/prism/admin/v1/control_plane.js';
import type { PartitionTable } from '../../proto/gen/prism/admin/v1/partition.js';
import type { RoutingState } from './state.js';

export interface SelfDescription {
  id: string;
  address: string;
  dataPort: number;
  opsPort: number;
  /** Fingerprint of the effective configuration (core/src/config/fingerprint.ts), for drift detection. */
  configHash?: string;
}

export interface ControlClientOptions {
  endpoints: readonly string[];
  /** Channel credentials for every admin endpoint (default: plaintext). */
  credentials?: grpc.ChannelCredentials;
  self: SelfDescription;
  state: RoutingState;
  config: ProxyConfig['controlPlane'];
  log: Logger;
  /** Requests per namespace since the last call (reported in heartbeats). */
  takeTraffic(): Record<string, number>;
  /** Told when the admin counts as lost (controlPlane.adminLostAfterMissed heartbeats without a stream) and back. */
  onAdminLost?(since: number | undefined): void;
  /** Answers a Prepare of the admin (bounded in time by the callee). */
  prepare?(message: Prepare): Promise<Prepared>;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

/**
 * mTLS to the admins: this proxy's certificate and the CA come from `certificates` (re-read while the
 * proxy runs; each new connection uses the newest files), and an admin must present a certificate of
 * that CA for the address dialled that also carries an admin identity, so that a proxy certificate
 * (which allows serverAuth too) cannot stand in for an admin.
 */
export function adminChannelCredentials(certificates: CertificateFiles): grpc.ChannelCredentials {
  return grpc.experimental.createCertificateProviderChannelCredentials(certificates, certificates, {
    checkServerIdentity(host, cert) {
      const mismatch = checkServerIdentity(host, cert);
      if (mismatch) return mismatch;
      if (identityOf(cert.subjectaltname, 'admin') !== undefined) return undefined;
      return new Error(
        `the certificate of ${host} (${cert.subjectaltname ?? 'no subject alternative names'}) is not an admin certificate: it has no URI SAN spiffe://prism/admin/<name>`,
      );
    },
  });
}

/**
 * Keeps this proxy attached to an admin: one control stream at a time, failing over through the
 * endpoint list with exponential backoff and full jitter, behind a circuit breaker that stops
 * hammering admins that keep failing. Tables are also pulled every tablePullSeconds and on demand
 * (a version gap seen on a forwarded request).
 */
export class ControlClient {
  private readonly clients = new Map<string, ControlPlaneClient>();
  private readonly abort = new AbortController();
  private readonly breaker;
  private endpointIndex = 0;
  private stream?: grpc.ClientDuplexStream<unknown, AdminMessage>;
  private pullTimer?: NodeJS.Timeout;
  private pulling?: Promise<void>;
  connected = false;
  /** Admin endpoint of the current stream. */
  current?: string;
  /** Why the last attempt to reach an admin failed (a refused certificate, a refused registration...). */
  lastError?: string;
  /** Since when no stream has been registered (epoch ms); undefined while one is. */
  private downSince = Date.now();
  private heartbeatMs: number;
  private lostTimer?: NodeJS.Timeout;
  private lost = false;
  /** The last Prepared answer sent, for the operator and tests. */
  lastPrepared?: Prepared;

  /** A reloaded configuration: its fingerprint goes out with the next heartbeat. */
  setConfigHash(hash: string): void {
    this.options.self.configHash = hash;
  }

  constructor(private readonly options: ControlClientOptions) {
    this.heartbeatMs = options.config.heartbeatSeconds * 1000;
    this.breaker = circuitBreaker(handleAll, {
      halfOpenAfter: options.config.breakerHalfOpenMs,
      breaker: new ConsecutiveBreaker(options.config.breakerFailures),
    });
  }

  private client(endpoint: string): ControlPlaneClient {
    let c = this.clients.get(endpoint);
    if (!c) {
      c = new ControlPlaneClient(endpoint, this.options.credentials ?? grpc.credentials.createInsecure(), {
        'grpc.keepalive_time_ms': 20_000,
        'grpc.initial_reconnect_backoff_ms': 200,
        'grpc.max_reconnect_backoff_ms': 2_000,
      });
      this.clients.set(endpoint, c);
    }
    return c;
  }

  start(): void {
    void this.loop();
    this.pullTimer = setInterval(
      () => void this.pullNow().catch(() => undefined),
      this.options.config.tablePullSeconds * 1000,
    );
    this.pullTimer.unref();
    this.lostTimer = setInterval(() => this.checkLost(), 250);
    this.lostTimer.unref();
  }

  /**
   * The admin is lost once no stream has been registered for longer than adminLostAfterMissed
   * heartbeat intervals (the admin's interval once one told it). The proxy serves on from its last
   * table either way; this only decides what it says (/readyz, a metric, X-Prism-Degraded).
   */
  private checkLost(): void {
    const down = this.connected ? undefined : this.downSince;
    const lost = down !== undefined && Date.now() - down > this.options.config.adminLostAfterMissed * this.heartbeatMs;
    if (lost === this.lost) return;
    this.lost = lost;
    if (lost)
      this.options.log.warn(
        { since: new Date(down as number).toISOString(), lastError: this.lastError },
        'admin lost: serving from the last-known-good table, marked degraded',
      );
    else this.options.log.info('admin reachable again');
    this.options.onAdminLost?.(lost ? down : undefined);
  }

  stop(): void {
    this.abort.abort();
    clearInterval(this.pullTimer);
    clearInterval(this.lostTimer);
    this.stream?.cancel();
    for (const c of this.clients.values()) c.close();
  }

  private async loop(): Promise<void> {
    const { config, endpoints, log } = this.options;
    let attempt = 0;
    while (!this.abort.signal.aborted) {
      const endpoint = endpoints[this.endpointIndex % endpoints.length];
      let registered = false;
      try {
        registered = await this.breaker.execute(() => this.session(endpoint));
      } catch (err) {
        if (err instanceof BrokenCircuitError) {
          log.warn({ halfOpenMs: config.breakerHalfOpenMs }, 'admins keep failing; circuit open, waiting');
          await sleep(config.breakerHalfOpenMs, this.abort.signal);
          continue;
        }
        this.lastError = `${endpoint}: ${(err as grpc.ServiceError).details ?? (err as Error).message}`;
        log.warn({ admin: endpoint, err: (err as Error).message }, 'control stream failed');
      }
      if (this.abort.signal.aborted) break;
      attempt = registered ? 0 : attempt + 1;
      this.endpointIndex++;
      const ceiling = Math.min(config.reconnectMaxMs, config.reconnectInitialMs * 2 ** Math.min(attempt, 20));
      await sleep(Math.random() * ceiling, this.abort.signal);
    }
  }

  /**
   * One control stream. Rejects when it ends before the admin accepted the registration; resolves
   * (true) when a registered stream ends.
   */
  private session(endpoint: string): Promise<boolean> {
    const { self, state, log, config } = this.options;
    return new Promise((resolve, reject) => {
      const stream = this.client(endpoint).connect() as grpc.ClientDuplexStream<unknown, AdminMessage>;
      this.stream = stream;
      let registered = false;
      let heartbeat: NodeJS.Timeout | undefined;
      const finish = (err?: Error) => {
        clearInterval(heartbeat);
        if (this.stream === stream) {
          this.stream = undefined;
          if (this.connected) this.downSince = Date.now();
          this.connected = false;
        }
        if (registered) resolve(true);
        else reject(err ?? new Error('stream ended before registration'));
      };
      const send = (message: unknown) => {
        if (!stream.destroyed && stream.writable) stream.write(message);
      };
      stream.on('data', (m: AdminMessage) => {
        if (m.registered) {
          registered = true;
          this.connected = true;
          this.current = endpoint;
          this.lastError = undefined;
          log.info({ admin: endpoint, tableVersion: m.registered.tableVersion }, 'registered with admin');
          const every = m.registered.heartbeatIntervalMs || config.heartbeatSeconds * 1000;
          this.heartbeatMs = every;
          this.checkLost();
          heartbeat = setInterval(
            () =>
              send({
                heartbeat: {
                  proxyId: self.id,
                  appliedTableVersion: state.version,
                  sentAt: new Date(),
                  namespaceRequests: this.options.takeTraffic(),
                  configHash: self.configHash ?? '',
                },
              }),
            every,
          );
          heartbeat.unref();
        } else if (m.table) {
          send({ ack: this.apply(m.table) });
        } else if (m.advertisement) {
          state.applyAdvertisement(m.advertisement);
        } else if (m.revocations) {
          state.applyRevocations(m.revocations.full, m.revocations.revocations);
        } else if (m.keys) {
          state.applyKeys(JSON.parse(m.keys.jwksJson));
        } else if (m.prepare) {
          void this.answerPrepare(m.prepare, send);
        }
      });
      stream.on('error', (err: grpc.ServiceError) => {
        if (err.code !== grpc.status.CANCELLED)
          log.warn({ admin: endpoint, details: err.details }, 'control stream error');
        finish(err);
      });
      stream.on('end', () => finish());
      send({
        register: {
          proxyId: self.id,
          address: self.address,
          dataPort: self.dataPort,
          opsPort: self.opsPort,
          weight: 1,
          knownTableVersion: state.version,
          softwareVersion: '0.1.0',
          configHash: self.configHash ?? '',
        },
      });
    });
  }

  private async answerPrepare(message: Prepare, send: (message: unknown) => void): Promise<void> {
    const { log, prepare } = this.options;
    let prepared: Prepared;
    try {
      prepared = prepare ? await prepare(message) : { round: message.round, ok: true, error: '', warmedBackends: 0 };
    } catch (err) {
      prepared = { round: message.round, ok: false, error: (err as Error).message, warmedBackends: 0 };
    }
    this.lastPrepared = prepared;
    log.info(
      { tableVersion: message.tableVersion, partitions: message.partitions.length, ...prepared },
      'prepared for partitions about to move here',
    );
    send({ prepared });
  }

  private apply(table: PartitionTable): { version: number; ok: boolean; error: string } {
    try {
      const applied = this.options.state.applyTable(table);
      if (applied) this.options.log.info({ version: table.version }, 'partition table applied');
      return { version: table.version, ok: true, error: '' };
    } catch (err) {
      this.options.log.error({ version: table.version, err: (err as Error).message }, 'partition table refused');
      return { version: table.version, ok: false, error: (err as Error).message };
    }
  }

  /**
   * Pulls the table from the first admin that answers; concurrent calls share one pull. With
   * `afterVersion`, the admin answers as soon as it holds a newer table (or near the timeout): a
   * follower admin installs the leader's table from etcd's watch a moment after the leader pushed it
   * to its own proxies, and a peer may already route by it.
   */
  pullNow(timeoutMs = 2_000, afterVersion = 0): Promise<void> {
    this.pulling ??= this.pull(timeoutMs, afterVersion).finally(() => {
      this.pulling = undefined;
    });
    return this.pulling;
  }

  private async pull(timeoutMs: number, afterVersion: number): Promise<void> {
    const endpoints = this.current
      ? [this.current, ...this.options.endpoints.filter((e) => e !== this.current)]
      : this.options.endpoints;
    for (const endpoint of endpoints) {
      try {
        const table = await new Promise<PartitionTable>((resolve, reject) =>
          this.client(endpoint).getPartitionTable(
            { afterVersion },
            new grpc.Metadata(),
            { deadline: Date.now() + timeoutMs },
            (err, t) => (err ? reject(err) : resolve(t)),
          ),
        );
        this.apply(table);
        return;
      } catch {
        // next admin
      }
    }
  }
}
