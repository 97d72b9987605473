import type { FromSchema } from 'json-schema-to-ts';
import { backendPolicy, count, listenAddress, log, millis, profile, seconds } from './fragments.js';

export const proxyConfigSchema = {
  $id: 'prism-proxy',
  type: 'object',
  additionalProperties: false,
  properties: {
    profile,
    id: {
      type: 'string',
      pattern: '^[a-z0-9](?:[a-z0-9._-]{0,61}[a-z0-9])?$',
      default: 'proxy-1',
      description: 'stable proxy id (becomes HAProxy server and Envoy cluster names)',
    },
    listen: listenAddress('127.0.0.1:8980', 'data plane: HTTP/1.1 and h2c on one port'),
    opsListen: listenAddress('127.0.0.1:9980', 'ops: /metrics, /healthz, /readyz, /prism/v1/partition-table'),
    advertise: {
      type: 'string',
      pattern: '^$|^(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}$',
      default: '',
      description: 'HOST:PORT peers and load balancers reach the data port at (default: the listen address)',
    },
    insecure: {
      type: 'boolean',
      default: false,
      description:
        'plaintext, unauthenticated control stream to an admin started with --insecure (--insecure): for throwaway experiments only; warned about at start and every minute, shown in /healthz, refused with profile production; without it the proxy needs controlPlane.tls',
    },
    admin: {
      type: 'array',
      minItems: 1,
      items: { type: 'string', pattern: '^(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}$' },
      default: ['127.0.0.1:8981'],
      description: 'admin gRPC endpoints, tried in order with failover',
    },
    stateDir: {
      type: 'string',
      minLength: 1,
      default: './prism-proxy-state',
      description: 'where the last-known-good table is kept',
    },
    namespaceSource: {
      type: 'string',
      enum: ['header', 'header-or-path'],
      default: 'header',
      description: 'where the namespace comes from: X-Prism-Namespace, or also the first path segment',
    },
    forwarding: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        mode: {
          type: 'string',
          enum: ['transparent', 'redirect', 'client'],
          default: 'transparent',
          description: 'what a non-owner does: forward, answer 307, or answer 421',
        },
        maxHops: count(1, 0, 8, 'proxy-to-proxy hops a request may take'),
        timeoutMs: millis(30_000, 100, 600_000, 'forward timeout before a 504'),
        h2: {
          type: 'boolean',
          default: false,
          description:
            'speak HTTP/2 to peer proxies: h2 over TLS (ALPN) with a fleet CA (controlPlane.tls.caFile), else h2c with prior knowledge',
        },
        h2c: { type: 'boolean', default: false, description: 'the former name of forwarding.h2, still accepted' },
      },
    },
    controlPlane: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        tablePullSeconds: seconds(30, 1, 3_600, 'interval of table pulls besides the push stream'),
        heartbeatSeconds: seconds(30, 1, 3_600, 'interval of heartbeats to the admin'),
        reconnectInitialMs: millis(250, 10, 60_000, 'first reconnect delay (doubles, with jitter)'),
        reconnectMaxMs: millis(30_000, 100, 600_000, 'largest reconnect delay'),
        breakerFailures: count(5, 1, 1_000, 'consecutive admin failures that open the circuit breaker'),
        breakerHalfOpenMs: millis(10_000, 100, 600_000, 'time the breaker stays open before a trial call'),
        adminLostAfterMissed: count(
          2,
          1,
          1_000,
          'heartbeat intervals without any admin stream after which the proxy says it lost the admin: it keeps serving from its last table, /readyz lists "admin-unreachable" under degraded, responses carry X-Prism-Degraded',
        ),
        tls: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            caFile: {
              type: 'string',
              default: '',
              description:
                "the fleet CA (PEM): the admin's and peers' certificates must chain to it; set, the control stream and forwards to peers use mTLS with certFile/keyFile as this proxy's identity, and X-Prism-Hops is accepted only from peers' certificates",
            },
            certFile: {
              type: 'string',
              default: '',
              description:
                'PEM certificate of this proxy (clientAuth and serverAuth, URI SAN spiffe://prism/proxy/<id>), towards the admin and peers; default: tls.certFile, the data port certificate',
            },
            keyFile: { type: 'string', default: '', description: 'PEM private key of certFile; default: tls.keyFile' },
            reloadIntervalMs: millis(
              60_000,
              100,
              86_400_000,
              'how often the files are re-read; changed, valid files apply to the next connection (also on SIGHUP)',
            ),
          },
        },
      },
    },
    auth: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        required: { type: 'boolean', default: false, description: 'require a namespace JWT on every request' },
        jwksUrl: {
          type: 'string',
          default: '',
          description: 'admin JWKS URL (default: http://<first admin host>:8982/.well-known/jwks.json)',
        },
        tokenCacheSize: count(10_000, 0, 10_000_000, 'verified tokens kept so a hot token costs no signature check'),
      },
    },
    limits: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        maxHeaderBytes: count(16_384, 1_024, 1_048_576, 'largest request header block; larger gets 431'),
        headersTimeoutMs: millis(10_000, 100, 600_000, 'time a client has to send its request headers'),
        idleTimeoutMs: millis(
          60_000,
          100,
          3_600_000,
          'HTTP/1.1: time a keep-alive connection may sit idle, and a response may go unread by its client, before the connection is closed',
        ),
        firstBytesTimeoutMs: millis(
          10_000,
          100,
          600_000,
          'time a new connection has to send its first bytes (with TLS: to finish the handshake) before it is closed',
        ),
        requestTimeoutMs: millis(
          300_000,
          100,
          3_600_000,
          'time a client has to send a whole request, headers and body; past it the client gets 408 (at least headersTimeoutMs)',
        ),
        h2IdleTimeoutMs: millis(
          60_000,
          100,
          3_600_000,
          'time an HTTP/2 connection without open streams stays open (then GOAWAY), and a connection may go unread by its client (then it is closed)',
        ),
        goawayTimeoutMs: millis(
          5_000,
          100,
          600_000,
          'time an HTTP/2 connection that got GOAWAY from the proxy (idle, abuse, protocol error) stays open for its last streams and for the client to close it',
        ),
        maxHeadersCount: count(
          100,
          1,
          10_000,
          'most request header fields; more gets 431 (HTTP/2: the stream is reset with ENHANCE_YOUR_CALM)',
        ),
        h2MaxConcurrentStreams: count(
          128,
          1,
          10_000,
          'streams one HTTP/2 connection may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS)',
        ),
        h2MaxResetsPerSession: count(
          100,
          1,
          1_000,
          'streams an HTTP/2 client may cancel before their response starts (CVE-2023-44487) once they are over half of its streams; then GOAWAY ENHANCE_YOUR_CALM',
        ),
        maxConnections: count(
          10_000,
          1,
          1_000_000,
          'client connections open at once in one process (keep it below ulimit -n); more are closed at accept',
        ),
        maxBodyBytes: count(
          67_108_864,
          0,
          1_099_511_627_776,
          'largest request body, in bytes (0: no limit); larger gets 413, checked on Content-Length up front and counted while streaming; a namespace overrides it with its config value maxBodyBytes',
        ),
      },
    },
    drain: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        periodMs: millis(
          5_000,
          0,
          600_000,
          'after SIGTERM or SIGINT: how long /readyz answers 503 while the proxy serves on (HTTP/1.1 responses with Connection: close, HTTP/2 sessions get GOAWAY), so load balancers stop sending; a little over two health-check intervals (prismctl lb.healthCheckIntervalMs, 2 s)',
        ),
        timeoutMs: millis(
          30_000,
          0,
          3_600_000,
          'after drain.periodMs: how long requests in flight may take to finish before the proxy closes what is left and exits',
        ),
      },
    },
    accessLog: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: {
          type: 'boolean',
          default: false,
          description:
            'log one line per request (pino, info level, "kind":"access"; fields in docs/observability.md); on in the staging and production profiles; `accessLog: true|false` is still accepted for this',
        },
        sampleRate: {
          type: 'number',
          minimum: 0,
          maximum: 1,
          default: 1,
          description:
            'share of requests logged, chosen by request id (so every proxy a request passes logs it alike); failed, aborted and 5xx requests are always logged',
        },
      },
    },
    metrics: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        backendSeries: count(
          100,
          0,
          10_000,
          'most prism_proxy_backend_up series (one per backend of the namespaces this proxy serves, the first by URL); prism_proxy_backends counts them all',
        ),
      },
    },
    tracing: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: {
          type: 'boolean',
          default: false,
          description:
            'a span per request (OpenTelemetry, exported over OTLP/HTTP as JSON), W3C traceparent/tracestate continued from clients and sent to peers and backends; off, the OpenTelemetry SDK is not loaded and a client traceparent passes through unchanged (--otlp-endpoint turns it on)',
        },
        otlpEndpoint: {
          type: 'string',
          pattern: '^$|^https?://[^\\s]+$',
          default: '',
          description:
            'OTLP/HTTP traces URL, e.g. http://collector:4318/v1/traces (--otlp-endpoint); empty: $OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else $OTEL_EXPORTER_OTLP_ENDPOINT plus /v1/traces, else http://localhost:4318/v1/traces',
        },
        serviceName: {
          type: 'string',
          maxLength: 255,
          default: '',
          description: 'service.name of the spans; empty: $OTEL_SERVICE_NAME, else prism-proxy',
        },
        sampleRatio: {
          type: 'number',
          minimum: 0,
          maximum: 1,
          default: 1,
          description:
            'share of new traces recorded (TraceIdRatio); a request with a traceparent follows its sampled flag (ParentBased)',
        },
        exportTimeoutMs: millis(10_000, 100, 600_000, 'how long one export may take, and the flush at shutdown'),
        batchDelayMs: millis(5_000, 10, 600_000, 'longest time a finished span waits to be sent in a batch'),
        maxQueueSize: count(
          2_048,
          1,
          1_000_000,
          'finished spans held for export; when the collector falls behind, spans beyond it are dropped, never requests delayed',
        ),
        headers: {
          type: 'object',
          additionalProperties: { type: 'string', maxLength: 8_192 },
          default: {},
          description:
            'extra HTTP fields on every export, e.g. {"authorization": "Bearer ..."}; merged over $OTEL_EXPORTER_OTLP_HEADERS',
        },
      },
    },
    plugins: {
      type: 'array',
      maxItems: 32,
      default: [],
      description:
        'extra plugins: [{"module": "./file.js", "options": {...}}]; their hooks run after the built-ins that find the namespace, token and owner, before the built-in local/forwarding route decision (docs/plugins.md)',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['module'],
        properties: {
          module: { type: 'string', minLength: 1, description: 'module path or package exporting a plugin factory' },
          options: { type: 'object', default: {}, description: 'passed to the factory' },
        },
      },
    },
    pools: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        connectionsPerPeer: count(32, 1, 4_096, 'keep-alive connections to each peer proxy'),
        connectionsPerBackend: count(32, 1, 4_096, 'keep-alive connections to each backend'),
        keepAliveTimeoutMs: millis(4_000, 100, 600_000, 'idle time before a pooled connection closes'),
        backendRetryMs: millis(5_000, 100, 600_000, 'how long a failed backend is skipped before it is tried again'),
      },
    },
    tls: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        certFile: {
          type: 'string',
          default: '',
          description:
            'PEM certificate the data port presents to clients; enables TLS with ALPN h2/http1.1 beside cleartext (peers get the fleet certificate)',
        },
        keyFile: { type: 'string', default: '', description: 'PEM private key for certFile' },
        cleartext: {
          type: 'boolean',
          default: true,
          description:
            'serve cleartext HTTP/1.1 and h2c on the data port besides TLS (a load balancer in front speaking plaintext); false closes cleartext connections (needs certFile or a fleet CA)',
        },
        reloadIntervalMs: millis(
          60_000,
          100,
          86_400_000,
          'how often certFile and keyFile are re-read; changed, valid files apply to new connections (also on SIGHUP)',
        ),
      },
    },
    backendPolicy,
    log,
  },
} as const;

export type ProxyConfig = FromSchema<typeof proxyConfigSchema>;
