/** Schema pieces shared by the program configurations. */

export const listenAddress = (fallback: string, description: string) =>
  ({
    type: 'string',
    pattern: '^(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}$',
    default: fallback,
    description: `${description} (HOST:PORT; port 0 picks a free port)`,
  }) as const;

export const seconds = (fallback: number, minimum: number, maximum: number, description: string) =>
  ({ type: 'integer', minimum, maximum, default: fallback, description: `${description}, in seconds` }) as const;

export const millis = (fallback: number, minimum: number, maximum: number, description: string) =>
  ({ type: 'integer', minimum, maximum, default: fallback, description: `${description}, in milliseconds` }) as const;

export const count = (fallback: number, minimum: number, maximum: number, description: string) =>
  ({ type: 'integer', minimum, maximum, default: fallback, description }) as const;

export const profile = {
  type: 'string',
  enum: ['development', 'staging', 'production'],
  default: 'development',
  description: 'preset of defaults: development (auth off, loopback), staging, production (auth required)',
} as const;

export const log = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    level: {
      type: 'string',
      enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'],
      default: 'info',
      description: 'log level (pino)',
    },
  },
} as const;

/** Which backend addresses namespaces may name (SSRF defence, core/src/backend-policy.ts). */
export const backendPolicy = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    allow: {
      type: 'array',
      maxItems: 1_000,
      items: { type: 'string', minLength: 1, maxLength: 255 },
      default: [],
      description:
        'CIDRs and host names (".example.com" for every name under it) backends must be in; empty: any address not denied',
    },
    deny: {
      type: 'array',
      maxItems: 1_000,
      items: { type: 'string', minLength: 1, maxLength: 64 },
      default: [
        '169.254.0.0/16', // IPv4 link-local, including the cloud metadata address 169.254.169.254
        'fe80::/10', // IPv6 link-local
        'fd00:ec2::254/128', // AWS metadata over IPv6
        '100.100.100.200/32', // Alibaba Cloud metadata
        '0.0.0.0/8', // "this network": connecting to 0.0.0.0 reaches the local host on Linux
        '::/128',
        '224.0.0.0/4', // multicast
        'ff00::/8',
      ],
      description: 'CIDRs no backend may resolve to (default: link-local and cloud metadata, unspecified, multicast)',
    },
    allowLoopback: {
      type: 'boolean',
      default: true,
      description: 'allow loopback backends (127.0.0.0/8, ::1, localhost); off in the staging and production profiles',
    },
  },
} as const;
