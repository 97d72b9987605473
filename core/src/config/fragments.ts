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
