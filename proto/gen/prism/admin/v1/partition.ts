// Code generated from proto/ by `npm run proto` (ts-proto). DO NOT EDIT.
/* eslint-disable */
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import { Timestamp } from "../../../google/protobuf/timestamp.js";

export const protobufPackage = "prism.admin.v1";

export const protobufFileName = "prism/admin/v1/partition.proto";

/**
 * The partition table: which proxy owns each of the 256 partitions.
 * partition(ns) = CRC-32/IEEE(UTF-8 bytes of ns) mod 256 (CONTRACT §1); the count never changes.
 */

/** How the admin assigns partitions and namespaces to proxies. */
export enum Strategy {
  /** STRATEGY_UNSPECIFIED - Not set; readers treat it as STRATEGY_CONSISTENT_HASH. */
  STRATEGY_UNSPECIFIED = 0,
  /** STRATEGY_CONSISTENT_HASH - Rendezvous-seeded, balanced to within ±1 partition of each proxy's fair share with the fewest moves. */
  STRATEGY_CONSISTENT_HASH = 1,
  /** STRATEGY_KEY_RANGE - Consistent hash plus namespace-prefix rules that override ownership of matching namespaces. */
  STRATEGY_KEY_RANGE = 2,
  /** STRATEGY_EXPLICIT - Consistent hash plus explicit pins of namespaces or partitions to proxies. */
  STRATEGY_EXPLICIT = 3,
  UNRECOGNIZED = -1,
}

export function strategyFromJSON(object: any): Strategy {
  switch (object) {
    case 0:
    case "STRATEGY_UNSPECIFIED":
      return Strategy.STRATEGY_UNSPECIFIED;
    case 1:
    case "STRATEGY_CONSISTENT_HASH":
      return Strategy.STRATEGY_CONSISTENT_HASH;
    case 2:
    case "STRATEGY_KEY_RANGE":
      return Strategy.STRATEGY_KEY_RANGE;
    case 3:
    case "STRATEGY_EXPLICIT":
      return Strategy.STRATEGY_EXPLICIT;
    case -1:
    case "UNRECOGNIZED":
    default:
      return Strategy.UNRECOGNIZED;
  }
}

export function strategyToJSON(object: Strategy): string {
  switch (object) {
    case Strategy.STRATEGY_UNSPECIFIED:
      return "STRATEGY_UNSPECIFIED";
    case Strategy.STRATEGY_CONSISTENT_HASH:
      return "STRATEGY_CONSISTENT_HASH";
    case Strategy.STRATEGY_KEY_RANGE:
      return "STRATEGY_KEY_RANGE";
    case Strategy.STRATEGY_EXPLICIT:
      return "STRATEGY_EXPLICIT";
    case Strategy.UNRECOGNIZED:
    default:
      return "UNRECOGNIZED";
  }
}

/** Health of a proxy as the admin sees it. */
export enum ProxyStatus {
  /** PROXY_STATUS_UNSPECIFIED - Not reported yet. */
  PROXY_STATUS_UNSPECIFIED = 0,
  /** PROXY_STATUS_HEALTHY - Heartbeats arrive on time. */
  PROXY_STATUS_HEALTHY = 1,
  /** PROXY_STATUS_STALE - Two or more heartbeats missed; still owns its partitions. */
  PROXY_STATUS_STALE = 2,
  /** PROXY_STATUS_DISCONNECTED - Stream closed or heartbeats stopped for good. */
  PROXY_STATUS_DISCONNECTED = 3,
  /**
   * PROXY_STATUS_RESTARTING - Stream closed less than the restart grace ago: keeps its partitions, gets them back untouched when
   * it registers again with the same id; after the grace they move.
   */
  PROXY_STATUS_RESTARTING = 4,
  UNRECOGNIZED = -1,
}

export function proxyStatusFromJSON(object: any): ProxyStatus {
  switch (object) {
    case 0:
    case "PROXY_STATUS_UNSPECIFIED":
      return ProxyStatus.PROXY_STATUS_UNSPECIFIED;
    case 1:
    case "PROXY_STATUS_HEALTHY":
      return ProxyStatus.PROXY_STATUS_HEALTHY;
    case 2:
    case "PROXY_STATUS_STALE":
      return ProxyStatus.PROXY_STATUS_STALE;
    case 3:
    case "PROXY_STATUS_DISCONNECTED":
      return ProxyStatus.PROXY_STATUS_DISCONNECTED;
    case 4:
    case "PROXY_STATUS_RESTARTING":
      return ProxyStatus.PROXY_STATUS_RESTARTING;
    case -1:
    case "UNRECOGNIZED":
    default:
      return ProxyStatus.UNRECOGNIZED;
  }
}

export function proxyStatusToJSON(object: ProxyStatus): string {
  switch (object) {
    case ProxyStatus.PROXY_STATUS_UNSPECIFIED:
      return "PROXY_STATUS_UNSPECIFIED";
    case ProxyStatus.PROXY_STATUS_HEALTHY:
      return "PROXY_STATUS_HEALTHY";
    case ProxyStatus.PROXY_STATUS_STALE:
      return "PROXY_STATUS_STALE";
    case ProxyStatus.PROXY_STATUS_DISCONNECTED:
      return "PROXY_STATUS_DISCONNECTED";
    case ProxyStatus.PROXY_STATUS_RESTARTING:
      return "PROXY_STATUS_RESTARTING";
    case ProxyStatus.UNRECOGNIZED:
    default:
      return "UNRECOGNIZED";
  }
}

/** A proxy of the fleet. */
export interface Proxy {
  /** Stable id, 1-63 characters of [a-z0-9._-], starting and ending with [a-z0-9]. */
  id: string;
  /** Host name or IP other proxies and load balancers reach this proxy at. */
  address: string;
  /** Data-plane port (HTTP/1.1 and h2c), 8980 by default. */
  dataPort: number;
  /** Ops port (/readyz, /metrics, /prism/v1/partition-table), 9980 by default. */
  opsPort: number;
  /** Relative capacity 1-256; 0 on the wire means 1. */
  weight: number;
  /** Health as last seen by the admin. */
  status: ProxyStatus;
  /** When the admin last heard from the proxy. */
  lastSeen?:
    | Date
    | undefined;
  /** Highest table version the proxy acknowledged as applied. */
  appliedTableVersion: number;
  /**
   * Drained by an operator (prismctl proxies drain): its partitions move away in rounds and it gets
   * none until undrained. Kept across restarts of the proxy and of the admin.
   */
  draining: boolean;
  /** While RESTARTING: when its partitions move if it has not registered again. */
  graceUntil?:
    | Date
    | undefined;
  /** Fingerprint of its effective configuration as it last reported it (operator views only). */
  configHash: string;
  /** True when that fingerprint differs from the one most proxies report (operator views only). */
  configDrift: boolean;
}

/** Ownership of one partition. */
export interface Assignment {
  /** Partition number, 0-255. */
  partition: number;
  /** Id of the owning proxy. */
  owner: string;
  /** Incremented every time the owner of this partition changes; fences stale owners. */
  epoch: number;
  /** True when an explicit partition pin placed it; the balancer never moves it. */
  pinned: boolean;
}

/** Namespaces starting with prefix belong to the listed proxies (STRATEGY_KEY_RANGE). */
export interface PrefixRule {
  /** Namespace prefix, 1-63 characters of [a-z0-9_-], starting with [a-z0-9]. */
  prefix: string;
  /** Proxy ids, sorted; a matching namespace goes to proxies[partition mod len(proxies)]. */
  proxies: string[];
}

/** One namespace pinned to one proxy (STRATEGY_EXPLICIT). */
export interface NamespacePin {
  /** Namespace name (CONTRACT §2). */
  namespace: string;
  /** Proxy id that owns it. */
  proxy: string;
}

/** One partition pinned to one proxy (STRATEGY_EXPLICIT). */
export interface PartitionPin {
  /** Partition number, 0-255. */
  partition: number;
  /** Proxy id that owns it. */
  proxy: string;
}

/**
 * Operator rules applied on top of the partition assignments.
 * Precedence for a namespace: namespace pin, then longest matching prefix rule, then its partition's owner.
 */
export interface TableRules {
  /** Prefix rules, sorted by prefix. */
  prefixRules: PrefixRule[];
  /** Namespace pins, sorted by namespace. */
  namespacePins: NamespacePin[];
  /** Partition pins, sorted by partition. */
  partitionPins: PartitionPin[];
}

/** The versioned partition table pushed to every proxy and load-balancer generator. */
export interface PartitionTable {
  /** Incremented on every change of assignments, proxies or rules; never reused. */
  version: number;
  /** Strategy that produced the table. */
  strategy: Strategy;
  /** Exactly 256 assignments, sorted by partition. */
  assignments: Assignment[];
  /** Proxies of the fleet, sorted by id. */
  proxies: Proxy[];
  /** Namespace overrides and partition pins. */
  rules?:
    | TableRules
    | undefined;
  /** When the admin applied this version; unset in offline plans. */
  updatedAt?: Date | undefined;
}

/** Pull of the table. */
export interface GetPartitionTableRequest {
  /** When set, the admin answers only once a version above this exists or the deadline passes. */
  afterVersion: number;
}

function createBaseProxy(): Proxy {
  return {
    id: "",
    address: "",
    dataPort: 0,
    opsPort: 0,
    weight: 0,
    status: 0,
    lastSeen: undefined,
    appliedTableVersion: 0,
    draining: false,
    graceUntil: undefined,
    configHash: "",
    configDrift: false,
  };
}

export const Proxy: MessageFns<Proxy> = {
  encode(message: Proxy, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.id !== "") {
      writer.uint32(10).string(message.id);
    }
    if (message.address !== "") {
      writer.uint32(18).string(message.address);
    }
    if (message.dataPort !== 0) {
      writer.uint32(24).uint32(message.dataPort);
    }
    if (message.opsPort !== 0) {
      writer.uint32(32).uint32(message.opsPort);
    }
    if (message.weight !== 0) {
      writer.uint32(40).uint32(message.weight);
    }
    if (message.status !== 0) {
      writer.uint32(48).int32(message.status);
    }
    if (message.lastSeen !== undefined) {
      Timestamp.encode(toTimestamp(message.lastSeen), writer.uint32(58).fork()).join();
    }
    if (message.appliedTableVersion !== 0) {
      writer.uint32(64).uint64(message.appliedTableVersion);
    }
    if (message.draining !== false) {
      writer.uint32(72).bool(message.draining);
    }
    if (message.graceUntil !== undefined) {
      Timestamp.encode(toTimestamp(message.graceUntil), writer.uint32(82).fork()).join();
    }
    if (message.configHash !== "") {
      writer.uint32(90).string(message.configHash);
    }
    if (message.configDrift !== false) {
      writer.uint32(96).bool(message.configDrift);
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): Proxy {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseProxy();
      while (reader.pos < end) {
        const tag = reader.uint32();
        switch (tag >>> 3) {
          case 1: {
            if (tag !== 10) {
              break;
            }

            message.id = reader.string();
            continue;
          }
          case 2: {
            if (tag !== 18) {
              break;
            }

            message.address = reader.string();
            continue;
          }
          case 3: {
            if (tag !== 24) {
              break;
            }

            message.dataPort = reader.uint32();
            continue;
          }
          case 4: {
            if (tag !== 32) {
              break;
            }

            message.opsPort = reader.uint32();
            continue;
          }
          case 5: {
            if (tag !== 40) {
              break;
            }

            message.weight = reader.uint32();
            continue;
          }
          case 6: {
            if (tag !== 48) {
              break;
            }

            message.status = reader.int32() as any;
            continue;
          }
          case 7: {
            if (tag !== 58) {
              break;
            }

            message.lastSeen = fromTimestamp(Timestamp.decode(reader, reader.uint32()));
            continue;
          }
          case 8: {
            if (tag !== 64) {
              break;
            }

            message.appliedTableVersion = longToNumber(reader.uint64());
            continue;
          }
          case 9: {
            if (tag !== 72) {
              break;
            }

            message.draining = reader.bool();
            continue;
          }
          case 10: {
            if (tag !== 82) {
              break;
            }

            message.graceUntil = fromTimestamp(Timestamp.decode(reader, reader.uint32()));
            continue;
          }
          case 11: {
            if (tag !== 90) {
              break;
            }

            message.configHash = reader.string();
            continue;
          }
          case 12: {
            if (tag !== 96) {
              break;
            }

            message.configDrift = reader.bool();
            continue;
          }
        }
        if ((tag & 7) === 4 || tag === 0) {
          break;
        }
        reader.skip(tag & 7);
      }
      return message;
    } finally {
      (reader as any).__tsProtoDecodeDepth = previousRecursionDepth;
    }
  },

  fromJSON(object: any): Proxy {
    return {
      id: isSet(object.id) ? globalThis.String(object.id) : "",
      address: isSet(object.address) ? globalThis.String(object.address) : "",
      dataPort: isSet(object.dataPort)
        ? globalThis.Number(object.dataPort)
        : isSet(object.data_port)
        ? globalThis.Number(object.data_port)
        : 0,
      opsPort: isSet(object.opsPort)
        ? globalThis.Number(object.opsPort)
        : isSet(object.ops_port)
        ? globalThis.Number(object.ops_port)
        : 0,
      weight: isSet(object.weight) ? globalThis.Number(object.weight) : 0,
      status: isSet(object.status) ? proxyStatusFromJSON(object.status) : 0,
      lastSeen: isSet(object.lastSeen)
        ? fromJsonTimestamp(object.lastSeen)
        : isSet(object.last_seen)
        ? fromJsonTimestamp(object.last_seen)
        : undefined,
      appliedTableVersion: isSet(object.appliedTableVersion)
        ? globalThis.Number(object.appliedTableVersion)
        : isSet(object.applied_table_version)
        ? globalThis.Number(object.applied_table_version)
        : 0,
      draining: isSet(object.draining) ? globalThis.Boolean(object.draining) : false,
      graceUntil: isSet(object.graceUntil)
        ? fromJsonTimestamp(object.graceUntil)
        : isSet(object.grace_until)
        ? fromJsonTimestamp(object.grace_until)
        : undefined,
      configHash: isSet(object.configHash)
        ? globalThis.String(object.configHash)
        : isSet(object.config_hash)
        ? globalThis.String(object.config_hash)
        : "",
      configDrift: isSet(object.configDrift)
        ? globalThis.Boolean(object.configDrift)
        : isSet(object.config_drift)
        ? globalThis.Boolean(object.config_drift)
        : false,
    };
  },

  toJSON(message: Proxy): unknown {
    const obj: any = {};
    if (message.id !== "") {
      obj.id = message.id;
    }
    if (message.address !== "") {
      obj.address = message.address;
    }
    if (message.dataPort !== 0) {
      obj.dataPort = Math.round(message.dataPort);
    }
    if (message.opsPort !== 0) {
      obj.opsPort = Math.round(message.opsPort);
    }
    if (message.weight !== 0) {
      obj.weight = Math.round(message.weight);
    }
    if (message.status !== 0) {
      obj.status = proxyStatusToJSON(message.status);
    }
    if (message.lastSeen !== undefined) {
      obj.lastSeen = message.lastSeen.toISOString();
    }
    if (message.appliedTableVersion !== 0) {
      obj.appliedTableVersion = Math.round(message.appliedTableVersion);
    }
    if (message.draining !== false) {
      obj.draining = message.draining;
    }
    if (message.graceUntil !== undefined) {
      obj.graceUntil = message.graceUntil.toISOString();
    }
    if (message.configHash !== "") {
      obj.configHash = message.configHash;
    }
    if (message.configDrift !== false) {
      obj.configDrift = message.configDrift;
    }
    return obj;
  },

  create(base?: DeepPartial<Proxy>): Proxy {
    return Proxy.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<Proxy>): Proxy {
    const message = createBaseProxy();
    message.id = object.id ?? "";
    message.address = object.address ?? "";
    message.dataPort = object.dataPort ?? 0;
    message.opsPort = object.opsPort ?? 0;
    message.weight = object.weight ?? 0;
    message.status = object.status ?? 0;
    message.lastSeen = object.lastSeen ?? undefined;
    message.appliedTableVersion = object.appliedTableVersion ?? 0;
    message.draining = object.draining ?? false;
    message.graceUntil = object.graceUntil ?? undefined;
    message.configHash = object.configHash ?? "";
    message.configDrift = object.configDrift ?? false;
    return message;
  },
};

function createBaseAssignment(): Assignment {
  return { partition: 0, owner: "", epoch: 0, pinned: false };
}

export const Assignment: MessageFns<Assignment> = {
  encode(message: Assignment, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.partition !== 0) {
      writer.uint32(8).uint32(message.partition);
    }
    if (message.owner !== "") {
      writer.uint32(18).string(message.owner);
    }
    if (message.epoch !== 0) {
      writer.uint32(24).uint64(message.epoch);
    }
    if (message.pinned !== false) {
      writer.uint32(32).bool(message.pinned);
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): Assignment {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseAssignment();
      while (reader.pos < end) {
        const tag = reader.uint32();
        switch (tag >>> 3) {
          case 1: {
            if (tag !== 8) {
              break;
            }

            message.partition = reader.uint32();
            continue;
          }
          case 2: {
            if (tag !== 18) {
              break;
            }

            message.owner = reader.string();
            continue;
          }
          case 3: {
            if (tag !== 24) {
              break;
            }

            message.epoch = longToNumber(reader.uint64());
            continue;
          }
          case 4: {
            if (tag !== 32) {
              break;
            }

            message.pinned = reader.bool();
            continue;
          }
        }
        if ((tag & 7) === 4 || tag === 0) {
          break;
        }
        reader.skip(tag & 7);
      }
      return message;
    } finally {
      (reader as any).__tsProtoDecodeDepth = previousRecursionDepth;
    }
  },

  fromJSON(object: any): Assignment {
    return {
      partition: isSet(object.partition) ? globalThis.Number(object.partition) : 0,
      owner: isSet(object.owner) ? globalThis.String(object.owner) : "",
      epoch: isSet(object.epoch) ? globalThis.Number(object.epoch) : 0,
      pinned: isSet(object.pinned) ? globalThis.Boolean(object.pinned) : false,
    };
  },

  toJSON(message: Assignment): unknown {
    const obj: any = {};
    if (message.partition !== 0) {
      obj.partition = Math.round(message.partition);
    }
    if (message.owner !== "") {
      obj.owner = message.owner;
    }
    if (message.epoch !== 0) {
      obj.epoch = Math.round(message.epoch);
    }
    if (message.pinned !== false) {
      obj.pinned = message.pinned;
    }
    return obj;
  },

  create(base?: DeepPartial<Assignment>): Assignment {
    return Assignment.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<Assignment>): Assignment {
    const message = createBaseAssignment();
    message.partition = object.partition ?? 0;
    message.owner = object.owner ?? "";
    message.epoch = object.epoch ?? 0;
    message.pinned = object.pinned ?? false;
    return message;
  },
};

function createBasePrefixRule(): PrefixRule {
  return { prefix: "", proxies: [] };
}

export const PrefixRule: MessageFns<PrefixRule> = {
  encode(message: PrefixRule, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.prefix !== "") {
      writer.uint32(10).string(message.prefix);
    }
    for (const v of message.proxies) {
      writer.uint32(18).string(v!);
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): PrefixRule {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBasePrefixRule();
      while (reader.pos < end) {
        const tag = reader.uint32();
        switch (tag >>> 3) {
          case 1: {
            if (tag !== 10) {
              break;
            }

            message.prefix = reader.string();
            continue;
          }
          case 2: {
            if (tag !== 18) {
              break;
            }

            message.proxies.push(reader.string());
            continue;
          }
        }
        if ((tag & 7) === 4 || tag === 0) {
          break;
        }
        reader.skip(tag & 7);
      }
      return message;
    } finally {
      (reader as any).__tsProtoDecodeDepth = previousRecursionDepth;
    }
  },

  fromJSON(object: any): PrefixRule {
    return {
      prefix: isSet(object.prefix) ? globalThis.String(object.prefix) : "",
      proxies: globalThis.Array.isArray(object?.proxies) ? object.proxies.map((e: any) => globalThis.String(e)) : [],
    };
  },

  toJSON(message: PrefixRule): unknown {
    const obj: any = {};
    if (message.prefix !== "") {
      obj.prefix = message.prefix;
    }
    if (message.proxies?.length) {
      obj.proxies = message.proxies;
    }
    return obj;
  },

  create(base?: DeepPartial<PrefixRule>): PrefixRule {
    return PrefixRule.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<PrefixRule>): PrefixRule {
    const message = createBasePrefixRule();
    message.prefix = object.prefix ?? "";
    message.proxies = object.proxies?.map((e) => e) || [];
    return message;
  },
};

function createBaseNamespacePin(): NamespacePin {
  return { namespace: "", proxy: "" };
}

export const NamespacePin: MessageFns<NamespacePin> = {
  encode(message: NamespacePin, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.namespace !== "") {
      writer.uint32(10).string(message.namespace);
    }
    if (message.proxy !== "") {
      writer.uint32(18).string(message.proxy);
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): NamespacePin {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseNamespacePin();
      while (reader.pos < end) {
        const tag = reader.uint32();
        switch (tag >>> 3) {
          case 1: {
            if (tag !== 10) {
              break;
            }

            message.namespace = reader.string();
            continue;
          }
          case 2: {
            if (tag !== 18) {
              break;
            }

            message.proxy = reader.string();
            continue;
          }
        }
        if ((tag & 7) === 4 || tag === 0) {
          break;
        }
        reader.skip(tag & 7);
      }
      return message;
    } finally {
      (reader as any).__tsProtoDecodeDepth = previousRecursionDepth;
    }
  },

  fromJSON(object: any): NamespacePin {
    return {
      namespace: isSet(object.namespace) ? globalThis.String(object.namespace) : "",
      proxy: isSet(object.proxy) ? globalThis.String(object.proxy) : "",
    };
  },

  toJSON(message: NamespacePin): unknown {
    const obj: any = {};
    if (message.namespace !== "") {
      obj.namespace = message.namespace;
    }
    if (message.proxy !== "") {
      obj.proxy = message.proxy;
    }
    return obj;
  },

  create(base?: DeepPartial<NamespacePin>): NamespacePin {
    return NamespacePin.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<NamespacePin>): NamespacePin {
    const message = createBaseNamespacePin();
    message.namespace = object.namespace ?? "";
    message.proxy = object.proxy ?? "";
    return message;
  },
};

function createBasePartitionPin(): PartitionPin {
  return { partition: 0, proxy: "" };
}

export const PartitionPin: MessageFns<PartitionPin> = {
  encode(message: PartitionPin, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.partition !== 0) {
      writer.uint32(8).uint32(message.partition);
    }
    if (message.proxy !== "") {
      writer.uint32(18).string(message.proxy);
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): PartitionPin {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBasePartitionPin();
      while (reader.pos < end) {
        const tag = reader.uint32();
        switch (tag >>> 3) {
          case 1: {
            if (tag !== 8) {
              break;
            }

            message.partition = reader.uint32();
            continue;
          }
          case 2: {
            if (tag !== 18) {
              break;
            }

            message.proxy = reader.string();
            continue;
          }
        }
        if ((tag & 7) === 4 || tag === 0) {
          break;
        }
        reader.skip(tag & 7);
      }
      return message;
    } finally {
      (reader as any).__tsProtoDecodeDepth = previousRecursionDepth;
    }
  },

  fromJSON(object: any): PartitionPin {
    return {
      partition: isSet(object.partition) ? globalThis.Number(object.partition) : 0,
      proxy: isSet(object.proxy) ? globalThis.String(object.proxy) : "",
    };
  },

  toJSON(message: PartitionPin): unknown {
    const obj: any = {};
    if (message.partition !== 0) {
      obj.partition = Math.round(message.partition);
    }
    if (message.proxy !== "") {
      obj.proxy = message.proxy;
    }
    return obj;
  },

  create(base?: DeepPartial<PartitionPin>): PartitionPin {
    return PartitionPin.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<PartitionPin>): PartitionPin {
    const message = createBasePartitionPin();
    message.partition = object.partition ?? 0;
    message.proxy = object.proxy ?? "";
    return message;
  },
};

function createBaseTableRules(): TableRules {
  return { prefixRules: [], namespacePins: [], partitionPins: [] };
}

export const TableRules: MessageFns<TableRules> = {
  encode(message: TableRules, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    for (const v of message.prefixRules) {
      PrefixRule.encode(v!, writer.uint32(10).fork()).join();
    }
    for (const v of message.namespacePins) {
      NamespacePin.encode(v!, writer.uint32(18).fork()).join();
    }
    for (const v of message.partitionPins) {
      PartitionPin.encode(v!, writer.uint32(26).fork()).join();
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): TableRules {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseTableRules();
      while (reader.pos < end) {
        const tag = reader.uint32();
        switch (tag >>> 3) {
          case 1: {
            if (tag !== 10) {
              break;
            }

            message.prefixRules.push(PrefixRule.decode(reader, reader.uint32()));
            continue;
          }
          case 2: {
            if (tag !== 18) {
              break;
            }

            message.namespacePins.push(NamespacePin.decode(reader, reader.uint32()));
            continue;
          }
          case 3: {
            if (tag !== 26) {
              break;
            }

            message.partitionPins.push(PartitionPin.decode(reader, reader.uint32()));
            continue;
          }
        }
        if ((tag & 7) === 4 || tag === 0) {
          break;
        }
        reader.skip(tag & 7);
      }
      return message;
    } finally {
      (reader as any).__tsProtoDecodeDepth = previousRecursionDepth;
    }
  },

  fromJSON(object: any): TableRules {
    return {
      prefixRules: globalThis.Array.isArray(object?.prefixRules)
        ? object.prefixRules.map((e: any) => PrefixRule.fromJSON(e))
        : globalThis.Array.isArray(object?.prefix_rules)
        ? object.prefix_rules.map((e: any) => PrefixRule.fromJSON(e))
        : [],
      namespacePins: globalThis.Array.isArray(object?.namespacePins)
        ? object.namespacePins.map((e: any) => NamespacePin.fromJSON(e))
        : globalThis.Array.isArray(object?.namespace_pins)
        ? object.namespace_pins.map((e: any) => NamespacePin.fromJSON(e))
        : [],
      partitionPins: globalThis.Array.isArray(object?.partitionPins)
        ? object.partitionPins.map((e: any) => PartitionPin.fromJSON(e))
        : globalThis.Array.isArray(object?.partition_pins)
        ? object.partition_pins.map((e: any) => PartitionPin.fromJSON(e))
        : [],
    };
  },

  toJSON(message: TableRules): unknown {
    const obj: any = {};
    if (message.prefixRules?.length) {
      obj.prefixRules = message.prefixRules.map((e) => PrefixRule.toJSON(e));
    }
    if (message.namespacePins?.length) {
      obj.namespacePins = message.namespacePins.map((e) => NamespacePin.toJSON(e));
    }
    if (message.partitionPins?.length) {
      obj.partitionPins = message.partitionPins.map((e) => PartitionPin.toJSON(e));
    }
    return obj;
  },

  create(base?: DeepPartial<TableRules>): TableRules {
    return TableRules.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<TableRules>): TableRules {
    const message = createBaseTableRules();
    message.prefixRules = object.prefixRules?.map((e) => PrefixRule.fromPartial(e)) || [];
    message.namespacePins = object.namespacePins?.map((e) => NamespacePin.fromPartial(e)) || [];
    message.partitionPins = object.partitionPins?.map((e) => PartitionPin.fromPartial(e)) || [];
    return message;
  },
};

function createBasePartitionTable(): PartitionTable {
  return { version: 0, strategy: 0, assignments: [], proxies: [], rules: undefined, updatedAt: undefined };
}

export const PartitionTable: MessageFns<PartitionTable> = {
  encode(message: PartitionTable, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.version !== 0) {
      writer.uint32(8).uint64(message.version);
    }
    if (message.strategy !== 0) {
      writer.uint32(16).int32(message.strategy);
    }
    for (const v of message.assignments) {
      Assignment.encode(v!, writer.uint32(26).fork()).join();
    }
    for (const v of message.proxies) {
      Proxy.encode(v!, writer.uint32(34).fork()).join();
    }
    if (message.rules !== undefined) {
      TableRules.encode(message.rules, writer.uint32(42).fork()).join();
    }
    if (message.updatedAt !== undefined) {
      Timestamp.encode(toTimestamp(message.updatedAt), writer.uint32(50).fork()).join();
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): PartitionTable {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBasePartitionTable();
      while (reader.pos < end) {
        const tag = reader.uint32();
        switch (tag >>> 3) {
          case 1: {
            if (tag !== 8) {
              break;
            }

            message.version = longToNumber(reader.uint64());
            continue;
          }
          case 2: {
            if (tag !== 16) {
              break;
            }

            message.strategy = reader.int32() as any;
            continue;
          }
          case 3: {
            if (tag !== 26) {
              break;
            }

            message.assignments.push(Assignment.decode(reader, reader.uint32()));
            continue;
          }
          case 4: {
            if (tag !== 34) {
              break;
            }

            message.proxies.push(Proxy.decode(reader, reader.uint32()));
            continue;
          }
          case 5: {
            if (tag !== 42) {
              break;
            }

            message.rules = TableRules.decode(reader, reader.uint32());
            continue;
          }
          case 6: {
            if (tag !== 50) {
              break;
            }

            message.updatedAt = fromTimestamp(Timestamp.decode(reader, reader.uint32()));
            continue;
          }
        }
        if ((tag & 7) === 4 || tag === 0) {
          break;
        }
        reader.skip(tag & 7);
      }
      return message;
    } finally {
      (reader as any).__tsProtoDecodeDepth = previousRecursionDepth;
    }
  },

  fromJSON(object: any): PartitionTable {
    return {
      version: isSet(object.version) ? globalThis.Number(object.version) : 0,
      strategy: isSet(object.strategy) ? strategyFromJSON(object.strategy) : 0,
      assignments: globalThis.Array.isArray(object?.assignments)
        ? object.assignments.map((e: any) => Assignment.fromJSON(e))
        : [],
      proxies: globalThis.Array.isArray(object?.proxies) ? object.proxies.map((e: any) => Proxy.fromJSON(e)) : [],
      rules: isSet(object.rules) ? TableRules.fromJSON(object.rules) : undefined,
      updatedAt: isSet(object.updatedAt)
        ? fromJsonTimestamp(object.updatedAt)
        : isSet(object.updated_at)
        ? fromJsonTimestamp(object.updated_at)
        : undefined,
    };
  },

  toJSON(message: PartitionTable): unknown {
    const obj: any = {};
    if (message.version !== 0) {
      obj.version = Math.round(message.version);
    }
    if (message.strategy !== 0) {
      obj.strategy = strategyToJSON(message.strategy);
    }
    if (message.assignments?.length) {
      obj.assignments = message.assignments.map((e) => Assignment.toJSON(e));
    }
    if (message.proxies?.length) {
      obj.proxies = message.proxies.map((e) => Proxy.toJSON(e));
    }
    if (message.rules !== undefined) {
      obj.rules = TableRules.toJSON(message.rules);
    }
    if (message.updatedAt !== undefined) {
      obj.updatedAt = message.updatedAt.toISOString();
    }
    return obj;
  },

  create(base?: DeepPartial<PartitionTable>): PartitionTable {
    return PartitionTable.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<PartitionTable>): PartitionTable {
    const message = createBasePartitionTable();
    message.version = object.version ?? 0;
    message.strategy = object.strategy ?? 0;
    message.assignments = object.assignments?.map((e) => Assignment.fromPartial(e)) || [];
    message.proxies = object.proxies?.map((e) => Proxy.fromPartial(e)) || [];
    message.rules = (object.rules !== undefined && object.rules !== null)
      ? TableRules.fromPartial(object.rules)
      : undefined;
    message.updatedAt = object.updatedAt ?? undefined;
    return message;
  },
};

function createBaseGetPartitionTableRequest(): GetPartitionTableRequest {
  return { afterVersion: 0 };
}

export const GetPartitionTableRequest: MessageFns<GetPartitionTableRequest> = {
  encode(message: GetPartitionTableRequest, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.afterVersion !== 0) {
      writer.uint32(8).uint64(message.afterVersion);
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): GetPartitionTableRequest {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseGetPartitionTableRequest();
      while (reader.pos < end) {
        const tag = reader.uint32();
        switch (tag >>> 3) {
          case 1: {
            if (tag !== 8) {
              break;
            }

            message.afterVersion = longToNumber(reader.uint64());
            continue;
          }
        }
        if ((tag & 7) === 4 || tag === 0) {
          break;
        }
        reader.skip(tag & 7);
      }
      return message;
    } finally {
      (reader as any).__tsProtoDecodeDepth = previousRecursionDepth;
    }
  },

  fromJSON(object: any): GetPartitionTableRequest {
    return {
      afterVersion: isSet(object.afterVersion)
        ? globalThis.Number(object.afterVersion)
        : isSet(object.after_version)
        ? globalThis.Number(object.after_version)
        : 0,
    };
  },

  toJSON(message: GetPartitionTableRequest): unknown {
    const obj: any = {};
    if (message.afterVersion !== 0) {
      obj.afterVersion = Math.round(message.afterVersion);
    }
    return obj;
  },

  create(base?: DeepPartial<GetPartitionTableRequest>): GetPartitionTableRequest {
    return GetPartitionTableRequest.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<GetPartitionTableRequest>): GetPartitionTableRequest {
    const message = createBaseGetPartitionTableRequest();
    message.afterVersion = object.afterVersion ?? 0;
    return message;
  },
};

type Builtin = Date | Function | Uint8Array | string | number | boolean | undefined;

export type DeepPartial<T> = T extends Builtin ? T
  : T extends globalThis.Array<infer U> ? globalThis.Array<DeepPartial<U>>
  : T extends ReadonlyArray<infer U> ? ReadonlyArray<DeepPartial<U>>
  : T extends {} ? { [K in keyof T]?: DeepPartial<T[K]> }
  : Partial<T>;

function toTimestamp(date: Date): Timestamp {
  const seconds = Math.trunc(date.getTime() / 1_000);
  const nanos = (date.getTime() % 1_000) * 1_000_000;
  return { seconds, nanos };
}

function fromTimestamp(t: Timestamp): Date {
  let millis = (t.seconds || 0) * 1_000;
  millis += (t.nanos || 0) / 1_000_000;
  return new globalThis.Date(millis);
}

function fromJsonTimestamp(o: any): Date {
  if (o instanceof globalThis.Date) {
    return o;
  } else if (typeof o === "string") {
    return new globalThis.Date(o);
  } else {
    return fromTimestamp(Timestamp.fromJSON(o));
  }
}

function longToNumber(int64: { toString(): string }): number {
  const num = globalThis.Number(int64.toString());
  if (num > globalThis.Number.MAX_SAFE_INTEGER) {
    throw new globalThis.Error("Value is larger than Number.MAX_SAFE_INTEGER");
  }
  if (num < globalThis.Number.MIN_SAFE_INTEGER) {
    throw new globalThis.Error("Value is smaller than Number.MIN_SAFE_INTEGER");
  }
  return num;
}

function isSet(value: any): boolean {
  return value !== null && value !== undefined;
}

export interface MessageFns<T> {
  encode(message: T, writer?: BinaryWriter): BinaryWriter;
  decode(input: BinaryReader | Uint8Array, length?: number): T;
  fromJSON(object: any): T;
  toJSON(message: T): unknown;
  create(base?: DeepPartial<T>): T;
  fromPartial(object: DeepPartial<T>): T;
}
