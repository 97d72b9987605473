// Code generated from proto/ by `npm run proto` (ts-proto). DO NOT EDIT.
/* eslint-disable */
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import { Timestamp } from "../../../google/protobuf/timestamp.js";
import { Strategy, strategyFromJSON, strategyToJSON } from "./partition.js";

export const protobufPackage = "prism.admin.v1";

export const protobufFileName = "prism/admin/v1/namespace.proto";

/** Namespaces, their leases, and what proxies learn about them. */

/** Life cycle of a namespace lease. */
export enum LeaseState {
  /** LEASE_STATE_UNSPECIFIED - Not set. */
  LEASE_STATE_UNSPECIFIED = 0,
  /** LEASE_STATE_ACTIVE - Before expires_at. */
  LEASE_STATE_ACTIVE = 1,
  /** LEASE_STATE_GRACE - Past expires_at, before grace_until: still served, responses carry a warning. */
  LEASE_STATE_GRACE = 2,
  /** LEASE_STATE_EXPIRED - Past grace_until: no longer served, purged by the cleanup job. */
  LEASE_STATE_EXPIRED = 3,
  /** LEASE_STATE_REVOKED - Revoked by an operator. */
  LEASE_STATE_REVOKED = 4,
  UNRECOGNIZED = -1,
}

export function leaseStateFromJSON(object: any): LeaseState {
  switch (object) {
    case 0:
    case "LEASE_STATE_UNSPECIFIED":
      return LeaseState.LEASE_STATE_UNSPECIFIED;
    case 1:
    case "LEASE_STATE_ACTIVE":
      return LeaseState.LEASE_STATE_ACTIVE;
    case 2:
    case "LEASE_STATE_GRACE":
      return LeaseState.LEASE_STATE_GRACE;
    case 3:
    case "LEASE_STATE_EXPIRED":
      return LeaseState.LEASE_STATE_EXPIRED;
    case 4:
    case "LEASE_STATE_REVOKED":
      return LeaseState.LEASE_STATE_REVOKED;
    case -1:
    case "UNRECOGNIZED":
    default:
      return LeaseState.UNRECOGNIZED;
  }
}

export function leaseStateToJSON(object: LeaseState): string {
  switch (object) {
    case LeaseState.LEASE_STATE_UNSPECIFIED:
      return "LEASE_STATE_UNSPECIFIED";
    case LeaseState.LEASE_STATE_ACTIVE:
      return "LEASE_STATE_ACTIVE";
    case LeaseState.LEASE_STATE_GRACE:
      return "LEASE_STATE_GRACE";
    case LeaseState.LEASE_STATE_EXPIRED:
      return "LEASE_STATE_EXPIRED";
    case LeaseState.LEASE_STATE_REVOKED:
      return "LEASE_STATE_REVOKED";
    case LeaseState.UNRECOGNIZED:
    default:
      return "UNRECOGNIZED";
  }
}

/** The time-bounded hold of a namespace. */
export interface Lease {
  /** Opaque lease id, also the lease_id claim of the namespace JWT. */
  leaseId: string;
  /** Lease length in seconds (default 86400, min 3600, max 604800). */
  ttlSeconds: number;
  /** When the lease was granted or last refreshed. */
  grantedAt?:
    | Date
    | undefined;
  /** When the lease ends unless refreshed. */
  expiresAt?:
    | Date
    | undefined;
  /** When the grace period after expires_at ends. */
  graceUntil?:
    | Date
    | undefined;
  /** Current state. */
  state: LeaseState;
}

/** A reserved namespace. */
export interface Namespace {
  /** Name, CONTRACT §2: ^[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?$. */
  name: string;
  /** Owning team, free text up to 63 characters. */
  team: string;
  /** Backend base URLs (http://host:port) the owner proxy forwards to. */
  backends: string[];
  /** Opaque per-namespace settings passed to proxies. */
  config: { [key: string]: string };
  /** crc32(name) mod 256. */
  partitionId: number;
  /** Proxy id that owns the namespace under the current table. */
  owner: string;
  /** The lease. */
  lease?:
    | Lease
    | undefined;
  /** When it was first reserved. */
  createdAt?:
    | Date
    | undefined;
  /** When it was soft-deleted; unset while live. */
  deletedAt?: Date | undefined;
}

export interface Namespace_ConfigEntry {
  key: string;
  value: string;
}

/** What a proxy needs to serve or forward one namespace. */
export interface NamespaceAdvertisement {
  /** Namespace name. */
  namespace: string;
  /** crc32(namespace) mod 256. */
  partitionId: number;
  /** Proxies that serve it, owner first. */
  proxies: string[];
  /** Backend base URLs (the runners) the owner forwards to. */
  backends: string[];
  /** Opaque per-namespace settings. */
  config: { [key: string]: string };
  /** Strategy that placed it. */
  strategy: Strategy;
  /** Table version this advertisement was computed from. */
  tableVersion: number;
  /** Epoch of the namespace's partition (or override) under that table. */
  epoch: number;
  /** True when the namespace was deleted or expired: drop it. */
  removed: boolean;
}

export interface NamespaceAdvertisement_ConfigEntry {
  key: string;
  value: string;
}

/** A revoked namespace token. */
export interface Revocation {
  /** jti claim of the revoked token. */
  jti: string;
  /** Namespace the token was for. */
  namespace: string;
  /** The token's exp; the entry may be dropped after it. */
  expiresAt?:
    | Date
    | undefined;
  /**
   * Lease the token belonged to: every token of that lease is refused, whatever its jti (a token
   * issued before a refresh included). Empty in entries written before lease revocation existed.
   */
  leaseId: string;
}

function createBaseLease(): Lease {
  return { leaseId: "", ttlSeconds: 0, grantedAt: undefined, expiresAt: undefined, graceUntil: undefined, state: 0 };
}

export const Lease: MessageFns<Lease> = {
  encode(message: Lease, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.leaseId !== "") {
      writer.uint32(10).string(message.leaseId);
    }
    if (message.ttlSeconds !== 0) {
      writer.uint32(16).uint32(message.ttlSeconds);
    }
    if (message.grantedAt !== undefined) {
      Timestamp.encode(toTimestamp(message.grantedAt), writer.uint32(26).fork()).join();
    }
    if (message.expiresAt !== undefined) {
      Timestamp.encode(toTimestamp(message.expiresAt), writer.uint32(34).fork()).join();
    }
    if (message.graceUntil !== undefined) {
      Timestamp.encode(toTimestamp(message.graceUntil), writer.uint32(42).fork()).join();
    }
    if (message.state !== 0) {
      writer.uint32(48).int32(message.state);
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): Lease {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseLease();
      while (reader.pos < end) {
        const tag = reader.uint32();
        switch (tag >>> 3) {
          case 1: {
            if (tag !== 10) {
              break;
            }

            message.leaseId = reader.string();
            continue;
          }
          case 2: {
            if (tag !== 16) {
              break;
            }

            message.ttlSeconds = reader.uint32();
            continue;
          }
          case 3: {
            if (tag !== 26) {
              break;
            }

            message.grantedAt = fromTimestamp(Timestamp.decode(reader, reader.uint32()));
            continue;
          }
          case 4: {
            if (tag !== 34) {
              break;
            }

            message.expiresAt = fromTimestamp(Timestamp.decode(reader, reader.uint32()));
            continue;
          }
          case 5: {
            if (tag !== 42) {
              break;
            }

            message.graceUntil = fromTimestamp(Timestamp.decode(reader, reader.uint32()));
            continue;
          }
          case 6: {
            if (tag !== 48) {
              break;
            }

            message.state = reader.int32() as any;
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

  fromJSON(object: any): Lease {
    return {
      leaseId: isSet(object.leaseId)
        ? globalThis.String(object.leaseId)
        : isSet(object.lease_id)
        ? globalThis.String(object.lease_id)
        : "",
      ttlSeconds: isSet(object.ttlSeconds)
        ? globalThis.Number(object.ttlSeconds)
        : isSet(object.ttl_seconds)
        ? globalThis.Number(object.ttl_seconds)
        : 0,
      grantedAt: isSet(object.grantedAt)
        ? fromJsonTimestamp(object.grantedAt)
        : isSet(object.granted_at)
        ? fromJsonTimestamp(object.granted_at)
        : undefined,
      expiresAt: isSet(object.expiresAt)
        ? fromJsonTimestamp(object.expiresAt)
        : isSet(object.expires_at)
        ? fromJsonTimestamp(object.expires_at)
        : undefined,
      graceUntil: isSet(object.graceUntil)
        ? fromJsonTimestamp(object.graceUntil)
        : isSet(object.grace_until)
        ? fromJsonTimestamp(object.grace_until)
        : undefined,
      state: isSet(object.state) ? leaseStateFromJSON(object.state) : 0,
    };
  },

  toJSON(message: Lease): unknown {
    const obj: any = {};
    if (message.leaseId !== "") {
      obj.leaseId = message.leaseId;
    }
    if (message.ttlSeconds !== 0) {
      obj.ttlSeconds = Math.round(message.ttlSeconds);
    }
    if (message.grantedAt !== undefined) {
      obj.grantedAt = message.grantedAt.toISOString();
    }
    if (message.expiresAt !== undefined) {
      obj.expiresAt = message.expiresAt.toISOString();
    }
    if (message.graceUntil !== undefined) {
      obj.graceUntil = message.graceUntil.toISOString();
    }
    if (message.state !== 0) {
      obj.state = leaseStateToJSON(message.state);
    }
    return obj;
  },

  create(base?: DeepPartial<Lease>): Lease {
    return Lease.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<Lease>): Lease {
    const message = createBaseLease();
    message.leaseId = object.leaseId ?? "";
    message.ttlSeconds = object.ttlSeconds ?? 0;
    message.grantedAt = object.grantedAt ?? undefined;
    message.expiresAt = object.expiresAt ?? undefined;
    message.graceUntil = object.graceUntil ?? undefined;
    message.state = object.state ?? 0;
    return message;
  },
};

function createBaseNamespace(): Namespace {
  return {
    name: "",
    team: "",
    backends: [],
    config: {},
    partitionId: 0,
    owner: "",
    lease: undefined,
    createdAt: undefined,
    deletedAt: undefined,
  };
}

export const Namespace: MessageFns<Namespace> = {
  encode(message: Namespace, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.name !== "") {
      writer.uint32(10).string(message.name);
    }
    if (message.team !== "") {
      writer.uint32(18).string(message.team);
    }
    for (const v of message.backends) {
      writer.uint32(26).string(v!);
    }
    globalThis.Object.entries(message.config).forEach(([key, value]: [string, string]) => {
      Namespace_ConfigEntry.encode({ key: key as any, value }, writer.uint32(34).fork()).join();
    });
    if (message.partitionId !== 0) {
      writer.uint32(40).uint32(message.partitionId);
    }
    if (message.owner !== "") {
      writer.uint32(50).string(message.owner);
    }
    if (message.lease !== undefined) {
      Lease.encode(message.lease, writer.uint32(58).fork()).join();
    }
    if (message.createdAt !== undefined) {
      Timestamp.encode(toTimestamp(message.createdAt), writer.uint32(66).fork()).join();
    }
    if (message.deletedAt !== undefined) {
      Timestamp.encode(toTimestamp(message.deletedAt), writer.uint32(74).fork()).join();
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): Namespace {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseNamespace();
      while (reader.pos < end) {
        const tag = reader.uint32();
        switch (tag >>> 3) {
          case 1: {
            if (tag !== 10) {
              break;
            }

            message.name = reader.string();
            continue;
          }
          case 2: {
            if (tag !== 18) {
              break;
            }

            message.team = reader.string();
            continue;
          }
          case 3: {
            if (tag !== 26) {
              break;
            }

            message.backends.push(reader.string());
            continue;
          }
          case 4: {
            if (tag !== 34) {
              break;
            }

            const entry4 = Namespace_ConfigEntry.decode(reader, reader.uint32());
            if (entry4.value !== undefined) {
              message.config[entry4.key] = entry4.value;
            }
            continue;
          }
          case 5: {
            if (tag !== 40) {
              break;
            }

            message.partitionId = reader.uint32();
            continue;
          }
          case 6: {
            if (tag !== 50) {
              break;
            }

            message.owner = reader.string();
            continue;
          }
          case 7: {
            if (tag !== 58) {
              break;
            }

            message.lease = Lease.decode(reader, reader.uint32());
            continue;
          }
          case 8: {
            if (tag !== 66) {
              break;
            }

            message.createdAt = fromTimestamp(Timestamp.decode(reader, reader.uint32()));
            continue;
          }
          case 9: {
            if (tag !== 74) {
              break;
            }

            message.deletedAt = fromTimestamp(Timestamp.decode(reader, reader.uint32()));
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

  fromJSON(object: any): Namespace {
    return {
      name: isSet(object.name) ? globalThis.String(object.name) : "",
      team: isSet(object.team) ? globalThis.String(object.team) : "",
      backends: globalThis.Array.isArray(object?.backends) ? object.backends.map((e: any) => globalThis.String(e)) : [],
      config: isObject(object.config)
        ? (globalThis.Object.entries(object.config) as [string, any][]).reduce(
          (acc: { [key: string]: string }, [key, value]: [string, any]) => {
            globalThis.Object.defineProperty(acc, key, {
              value: globalThis.String(value),
              enumerable: true,
              configurable: true,
              writable: true,
            });
            return acc;
          },
          {},
        )
        : {},
      partitionId: isSet(object.partitionId)
        ? globalThis.Number(object.partitionId)
        : isSet(object.partition_id)
        ? globalThis.Number(object.partition_id)
        : 0,
      owner: isSet(object.owner) ? globalThis.String(object.owner) : "",
      lease: isSet(object.lease) ? Lease.fromJSON(object.lease) : undefined,
      createdAt: isSet(object.createdAt)
        ? fromJsonTimestamp(object.createdAt)
        : isSet(object.created_at)
        ? fromJsonTimestamp(object.created_at)
        : undefined,
      deletedAt: isSet(object.deletedAt)
        ? fromJsonTimestamp(object.deletedAt)
        : isSet(object.deleted_at)
        ? fromJsonTimestamp(object.deleted_at)
        : undefined,
    };
  },

  toJSON(message: Namespace): unknown {
    const obj: any = {};
    if (message.name !== "") {
      obj.name = message.name;
    }
    if (message.team !== "") {
      obj.team = message.team;
    }
    if (message.backends?.length) {
      obj.backends = message.backends;
    }
    if (message.config) {
      const entries = globalThis.Object.entries(message.config) as [string, string][];
      if (entries.length > 0) {
        obj.config = {};
        entries.forEach(([k, v]) => {
          obj.config[k] = v;
        });
      }
    }
    if (message.partitionId !== 0) {
      obj.partitionId = Math.round(message.partitionId);
    }
    if (message.owner !== "") {
      obj.owner = message.owner;
    }
    if (message.lease !== undefined) {
      obj.lease = Lease.toJSON(message.lease);
    }
    if (message.createdAt !== undefined) {
      obj.createdAt = message.createdAt.toISOString();
    }
    if (message.deletedAt !== undefined) {
      obj.deletedAt = message.deletedAt.toISOString();
    }
    return obj;
  },

  create(base?: DeepPartial<Namespace>): Namespace {
    return Namespace.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<Namespace>): Namespace {
    const message = createBaseNamespace();
    message.name = object.name ?? "";
    message.team = object.team ?? "";
    message.backends = object.backends?.map((e) => e) || [];
    message.config = (globalThis.Object.entries(object.config ?? {}) as [string, string][]).reduce(
      (acc: { [key: string]: string }, [key, value]: [string, string]) => {
        if (value !== undefined) {
          acc[key] = globalThis.String(value);
        }
        return acc;
      },
      {},
    );
    message.partitionId = object.partitionId ?? 0;
    message.owner = object.owner ?? "";
    message.lease = (object.lease !== undefined && object.lease !== null) ? Lease.fromPartial(object.lease) : undefined;
    message.createdAt = object.createdAt ?? undefined;
    message.deletedAt = object.deletedAt ?? undefined;
    return message;
  },
};

function createBaseNamespace_ConfigEntry(): Namespace_ConfigEntry {
  return { key: "", value: "" };
}

export const Namespace_ConfigEntry: MessageFns<Namespace_ConfigEntry> = {
  encode(message: Namespace_ConfigEntry, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.key !== "") {
      writer.uint32(10).string(message.key);
    }
    if (message.value !== "") {
      writer.uint32(18).string(message.value);
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): Namespace_ConfigEntry {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseNamespace_ConfigEntry();
      while (reader.pos < end) {
        const tag = reader.uint32();
        switch (tag >>> 3) {
          case 1: {
            if (tag !== 10) {
              break;
            }

            message.key = reader.string();
            continue;
          }
          case 2: {
            if (tag !== 18) {
              break;
            }

            message.value = reader.string();
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

  fromJSON(object: any): Namespace_ConfigEntry {
    return {
      key: isSet(object.key) ? globalThis.String(object.key) : "",
      value: isSet(object.value) ? globalThis.String(object.value) : "",
    };
  },

  toJSON(message: Namespace_ConfigEntry): unknown {
    const obj: any = {};
    if (message.key !== "") {
      obj.key = message.key;
    }
    if (message.value !== "") {
      obj.value = message.value;
    }
    return obj;
  },

  create(base?: DeepPartial<Namespace_ConfigEntry>): Namespace_ConfigEntry {
    return Namespace_ConfigEntry.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<Namespace_ConfigEntry>): Namespace_ConfigEntry {
    const message = createBaseNamespace_ConfigEntry();
    message.key = object.key ?? "";
    message.value = object.value ?? "";
    return message;
  },
};

function createBaseNamespaceAdvertisement(): NamespaceAdvertisement {
  return {
    namespace: "",
    partitionId: 0,
    proxies: [],
    backends: [],
    config: {},
    strategy: 0,
    tableVersion: 0,
    epoch: 0,
    removed: false,
  };
}

export const NamespaceAdvertisement: MessageFns<NamespaceAdvertisement> = {
  encode(message: NamespaceAdvertisement, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.namespace !== "") {
      writer.uint32(10).string(message.namespace);
    }
    if (message.partitionId !== 0) {
      writer.uint32(16).uint32(message.partitionId);
    }
    for (const v of message.proxies) {
      writer.uint32(26).string(v!);
    }
    for (const v of message.backends) {
      writer.uint32(34).string(v!);
    }
    globalThis.Object.entries(message.config).forEach(([key, value]: [string, string]) => {
      NamespaceAdvertisement_ConfigEntry.encode({ key: key as any, value }, writer.uint32(42).fork()).join();
    });
    if (message.strategy !== 0) {
      writer.uint32(48).int32(message.strategy);
    }
    if (message.tableVersion !== 0) {
      writer.uint32(56).uint64(message.tableVersion);
    }
    if (message.epoch !== 0) {
      writer.uint32(64).uint64(message.epoch);
    }
    if (message.removed !== false) {
      writer.uint32(72).bool(message.removed);
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): NamespaceAdvertisement {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseNamespaceAdvertisement();
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
            if (tag !== 16) {
              break;
            }

            message.partitionId = reader.uint32();
            continue;
          }
          case 3: {
            if (tag !== 26) {
              break;
            }

            message.proxies.push(reader.string());
            continue;
          }
          case 4: {
            if (tag !== 34) {
              break;
            }

            message.backends.push(reader.string());
            continue;
          }
          case 5: {
            if (tag !== 42) {
              break;
            }

            const entry5 = NamespaceAdvertisement_ConfigEntry.decode(reader, reader.uint32());
            if (entry5.value !== undefined) {
              message.config[entry5.key] = entry5.value;
            }
            continue;
          }
          case 6: {
            if (tag !== 48) {
              break;
            }

            message.strategy = reader.int32() as any;
            continue;
          }
          case 7: {
            if (tag !== 56) {
              break;
            }

            message.tableVersion = longToNumber(reader.uint64());
            continue;
          }
          case 8: {
            if (tag !== 64) {
              break;
            }

            message.epoch = longToNumber(reader.uint64());
            continue;
          }
          case 9: {
            if (tag !== 72) {
              break;
            }

            message.removed = reader.bool();
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

  fromJSON(object: any): NamespaceAdvertisement {
    return {
      namespace: isSet(object.namespace) ? globalThis.String(object.namespace) : "",
      partitionId: isSet(object.partitionId)
        ? globalThis.Number(object.partitionId)
        : isSet(object.partition_id)
        ? globalThis.Number(object.partition_id)
        : 0,
      proxies: globalThis.Array.isArray(object?.proxies) ? object.proxies.map((e: any) => globalThis.String(e)) : [],
      backends: globalThis.Array.isArray(object?.backends) ? object.backends.map((e: any) => globalThis.String(e)) : [],
      config: isObject(object.config)
        ? (globalThis.Object.entries(object.config) as [string, any][]).reduce(
          (acc: { [key: string]: string }, [key, value]: [string, any]) => {
            globalThis.Object.defineProperty(acc, key, {
              value: globalThis.String(value),
              enumerable: true,
              configurable: true,
              writable: true,
            });
            return acc;
          },
          {},
        )
        : {},
      strategy: isSet(object.strategy) ? strategyFromJSON(object.strategy) : 0,
      tableVersion: isSet(object.tableVersion)
        ? globalThis.Number(object.tableVersion)
        : isSet(object.table_version)
        ? globalThis.Number(object.table_version)
        : 0,
      epoch: isSet(object.epoch) ? globalThis.Number(object.epoch) : 0,
      removed: isSet(object.removed) ? globalThis.Boolean(object.removed) : false,
    };
  },

  toJSON(message: NamespaceAdvertisement): unknown {
    const obj: any = {};
    if (message.namespace !== "") {
      obj.namespace = message.namespace;
    }
    if (message.partitionId !== 0) {
      obj.partitionId = Math.round(message.partitionId);
    }
    if (message.proxies?.length) {
      obj.proxies = message.proxies;
    }
    if (message.backends?.length) {
      obj.backends = message.backends;
    }
    if (message.config) {
      const entries = globalThis.Object.entries(message.config) as [string, string][];
      if (entries.length > 0) {
        obj.config = {};
        entries.forEach(([k, v]) => {
          obj.config[k] = v;
        });
      }
    }
    if (message.strategy !== 0) {
      obj.strategy = strategyToJSON(message.strategy);
    }
    if (message.tableVersion !== 0) {
      obj.tableVersion = Math.round(message.tableVersion);
    }
    if (message.epoch !== 0) {
      obj.epoch = Math.round(message.epoch);
    }
    if (message.removed !== false) {
      obj.removed = message.removed;
    }
    return obj;
  },

  create(base?: DeepPartial<NamespaceAdvertisement>): NamespaceAdvertisement {
    return NamespaceAdvertisement.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<NamespaceAdvertisement>): NamespaceAdvertisement {
    const message = createBaseNamespaceAdvertisement();
    message.namespace = object.namespace ?? "";
    message.partitionId = object.partitionId ?? 0;
    message.proxies = object.proxies?.map((e) => e) || [];
    message.backends = object.backends?.map((e) => e) || [];
    message.config = (globalThis.Object.entries(object.config ?? {}) as [string, string][]).reduce(
      (acc: { [key: string]: string }, [key, value]: [string, string]) => {
        if (value !== undefined) {
          acc[key] = globalThis.String(value);
        }
        return acc;
      },
      {},
    );
    message.strategy = object.strategy ?? 0;
    message.tableVersion = object.tableVersion ?? 0;
    message.epoch = object.epoch ?? 0;
    message.removed = object.removed ?? false;
    return message;
  },
};

function createBaseNamespaceAdvertisement_ConfigEntry(): NamespaceAdvertisement_ConfigEntry {
  return { key: "", value: "" };
}

export const NamespaceAdvertisement_ConfigEntry: MessageFns<NamespaceAdvertisement_ConfigEntry> = {
  encode(message: NamespaceAdvertisement_ConfigEntry, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.key !== "") {
      writer.uint32(10).string(message.key);
    }
    if (message.value !== "") {
      writer.uint32(18).string(message.value);
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): NamespaceAdvertisement_ConfigEntry {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseNamespaceAdvertisement_ConfigEntry();
      while (reader.pos < end) {
        const tag = reader.uint32();
        switch (tag >>> 3) {
          case 1: {
            if (tag !== 10) {
              break;
            }

            message.key = reader.string();
            continue;
          }
          case 2: {
            if (tag !== 18) {
              break;
            }

            message.value = reader.string();
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

  fromJSON(object: any): NamespaceAdvertisement_ConfigEntry {
    return {
      key: isSet(object.key) ? globalThis.String(object.key) : "",
      value: isSet(object.value) ? globalThis.String(object.value) : "",
    };
  },

  toJSON(message: NamespaceAdvertisement_ConfigEntry): unknown {
    const obj: any = {};
    if (message.key !== "") {
      obj.key = message.key;
    }
    if (message.value !== "") {
      obj.value = message.value;
    }
    return obj;
  },

  create(base?: DeepPartial<NamespaceAdvertisement_ConfigEntry>): NamespaceAdvertisement_ConfigEntry {
    return NamespaceAdvertisement_ConfigEntry.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<NamespaceAdvertisement_ConfigEntry>): NamespaceAdvertisement_ConfigEntry {
    const message = createBaseNamespaceAdvertisement_ConfigEntry();
    message.key = object.key ?? "";
    message.value = object.value ?? "";
    return message;
  },
};

function createBaseRevocation(): Revocation {
  return { jti: "", namespace: "", expiresAt: undefined, leaseId: "" };
}

export const Revocation: MessageFns<Revocation> = {
  encode(message: Revocation, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.jti !== "") {
      writer.uint32(10).string(message.jti);
    }
    if (message.namespace !== "") {
      writer.uint32(18).string(message.namespace);
    }
    if (message.expiresAt !== undefined) {
      Timestamp.encode(toTimestamp(message.expiresAt), writer.uint32(26).fork()).join();
    }
    if (message.leaseId !== "") {
      writer.uint32(34).string(message.leaseId);
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): Revocation {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseRevocation();
      while (reader.pos < end) {
        const tag = reader.uint32();
        switch (tag >>> 3) {
          case 1: {
            if (tag !== 10) {
              break;
            }

            message.jti = reader.string();
            continue;
          }
          case 2: {
            if (tag !== 18) {
              break;
            }

            message.namespace = reader.string();
            continue;
          }
          case 3: {
            if (tag !== 26) {
              break;
            }

            message.expiresAt = fromTimestamp(Timestamp.decode(reader, reader.uint32()));
            continue;
          }
          case 4: {
            if (tag !== 34) {
              break;
            }

            message.leaseId = reader.string();
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

  fromJSON(object: any): Revocation {
    return {
      jti: isSet(object.jti) ? globalThis.String(object.jti) : "",
      namespace: isSet(object.namespace) ? globalThis.String(object.namespace) : "",
      expiresAt: isSet(object.expiresAt)
        ? fromJsonTimestamp(object.expiresAt)
        : isSet(object.expires_at)
        ? fromJsonTimestamp(object.expires_at)
        : undefined,
      leaseId: isSet(object.leaseId)
        ? globalThis.String(object.leaseId)
        : isSet(object.lease_id)
        ? globalThis.String(object.lease_id)
        : "",
    };
  },

  toJSON(message: Revocation): unknown {
    const obj: any = {};
    if (message.jti !== "") {
      obj.jti = message.jti;
    }
    if (message.namespace !== "") {
      obj.namespace = message.namespace;
    }
    if (message.expiresAt !== undefined) {
      obj.expiresAt = message.expiresAt.toISOString();
    }
    if (message.leaseId !== "") {
      obj.leaseId = message.leaseId;
    }
    return obj;
  },

  create(base?: DeepPartial<Revocation>): Revocation {
    return Revocation.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<Revocation>): Revocation {
    const message = createBaseRevocation();
    message.jti = object.jti ?? "";
    message.namespace = object.namespace ?? "";
    message.expiresAt = object.expiresAt ?? undefined;
    message.leaseId = object.leaseId ?? "";
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

function isObject(value: any): boolean {
  return typeof value === "object" && value !== null;
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
