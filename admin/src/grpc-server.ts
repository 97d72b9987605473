import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { isPrismError, PrismError } from '../../core/src/errors.js';
import { identitiesOf, identityOf, spiffeId } from '../../core/src/tls/identity.js';
import {
  AdminMessage,
  type ControlPlaneServer,
  ControlPlaneService,
  ProxyMessage,
} from '../../proto/gen/prism/admin/v1/control_plane.js';
import type { Connection, Fleet, StreamPeer } from './fleet.js';
import type { AdminMetrics } from './metrics.js';

const REGISTER_TIMEOUT_MS = 10_000;
const PULL_WAIT_MAX_MS = 30_000;

const GRPC_STATUS: Record<number, grpc.status> = {
  400: grpc.status.INVALID_ARGUMENT,
  403: grpc.status.PERMISSION_DENIED,
  404: grpc.status.NOT_FOUND,
  409: grpc.status.ALREADY_EXISTS,
  503: grpc.status.UNAVAILABLE,
};

/** A PrismError as a gRPC status: the code leads the details so clients can match on it. */
export function toGrpcError(err: unknown): grpc.ServiceError {
  const prism = isPrismError(err) ? err : new PrismError('PRISM-STORE-001', (err as Error)?.message ?? String(err));
  const e = new Error(`${prism.code}: ${prism.message}`) as grpc.ServiceError;
  e.code = GRPC_STATUS[prism.status] ?? grpc.status.INTERNAL;
  e.details = `${prism.code}: ${prism.message}`;
  e.metadata = new grpc.Metadata();
  e.metadata.set('prism-error-code', prism.code);
  return e;
}

function peerHost(peer: string): string {
  const m = /^(?:ipv4:|ipv6:)?\[?([^\]]+?)\]?:\d+$/.exec(peer);
  return m ? m[1] : '';
}

/**
 * The certificate the TLS handshake verified (grpc-js reports one only for an authorized socket).
 * With mTLS required there always is one; an empty identity would mean grpc-js stopped reporting it,
 * and such a stream is refused rather than trusted.
 */
function verifiedCertificate(call: grpc.ServerDuplexStream<ProxyMessage, AdminMessage>): StreamPeer['certificate'] {
  const cert = call.getAuthContext().sslPeerCertificate;
  if (!cert) return { identity: 'no verified client certificate', serial: '' };
  const uris = identitiesOf(cert.subjectaltname);
  return {
    proxyId: identityOf(cert.subjectaltname, 'proxy'),
    identity: uris.length ? uris.map((u) => spiffeId(u.role, u.name)).join(' ') : `CN=${cert.subject?.CN ?? ''}`,
    serial: cert.serialNumber,
  };
}

export interface ControlPlaneOptions {
  /** The gRPC port requires client certificates: a proxy registers only as the id its certificate names. */
  mtls: boolean;
}

export function buildControlPlane(
  fleet: Fleet,
  metrics: AdminMetrics,
  log: Logger,
  options: ControlPlaneOptions = { mtls: false },
): ControlPlaneServer {
  return {
    connect(call) {
      let id: string | undefined;
      let closed = false;
      let chain: Promise<void> = Promise.resolve();
      const conn: Connection = {
        send(message: AdminMessage) {
          if (!closed) call.write(message);
        },
        close(error?: PrismError) {
          if (closed) return;
          closed = true;
          if (error) call.emit('error', toGrpcError(error));
          else call.end();
        },
      };
      const fail = (err: unknown) => {
        metrics.grpcRequests.inc({ method: 'Connect', status: isPrismError(err) ? err.code : 'error' });
        log.warn({ err: isPrismError(err) ? err.message : err, proxy: id }, 'control stream refused');
        conn.close(isPrismError(err) ? err : new PrismError('PRISM-STORE-001', String(err)));
      };
      const registerTimer = setTimeout(
        () => fail(new PrismError('PRISM-FLEET-002', `no Register message within ${REGISTER_TIMEOUT_MS} ms`)),
        REGISTER_TIMEOUT_MS,
      );
      const handle = async (message: Incoming) => {
        if (closed) return;
        if (message.undecodable !== undefined)
          throw new PrismError('PRISM-FLEET-002', `a ProxyMessage could not be decoded: ${message.undecodable}`);
        if (id === undefined) {
          if (!message.register)
            throw new PrismError('PRISM-FLEET-002', 'the first message of a stream must be Register');
          clearTimeout(registerTimer);
          await fleet.register(conn, message.register, {
            host: peerHost(call.getPeer()),
            certificate: options.mtls ? verifiedCertificate(call) : undefined,
          });
          id = message.register.proxyId;
          metrics.grpcRequests.inc({ method: 'Connect/Register', status: 'OK' });
        } else if (message.heartbeat) {
          fleet.heartbeat(id, message.heartbeat);
          metrics.grpcRequests.inc({ method: 'Connect/Heartbeat', status: 'OK' });
        } else if (message.ack) {
          fleet.ack(id, message.ack);
          metrics.grpcRequests.inc({ method: 'Connect/Ack', status: 'OK' });
        } else if (message.prepared) {
          fleet.prepared(id, message.prepared);
          metrics.grpcRequests.inc({ method: 'Connect/Prepared', status: 'OK' });
        } else if (message.register) {
          throw new PrismError('PRISM-FLEET-002', 'Register may only be sent once per stream');
        }
      };
      call.on('data', (message: Incoming) => {
        chain = chain.then(() => handle(message)).catch(fail);
      });
      const gone = () => {
        clearTimeout(registerTimer);
        closed = true;
        if (id !== undefined) {
          const who = id;
          chain = chain
            .then(() => fleet.disconnected(who, conn))
            .catch((err) => log.error({ err }, 'disconnect failed'));
        }
      };
      call.on('end', () => {
        gone();
        call.end();
      });
      call.on('cancelled', gone);
      call.on('close', gone);
      call.on('error', gone);
    },

    getPartitionTable(call, callback) {
      const after = call.request.afterVersion;
      const deadline = call.getDeadline();
      const left = deadline instanceof Date ? deadline.getTime() - Date.now() : Number(deadline) - Date.now();
      const wait = after > 0 ? Math.min(Number.isFinite(left) ? left - 50 : PULL_WAIT_MAX_MS, PULL_WAIT_MAX_MS) : 0;
      const answer = () => {
        const table = fleet.currentTable();
        if (!table) {
          metrics.grpcRequests.inc({ method: 'GetPartitionTable', status: 'NOT_FOUND' });
          callback(toGrpcError(new PrismError('PRISM-TABLE-004', 'no proxy has registered yet')));
          return;
        }
        metrics.grpcRequests.inc({ method: 'GetPartitionTable', status: 'OK' });
        callback(null, table);
      };
      if (wait <= 0) answer();
      else fleet.waitForVersionAbove(after, wait).then(answer);
    },
  };
}

const encoded = new WeakMap<AdminMessage, Buffer>();

/** A ProxyMessage, or the reason its bytes could not be decoded. */
type Incoming = ProxyMessage & { undecodable?: string };

/**
 * The control-plane service with two changes. A broadcast writes the same message object to every
 * stream, so its encoding is cached per object instead of being redone for each of N proxies. And
 * bytes that do not decode reach the handler, which refuses them with PRISM-FLEET-002, instead of
 * throwing inside grpc-js: grpc-js's own status for that raced the welcome messages of a registered
 * stream, which then hung without any status (found by the fuzz suite).
 */
export const controlPlaneService = {
  ...ControlPlaneService,
  connect: {
    ...ControlPlaneService.connect,
    requestDeserialize(bytes: Buffer): Incoming {
      try {
        return ProxyMessage.decode(bytes);
      } catch (err) {
        return { undecodable: (err as Error).message };
      }
    },
    responseSerialize(message: AdminMessage): Buffer {
      let bytes = encoded.get(message);
      if (!bytes) {
        bytes = Buffer.from(AdminMessage.encode(message).finish());
        encoded.set(message, bytes);
      }
      return bytes;
    },
  },
} as const;
