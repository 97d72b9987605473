import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { type Logger, pino } from 'pino';
import { Agent, fetch, type RequestInit } from 'undici';
import { type Admin, type BuildAdminOptions, buildAdmin } from '../admin/src/admin.js';
import { BOOTSTRAP_TOKEN_FILE } from '../admin/src/operator-tokens.js';
import type { Clock } from '../core/src/clock.js';
import { loadConfig } from '../core/src/config/load.js';
import { type AdminMessage, ControlPlaneClient } from '../proto/gen/prism/admin/v1/control_plane.js';
import type { PartitionTable } from '../proto/gen/prism/admin/v1/partition.js';
import { fleetPki, fleetPkiNow } from './pki.js';

export interface StartedAdmin {
  admin: Admin;
  dir: string;
  /** Base URL of the operator API: https:// when started with tls values. */
  http: string;
  grpc: string;
  /** The bootstrap admin token the admin wrote to its data directory ('' when that file is gone). */
  token: string;
  /** That file, for prismctl --token-file. */
  tokenFile: string;
  /** The CA its HTTPS and gRPC certificates chain to, for prismctl --ca ('' under --insecure). */
  caFile: string;
  stop(): Promise<void>;
}

interface KnownAdmin {
  token: string;
  dispatcher?: Agent;
}

/** Admins started by the helpers: api() sends each one its bootstrap token, and trusts its CA. */
const known = new Map<string, KnownAdmin>();
/** gRPC addresses of admins the helpers started with --insecure: FakeProxy joins those in plaintext. */
const plaintextGrpc = new Set<string>();

/** Notes that the admin at this gRPC address runs with --insecure (plaintext), until the returned function. */
export function rememberPlaintext(grpcAddress: string): () => void {
  plaintextGrpc.add(grpcAddress);
  return () => plaintextGrpc.delete(grpcAddress);
}

/**
 * The values that start an admin with the run's fleet PKI (mTLS on gRPC, HTTPS) unless the test
 * gives tls.* of its own or insecure: tests start with real credentials, as `npm start` does.
 */
export async function withFleetTls(values: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  if (values.tls !== undefined || values.insecure === true) return values;
  return { ...(await fleetPki()).admin(), ...values };
}

/** The bootstrap token in a data directory; '' when there is none. */
export function bootstrapToken(dataDir: string): string {
  const file = join(dataDir, BOOTSTRAP_TOKEN_FILE);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
}

/** Lets api() call the admin at `base` with `token`, over HTTPS checked against `caFile` when given. */
export function rememberAdmin(base: string, token: string, caFile?: string): () => Promise<void> {
  const dispatcher = caFile ? new Agent({ connect: { ca: readFileSync(caFile) } }) : undefined;
  known.set(base, { token, dispatcher });
  let closed = false;
  return async () => {
    if (closed) return;
    closed = true;
    known.delete(base);
    await dispatcher?.close();
  };
}

/** fetch() of a path of an admin the helpers started, trusting its CA; sends no credential unless `init` does. */
export function adminFetch(base: string, path: string, init: RequestInit = {}) {
  return fetch(`${base}${path}`, { ...init, dispatcher: known.get(base)?.dispatcher });
}

/**
 * What tests of other things need from fleet changes unless they set it: a proxy that stops is gone
 * at once (no restart grace), and partitions move in one round without pauses (real proxies answer
 * Prepare only once they do; a short prepare timeout bounds the wait). Tests of restarts, drains
 * and rounds set these options themselves.
 */
function testFleetDefaults(given: Record<string, unknown>) {
  const proxies = (given.proxies ?? {}) as Record<string, unknown>;
  const rebalance = (given.rebalance ?? {}) as Record<string, unknown>;
  return {
    proxies: { restartGraceSeconds: 0, ...proxies },
    rebalance: { maxMovePercent: 100, settleMs: 0, prepareTimeoutMs: 250, ...rebalance },
  };
}

/** A real admin on 127.0.0.1 with free ports and a fresh SQLite data directory. */
export async function startAdmin(
  options: {
    clock?: Clock;
    dir?: string;
    values?: Record<string, unknown>;
    logger?: Logger;
    build?: Pick<BuildAdminOptions, 'newBootstrapToken' | 'insecureWarningMs'>;
  } = {},
): Promise<StartedAdmin> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'prism-admin-'));
  const given = await withFleetTls(options.values);
  const config = loadConfig('admin', {
    values: {
      dataDir: dir,
      grpcListen: '127.0.0.1:0',
      httpListen: '127.0.0.1:0',
      ...given,
      ...testFleetDefaults(given),
    },
  });
  const admin = await buildAdmin({
    ...options.build,
    config,
    clock: options.clock,
    timers: false,
    logger: options.logger ?? pino({ level: 'silent' }),
  });
  const addr = await admin.listen();
  const token = bootstrapToken(dir);
  const forget = rememberAdmin(addr.httpUrl, token, config.tls.caFile || undefined);
  const forgetPlaintext = config.tls.caFile ? () => undefined : rememberPlaintext(addr.grpc);
  return {
    admin,
    dir,
    http: addr.httpUrl,
    grpc: addr.grpc,
    token,
    tokenFile: join(dir, BOOTSTRAP_TOKEN_FILE),
    caFile: config.tls.caFile,
    async stop() {
      forgetPlaintext();
      await forget();
      await admin.close();
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * One operator API call. To an admin the helpers started, it sends that admin's bootstrap token;
 * pass an `authorization` header to send another credential, or `authorization: ''` to send none.
 */
export async function api(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const admin = known.get(base);
  const given = Object.entries(headers).find(([k]) => k.toLowerCase() === 'authorization');
  const authorization = given ? given[1] : admin?.token ? `Bearer ${admin.token}` : '';
  const sent: Record<string, string> = { 'content-type': 'application/json' };
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() !== 'authorization') sent[k] = v;
  if (authorization) sent.authorization = authorization;
  const res = await fetch(`${base}${path}`, {
    method,
    headers: sent,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    dispatcher: admin?.dispatcher,
  });
  const text = await res.text();
  const isJson = (res.headers.get('content-type') ?? '').includes('json');
  return { status: res.status, headers: res.headers, text, json: text && isJson ? JSON.parse(text) : undefined };
}

export interface FakeProxyOptions {
  /** The advertised address (default 127.0.0.1). */
  address?: string;
  dataPort?: number;
  /** The config fingerprint it reports on Register (default none). */
  configHash?: string;
  weight?: number;
  /** Acknowledge every table (default true). */
  ackTables?: boolean;
  /** Answer every Prepare with Prepared (default true), after prepareDelayMs. */
  answerPrepare?: boolean;
  prepareDelayMs?: number;
}

/**
 * A simulated proxy: a real gRPC client holding the control stream, recording what the admin pushes.
 * It presents the run's fleet certificate for its id (plaintext to an admin the helpers started with
 * --insecure), or `credentials` when given; the stream opens as soon as those are read.
 */
export class FakeProxy {
  readonly messages: AdminMessage[] = [];
  readonly tables: PartitionTable[] = [];
  /** What happened on the stream, in order: `prepare:<round>`, `prepared:<round>`, `table:<version>`. */
  readonly events: string[] = [];
  error?: grpc.ServiceError;
  ended = false;
  private client?: ControlPlaneClient;
  private stream?: grpc.ClientDuplexStream<unknown, AdminMessage>;
  private readonly opened: Promise<void>;
  private readonly waiters: (() => void)[] = [];

  constructor(
    address: string,
    readonly id: string,
    options: FakeProxyOptions & { credentials?: grpc.ChannelCredentials } = {},
  ) {
    // At once when the certificate exists (as the ids made up front do), so that proxies created
    // together register together, as they did before the control plane needed certificates.
    const now =
      options.credentials ??
      (plaintextGrpc.has(address) ? grpc.credentials.createInsecure() : fleetPkiNow()?.credentialsNow('proxy', id));
    if (now) this.open(address, now, options);
    this.opened = now
      ? Promise.resolve()
      : fleetPki()
          .then((pki) => pki.credentials('proxy', id))
          .then((c) => this.open(address, c, options));
    this.opened.catch((err) => {
      this.error = err;
      this.wake();
    });
  }

  private open(address: string, credentials: grpc.ChannelCredentials, options: FakeProxyOptions) {
    const client = new ControlPlaneClient(address, credentials);
    const stream = client.connect() as grpc.ClientDuplexStream<unknown, AdminMessage>;
    this.client = client;
    this.stream = stream;
    stream.on('data', (m: AdminMessage) => {
      this.messages.push(m);
      if (m.prepare) this.events.push(`prepare:${m.prepare.round}`);
      if (m.prepare && options.answerPrepare !== false) {
        const { round } = m.prepare;
        const answer = () => {
          this.events.push(`prepared:${round}`);
          stream.write({ prepared: { round, ok: true, error: '', warmedBackends: 0 } });
        };
        if (options.prepareDelayMs) setTimeout(answer, options.prepareDelayMs);
        else answer();
      }
      if (m.table) {
        this.events.push(`table:${m.table.version}`);
        this.tables.push(m.table);
        if (options.ackTables !== false) stream.write({ ack: { version: m.table.version, ok: true, error: '' } });
      }
      this.wake();
    });
    stream.on('error', (err: grpc.ServiceError) => {
      this.error = err;
      this.wake();
    });
    stream.on('end', () => {
      this.ended = true;
      this.wake();
    });
    stream.write({
      register: {
        proxyId: this.id,
        address: options.address ?? '127.0.0.1',
        dataPort: options.dataPort ?? 8980,
        opsPort: 9980,
        weight: options.weight ?? 1,
        knownTableVersion: 0,
        softwareVersion: 'test',
        configHash: options.configHash ?? '',
      },
    });
  }

  /** Runs `f` on the open stream: now when it is open, else once it is. */
  private withStream(f: (stream: grpc.ClientDuplexStream<unknown, AdminMessage>, client: ControlPlaneClient) => void) {
    if (this.stream && this.client) f(this.stream, this.client);
    else
      void this.opened.then(
        () => this.stream && this.client && f(this.stream, this.client),
        () => undefined,
      );
  }

  private wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Waits (at most `ms`, counted once its stream is open) until `predicate` holds. */
  async until<T>(predicate: () => T | undefined | false, ms = 5000): Promise<T> {
    await this.opened.catch(() => undefined);
    const deadline = Date.now() + ms;
    for (;;) {
      const v = predicate();
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`proxy ${this.id}: condition not met within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  tableAt(version: number): Promise<PartitionTable> {
    return this.until(() => this.tables.find((t) => t.version >= version));
  }

  latest(): PartitionTable | undefined {
    return this.tables.at(-1);
  }

  ack(version: number) {
    this.withStream((stream) => stream.write({ ack: { version, ok: true, error: '' } }));
  }

  heartbeat(applied: number, namespaceRequests: Record<string, number> = {}) {
    this.withStream((stream) =>
      stream.write({
        heartbeat: { proxyId: this.id, appliedTableVersion: applied, sentAt: new Date(), namespaceRequests },
      }),
    );
  }

  close() {
    this.withStream((stream, client) => {
      stream.end();
      client.close();
    });
  }

  kill() {
    this.withStream((stream, client) => {
      stream.cancel();
      client.close();
    });
  }
}

/**
 * The admin's table once `ready` holds for it and no move is in progress: with moves in rounds, a
 * proxy is in the table from its first round on, while its partitions keep arriving for a while.
 */
export async function settledTable(
  base: string,
  ready: (table: { proxies?: { id: string }[] }) => boolean,
  ms = 120_000,
): Promise<unknown> {
  const deadline = Date.now() + ms;
  for (;;) {
    const rollout = await api(base, 'GET', '/v1/partition-table/rollout');
    const table = await api(base, 'GET', '/v1/partition-table');
    if (table.status === 200 && ready(table.json) && rollout.status === 200 && !rollout.json?.inProgress)
      return table.json;
    if (Date.now() > deadline) throw new Error(`the table did not settle within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
