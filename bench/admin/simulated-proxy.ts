import type * as grpc from '@grpc/grpc-js';
import { type AdminMessage, ControlPlaneClient } from '../../proto/gen/prism/admin/v1/control_plane.js';

/**
 * A proxy's control stream without the data plane: registers, acks every table it receives (as FakeProxy in
 * test-support does) and heartbeats at the interval the admin gives.
 */
export class SimulatedProxy {
  /** Highest table version received. */
  version = 0;
  error?: string;
  readonly registered: Promise<void>;
  private readonly client: ControlPlaneClient;
  private readonly stream: grpc.ClientDuplexStream<unknown, AdminMessage>;
  private heartbeat?: NodeJS.Timeout;
  private leaving = false;

  constructor(
    address: string,
    readonly id: string,
    onTable: (proxy: SimulatedProxy) => void,
    credentials: grpc.ChannelCredentials,
  ) {
    // A subchannel pool of its own gives each proxy its own HTTP/2 connection, as separate proxy hosts would have;
    // by default grpc-js would multiplex all 200 streams over one connection.
    this.client = new ControlPlaneClient(address, credentials, {
      'grpc.use_local_subchannel_pool': 1,
    });
    this.stream = this.client.connect() as grpc.ClientDuplexStream<unknown, AdminMessage>;
    let registered: () => void = () => undefined;
    this.registered = new Promise((resolve) => {
      registered = resolve;
    });
    this.stream.on('data', (m: AdminMessage) => {
      if (m.registered) {
        registered();
        this.heartbeat = setInterval(() => this.beat(), m.registered.heartbeatIntervalMs || 30_000);
        this.heartbeat.unref();
      }
      if (m.table) {
        this.version = Math.max(this.version, m.table.version);
        this.stream.write({ ack: { version: m.table.version, ok: true, error: '' } });
        onTable(this);
      }
    });
    this.stream.on('error', (err: grpc.ServiceError) => {
      if (!this.leaving) this.error = `${id}: ${err.message}`;
    });
    this.stream.on('end', () => {
      if (!this.leaving) this.error ??= `${id}: the admin ended the stream`;
    });
    this.stream.write({
      register: {
        proxyId: id,
        address: '127.0.0.1',
        dataPort: 8980,
        opsPort: 9980,
        weight: 1,
        knownTableVersion: 0,
        softwareVersion: 'bench',
      },
    });
  }

  private beat() {
    this.stream.write({
      heartbeat: { proxyId: this.id, appliedTableVersion: this.version, sentAt: new Date(), namespaceRequests: {} },
    });
  }

  /** Leaves abruptly, as a proxy that dies does: the stream is cancelled, not half-closed. */
  cancel() {
    this.leaving = true;
    clearInterval(this.heartbeat);
    this.stream.cancel();
    this.client.close();
  }

  close() {
    this.leaving = true;
    clearInterval(this.heartbeat);
    this.stream.end();
    this.client.close();
  }
}
