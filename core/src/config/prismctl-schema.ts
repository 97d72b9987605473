import type { FromSchema } from 'json-schema-to-ts';
import { count, listenAddress, log, millis, profile } from './fragments.js';

export const prismctlConfigSchema = {
  $id: 'prismctl',
  type: 'object',
  additionalProperties: false,
  properties: {
    profile,
    admin: {
      type: 'string',
      pattern: '^https?://[^\\s]+$',
      default: 'https://127.0.0.1:8982',
      description:
        'admin operator API base URL (https:// as the admin serves it with its fleet certificates; http:// for an admin started with --insecure)',
    },
    tokenFile: {
      type: 'string',
      default: '',
      description:
        'file holding the operator token (--token-file); when empty: $PRISM_TOKEN, else prism-local/operator.token in the current directory (written by npm start)',
    },
    tls: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        caFile: {
          type: 'string',
          default: '',
          description:
            "PEM CA the admin's HTTPS certificate must chain to (--ca, $PRISM_CA): the fleet CA; empty = prism-local/ca.crt in the current directory when it exists (written by npm start), else the system's CAs",
        },
        certFile: {
          type: 'string',
          default: '',
          description: 'operator client certificate (--cert, $PRISM_CERT) from prismctl certs issue --operator NAME',
        },
        keyFile: { type: 'string', default: '', description: 'PEM private key of certFile (--key, $PRISM_KEY)' },
      },
    },
    requestTimeoutMs: millis(10_000, 100, 600_000, 'timeout of each call to the admin'),
    lb: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        listen: listenAddress('127.0.0.1:8080', 'address the generated load balancer listens on'),
        missingNamespace: {
          type: 'string',
          enum: ['reject', 'any-proxy'],
          default: 'reject',
          description: 'requests without X-Prism-Namespace: coded 400, or any healthy proxy',
        },
        nginxNjs: { type: 'boolean', default: true, description: 'NGINX computes partitions with njs (exact routing)' },
        hashBalanceFactor: count(0, 0, 1_000, 'HAProxy/Envoy bounded-load factor for the fallback pool (0 = off)'),
        healthCheckIntervalMs: millis(2_000, 100, 600_000, 'load-balancer health check interval against /readyz'),
        watchWaitMs: millis(
          25_000,
          0,
          60_000,
          'lb watch: how long the admin holds a table request when nothing changed (long-poll), at most 60 s',
        ),
        watchIntervalMs: millis(200, 10, 60_000, 'lb watch: least time between two table requests to the admin'),
        watchMetricsListen: {
          type: 'string',
          pattern: '^$|^\\S+:\\d{1,5}$',
          default: '',
          description: "lb watch: HOST:PORT to serve the watcher's Prometheus metrics on (empty: none)",
        },
        xdsListen: listenAddress(
          '127.0.0.1:18000',
          'lb xds: address the xDS server (ADS over gRPC, plaintext) listens on; the Envoy bootstrap points here',
        ),
        xdsNodeId: {
          type: 'string',
          pattern: '^[A-Za-z0-9._-]{0,128}$',
          default: '',
          description:
            'lb xds: serve only Envoys with this node id (empty: any); --print-bootstrap writes it as node.id (empty: prism-envoy)',
        },
        xdsTlsCertFile: {
          type: 'string',
          default: '',
          description:
            'lb xds: PEM certificate the xDS server presents (--tls-cert, e.g. a proxy certificate of the fleet PKI); with xdsTlsKeyFile and tls.caFile: mutual TLS, an Envoy must present a certificate of that CA (empty: plaintext)',
        },
        xdsTlsKeyFile: {
          type: 'string',
          default: '',
          description: 'lb xds: PEM private key of xdsTlsCertFile (--tls-key)',
        },
        xdsEnvoyCertFile: {
          type: 'string',
          default: '',
          description:
            "lb xds --print-bootstrap: the Envoy's client certificate of the fleet PKI, as a path on the Envoy's host (--envoy-cert); the bootstrap then connects over mutual TLS, trusting tls.caFile (--ca)",
        },
        xdsEnvoyKeyFile: {
          type: 'string',
          default: '',
          description:
            "lb xds --print-bootstrap: PEM private key of xdsEnvoyCertFile, as a path on the Envoy's host (--envoy-key)",
        },
      },
    },
    log,
  },
} as const;

export type PrismctlConfig = FromSchema<typeof prismctlConfigSchema>;
