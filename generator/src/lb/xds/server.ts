import * as grpc from '@grpc/grpc-js';
import type { Root } from 'protobufjs';
import { splitHostPort } from '../../../../core/src/config/checks.js';
import { PrismError } from '../../../../core/src/errors.js';
import type { XdsMetrics } from './metrics.js';
import { type AnyMessage, CLUSTER_TYPE, LISTENER_TYPE, ROUTE_TYPE } from './protos.js';
import type { XdsResource, XdsSnapshot } from './resources.js';

const ADS_PATH = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';

/** A DiscoveryRequest as protobufjs decodes it (keepCase, defaults). */
interface DiscoveryRequest {
  version_info: string;
  node?: { id?: string; cluster?: string };
  resource_names: string[];
  type_url: string;
  response_nonce: string;
  error_detail?: { code?: number; message?: string } | null;
}

interface DiscoveryResponse {
  version_info: string;
  resources: AnyMessage[];
  type_url: string;
  nonce: string;
}

export interface XdsServerOptions {
  root: Root;
  /** HOST:PORT; port 0 picks one. */
  listen: string;
  /** Serve only Envoys with this node id (empty: any). */
  nodeId?: string;
  /**
   * How long a cluster Envoy gets for the first time may take to warm (its first health check)
   * before a route may name it. Envoy ACKs a cluster before it has warmed (envoyproxy/envoy#5174),
   * and a route to a cluster still warming answers 503 (NC); a health check ends by its timeout.
   */
  warmMs: number;
  /** How long clusters no route names any more stay, for requests already routed to them. */
  lingerMs: number;
  log: (line: string) => void;
  metrics?: XdsMetrics;
  /** Mutual TLS: the server's certificate and key, and the CA every Envoy's client certificate must chain to. */
  tls?: { cert: Buffer; key: Buffer; ca: Buffer };
}

/** What an Envoy has: what it ACKed. */
interface EnvoyState {
  clusters: Map<string, XdsResource>;
  listener?: string;
  /** The snapshot whose route configuration it runs. */
  route?: XdsSnapshot;
}

interface Sent {
  nonce: string;
  version: string;
  /** Content key (digests): a NACKed key is not sent again. */
  key: string;
  onAck: () => void;
}

const keyOf = (resources: Iterable<XdsResource>) => [...resources].map((r) => `${r.name}=${r.digest}`).join(',');
const TYPES = [CLUSTER_TYPE, LISTENER_TYPE, ROUTE_TYPE];
const short = (type: string) => ({ [CLUSTER_TYPE]: 'CDS', [LISTENER_TYPE]: 'LDS', [ROUTE_TYPE]: 'RDS' })[type] ?? type;

/**
 * One Envoy's ADS stream (state of the world), at most one response in flight per type, in an order
 * that never routes to a cluster Envoy lacks: clusters first (new ones beside those the running route
 * still names); the route once every cluster it names is ACKed and new ones had time to warm (a
 * route that names no new cluster goes out beside a cluster update, whose old version serves until
 * the new one warmed); after the route is ACKed and a linger, clusters nothing names any more are
 * dropped. A NACK leaves Envoy on what it had (Envoy keeps it); that content is not sent again, the
 * next version is.
 */
class AdsStream {
  readonly envoy: EnvoyState = { clusters: new Map() };
  node = '';
  private readonly subscribed = new Set<string>();
  private readonly sent = new Map<string, Sent>();
  private readonly rejected = new Map<string, string>();
  private readonly pending = new Set<string>();
  private nonce = 0;
  /** Until then new clusters may still be warming: no route is sent. */
  private warmUntil = 0;
  /** Until then clusters the previous route named stay. */
  private lingerUntil = 0;
  private timer: { at: number; handle: NodeJS.Timeout } | undefined;
  closed = false;

  constructor(
    private readonly server: XdsServer,
    private readonly call: grpc.ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>,
    readonly peer: string,
  ) {}

  onRequest(req: DiscoveryRequest): void {
    if (this.closed) return;
    if (req.node?.id && !this.node) {
      this.node = req.node.id;
      const expected = this.server.options.nodeId;
      if (expected && this.node !== expected) {
        const err = new PrismError(
          'PRISM-LB-023',
          `Envoy ${this.peer} has node id ${JSON.stringify(this.node)}, this server serves ${JSON.stringify(expected)}`,
        );
        this.server.options.log(`${err.code}: ${err.message}; refused`);
        this.call.emit('error', { code: grpc.status.PERMISSION_DENIED, details: `${err.code}: ${err.message}` });
        return;
      }
      this.server.options.log(`envoy ${this.node} (${this.peer}) connected`);
    }
    const type = req.type_url;
    if (!TYPES.includes(type)) return;
    const last = this.sent.get(type);
    if (!req.response_nonce || !this.subscribed.has(type)) {
      // A new subscription (or one Envoy starts over): it has nothing of ours for this type.
      this.subscribed.add(type);
      this.forget(type);
    } else if (!last || req.response_nonce !== last.nonce) {
      return; // answers a response that a newer one replaced
    } else if (req.error_detail?.message !== undefined && req.error_detail !== null) {
      this.pending.delete(type);
      this.rejected.set(type, last.key);
      this.server.nacked(this, short(type), last.version, req.version_info, req.error_detail.message ?? '');
    } else {
      this.pending.delete(type);
      last.onAck();
    }
    this.reconcile();
  }

  private forget(type: string) {
    this.pending.delete(type);
    this.sent.delete(type);
    this.rejected.delete(type);
    if (type === CLUSTER_TYPE) this.envoy.clusters = new Map();
    if (type === LISTENER_TYPE) this.envoy.listener = undefined;
    if (type === ROUTE_TYPE) this.envoy.route = undefined;
  }

  private send(type: string, version: string, resources: XdsResource[], onAck: () => void): boolean {
    const key = keyOf(resources);
    if (this.rejected.get(type) === key) return false;
    const nonce = String(++this.nonce);
    this.sent.set(type, { nonce, version, key, onAck });
    this.pending.add(type);
    this.call.write({ version_info: version, resources: resources.map((r) => r.any), type_url: type, nonce });
    return true;
  }

  private later(at: number) {
    if (this.timer && this.timer.at <= at) return;
    if (this.timer) clearTimeout(this.timer.handle);
    const handle = setTimeout(
      () => {
        this.timer = undefined;
        this.reconcile();
      },
      Math.max(0, at - Date.now()),
    );
    this.timer = { at, handle };
  }

  /** Sends what Envoy lacks of the server's snapshot, for each type with nothing in flight. */
  reconcile(): void {
    const s = this.server.snapshot;
    if (this.closed || !s) return;
    const running = this.envoy.route;
    const upToDate = running?.route.digest === s.route.digest;
    const now = Date.now();
    if (this.subscribed.has(CLUSTER_TYPE) && !this.pending.has(CLUSTER_TYPE)) {
      // Until Envoy runs the new route, the clusters the running one names stay as Envoy has them.
      const target = new Map(s.clusters);
      if (running && !upToDate) {
        for (const name of running.clusters.keys()) {
          const had = this.envoy.clusters.get(name);
          if (!target.has(name) && had) target.set(name, had);
        }
      }
      const extra = [...this.envoy.clusters.keys()].some((n) => !target.has(n));
      if (extra && upToDate && now < this.lingerUntil) this.later(this.lingerUntil);
      else if (keyOf(target.values()) !== keyOf(this.envoy.clusters.values())) {
        const fresh = [...target.keys()].some((n) => !this.envoy.clusters.has(n));
        const version =
          target.size > s.clusters.size && running ? `${s.version}+${running.version}` : String(s.version);
        this.send(CLUSTER_TYPE, version, [...target.values()], () => {
          this.envoy.clusters = target;
          // At start Envoy warms its clusters before it asks for listeners; later it does not wait.
          if (fresh && running) this.warmUntil = Date.now() + this.server.options.warmMs;
        });
      }
    }
    if (
      this.subscribed.has(LISTENER_TYPE) &&
      !this.pending.has(LISTENER_TYPE) &&
      this.envoy.listener !== s.listener.digest
    ) {
      this.send(LISTENER_TYPE, String(s.version), [s.listener], () => {
        this.envoy.listener = s.listener.digest;
      });
    }
    if (this.subscribed.has(ROUTE_TYPE) && !this.pending.has(ROUTE_TYPE) && !upToDate) {
      // Every cluster the route may name must be ACKed (after a NACKed cluster update Envoy keeps its route).
      if ([...s.clusters.keys()].some((n) => !this.envoy.clusters.has(n))) return;
      if (now < this.warmUntil) {
        this.later(this.warmUntil);
        return;
      }
      const t0 = Date.now();
      this.send(ROUTE_TYPE, String(s.version), [s.route], () => {
        this.envoy.route = s;
        this.lingerUntil = Date.now() + this.server.options.lingerMs;
        this.server.applied(this, s, Date.now() - t0);
      });
    }
  }

  close() {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer.handle);
  }
}

/** `envoy.service.discovery.v3.AggregatedDiscoveryService` over the snapshot of the newest table. */
export class XdsServer {
  snapshot: XdsSnapshot | undefined;
  private readonly streams = new Set<AdsStream>();
  private readonly grpc = new grpc.Server();
  private since = Date.now();

  constructor(readonly options: XdsServerOptions) {
    const Request = options.root.lookupType('envoy.service.discovery.v3.DiscoveryRequest');
    const Response = options.root.lookupType('envoy.service.discovery.v3.DiscoveryResponse');
    const definition: grpc.ServiceDefinition = {
      StreamAggregatedResources: {
        path: ADS_PATH,
        requestStream: true,
        responseStream: true,
        requestSerialize: (m: DiscoveryRequest) => Buffer.from(Request.encode(Request.fromObject(m)).finish()),
        requestDeserialize: (b: Buffer) =>
          Request.toObject(Request.decode(b), { defaults: true, longs: String, enums: String }),
        responseSerialize: (m: DiscoveryResponse) => Buffer.from(Response.encode(Response.fromObject(m)).finish()),
        responseDeserialize: (b: Buffer) => Response.toObject(Response.decode(b), { defaults: true }),
      },
    };
    this.grpc.addService(definition, {
      StreamAggregatedResources: (call: grpc.ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>) =>
        this.onStream(call),
    });
  }

  /** Binds; resolves with the bound port. */
  listen(): Promise<number> {
    const { host, port } = splitHostPort(this.options.listen);
    const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    return new Promise((resolve, reject) => {
      const { tls } = this.options;
      const credentials = tls
        ? grpc.ServerCredentials.createSsl(tls.ca, [{ cert_chain: tls.cert, private_key: tls.key }], true)
        : grpc.ServerCredentials.createInsecure();
      this.grpc.bindAsync(address, credentials, (err, bound) => {
        if (err) reject(new PrismError('PRISM-LB-020', `cannot listen on ${address}: ${err.message}`));
        else resolve(bound);
      });
    });
  }

  /** Makes `snapshot` the version every connected (and every later) Envoy is brought to. */
  publish(snapshot: XdsSnapshot): void {
    this.snapshot = snapshot;
    this.since = Date.now();
    this.refresh();
    for (const s of this.streams) s.reconcile();
  }

  /** Connected Envoys: node id, peer and the table version each runs. */
  envoys() {
    return [...this.streams].map((s) => ({ node: s.node, peer: s.peer, version: s.envoy.route?.version }));
  }

  private onStream(call: grpc.ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>) {
    const stream = new AdsStream(this, call, call.getPeer());
    this.streams.add(stream);
    this.gauge();
    const end = () => {
      if (stream.closed) return;
      stream.close();
      this.streams.delete(stream);
      this.gauge();
      this.options.log(`envoy ${stream.node || '?'} (${stream.peer}) disconnected`);
      call.end();
    };
    call.on('data', (req: DiscoveryRequest) => stream.onRequest(req));
    call.on('end', end);
    call.on('error', end);
    call.on('cancelled', end);
  }

  private gauge() {
    this.options.metrics?.connected.set(this.streams.size);
    this.refresh();
  }

  /** Applied version: the oldest a connected Envoy runs; in sync: every connected Envoy runs the newest. */
  private refresh() {
    const m = this.options.metrics;
    if (!m) return;
    const streams = [...this.streams];
    m.inSync.set(streams.every((s) => s.envoy.route === this.snapshot) ? 1 : 0);
    if (streams.length > 0) m.appliedVersion.set(Math.min(...streams.map((s) => s.envoy.route?.version ?? 0)));
  }

  /** An Envoy ACKed the route of `snapshot`: it routes by that table version now. */
  applied(stream: AdsStream, snapshot: XdsSnapshot, ackMs: number) {
    const m = this.options.metrics;
    this.options.log(`envoy ${stream.node} runs table v${snapshot.version} (route ACKed in ${ackMs} ms)`);
    if (!m) return;
    if (snapshot === this.snapshot) m.applySeconds.observe((Date.now() - this.since) / 1000);
    m.lastSuccess.set(Date.now() / 1000);
    this.refresh();
  }

  nacked(stream: AdsStream, type: string, version: string, keeps: string, detail: string) {
    const err = new PrismError(
      'PRISM-LB-021',
      `envoy ${stream.node} rejected ${type} version ${version}: ${detail}; it keeps version ${keeps || '(none)'}`,
    );
    this.options.log(`${err.code}: ${err.message}`);
    this.options.metrics?.applyFailures.inc({ reason: err.code });
    this.options.metrics?.nacks.inc({ type });
  }

  /** Ends every stream and stops listening. */
  close(): void {
    for (const s of this.streams) s.close();
    this.streams.clear();
    // Envoys hold their streams open: cancel them rather than wait.
    this.grpc.forceShutdown();
  }
}
