import type { FromSchema } from 'json-schema-to-ts';
import { backendPolicy, count, listenAddress, log, millis, profile, seconds } from './fragments.js';

export const adminConfigSchema = {
  $id: 'prism-admin',
  type: 'object',
  additionalProperties: false,
  properties: {
    profile,
    dataDir: { type: 'string', minLength: 1, default: './prism-data', description: 'SQLite data directory' },
    grpcListen: listenAddress('127.0.0.1:8981', 'gRPC control plane address proxies connect to'),
    httpListen: listenAddress('127.0.0.1:8982', 'HTTP/JSON operator API, /metrics, /healthz and JWKS address'),
    insecure: {
      type: 'boolean',
      default: false,
      description:
        'no authentication on the operator API and, without tls.*, a plaintext gRPC port any proxy may register on (--insecure): for throwaway experiments only; warned about at start and every minute, shown in /healthz, refused with profile production; without it the admin needs tls.caFile, certFile and keyFile',
    },
    etcd: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        endpoints: {
          type: 'array',
          items: { type: 'string', pattern: '^https?://[^\\s,]+$' },
          default: [],
          description:
            'etcd v3 client URLs, http(s)://host:port (--etcd URL,...); empty = the embedded SQLite store in dataDir',
        },
        prefix: {
          type: 'string',
          pattern: '^/[^\\s]*$',
          default: '/prism/',
          description:
            'key prefix of everything this admin stores in etcd (--etcd-prefix); admins that share a prefix share the data, a trailing / is added',
        },
        cacert: {
          type: 'string',
          default: '',
          description: "PEM CA bundle etcd's server certificates chain to (--etcd-cacert, as etcdctl --cacert)",
        },
        cert: {
          type: 'string',
          default: '',
          description: 'PEM client certificate for etcd (--etcd-cert, as etcdctl --cert); needs key',
        },
        key: { type: 'string', default: '', description: 'PEM private key of cert (--etcd-key, as etcdctl --key)' },
        user: {
          type: 'string',
          default: '',
          description: 'etcd user name (--etcd-user, as etcdctl --user); its password is read from passwordFile',
        },
        passwordFile: {
          type: 'string',
          default: '',
          description: 'file holding the password of user, one line (--etcd-password-file)',
        },
        requestTimeoutMs: millis(
          5_000,
          100,
          120_000,
          'longest time one etcd request may take; without a quorum, writes fail with PRISM-STORE-002 after it',
        ),
        dialTimeoutMs: millis(5_000, 100, 120_000, 'time to reach etcd at start before PRISM-STORE-003'),
        leaderTtlSeconds: seconds(
          2,
          1,
          60,
          "TTL of the lease behind this admin's leader campaign: a leader that stops (crash, pause, cut off) loses the leadership this long after its last keep-alive; etcd raises a TTL below its minimum (1.5 election timeouts rounded up to seconds: 2 s with etcd's default timers, 1 s with --heartbeat-interval 50 --election-timeout 500) to that minimum; 1 with those timers fails over in under 2 s, at the price of losing the leadership on a pause of about 0.7 s (docs/etcd.md)",
        ),
        adminId: {
          type: 'string',
          pattern: '^[A-Za-z0-9._:-]{0,63}$',
          default: '',
          description:
            'name of this admin in the leader election and GET /v1/admin/status; empty = host name and process id',
        },
      },
    },
    storage: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        synchronous: {
          type: 'string',
          enum: ['normal', 'full'],
          default: 'normal',
          description:
            'SQLite fsync policy (WAL): normal survives a killed admin; full also survives power loss, at a lower write rate',
        },
      },
    },
    strategy: {
      type: 'string',
      enum: ['consistent_hash', 'key_range', 'explicit'],
      default: 'consistent_hash',
      description: 'partition assignment strategy',
    },
    leases: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        defaultTtlSeconds: seconds(86_400, 60, 31_536_000, 'lease length when a reservation names none'),
        minTtlSeconds: seconds(3_600, 60, 31_536_000, 'shortest lease a client may ask for'),
        maxTtlSeconds: seconds(604_800, 60, 31_536_000, 'longest lease a client may ask for'),
        graceSeconds: seconds(
          3_600,
          0,
          604_800,
          'time after expiry during which the namespace is still served, with a warning',
        ),
        cleanupIntervalSeconds: seconds(60, 1, 86_400, 'how often the cleanup job expires and purges leases'),
        softDeleteRetentionSeconds: seconds(
          604_800,
          0,
          31_536_000,
          'how long a soft-deleted namespace stays restorable',
        ),
        cleanupRetryInitialMs: millis(1_000, 10, 600_000, 'first retry delay of a failed cleanup step'),
        cleanupRetryMaxMs: millis(60_000, 10, 3_600_000, 'largest retry delay of a failed cleanup step'),
      },
    },
    proxies: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        heartbeatSeconds: seconds(30, 1, 3_600, 'interval proxies send heartbeats at'),
        staleAfterMissed: count(2, 1, 100, 'missed heartbeats before a proxy is stale'),
        disconnectedAfterMissed: count(
          4,
          1,
          1_000,
          'missed heartbeats before a proxy counts as gone (it then gets its restart grace)',
        ),
        restartGraceSeconds: seconds(
          30,
          0,
          86_400,
          'how long a proxy whose stream closed (or that missed disconnectedAfterMissed heartbeats) keeps its partitions as RESTARTING; registering again with the same id within it changes nothing, after it its partitions move; after an admin restart, proxies not yet back get at least disconnectedAfterMissed heartbeats',
        ),
      },
    },
    rebalance: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        maxMovePercent: count(
          10,
          1,
          100,
          'most partitions moved per round, in percent of the 256 (10 = 26); partitions whose owner is gone move at once',
        ),
        prepareTimeoutMs: millis(
          5_000,
          0,
          600_000,
          'how long a round waits for every new owner to answer Prepared before it cuts over anyway',
        ),
        ackTimeoutMs: millis(
          5_000,
          0,
          600_000,
          "how long a round waits for every connected proxy to acknowledge the cut-over's table version",
        ),
        settleMs: millis(
          2_000,
          0,
          600_000,
          "pause after a round's cut-over before the next round, so that load balancers' watchers follow",
        ),
        cooldownSeconds: seconds(
          0,
          0,
          86_400,
          'after an automatic rollout (a join, an undrain) completes, the next automatic one waits this long; proxies that left and operator drains never wait',
        ),
        approvalThreshold: count(
          50,
          0,
          100,
          'an automatic change that would move more than this percent of the partitions waits for an operator (prismctl partitions plan / apply --plan); 100 = never',
        ),
      },
    },
    tokens: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        algorithm: {
          type: 'string',
          enum: ['ES256', 'EdDSA'],
          default: 'ES256',
          description: 'namespace JWT signature algorithm',
        },
        keyRotationDays: count(30, 1, 3_650, 'days between signing-key rotations'),
        keyOverlapDays: count(7, 0, 3_650, 'days a retired key still verifies old tokens'),
        maxVerifyingKeys: count(
          4,
          2,
          64,
          'most keys in the JWKS (the signing key and the newest retired ones): a burst of rotations drops the oldest early',
        ),
      },
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
            'PEM CA bundle that proxy and operator client certificates must chain to; with certFile and keyFile the gRPC port requires mTLS (a proxy registers only under the id of its certificate) and the HTTP port serves HTTPS only',
        },
        certFile: {
          type: 'string',
          default: '',
          description:
            'PEM certificate of this admin (serverAuth, URI SAN spiffe://prism/admin/<name>), presented on the gRPC and the HTTPS port',
        },
        keyFile: { type: 'string', default: '', description: 'PEM private key of certFile' },
        reloadIntervalMs: millis(
          60_000,
          100,
          86_400_000,
          'how often the three files are re-read; changed, valid files apply to new connections (also on SIGHUP)',
        ),
      },
    },
    auth: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        defaultTokenTtlSeconds: seconds(
          86_400,
          60,
          31_536_000,
          'lifetime of an operator token when its creator names none',
        ),
        maxTokenTtlSeconds: seconds(7_776_000, 60, 31_536_000, 'longest lifetime an operator token may be given'),
        bootstrapTokenTtlSeconds: seconds(
          31_536_000,
          3_600,
          315_360_000,
          'lifetime of the admin token written to <dataDir>/operator-admin.token on first start',
        ),
        operatorRoles: {
          type: 'object',
          maxProperties: 10_000,
          propertyNames: { pattern: '^[a-z0-9](?:[a-z0-9._-]{0,61}[a-z0-9])?$' },
          additionalProperties: { type: 'string', enum: ['viewer', 'operator', 'admin'] },
          default: {},
          description:
            'role of each operator client certificate by name (spiffe://prism/operator/<name>), e.g. {"alice": "admin"}; a certificate whose name is not listed authenticates but may call nothing',
        },
      },
    },
    limits: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        maxBodyBytes: count(
          1_048_576,
          1_024,
          67_108_864,
          'largest operator API request body, in bytes, on routes that take large messages (reserve, plan, apply)',
        ),
        importBodyBytes: count(
          268_435_456,
          1_024,
          4_294_967_295,
          'largest document POST /v1/import (prismctl import) takes, in bytes',
        ),
        smallBodyBytes: count(
          16_384,
          1_024,
          1_048_576,
          'largest request body, in bytes, on every other route (refresh, revoke, restore, purge, keys, tokens, reads)',
        ),
        operatorRequestsPerSecond: count(
          50,
          1,
          1_000_000,
          'sustained operator API requests per second per principal (per client address when unauthenticated): a token bucket refilled at this rate',
        ),
        operatorBurst: count(
          200,
          1,
          1_000_000,
          'operator API requests a principal may send at once before the rate applies (token bucket size); more gets 429',
        ),
        expensivePerMinute: count(
          6,
          1,
          1_000_000,
          'sustained key rotations, partition-table:apply and token creations per minute per principal',
        ),
        expensiveBurst: count(
          10,
          1,
          1_000_000,
          'key rotations, partition-table:apply and token creations a principal may send at once before that rate applies',
        ),
        namespacesPerTeam: count(
          10_000,
          1,
          10_000_000,
          'live namespaces one team may hold (namespaces without a team count as one team)',
        ),
        maxHeaderBytes: count(
          16_384,
          1_024,
          1_048_576,
          'largest request line plus headers of an operator API request, in bytes; larger gets 431',
        ),
        headersTimeoutMs: millis(
          10_000,
          100,
          600_000,
          'time a client has to send its request line and headers (counted from connecting, or from the first byte of a request) before it gets 408',
        ),
        requestTimeoutMs: millis(
          30_000,
          100,
          3_600_000,
          'time a client has to send its whole request, headers and body (no less than headersTimeoutMs), before it gets 408',
        ),
        keepAliveTimeoutMs: millis(
          5_000,
          100,
          600_000,
          'idle time between two requests on a keep-alive connection before the admin closes it',
        ),
        idleTimeoutMs: millis(
          60_000,
          100,
          3_600_000,
          'time a connection may carry no bytes at all, e.g. a client that stops reading its answer, before it is closed',
        ),
      },
    },
    backendPolicy,
    log,
  },
} as const;

export type AdminConfig = FromSchema<typeof adminConfigSchema>;
