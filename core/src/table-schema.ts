/**
 * JSON schema of a PartitionTable in the proto3 JSON mapping (camelCase, or the proto field names
 * that proto3 JSON parsers also accept). It checks shape and types; table.ts checks meaning.
 */
const uint = {
  anyOf: [
    { type: 'integer', minimum: 0 },
    { type: 'string', pattern: '^[0-9]{1,20}$' },
  ],
} as const;
const timestamp = { type: 'string', maxLength: 64 } as const;
const enumOf = (names: readonly string[]) =>
  ({
    anyOf: [
      { type: 'string', enum: names },
      { type: 'integer', minimum: 0, maximum: names.length - 1 },
    ],
  }) as const;

const proxy = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: {
    id: { type: 'string', maxLength: 63 },
    address: { type: 'string', maxLength: 253 },
    dataPort: uint,
    data_port: uint,
    opsPort: uint,
    ops_port: uint,
    weight: uint,
    status: enumOf([
      'PROXY_STATUS_UNSPECIFIED',
      'PROXY_STATUS_HEALTHY',
      'PROXY_STATUS_STALE',
      'PROXY_STATUS_DISCONNECTED',
    ]),
    lastSeen: timestamp,
    last_seen: timestamp,
    appliedTableVersion: uint,
    applied_table_version: uint,
  },
} as const;

const assignment = {
  type: 'object',
  additionalProperties: false,
  required: ['owner'],
  properties: {
    partition: uint,
    owner: { type: 'string', maxLength: 63 },
    epoch: uint,
    pinned: { type: 'boolean' },
  },
} as const;

const prefixRule = {
  type: 'object',
  additionalProperties: false,
  required: ['prefix', 'proxies'],
  properties: {
    prefix: { type: 'string', maxLength: 63 },
    proxies: { type: 'array', maxItems: 256, items: { type: 'string', maxLength: 63 } },
  },
} as const;

const namespacePin = {
  type: 'object',
  additionalProperties: false,
  required: ['namespace', 'proxy'],
  properties: { namespace: { type: 'string', maxLength: 63 }, proxy: { type: 'string', maxLength: 63 } },
} as const;

const partitionPin = {
  type: 'object',
  additionalProperties: false,
  required: ['proxy'],
  properties: { partition: uint, proxy: { type: 'string', maxLength: 63 } },
} as const;

const rules = {
  type: 'object',
  additionalProperties: false,
  properties: {
    prefixRules: { type: 'array', maxItems: 10000, items: prefixRule },
    prefix_rules: { type: 'array', maxItems: 10000, items: prefixRule },
    namespacePins: { type: 'array', maxItems: 100000, items: namespacePin },
    namespace_pins: { type: 'array', maxItems: 100000, items: namespacePin },
    partitionPins: { type: 'array', maxItems: 256, items: partitionPin },
    partition_pins: { type: 'array', maxItems: 256, items: partitionPin },
  },
} as const;

export const partitionTableSchema = {
  $id: 'prism.admin.v1.PartitionTable',
  type: 'object',
  additionalProperties: false,
  required: ['version', 'assignments', 'proxies'],
  properties: {
    version: uint,
    strategy: enumOf(['STRATEGY_UNSPECIFIED', 'STRATEGY_CONSISTENT_HASH', 'STRATEGY_KEY_RANGE', 'STRATEGY_EXPLICIT']),
    assignments: { type: 'array', maxItems: 256, items: assignment },
    proxies: { type: 'array', maxItems: 256, items: proxy },
    rules,
    updatedAt: timestamp,
    updated_at: timestamp,
  },
} as const;
