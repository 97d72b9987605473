// Code generated from proto/ by `npm run proto` (ts-proto). DO NOT EDIT.
/* eslint-disable */
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import {
  type CallOptions,
  type ChannelCredentials,
  Client,
  type ClientOptions,
  type ClientUnaryCall,
  type handleUnaryCall,
  makeGenericClientConstructor,
  type Metadata,
  type ServiceError,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { Timestamp } from "../../../google/protobuf/timestamp.js";
import { Lease, Namespace } from "./namespace.js";
import {
  GetPartitionTableRequest,
  PartitionTable,
  Proxy,
  Strategy,
  strategyFromJSON,
  strategyToJSON,
  TableRules,
} from "./partition.js";

export const protobufPackage = "prism.admin.v1";

export const protobufFileName = "prism/admin/v1/operator.proto";

/** Operator API (admin HTTP/JSON port 8982, proto3 JSON mapping; the same RPCs over gRPC on 8981). */

/** Read the audit log. */
export interface ListAuditRequest {
  /** Only entries about this namespace or proxy. */
  target: string;
  /** At most this many entries, default 100, max 1000. */
  limit: number;
}

/** Audit entries, newest first. */
export interface ListAuditResponse {
  /** Entries. */
  entries: AuditEntry[];
}

/** One operation on the registry. */
export interface AuditEntry {
  /** When it happened. */
  at?:
    | Date
    | undefined;
  /** The verified principal: token:NAME, cert:NAME, insecure:ADDRESS (--insecure), proxy:ID, cleanup. */
  actor: string;
  /** reserve, refresh, revoke, delete, restore, expire, purge, ... */
  action: string;
  /** Namespace or proxy it was about. */
  target: string;
  /** ok, or the error code. */
  result: string;
  /** Extra facts, e.g. the TTL. */
  detail: string;
}

/** Reserve a namespace. */
export interface ReserveNamespaceRequest {
  /** Name, CONTRACT §2. */
  name: string;
  /** Backend base URLs (http://host:port). */
  backends: string[];
  /** Owning team. */
  team: string;
  /** Lease length; 0 means the configured default (86400). */
  leaseTtlSeconds: number;
  /** Opaque per-namespace settings. */
  config: { [key: string]: string };
}

export interface ReserveNamespaceRequest_ConfigEntry {
  key: string;
  value: string;
}

/** A reservation or refresh. */
export interface ReserveNamespaceResponse {
  /** The namespace. */
  namespace?:
    | Namespace
    | undefined;
  /** Namespace JWT for Authorization: Bearer. */
  token: string;
  /** The lease (also inside namespace). */
  lease?:
    | Lease
    | undefined;
  /** crc32(name) mod 256. */
  partitionId: number;
  /** Owning proxy id. */
  owner: string;
  /** Non-fatal notices, e.g. that the lease is in its grace period. */
  warnings: string[];
}

/** Get one namespace. */
export interface GetNamespaceRequest {
  /** Name. */
  name: string;
}

/** List namespaces. */
export interface ListNamespacesRequest {
  /** Only names starting with this prefix. */
  prefix: string;
  /** Include soft-deleted namespaces. */
  includeDeleted: boolean;
  /** Page size, default 100, max 1000. */
  pageSize: number;
  /** Opaque cursor from a previous response. */
  pageToken: string;
}

/** A page of namespaces. */
export interface ListNamespacesResponse {
  /** Namespaces sorted by name. */
  namespaces: Namespace[];
  /** Cursor for the next page; empty on the last one. */
  nextPageToken: string;
}

/** Refresh a lease. */
export interface RefreshLeaseRequest {
  /** Name. */
  name: string;
  /** New TTL; 0 keeps the current one. */
  leaseTtlSeconds: number;
}

/** Revoke a namespace's lease and tokens. */
export interface RevokeNamespaceRequest {
  /** Name. */
  name: string;
  /** Why, for the audit log. */
  reason: string;
}

/** Soft-delete a namespace. */
export interface DeleteNamespaceRequest {
  /** Name. */
  name: string;
  /** Delete even while proxies report traffic for it. */
  force: boolean;
}

/** Restore a soft-deleted namespace. */
export interface RestoreNamespaceRequest {
  /** Name. */
  name: string;
}

/** List proxies. */
export interface ListProxiesRequest {
}

/** The fleet. */
export interface ListProxiesResponse {
  /** Proxies sorted by id, with health. */
  proxies: Proxy[];
  /** Current table version, to compare with each proxy's applied version. */
  tableVersion: number;
}

/** Plan or apply a rebalance. */
export interface RebalanceRequest {
  /** Strategy to use; unspecified keeps the current one. */
  strategy: Strategy;
  /** Rules to use; unset keeps the current ones. */
  rules?:
    | TableRules
    | undefined;
  /** Weight overrides by proxy id. */
  weights: { [key: string]: number };
  /** Apply only while the table is still at this version (a plan's from_version); 0 = do not check. */
  expectedVersion: number;
}

export interface RebalanceRequest_WeightsEntry {
  key: string;
  value: number;
}

/** Result of a plan or apply. */
export interface RebalancePlan {
  /** The table before. */
  fromVersion: number;
  /** The resulting table. */
  table?:
    | PartitionTable
    | undefined;
  /** Partitions whose owner changes. */
  movedPartitions: number;
  /** Largest share over fair share (1.0 = perfect). */
  imbalanceRatio: number;
  /** When it was applied; unset for a plan. */
  appliedAt?:
    | Date
    | undefined;
  /** Rounds the moves take at the admin's limit of partitions moved per round. */
  rounds: number;
  /** The admin's round limit, as partitions per round. */
  maxMovesPerRound: number;
}

/** Roll back the last applied table change. */
export interface RollbackRequest {
  /** Roll back only while the table is still at this version; 0 = do not check. */
  expectedVersion: number;
}

/** Read the rollout. */
export interface GetRolloutRequest {
}

/** The partition moves the admin is making or holding back. */
export interface Rollout {
  /** True while rounds remain. */
  inProgress: boolean;
  /** Why the current move started: join, leave, drain, undrain, weights, strategy, rules, rollback. */
  reason: string;
  /** The table the rounds lead to. */
  targetVersion: number;
  /** Rounds done and in all. */
  roundsDone: number;
  roundsTotal: number;
  /** Partitions still to move. */
  remainingMoves: number;
  /**
   * An automatic change that moves more than the approval threshold waits here until an operator
   * applies it (prismctl partitions plan / apply --plan).
   */
  awaitingApproval?:
    | RebalancePlan
    | undefined;
  /** Automatic rebalances wait until then. */
  cooldownUntil?: Date | undefined;
}

/** Drain or undrain a proxy. */
export interface DrainProxyRequest {
  /** Proxy id. */
  id: string;
}

function createBaseListAuditRequest(): ListAuditRequest {
  return { target: "", limit: 0 };
}

export const ListAuditRequest: MessageFns<ListAuditRequest> = {
  encode(message: ListAuditRequest, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.target !== "") {
      writer.uint32(10).string(message.target);
    }
    if (message.limit !== 0) {
      writer.uint32(16).uint32(message.limit);
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): ListAuditRequest {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseListAuditRequest();
      while (reader.pos < end) {
        const tag = reader.uint32();
        switch (tag >>> 3) {
          case 1: {
            if (tag !== 10) {
              break;
            }

            message.target = reader.string();
            continue;
          }
          case 2: {
            if (tag !== 16) {
              break;
            }

            message.limit = reader.uint32();
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

  fromJSON(object: any): ListAuditRequest {
    return {
      target: isSet(object.target) ? globalThis.String(object.target) : "",
      limit: isSet(object.limit) ? globalThis.Number(object.limit) : 0,
    };
  },

  toJSON(message: ListAuditRequest): unknown {
    const obj: any = {};
    if (message.target !== "") {
      obj.target = message.target;
    }
    if (message.limit !== 0) {
      obj.limit = Math.round(message.limit);
    }
    return obj;
  },

  create(base?: DeepPartial<ListAuditRequest>): ListAuditRequest {
    return ListAuditRequest.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<ListAuditRequest>): ListAuditRequest {
    const message = createBaseListAuditRequest();
    message.target = object.target ?? "";
    message.limit = object.limit ?? 0;
    return message;
  },
};

function createBaseListAuditResponse(): ListAuditResponse {
  return { entries: [] };
}

export const ListAuditResponse: MessageFns<ListAuditResponse> = {
  encode(message: ListAuditResponse, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    for (const v of message.entries) {
      AuditEntry.encode(v!, writer.uint32(10).fork()).join();
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): ListAuditResponse {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseListAuditResponse();
      while (reader.pos < end) {
        const tag = reader.uint32();
        switch (tag >>> 3) {
          case 1: {
            if (tag !== 10) {
              break;
            }

            message.entries.push(AuditEntry.decode(reader, reader.uint32()));
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

  fromJSON(object: any): ListAuditResponse {
    return {
      entries: globalThis.Array.isArray(object?.entries) ? object.entries.map((e: any) => AuditEntry.fromJSON(e)) : [],
    };
  },

  toJSON(message: ListAuditResponse): unknown {
    const obj: any = {};
    if (message.entries?.length) {
      obj.entries = message.entries.map((e) => AuditEntry.toJSON(e));
    }
    return obj;
  },

  create(base?: DeepPartial<ListAuditResponse>): ListAuditResponse {
    return ListAuditResponse.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<ListAuditResponse>): ListAuditResponse {
    const message = createBaseListAuditResponse();
    message.entries = object.entries?.map((e) => AuditEntry.fromPartial(e)) || [];
    return message;
  },
};

function createBaseAuditEntry(): AuditEntry {
  return { at: undefined, actor: "", action: "", target: "", result: "", detail: "" };
}

export const AuditEntry: MessageFns<AuditEntry> = {
  encode(message: AuditEntry, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.at !== undefined) {
      Timestamp.encode(toTimestamp(message.at), writer.uint32(10).fork()).join();
    }
    if (message.actor !== "") {
      writer.uint32(18).string(message.actor);
    }
    if (message.action !== "") {
      writer.uint32(26).string(message.action);
    }
    if (message.target !== "") {
      writer.uint32(34).string(message.target);
    }
    if (message.result !== "") {
      writer.uint32(42).string(message.result);
    }
    if (message.detail !== "") {
      writer.uint32(50).string(message.detail);
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): AuditEntry {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseAuditEntry();
      while (reader.pos < end) {
        const tag = reader.uint32();
        switch (tag >>> 3) {
          case 1: {
            if (tag !== 10) {
              break;
            }

            message.at = fromTimestamp(Timestamp.decode(reader, reader.uint32()));
            continue;
          }
          case 2: {
            if (tag !== 18) {
              break;
            }

            message.actor = reader.string();
            continue;
          }
          case 3: {
            if (tag !== 26) {
              break;
            }

            message.action = reader.string();
            continue;
          }
          case 4: {
            if (tag !== 34) {
              break;
            }

            message.target = reader.string();
            continue;
          }
          case 5: {
            if (tag !== 42) {
              break;
            }

            message.result = reader.string();
            continue;
          }
          case 6: {
            if (tag !== 50) {
              break;
            }

            message.detail = reader.string();
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

  fromJSON(object: any): AuditEntry {
    return {
      at: isSet(object.at) ? fromJsonTimestamp(object.at) : undefined,
      actor: isSet(object.actor) ? globalThis.String(object.actor) : "",
      action: isSet(object.action) ? globalThis.String(object.action) : "",
      target: isSet(object.target) ? globalThis.String(object.target) : "",
      result: isSet(object.result) ? globalThis.String(object.result) : "",
      detail: isSet(object.detail) ? globalThis.String(object.detail) : "",
    };
  },

  toJSON(message: AuditEntry): unknown {
    const obj: any = {};
    if (message.at !== undefined) {
      obj.at = message.at.toISOString();
    }
    if (message.actor !== "") {
      obj.actor = message.actor;
    }
    if (message.action !== "") {
      obj.action = message.action;
    }
    if (message.target !== "") {
      obj.target = message.target;
    }
    if (message.result !== "") {
      obj.result = message.result;
    }
    if (message.detail !== "") {
      obj.detail = message.detail;
    }
    return obj;
  },

  create(base?: DeepPartial<AuditEntry>): AuditEntry {
    return AuditEntry.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<AuditEntry>): AuditEntry {
    const message = createBaseAuditEntry();
    message.at = object.at ?? undefined;
    message.actor = object.actor ?? "";
    message.action = object.action ?? "";
    message.target = object.target ?? "";
    message.result = object.result ?? "";
    message.detail = object.detail ?? "";
    return message;
  },
};

function createBaseReserveNamespaceRequest(): ReserveNamespaceRequest {
  return { name: "", backends: [], team: "", leaseTtlSeconds: 0, config: {} };
}

export const ReserveNamespaceRequest: MessageFns<ReserveNamespaceRequest> = {
  encode(message: ReserveNamespaceRequest, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.name !== "") {
      writer.uint32(10).string(message.name);
    }
    for (const v of message.backends) {
      writer.uint32(18).string(v!);
    }
    if (message.team !== "") {
      writer.uint32(26).string(message.team);
    }
    if (message.leaseTtlSeconds !== 0) {
      writer.uint32(32).uint32(message.leaseTtlSeconds);
    }
    globalThis.Object.entries(message.config).forEach(([key, value]: [string, string]) => {
      ReserveNamespaceRequest_ConfigEntry.encode({ key: key as any, value }, writer.uint32(42).fork()).join();
    });
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): ReserveNamespaceRequest {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseReserveNamespaceRequest();
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

            message.backends.push(reader.string());
            continue;
          }
          case 3: {
            if (tag !== 26) {
              break;
            }

            message.team = reader.string();
            continue;
          }
          case 4: {
            if (tag !== 32) {
              break;
            }

            message.leaseTtlSeconds = reader.uint32();
            continue;
          }
          case 5: {
            if (tag !== 42) {
              break;
            }

            const entry5 = ReserveNamespaceRequest_ConfigEntry.decode(reader, reader.uint32());
            if (entry5.value !== undefined) {
              message.config[entry5.key] = entry5.value;
            }
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

  fromJSON(object: any): ReserveNamespaceRequest {
    return {
      name: isSet(object.name) ? globalThis.String(object.name) : "",
      backends: globalThis.Array.isArray(object?.backends) ? object.backends.map((e: any) => globalThis.String(e)) : [],
      team: isSet(object.team) ? globalThis.String(object.team) : "",
      leaseTtlSeconds: isSet(object.leaseTtlSeconds)
        ? globalThis.Number(object.leaseTtlSeconds)
        : isSet(object.lease_ttl_seconds)
        ? globalThis.Number(object.lease_ttl_seconds)
        : 0,
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
    };
  },

  toJSON(message: ReserveNamespaceRequest): unknown {
    const obj: any = {};
    if (message.name !== "") {
      obj.name = message.name;
    }
    if (message.backends?.length) {
      obj.backends = message.backends;
    }
    if (message.team !== "") {
      obj.team = message.team;
    }
    if (message.leaseTtlSeconds !== 0) {
      obj.leaseTtlSeconds = Math.round(message.leaseTtlSeconds);
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
    return obj;
  },

  create(base?: DeepPartial<ReserveNamespaceRequest>): ReserveNamespaceRequest {
    return ReserveNamespaceRequest.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<ReserveNamespaceRequest>): ReserveNamespaceRequest {
    const message = createBaseReserveNamespaceRequest();
    message.name = object.name ?? "";
    message.backends = object.backends?.map((e) => e) || [];
    message.team = object.team ?? "";
    message.leaseTtlSeconds = object.leaseTtlSeconds ?? 0;
    message.config = (globalThis.Object.entries(object.config ?? {}) as [string, string][]).reduce(
      (acc: { [key: string]: string }, [key, value]: [string, string]) => {
        if (value !== undefined) {
          acc[key] = globalThis.String(value);
        }
        return acc;
      },
      {},
    );
    return message;
  },
};

function createBaseReserveNamespaceRequest_ConfigEntry(): ReserveNamespaceRequest_ConfigEntry {
  return { key: "", value: "" };
}

export const ReserveNamespaceRequest_ConfigEntry: MessageFns<ReserveNamespaceRequest_ConfigEntry> = {
  encode(message: ReserveNamespaceRequest_ConfigEntry, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.key !== "") {
      writer.uint32(10).string(message.key);
    }
    if (message.value !== "") {
      writer.uint32(18).string(message.value);
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): ReserveNamespaceRequest_ConfigEntry {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseReserveNamespaceRequest_ConfigEntry();
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

  fromJSON(object: any): ReserveNamespaceRequest_ConfigEntry {
    return {
      key: isSet(object.key) ? globalThis.String(object.key) : "",
      value: isSet(object.value) ? globalThis.String(object.value) : "",
    };
  },

  toJSON(message: ReserveNamespaceRequest_ConfigEntry): unknown {
    const obj: any = {};
    if (message.key !== "") {
      obj.key = message.key;
    }
    if (message.value !== "") {
      obj.value = message.value;
    }
    return obj;
  },

  create(base?: DeepPartial<ReserveNamespaceRequest_ConfigEntry>): ReserveNamespaceRequest_ConfigEntry {
    return ReserveNamespaceRequest_ConfigEntry.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<ReserveNamespaceRequest_ConfigEntry>): ReserveNamespaceRequest_ConfigEntry {
    const message = createBaseReserveNamespaceRequest_ConfigEntry();
    message.key = object.key ?? "";
    message.value = object.value ?? "";
    return message;
  },
};

function createBaseReserveNamespaceResponse(): ReserveNamespaceResponse {
  return { namespace: undefined, token: "", lease: undefined, partitionId: 0, owner: "", warnings: [] };
}

export const ReserveNamespaceResponse: MessageFns<ReserveNamespaceResponse> = {
  encode(message: ReserveNamespaceResponse, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.namespace !== undefined) {
      Namespace.encode(message.namespace, writer.uint32(10).fork()).join();
    }
    if (message.token !== "") {
      writer.uint32(18).string(message.token);
    }
    if (message.lease !== undefined) {
      Lease.encode(message.lease, writer.uint32(26).fork()).join();
    }
    if (message.partitionId !== 0) {
      writer.uint32(32).uint32(message.partitionId);
    }
    if (message.owner !== "") {
      writer.uint32(42).string(message.owner);
    }
    for (const v of message.warnings) {
      writer.uint32(50).string(v!);
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): ReserveNamespaceResponse {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseReserveNamespaceResponse();
      while (reader.pos < end) {
        const tag = reader.uint32();
        switch (tag >>> 3) {
          case 1: {
            if (tag !== 10) {
              break;
            }

            message.namespace = Namespace.decode(reader, reader.uint32());
            continue;
          }
          case 2: {
            if (tag !== 18) {
              break;
            }

            message.token = reader.string();
            continue;
          }
          case 3: {
            if (tag !== 26) {
              break;
            }

            message.lease = Lease.decode(reader, reader.uint32());
            continue;
          }
          case 4: {
            if (tag !== 32) {
              break;
            }

            message.partitionId = reader.uint32();
            continue;
          }
          case 5: {
            if (tag !== 42) {
              break;
            }

            message.owner = reader.string();
            continue;
          }
          case 6: {
            if (tag !== 50) {
              break;
            }

            message.warnings.push(reader.string());
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

  fromJSON(object: any): ReserveNamespaceResponse {
    return {
      namespace: isSet(object.namespace) ? Namespace.fromJSON(object.namespace) : undefined,
      token: isSet(object.token) ? globalThis.String(object.token) : "",
      lease: isSet(object.lease) ? Lease.fromJSON(object.lease) : undefined,
      partitionId: isSet(object.partitionId)
        ? globalThis.Number(object.partitionId)
        : isSet(object.partition_id)
        ? globalThis.Number(object.partition_id)
        : 0,
      owner: isSet(object.owner) ? globalThis.String(object.owner) : "",
      warnings: globalThis.Array.isArray(object?.warnings) ? object.warnings.map((e: any) => globalThis.String(e)) : [],
    };
  },

  toJSON(message: ReserveNamespaceResponse): unknown {
    const obj: any = {};
    if (message.namespace !== undefined) {
      obj.namespace = Namespace.toJSON(message.namespace);
    }
    if (message.token !== "") {
      obj.token = message.token;
    }
    if (message.lease !== undefined) {
      obj.lease = Lease.toJSON(message.lease);
    }
    if (message.partitionId !== 0) {
      obj.partitionId = Math.round(message.partitionId);
    }
    if (message.owner !== "") {
      obj.owner = message.owner;
    }
    if (message.warnings?.length) {
      obj.warnings = message.warnings;
    }
    return obj;
  },

  create(base?: DeepPartial<ReserveNamespaceResponse>): ReserveNamespaceResponse {
    return ReserveNamespaceResponse.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<ReserveNamespaceResponse>): ReserveNamespaceResponse {
    const message = createBaseReserveNamespaceResponse();
    message.namespace = (object.namespace !== undefined && object.namespace !== null)
      ? Namespace.fromPartial(object.namespace)
      : undefined;
    message.token = object.token ?? "";
    message.lease = (object.lease !== undefined && object.lease !== null) ? Lease.fromPartial(object.lease) : undefined;
    message.partitionId = object.partitionId ?? 0;
    message.owner = object.owner ?? "";
    message.warnings = object.warnings?.map((e) => e) || [];
    return message;
  },
};

function createBaseGetNamespaceRequest(): GetNamespaceRequest {
  return { name: "" };
}

export const GetNamespaceRequest: MessageFns<GetNamespaceRequest> = {
  encode(message: GetNamespaceRequest, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.name !== "") {
      writer.uint32(10).string(message.name);
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): GetNamespaceRequest {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseGetNamespaceRequest();
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

  fromJSON(object: any): GetNamespaceRequest {
    return { name: isSet(object.name) ? globalThis.String(object.name) : "" };
  },

  toJSON(message: GetNamespaceRequest): unknown {
    const obj: any = {};
    if (message.name !== "") {
      obj.name = message.name;
    }
    return obj;
  },

  create(base?: DeepPartial<GetNamespaceRequest>): GetNamespaceRequest {
    return GetNamespaceRequest.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<GetNamespaceRequest>): GetNamespaceRequest {
    const message = createBaseGetNamespaceRequest();
    message.name = object.name ?? "";
    return message;
  },
};

function createBaseListNamespacesRequest(): ListNamespacesRequest {
  return { prefix: "", includeDeleted: false, pageSize: 0, pageToken: "" };
}

export const ListNamespacesRequest: MessageFns<ListNamespacesRequest> = {
  encode(message: ListNamespacesRequest, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.prefix !== "") {
      writer.uint32(10).string(message.prefix);
    }
    if (message.includeDeleted !== false) {
      writer.uint32(16).bool(message.includeDeleted);
    }
    if (message.pageSize !== 0) {
      writer.uint32(24).uint32(message.pageSize);
    }
    if (message.pageToken !== "") {
      writer.uint32(34).string(message.pageToken);
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): ListNamespacesRequest {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseListNamespacesRequest();
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
            if (tag !== 16) {
              break;
            }

            message.includeDeleted = reader.bool();
            continue;
          }
          case 3: {
            if (tag !== 24) {
              break;
            }

            message.pageSize = reader.uint32();
            continue;
          }
          case 4: {
            if (tag !== 34) {
              break;
            }

            message.pageToken = reader.string();
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

  fromJSON(object: any): ListNamespacesRequest {
    return {
      prefix: isSet(object.prefix) ? globalThis.String(object.prefix) : "",
      includeDeleted: isSet(object.includeDeleted)
        ? globalThis.Boolean(object.includeDeleted)
        : isSet(object.include_deleted)
        ? globalThis.Boolean(object.include_deleted)
        : false,
      pageSize: isSet(object.pageSize)
        ? globalThis.Number(object.pageSize)
        : isSet(object.page_size)
        ? globalThis.Number(object.page_size)
        : 0,
      pageToken: isSet(object.pageToken)
        ? globalThis.String(object.pageToken)
        : isSet(object.page_token)
        ? globalThis.String(object.page_token)
        : "",
    };
  },

  toJSON(message: ListNamespacesRequest): unknown {
    const obj: any = {};
    if (message.prefix !== "") {
      obj.prefix = message.prefix;
    }
    if (message.includeDeleted !== false) {
      obj.includeDeleted = message.includeDeleted;
    }
    if (message.pageSize !== 0) {
      obj.pageSize = Math.round(message.pageSize);
    }
    if (message.pageToken !== "") {
      obj.pageToken = message.pageToken;
    }
    return obj;
  },

  create(base?: DeepPartial<ListNamespacesRequest>): ListNamespacesRequest {
    return ListNamespacesRequest.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<ListNamespacesRequest>): ListNamespacesRequest {
    const message = createBaseListNamespacesRequest();
    message.prefix = object.prefix ?? "";
    message.includeDeleted = object.includeDeleted ?? false;
    message.pageSize = object.pageSize ?? 0;
    message.pageToken = object.pageToken ?? "";
    return message;
  },
};

function createBaseListNamespacesResponse(): ListNamespacesResponse {
  return { namespaces: [], nextPageToken: "" };
}

export const ListNamespacesResponse: MessageFns<ListNamespacesResponse> = {
  encode(message: ListNamespacesResponse, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    for (const v of message.namespaces) {
      Namespace.encode(v!, writer.uint32(10).fork()).join();
    }
    if (message.nextPageToken !== "") {
      writer.uint32(18).string(message.nextPageToken);
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): ListNamespacesResponse {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseListNamespacesResponse();
      while (reader.pos < end) {
        const tag = reader.uint32();
        switch (tag >>> 3) {
          case 1: {
            if (tag !== 10) {
              break;
            }

            message.namespaces.push(Namespace.decode(reader, reader.uint32()));
            continue;
          }
          case 2: {
            if (tag !== 18) {
              break;
            }

            message.nextPageToken = reader.string();
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

  fromJSON(object: any): ListNamespacesResponse {
    return {
      namespaces: globalThis.Array.isArray(object?.namespaces)
        ? object.namespaces.map((e: any) => Namespace.fromJSON(e))
        : [],
      nextPageToken: isSet(object.nextPageToken)
        ? globalThis.String(object.nextPageToken)
        : isSet(object.next_page_token)
        ? globalThis.String(object.next_page_token)
        : "",
    };
  },

  toJSON(message: ListNamespacesResponse): unknown {
    const obj: any = {};
    if (message.namespaces?.length) {
      obj.namespaces = message.namespaces.map((e) => Namespace.toJSON(e));
    }
    if (message.nextPageToken !== "") {
      obj.nextPageToken = message.nextPageToken;
    }
    return obj;
  },

  create(base?: DeepPartial<ListNamespacesResponse>): ListNamespacesResponse {
    return ListNamespacesResponse.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<ListNamespacesResponse>): ListNamespacesResponse {
    const message = createBaseListNamespacesResponse();
    message.namespaces = object.namespaces?.map((e) => Namespace.fromPartial(e)) || [];
    message.nextPageToken = object.nextPageToken ?? "";
    return message;
  },
};

function createBaseRefreshLeaseRequest(): RefreshLeaseRequest {
  return { name: "", leaseTtlSeconds: 0 };
}

export const RefreshLeaseRequest: MessageFns<RefreshLeaseRequest> = {
  encode(message: RefreshLeaseRequest, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.name !== "") {
      writer.uint32(10).string(message.name);
    }
    if (message.leaseTtlSeconds !== 0) {
      writer.uint32(16).uint32(message.leaseTtlSeconds);
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): RefreshLeaseRequest {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseRefreshLeaseRequest();
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
            if (tag !== 16) {
              break;
            }

            message.leaseTtlSeconds = reader.uint32();
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

  fromJSON(object: any): RefreshLeaseRequest {
    return {
      name: isSet(object.name) ? globalThis.String(object.name) : "",
      leaseTtlSeconds: isSet(object.leaseTtlSeconds)
        ? globalThis.Number(object.leaseTtlSeconds)
        : isSet(object.lease_ttl_seconds)
        ? globalThis.Number(object.lease_ttl_seconds)
        : 0,
    };
  },

  toJSON(message: RefreshLeaseRequest): unknown {
    const obj: any = {};
    if (message.name !== "") {
      obj.name = message.name;
    }
    if (message.leaseTtlSeconds !== 0) {
      obj.leaseTtlSeconds = Math.round(message.leaseTtlSeconds);
    }
    return obj;
  },

  create(base?: DeepPartial<RefreshLeaseRequest>): RefreshLeaseRequest {
    return RefreshLeaseRequest.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<RefreshLeaseRequest>): RefreshLeaseRequest {
    const message = createBaseRefreshLeaseRequest();
    message.name = object.name ?? "";
    message.leaseTtlSeconds = object.leaseTtlSeconds ?? 0;
    return message;
  },
};

function createBaseRevokeNamespaceRequest(): RevokeNamespaceRequest {
  return { name: "", reason: "" };
}

export const RevokeNamespaceRequest: MessageFns<RevokeNamespaceRequest> = {
  encode(message: RevokeNamespaceRequest, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.name !== "") {
      writer.uint32(10).string(message.name);
    }
    if (message.reason !== "") {
      writer.uint32(18).string(message.reason);
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): RevokeNamespaceRequest {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseRevokeNamespaceRequest();
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

            message.reason = reader.string();
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

  fromJSON(object: any): RevokeNamespaceRequest {
    return {
      name: isSet(object.name) ? globalThis.String(object.name) : "",
      reason: isSet(object.reason) ? globalThis.String(object.reason) : "",
    };
  },

  toJSON(message: RevokeNamespaceRequest): unknown {
    const obj: any = {};
    if (message.name !== "") {
      obj.name = message.name;
    }
    if (message.reason !== "") {
      obj.reason = message.reason;
    }
    return obj;
  },

  create(base?: DeepPartial<RevokeNamespaceRequest>): RevokeNamespaceRequest {
    return RevokeNamespaceRequest.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<RevokeNamespaceRequest>): RevokeNamespaceRequest {
    const message = createBaseRevokeNamespaceRequest();
    message.name = object.name ?? "";
    message.reason = object.reason ?? "";
    return message;
  },
};

function createBaseDeleteNamespaceRequest(): DeleteNamespaceRequest {
  return { name: "", force: false };
}

export const DeleteNamespaceRequest: MessageFns<DeleteNamespaceRequest> = {
  encode(message: DeleteNamespaceRequest, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.name !== "") {
      writer.uint32(10).string(message.name);
    }
    if (message.force !== false) {
      writer.uint32(16).bool(message.force);
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): DeleteNamespaceRequest {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseDeleteNamespaceRequest();
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
            if (tag !== 16) {
              break;
            }

            message.force = reader.bool();
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

  fromJSON(object: any): DeleteNamespaceRequest {
    return {
      name: isSet(object.name) ? globalThis.String(object.name) : "",
      force: isSet(object.force) ? globalThis.Boolean(object.force) : false,
    };
  },

  toJSON(message: DeleteNamespaceRequest): unknown {
    const obj: any = {};
    if (message.name !== "") {
      obj.name = message.name;
    }
    if (message.force !== false) {
      obj.force = message.force;
    }
    return obj;
  },

  create(base?: DeepPartial<DeleteNamespaceRequest>): DeleteNamespaceRequest {
    return DeleteNamespaceRequest.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<DeleteNamespaceRequest>): DeleteNamespaceRequest {
    const message = createBaseDeleteNamespaceRequest();
    message.name = object.name ?? "";
    message.force = object.force ?? false;
    return message;
  },
};

function createBaseRestoreNamespaceRequest(): RestoreNamespaceRequest {
  return { name: "" };
}

export const RestoreNamespaceRequest: MessageFns<RestoreNamespaceRequest> = {
  encode(message: RestoreNamespaceRequest, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.name !== "") {
      writer.uint32(10).string(message.name);
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): RestoreNamespaceRequest {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseRestoreNamespaceRequest();
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

  fromJSON(object: any): RestoreNamespaceRequest {
    return { name: isSet(object.name) ? globalThis.String(object.name) : "" };
  },

  toJSON(message: RestoreNamespaceRequest): unknown {
    const obj: any = {};
    if (message.name !== "") {
      obj.name = message.name;
    }
    return obj;
  },

  create(base?: DeepPartial<RestoreNamespaceRequest>): RestoreNamespaceRequest {
    return RestoreNamespaceRequest.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<RestoreNamespaceRequest>): RestoreNamespaceRequest {
    const message = createBaseRestoreNamespaceRequest();
    message.name = object.name ?? "";
    return message;
  },
};

function createBaseListProxiesRequest(): ListProxiesRequest {
  return {};
}

export const ListProxiesRequest: MessageFns<ListProxiesRequest> = {
  encode(_: ListProxiesRequest, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): ListProxiesRequest {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseListProxiesRequest();
      while (reader.pos < end) {
        const tag = reader.uint32();
        switch (tag >>> 3) {
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

  fromJSON(_: any): ListProxiesRequest {
    return {};
  },

  toJSON(_: ListProxiesRequest): unknown {
    const obj: any = {};
    return obj;
  },

  create(base?: DeepPartial<ListProxiesRequest>): ListProxiesRequest {
    return ListProxiesRequest.fromPartial(base ?? {});
  },
  fromPartial(_: DeepPartial<ListProxiesRequest>): ListProxiesRequest {
    const message = createBaseListProxiesRequest();
    return message;
  },
};

function createBaseListProxiesResponse(): ListProxiesResponse {
  return { proxies: [], tableVersion: 0 };
}

export const ListProxiesResponse: MessageFns<ListProxiesResponse> = {
  encode(message: ListProxiesResponse, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    for (const v of message.proxies) {
      Proxy.encode(v!, writer.uint32(10).fork()).join();
    }
    if (message.tableVersion !== 0) {
      writer.uint32(16).uint64(message.tableVersion);
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): ListProxiesResponse {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseListProxiesResponse();
      while (reader.pos < end) {
        const tag = reader.uint32();
        switch (tag >>> 3) {
          case 1: {
            if (tag !== 10) {
              break;
            }

            message.proxies.push(Proxy.decode(reader, reader.uint32()));
            continue;
          }
          case 2: {
            if (tag !== 16) {
              break;
            }

            message.tableVersion = longToNumber(reader.uint64());
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

  fromJSON(object: any): ListProxiesResponse {
    return {
      proxies: globalThis.Array.isArray(object?.proxies) ? object.proxies.map((e: any) => Proxy.fromJSON(e)) : [],
      tableVersion: isSet(object.tableVersion)
        ? globalThis.Number(object.tableVersion)
        : isSet(object.table_version)
        ? globalThis.Number(object.table_version)
        : 0,
    };
  },

  toJSON(message: ListProxiesResponse): unknown {
    const obj: any = {};
    if (message.proxies?.length) {
      obj.proxies = message.proxies.map((e) => Proxy.toJSON(e));
    }
    if (message.tableVersion !== 0) {
      obj.tableVersion = Math.round(message.tableVersion);
    }
    return obj;
  },

  create(base?: DeepPartial<ListProxiesResponse>): ListProxiesResponse {
    return ListProxiesResponse.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<ListProxiesResponse>): ListProxiesResponse {
    const message = createBaseListProxiesResponse();
    message.proxies = object.proxies?.map((e) => Proxy.fromPartial(e)) || [];
    message.tableVersion = object.tableVersion ?? 0;
    return message;
  },
};

function createBaseRebalanceRequest(): RebalanceRequest {
  return { strategy: 0, rules: undefined, weights: {}, expectedVersion: 0 };
}

export const RebalanceRequest: MessageFns<RebalanceRequest> = {
  encode(message: RebalanceRequest, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.strategy !== 0) {
      writer.uint32(8).int32(message.strategy);
    }
    if (message.rules !== undefined) {
      TableRules.encode(message.rules, writer.uint32(18).fork()).join();
    }
    globalThis.Object.entries(message.weights).forEach(([key, value]: [string, number]) => {
      RebalanceRequest_WeightsEntry.encode({ key: key as any, value }, writer.uint32(26).fork()).join();
    });
    if (message.expectedVersion !== 0) {
      writer.uint32(32).uint64(message.expectedVersion);
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): RebalanceRequest {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseRebalanceRequest();
      while (reader.pos < end) {
        const tag = reader.uint32();
        switch (tag >>> 3) {
          case 1: {
            if (tag !== 8) {
              break;
            }

            message.strategy = reader.int32() as any;
            continue;
          }
          case 2: {
            if (tag !== 18) {
              break;
            }

            message.rules = TableRules.decode(reader, reader.uint32());
            continue;
          }
          case 3: {
            if (tag !== 26) {
              break;
            }

            const entry3 = RebalanceRequest_WeightsEntry.decode(reader, reader.uint32());
            if (entry3.value !== undefined) {
              message.weights[entry3.key] = entry3.value;
            }
            continue;
          }
          case 4: {
            if (tag !== 32) {
              break;
            }

            message.expectedVersion = longToNumber(reader.uint64());
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

  fromJSON(object: any): RebalanceRequest {
    return {
      strategy: isSet(object.strategy) ? strategyFromJSON(object.strategy) : 0,
      rules: isSet(object.rules) ? TableRules.fromJSON(object.rules) : undefined,
      weights: isObject(object.weights)
        ? (globalThis.Object.entries(object.weights) as [string, any][]).reduce(
          (acc: { [key: string]: number }, [key, value]: [string, any]) => {
            globalThis.Object.defineProperty(acc, key, {
              value: globalThis.Number(value),
              enumerable: true,
              configurable: true,
              writable: true,
            });
            return acc;
          },
          {},
        )
        : {},
      expectedVersion: isSet(object.expectedVersion)
        ? globalThis.Number(object.expectedVersion)
        : isSet(object.expected_version)
        ? globalThis.Number(object.expected_version)
        : 0,
    };
  },

  toJSON(message: RebalanceRequest): unknown {
    const obj: any = {};
    if (message.strategy !== 0) {
      obj.strategy = strategyToJSON(message.strategy);
    }
    if (message.rules !== undefined) {
      obj.rules = TableRules.toJSON(message.rules);
    }
    if (message.weights) {
      const entries = globalThis.Object.entries(message.weights) as [string, number][];
      if (entries.length > 0) {
        obj.weights = {};
        entries.forEach(([k, v]) => {
          obj.weights[k] = Math.round(v);
        });
      }
    }
    if (message.expectedVersion !== 0) {
      obj.expectedVersion = Math.round(message.expectedVersion);
    }
    return obj;
  },

  create(base?: DeepPartial<RebalanceRequest>): RebalanceRequest {
    return RebalanceRequest.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<RebalanceRequest>): RebalanceRequest {
    const message = createBaseRebalanceRequest();
    message.strategy = object.strategy ?? 0;
    message.rules = (object.rules !== undefined && object.rules !== null)
      ? TableRules.fromPartial(object.rules)
      : undefined;
    message.weights = (globalThis.Object.entries(object.weights ?? {}) as [string, number][]).reduce(
      (acc: { [key: string]: number }, [key, value]: [string, number]) => {
        if (value !== undefined) {
          acc[key] = globalThis.Number(value);
        }
        return acc;
      },
      {},
    );
    message.expectedVersion = object.expectedVersion ?? 0;
    return message;
  },
};

function createBaseRebalanceRequest_WeightsEntry(): RebalanceRequest_WeightsEntry {
  return { key: "", value: 0 };
}

export const RebalanceRequest_WeightsEntry: MessageFns<RebalanceRequest_WeightsEntry> = {
  encode(message: RebalanceRequest_WeightsEntry, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.key !== "") {
      writer.uint32(10).string(message.key);
    }
    if (message.value !== 0) {
      writer.uint32(16).uint32(message.value);
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): RebalanceRequest_WeightsEntry {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseRebalanceRequest_WeightsEntry();
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
            if (tag !== 16) {
              break;
            }

            message.value = reader.uint32();
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

  fromJSON(object: any): RebalanceRequest_WeightsEntry {
    return {
      key: isSet(object.key) ? globalThis.String(object.key) : "",
      value: isSet(object.value) ? globalThis.Number(object.value) : 0,
    };
  },

  toJSON(message: RebalanceRequest_WeightsEntry): unknown {
    const obj: any = {};
    if (message.key !== "") {
      obj.key = message.key;
    }
    if (message.value !== 0) {
      obj.value = Math.round(message.value);
    }
    return obj;
  },

  create(base?: DeepPartial<RebalanceRequest_WeightsEntry>): RebalanceRequest_WeightsEntry {
    return RebalanceRequest_WeightsEntry.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<RebalanceRequest_WeightsEntry>): RebalanceRequest_WeightsEntry {
    const message = createBaseRebalanceRequest_WeightsEntry();
    message.key = object.key ?? "";
    message.value = object.value ?? 0;
    return message;
  },
};

function createBaseRebalancePlan(): RebalancePlan {
  return {
    fromVersion: 0,
    table: undefined,
    movedPartitions: 0,
    imbalanceRatio: 0,
    appliedAt: undefined,
    rounds: 0,
    maxMovesPerRound: 0,
  };
}

export const RebalancePlan: MessageFns<RebalancePlan> = {
  encode(message: RebalancePlan, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.fromVersion !== 0) {
      writer.uint32(8).uint64(message.fromVersion);
    }
    if (message.table !== undefined) {
      PartitionTable.encode(message.table, writer.uint32(18).fork()).join();
    }
    if (message.movedPartitions !== 0) {
      writer.uint32(24).uint32(message.movedPartitions);
    }
    if (message.imbalanceRatio !== 0) {
      writer.uint32(33).double(message.imbalanceRatio);
    }
    if (message.appliedAt !== undefined) {
      Timestamp.encode(toTimestamp(message.appliedAt), writer.uint32(42).fork()).join();
    }
    if (message.rounds !== 0) {
      writer.uint32(48).uint32(message.rounds);
    }
    if (message.maxMovesPerRound !== 0) {
      writer.uint32(56).uint32(message.maxMovesPerRound);
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): RebalancePlan {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseRebalancePlan();
      while (reader.pos < end) {
        const tag = reader.uint32();
        switch (tag >>> 3) {
          case 1: {
            if (tag !== 8) {
              break;
            }

            message.fromVersion = longToNumber(reader.uint64());
            continue;
          }
          case 2: {
            if (tag !== 18) {
              break;
            }

            message.table = PartitionTable.decode(reader, reader.uint32());
            continue;
          }
          case 3: {
            if (tag !== 24) {
              break;
            }

            message.movedPartitions = reader.uint32();
            continue;
          }
          case 4: {
            if (tag !== 33) {
              break;
            }

            message.imbalanceRatio = reader.double();
            continue;
          }
          case 5: {
            if (tag !== 42) {
              break;
            }

            message.appliedAt = fromTimestamp(Timestamp.decode(reader, reader.uint32()));
            continue;
          }
          case 6: {
            if (tag !== 48) {
              break;
            }

            message.rounds = reader.uint32();
            continue;
          }
          case 7: {
            if (tag !== 56) {
              break;
            }

            message.maxMovesPerRound = reader.uint32();
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

  fromJSON(object: any): RebalancePlan {
    return {
      fromVersion: isSet(object.fromVersion)
        ? globalThis.Number(object.fromVersion)
        : isSet(object.from_version)
        ? globalThis.Number(object.from_version)
        : 0,
      table: isSet(object.table) ? PartitionTable.fromJSON(object.table) : undefined,
      movedPartitions: isSet(object.movedPartitions)
        ? globalThis.Number(object.movedPartitions)
        : isSet(object.moved_partitions)
        ? globalThis.Number(object.moved_partitions)
        : 0,
      imbalanceRatio: isSet(object.imbalanceRatio)
        ? globalThis.Number(object.imbalanceRatio)
        : isSet(object.imbalance_ratio)
        ? globalThis.Number(object.imbalance_ratio)
        : 0,
      appliedAt: isSet(object.appliedAt)
        ? fromJsonTimestamp(object.appliedAt)
        : isSet(object.applied_at)
        ? fromJsonTimestamp(object.applied_at)
        : undefined,
      rounds: isSet(object.rounds) ? globalThis.Number(object.rounds) : 0,
      maxMovesPerRound: isSet(object.maxMovesPerRound)
        ? globalThis.Number(object.maxMovesPerRound)
        : isSet(object.max_moves_per_round)
        ? globalThis.Number(object.max_moves_per_round)
        : 0,
    };
  },

  toJSON(message: RebalancePlan): unknown {
    const obj: any = {};
    if (message.fromVersion !== 0) {
      obj.fromVersion = Math.round(message.fromVersion);
    }
    if (message.table !== undefined) {
      obj.table = PartitionTable.toJSON(message.table);
    }
    if (message.movedPartitions !== 0) {
      obj.movedPartitions = Math.round(message.movedPartitions);
    }
    if (message.imbalanceRatio !== 0) {
      obj.imbalanceRatio = floatToJson(message.imbalanceRatio);
    }
    if (message.appliedAt !== undefined) {
      obj.appliedAt = message.appliedAt.toISOString();
    }
    if (message.rounds !== 0) {
      obj.rounds = Math.round(message.rounds);
    }
    if (message.maxMovesPerRound !== 0) {
      obj.maxMovesPerRound = Math.round(message.maxMovesPerRound);
    }
    return obj;
  },

  create(base?: DeepPartial<RebalancePlan>): RebalancePlan {
    return RebalancePlan.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<RebalancePlan>): RebalancePlan {
    const message = createBaseRebalancePlan();
    message.fromVersion = object.fromVersion ?? 0;
    message.table = (object.table !== undefined && object.table !== null)
      ? PartitionTable.fromPartial(object.table)
      : undefined;
    message.movedPartitions = object.movedPartitions ?? 0;
    message.imbalanceRatio = object.imbalanceRatio ?? 0;
    message.appliedAt = object.appliedAt ?? undefined;
    message.rounds = object.rounds ?? 0;
    message.maxMovesPerRound = object.maxMovesPerRound ?? 0;
    return message;
  },
};

function createBaseRollbackRequest(): RollbackRequest {
  return { expectedVersion: 0 };
}

export const RollbackRequest: MessageFns<RollbackRequest> = {
  encode(message: RollbackRequest, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.expectedVersion !== 0) {
      writer.uint32(8).uint64(message.expectedVersion);
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): RollbackRequest {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseRollbackRequest();
      while (reader.pos < end) {
        const tag = reader.uint32();
        switch (tag >>> 3) {
          case 1: {
            if (tag !== 8) {
              break;
            }

            message.expectedVersion = longToNumber(reader.uint64());
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

  fromJSON(object: any): RollbackRequest {
    return {
      expectedVersion: isSet(object.expectedVersion)
        ? globalThis.Number(object.expectedVersion)
        : isSet(object.expected_version)
        ? globalThis.Number(object.expected_version)
        : 0,
    };
  },

  toJSON(message: RollbackRequest): unknown {
    const obj: any = {};
    if (message.expectedVersion !== 0) {
      obj.expectedVersion = Math.round(message.expectedVersion);
    }
    return obj;
  },

  create(base?: DeepPartial<RollbackRequest>): RollbackRequest {
    return RollbackRequest.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<RollbackRequest>): RollbackRequest {
    const message = createBaseRollbackRequest();
    message.expectedVersion = object.expectedVersion ?? 0;
    return message;
  },
};

function createBaseGetRolloutRequest(): GetRolloutRequest {
  return {};
}

export const GetRolloutRequest: MessageFns<GetRolloutRequest> = {
  encode(_: GetRolloutRequest, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): GetRolloutRequest {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseGetRolloutRequest();
      while (reader.pos < end) {
        const tag = reader.uint32();
        switch (tag >>> 3) {
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

  fromJSON(_: any): GetRolloutRequest {
    return {};
  },

  toJSON(_: GetRolloutRequest): unknown {
    const obj: any = {};
    return obj;
  },

  create(base?: DeepPartial<GetRolloutRequest>): GetRolloutRequest {
    return GetRolloutRequest.fromPartial(base ?? {});
  },
  fromPartial(_: DeepPartial<GetRolloutRequest>): GetRolloutRequest {
    const message = createBaseGetRolloutRequest();
    return message;
  },
};

function createBaseRollout(): Rollout {
  return {
    inProgress: false,
    reason: "",
    targetVersion: 0,
    roundsDone: 0,
    roundsTotal: 0,
    remainingMoves: 0,
    awaitingApproval: undefined,
    cooldownUntil: undefined,
  };
}

export const Rollout: MessageFns<Rollout> = {
  encode(message: Rollout, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.inProgress !== false) {
      writer.uint32(8).bool(message.inProgress);
    }
    if (message.reason !== "") {
      writer.uint32(18).string(message.reason);
    }
    if (message.targetVersion !== 0) {
      writer.uint32(24).uint64(message.targetVersion);
    }
    if (message.roundsDone !== 0) {
      writer.uint32(32).uint32(message.roundsDone);
    }
    if (message.roundsTotal !== 0) {
      writer.uint32(40).uint32(message.roundsTotal);
    }
    if (message.remainingMoves !== 0) {
      writer.uint32(48).uint32(message.remainingMoves);
    }
    if (message.awaitingApproval !== undefined) {
      RebalancePlan.encode(message.awaitingApproval, writer.uint32(58).fork()).join();
    }
    if (message.cooldownUntil !== undefined) {
      Timestamp.encode(toTimestamp(message.cooldownUntil), writer.uint32(66).fork()).join();
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): Rollout {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseRollout();
      while (reader.pos < end) {
        const tag = reader.uint32();
        switch (tag >>> 3) {
          case 1: {
            if (tag !== 8) {
              break;
            }

            message.inProgress = reader.bool();
            continue;
          }
          case 2: {
            if (tag !== 18) {
              break;
            }

            message.reason = reader.string();
            continue;
          }
          case 3: {
            if (tag !== 24) {
              break;
            }

            message.targetVersion = longToNumber(reader.uint64());
            continue;
          }
          case 4: {
            if (tag !== 32) {
              break;
            }

            message.roundsDone = reader.uint32();
            continue;
          }
          case 5: {
            if (tag !== 40) {
              break;
            }

            message.roundsTotal = reader.uint32();
            continue;
          }
          case 6: {
            if (tag !== 48) {
              break;
            }

            message.remainingMoves = reader.uint32();
            continue;
          }
          case 7: {
            if (tag !== 58) {
              break;
            }

            message.awaitingApproval = RebalancePlan.decode(reader, reader.uint32());
            continue;
          }
          case 8: {
            if (tag !== 66) {
              break;
            }

            message.cooldownUntil = fromTimestamp(Timestamp.decode(reader, reader.uint32()));
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

  fromJSON(object: any): Rollout {
    return {
      inProgress: isSet(object.inProgress)
        ? globalThis.Boolean(object.inProgress)
        : isSet(object.in_progress)
        ? globalThis.Boolean(object.in_progress)
        : false,
      reason: isSet(object.reason) ? globalThis.String(object.reason) : "",
      targetVersion: isSet(object.targetVersion)
        ? globalThis.Number(object.targetVersion)
        : isSet(object.target_version)
        ? globalThis.Number(object.target_version)
        : 0,
      roundsDone: isSet(object.roundsDone)
        ? globalThis.Number(object.roundsDone)
        : isSet(object.rounds_done)
        ? globalThis.Number(object.rounds_done)
        : 0,
      roundsTotal: isSet(object.roundsTotal)
        ? globalThis.Number(object.roundsTotal)
        : isSet(object.rounds_total)
        ? globalThis.Number(object.rounds_total)
        : 0,
      remainingMoves: isSet(object.remainingMoves)
        ? globalThis.Number(object.remainingMoves)
        : isSet(object.remaining_moves)
        ? globalThis.Number(object.remaining_moves)
        : 0,
      awaitingApproval: isSet(object.awaitingApproval)
        ? RebalancePlan.fromJSON(object.awaitingApproval)
        : isSet(object.awaiting_approval)
        ? RebalancePlan.fromJSON(object.awaiting_approval)
        : undefined,
      cooldownUntil: isSet(object.cooldownUntil)
        ? fromJsonTimestamp(object.cooldownUntil)
        : isSet(object.cooldown_until)
        ? fromJsonTimestamp(object.cooldown_until)
        : undefined,
    };
  },

  toJSON(message: Rollout): unknown {
    const obj: any = {};
    if (message.inProgress !== false) {
      obj.inProgress = message.inProgress;
    }
    if (message.reason !== "") {
      obj.reason = message.reason;
    }
    if (message.targetVersion !== 0) {
      obj.targetVersion = Math.round(message.targetVersion);
    }
    if (message.roundsDone !== 0) {
      obj.roundsDone = Math.round(message.roundsDone);
    }
    if (message.roundsTotal !== 0) {
      obj.roundsTotal = Math.round(message.roundsTotal);
    }
    if (message.remainingMoves !== 0) {
      obj.remainingMoves = Math.round(message.remainingMoves);
    }
    if (message.awaitingApproval !== undefined) {
      obj.awaitingApproval = RebalancePlan.toJSON(message.awaitingApproval);
    }
    if (message.cooldownUntil !== undefined) {
      obj.cooldownUntil = message.cooldownUntil.toISOString();
    }
    return obj;
  },

  create(base?: DeepPartial<Rollout>): Rollout {
    return Rollout.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<Rollout>): Rollout {
    const message = createBaseRollout();
    message.inProgress = object.inProgress ?? false;
    message.reason = object.reason ?? "";
    message.targetVersion = object.targetVersion ?? 0;
    message.roundsDone = object.roundsDone ?? 0;
    message.roundsTotal = object.roundsTotal ?? 0;
    message.remainingMoves = object.remainingMoves ?? 0;
    message.awaitingApproval = (object.awaitingApproval !== undefined && object.awaitingApproval !== null)
      ? RebalancePlan.fromPartial(object.awaitingApproval)
      : undefined;
    message.cooldownUntil = object.cooldownUntil ?? undefined;
    return message;
  },
};

function createBaseDrainProxyRequest(): DrainProxyRequest {
  return { id: "" };
}

export const DrainProxyRequest: MessageFns<DrainProxyRequest> = {
  encode(message: DrainProxyRequest, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.id !== "") {
      writer.uint32(10).string(message.id);
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): DrainProxyRequest {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseDrainProxyRequest();
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

  fromJSON(object: any): DrainProxyRequest {
    return { id: isSet(object.id) ? globalThis.String(object.id) : "" };
  },

  toJSON(message: DrainProxyRequest): unknown {
    const obj: any = {};
    if (message.id !== "") {
      obj.id = message.id;
    }
    return obj;
  },

  create(base?: DeepPartial<DrainProxyRequest>): DrainProxyRequest {
    return DrainProxyRequest.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<DrainProxyRequest>): DrainProxyRequest {
    const message = createBaseDrainProxyRequest();
    message.id = object.id ?? "";
    return message;
  },
};

/** What operators and prismctl call. */
export type OperatorService = typeof OperatorService;
export const OperatorService = {
  /** POST /v1/namespaces: reserve a name; a duplicate name is a coded 409. */
  reserveNamespace: {
    path: "/prism.admin.v1.Operator/ReserveNamespace" as const,
    requestStream: false as const,
    responseStream: false as const,
    requestSerialize: (value: ReserveNamespaceRequest): Buffer =>
      Buffer.from(ReserveNamespaceRequest.encode(value).finish()),
    requestDeserialize: (value: Buffer): ReserveNamespaceRequest => ReserveNamespaceRequest.decode(value),
    responseSerialize: (value: ReserveNamespaceResponse): Buffer =>
      Buffer.from(ReserveNamespaceResponse.encode(value).finish()),
    responseDeserialize: (value: Buffer): ReserveNamespaceResponse => ReserveNamespaceResponse.decode(value),
  },
  /** GET /v1/namespaces/{name}. */
  getNamespace: {
    path: "/prism.admin.v1.Operator/GetNamespace" as const,
    requestStream: false as const,
    responseStream: false as const,
    requestSerialize: (value: GetNamespaceRequest): Buffer => Buffer.from(GetNamespaceRequest.encode(value).finish()),
    requestDeserialize: (value: Buffer): GetNamespaceRequest => GetNamespaceRequest.decode(value),
    responseSerialize: (value: Namespace): Buffer => Buffer.from(Namespace.encode(value).finish()),
    responseDeserialize: (value: Buffer): Namespace => Namespace.decode(value),
  },
  /** GET /v1/namespaces. */
  listNamespaces: {
    path: "/prism.admin.v1.Operator/ListNamespaces" as const,
    requestStream: false as const,
    responseStream: false as const,
    requestSerialize: (value: ListNamespacesRequest): Buffer =>
      Buffer.from(ListNamespacesRequest.encode(value).finish()),
    requestDeserialize: (value: Buffer): ListNamespacesRequest => ListNamespacesRequest.decode(value),
    responseSerialize: (value: ListNamespacesResponse): Buffer =>
      Buffer.from(ListNamespacesResponse.encode(value).finish()),
    responseDeserialize: (value: Buffer): ListNamespacesResponse => ListNamespacesResponse.decode(value),
  },
  /** POST /v1/namespaces/{name}:refresh. */
  refreshLease: {
    path: "/prism.admin.v1.Operator/RefreshLease" as const,
    requestStream: false as const,
    responseStream: false as const,
    requestSerialize: (value: RefreshLeaseRequest): Buffer => Buffer.from(RefreshLeaseRequest.encode(value).finish()),
    requestDeserialize: (value: Buffer): RefreshLeaseRequest => RefreshLeaseRequest.decode(value),
    responseSerialize: (value: ReserveNamespaceResponse): Buffer =>
      Buffer.from(ReserveNamespaceResponse.encode(value).finish()),
    responseDeserialize: (value: Buffer): ReserveNamespaceResponse => ReserveNamespaceResponse.decode(value),
  },
  /** POST /v1/namespaces/{name}:revoke. */
  revokeNamespace: {
    path: "/prism.admin.v1.Operator/RevokeNamespace" as const,
    requestStream: false as const,
    responseStream: false as const,
    requestSerialize: (value: RevokeNamespaceRequest): Buffer =>
      Buffer.from(RevokeNamespaceRequest.encode(value).finish()),
    requestDeserialize: (value: Buffer): RevokeNamespaceRequest => RevokeNamespaceRequest.decode(value),
    responseSerialize: (value: Namespace): Buffer => Buffer.from(Namespace.encode(value).finish()),
    responseDeserialize: (value: Buffer): Namespace => Namespace.decode(value),
  },
  /** DELETE /v1/namespaces/{name} (soft delete, restorable for 7 days). */
  deleteNamespace: {
    path: "/prism.admin.v1.Operator/DeleteNamespace" as const,
    requestStream: false as const,
    responseStream: false as const,
    requestSerialize: (value: DeleteNamespaceRequest): Buffer =>
      Buffer.from(DeleteNamespaceRequest.encode(value).finish()),
    requestDeserialize: (value: Buffer): DeleteNamespaceRequest => DeleteNamespaceRequest.decode(value),
    responseSerialize: (value: Namespace): Buffer => Buffer.from(Namespace.encode(value).finish()),
    responseDeserialize: (value: Buffer): Namespace => Namespace.decode(value),
  },
  /** POST /v1/namespaces/{name}:restore: a fresh lease and token. */
  restoreNamespace: {
    path: "/prism.admin.v1.Operator/RestoreNamespace" as const,
    requestStream: false as const,
    responseStream: false as const,
    requestSerialize: (value: RestoreNamespaceRequest): Buffer =>
      Buffer.from(RestoreNamespaceRequest.encode(value).finish()),
    requestDeserialize: (value: Buffer): RestoreNamespaceRequest => RestoreNamespaceRequest.decode(value),
    responseSerialize: (value: ReserveNamespaceResponse): Buffer =>
      Buffer.from(ReserveNamespaceResponse.encode(value).finish()),
    responseDeserialize: (value: Buffer): ReserveNamespaceResponse => ReserveNamespaceResponse.decode(value),
  },
  /** GET /v1/proxies. */
  listProxies: {
    path: "/prism.admin.v1.Operator/ListProxies" as const,
    requestStream: false as const,
    responseStream: false as const,
    requestSerialize: (value: ListProxiesRequest): Buffer => Buffer.from(ListProxiesRequest.encode(value).finish()),
    requestDeserialize: (value: Buffer): ListProxiesRequest => ListProxiesRequest.decode(value),
    responseSerialize: (value: ListProxiesResponse): Buffer => Buffer.from(ListProxiesResponse.encode(value).finish()),
    responseDeserialize: (value: Buffer): ListProxiesResponse => ListProxiesResponse.decode(value),
  },
  /** GET /v1/partition-table. */
  getPartitionTable: {
    path: "/prism.admin.v1.Operator/GetPartitionTable" as const,
    requestStream: false as const,
    responseStream: false as const,
    requestSerialize: (value: GetPartitionTableRequest): Buffer =>
      Buffer.from(GetPartitionTableRequest.encode(value).finish()),
    requestDeserialize: (value: Buffer): GetPartitionTableRequest => GetPartitionTableRequest.decode(value),
    responseSerialize: (value: PartitionTable): Buffer => Buffer.from(PartitionTable.encode(value).finish()),
    responseDeserialize: (value: Buffer): PartitionTable => PartitionTable.decode(value),
  },
  /** POST /v1/partition-table:plan (dry run). */
  planRebalance: {
    path: "/prism.admin.v1.Operator/PlanRebalance" as const,
    requestStream: false as const,
    responseStream: false as const,
    requestSerialize: (value: RebalanceRequest): Buffer => Buffer.from(RebalanceRequest.encode(value).finish()),
    requestDeserialize: (value: Buffer): RebalanceRequest => RebalanceRequest.decode(value),
    responseSerialize: (value: RebalancePlan): Buffer => Buffer.from(RebalancePlan.encode(value).finish()),
    responseDeserialize: (value: Buffer): RebalancePlan => RebalancePlan.decode(value),
  },
  /**
   * POST /v1/partition-table:apply: with expected_version (a plan's from_version) it is refused with
   * PRISM-TABLE-006 when the table changed since the plan.
   */
  applyRebalance: {
    path: "/prism.admin.v1.Operator/ApplyRebalance" as const,
    requestStream: false as const,
    responseStream: false as const,
    requestSerialize: (value: RebalanceRequest): Buffer => Buffer.from(RebalanceRequest.encode(value).finish()),
    requestDeserialize: (value: Buffer): RebalanceRequest => RebalanceRequest.decode(value),
    responseSerialize: (value: RebalancePlan): Buffer => Buffer.from(RebalancePlan.encode(value).finish()),
    responseDeserialize: (value: Buffer): RebalancePlan => RebalancePlan.decode(value),
  },
  /**
   * POST /v1/partition-table:rollback: the owners of the table before the last applied change, moved
   * back in rounds.
   */
  rollbackTable: {
    path: "/prism.admin.v1.Operator/RollbackTable" as const,
    requestStream: false as const,
    responseStream: false as const,
    requestSerialize: (value: RollbackRequest): Buffer => Buffer.from(RollbackRequest.encode(value).finish()),
    requestDeserialize: (value: Buffer): RollbackRequest => RollbackRequest.decode(value),
    responseSerialize: (value: RebalancePlan): Buffer => Buffer.from(RebalancePlan.encode(value).finish()),
    responseDeserialize: (value: Buffer): RebalancePlan => RebalancePlan.decode(value),
  },
  /** GET /v1/partition-table/rollout: the move in progress, the plan waiting for approval, the cooldown. */
  getRollout: {
    path: "/prism.admin.v1.Operator/GetRollout" as const,
    requestStream: false as const,
    responseStream: false as const,
    requestSerialize: (value: GetRolloutRequest): Buffer => Buffer.from(GetRolloutRequest.encode(value).finish()),
    requestDeserialize: (value: Buffer): GetRolloutRequest => GetRolloutRequest.decode(value),
    responseSerialize: (value: Rollout): Buffer => Buffer.from(Rollout.encode(value).finish()),
    responseDeserialize: (value: Buffer): Rollout => Rollout.decode(value),
  },
  /** POST /v1/proxies/{id}:drain: its partitions move away in rounds; it gets none until undrained. */
  drainProxy: {
    path: "/prism.admin.v1.Operator/DrainProxy" as const,
    requestStream: false as const,
    responseStream: false as const,
    requestSerialize: (value: DrainProxyRequest): Buffer => Buffer.from(DrainProxyRequest.encode(value).finish()),
    requestDeserialize: (value: Buffer): DrainProxyRequest => DrainProxyRequest.decode(value),
    responseSerialize: (value: Proxy): Buffer => Buffer.from(Proxy.encode(value).finish()),
    responseDeserialize: (value: Buffer): Proxy => Proxy.decode(value),
  },
  /** POST /v1/proxies/{id}:undrain. */
  undrainProxy: {
    path: "/prism.admin.v1.Operator/UndrainProxy" as const,
    requestStream: false as const,
    responseStream: false as const,
    requestSerialize: (value: DrainProxyRequest): Buffer => Buffer.from(DrainProxyRequest.encode(value).finish()),
    requestDeserialize: (value: Buffer): DrainProxyRequest => DrainProxyRequest.decode(value),
    responseSerialize: (value: Proxy): Buffer => Buffer.from(Proxy.encode(value).finish()),
    responseDeserialize: (value: Buffer): Proxy => Proxy.decode(value),
  },
  /** GET /v1/audit: newest first. */
  listAudit: {
    path: "/prism.admin.v1.Operator/ListAudit" as const,
    requestStream: false as const,
    responseStream: false as const,
    requestSerialize: (value: ListAuditRequest): Buffer => Buffer.from(ListAuditRequest.encode(value).finish()),
    requestDeserialize: (value: Buffer): ListAuditRequest => ListAuditRequest.decode(value),
    responseSerialize: (value: ListAuditResponse): Buffer => Buffer.from(ListAuditResponse.encode(value).finish()),
    responseDeserialize: (value: Buffer): ListAuditResponse => ListAuditResponse.decode(value),
  },
} as const;

export interface OperatorServer extends UntypedServiceImplementation {
  /** POST /v1/namespaces: reserve a name; a duplicate name is a coded 409. */
  reserveNamespace: handleUnaryCall<ReserveNamespaceRequest, ReserveNamespaceResponse>;
  /** GET /v1/namespaces/{name}. */
  getNamespace: handleUnaryCall<GetNamespaceRequest, Namespace>;
  /** GET /v1/namespaces. */
  listNamespaces: handleUnaryCall<ListNamespacesRequest, ListNamespacesResponse>;
  /** POST /v1/namespaces/{name}:refresh. */
  refreshLease: handleUnaryCall<RefreshLeaseRequest, ReserveNamespaceResponse>;
  /** POST /v1/namespaces/{name}:revoke. */
  revokeNamespace: handleUnaryCall<RevokeNamespaceRequest, Namespace>;
  /** DELETE /v1/namespaces/{name} (soft delete, restorable for 7 days). */
  deleteNamespace: handleUnaryCall<DeleteNamespaceRequest, Namespace>;
  /** POST /v1/namespaces/{name}:restore: a fresh lease and token. */
  restoreNamespace: handleUnaryCall<RestoreNamespaceRequest, ReserveNamespaceResponse>;
  /** GET /v1/proxies. */
  listProxies: handleUnaryCall<ListProxiesRequest, ListProxiesResponse>;
  /** GET /v1/partition-table. */
  getPartitionTable: handleUnaryCall<GetPartitionTableRequest, PartitionTable>;
  /** POST /v1/partition-table:plan (dry run). */
  planRebalance: handleUnaryCall<RebalanceRequest, RebalancePlan>;
  /**
   * POST /v1/partition-table:apply: with expected_version (a plan's from_version) it is refused with
   * PRISM-TABLE-006 when the table changed since the plan.
   */
  applyRebalance: handleUnaryCall<RebalanceRequest, RebalancePlan>;
  /**
   * POST /v1/partition-table:rollback: the owners of the table before the last applied change, moved
   * back in rounds.
   */
  rollbackTable: handleUnaryCall<RollbackRequest, RebalancePlan>;
  /** GET /v1/partition-table/rollout: the move in progress, the plan waiting for approval, the cooldown. */
  getRollout: handleUnaryCall<GetRolloutRequest, Rollout>;
  /** POST /v1/proxies/{id}:drain: its partitions move away in rounds; it gets none until undrained. */
  drainProxy: handleUnaryCall<DrainProxyRequest, Proxy>;
  /** POST /v1/proxies/{id}:undrain. */
  undrainProxy: handleUnaryCall<DrainProxyRequest, Proxy>;
  /** GET /v1/audit: newest first. */
  listAudit: handleUnaryCall<ListAuditRequest, ListAuditResponse>;
}

export interface OperatorClient extends Client {
  /** POST /v1/namespaces: reserve a name; a duplicate name is a coded 409. */
  reserveNamespace(
    request: ReserveNamespaceRequest,
    callback: (error: ServiceError | null, response: ReserveNamespaceResponse) => void,
  ): ClientUnaryCall;
  reserveNamespace(
    request: ReserveNamespaceRequest,
    metadata: Metadata,
    callback: (error: ServiceError | null, response: ReserveNamespaceResponse) => void,
  ): ClientUnaryCall;
  reserveNamespace(
    request: ReserveNamespaceRequest,
    metadata: Metadata,
    options: Partial<CallOptions>,
    callback: (error: ServiceError | null, response: ReserveNamespaceResponse) => void,
  ): ClientUnaryCall;
  /** GET /v1/namespaces/{name}. */
  getNamespace(
    request: GetNamespaceRequest,
    callback: (error: ServiceError | null, response: Namespace) => void,
  ): ClientUnaryCall;
  getNamespace(
    request: GetNamespaceRequest,
    metadata: Metadata,
    callback: (error: ServiceError | null, response: Namespace) => void,
  ): ClientUnaryCall;
  getNamespace(
    request: GetNamespaceRequest,
    metadata: Metadata,
    options: Partial<CallOptions>,
    callback: (error: ServiceError | null, response: Namespace) => void,
  ): ClientUnaryCall;
  /** GET /v1/namespaces. */
  listNamespaces(
    request: ListNamespacesRequest,
    callback: (error: ServiceError | null, response: ListNamespacesResponse) => void,
  ): ClientUnaryCall;
  listNamespaces(
    request: ListNamespacesRequest,
    metadata: Metadata,
    callback: (error: ServiceError | null, response: ListNamespacesResponse) => void,
  ): ClientUnaryCall;
  listNamespaces(
    request: ListNamespacesRequest,
    metadata: Metadata,
    options: Partial<CallOptions>,
    callback: (error: ServiceError | null, response: ListNamespacesResponse) => void,
  ): ClientUnaryCall;
  /** POST /v1/namespaces/{name}:refresh. */
  refreshLease(
    request: RefreshLeaseRequest,
    callback: (error: ServiceError | null, response: ReserveNamespaceResponse) => void,
  ): ClientUnaryCall;
  refreshLease(
    request: RefreshLeaseRequest,
    metadata: Metadata,
    callback: (error: ServiceError | null, response: ReserveNamespaceResponse) => void,
  ): ClientUnaryCall;
  refreshLease(
    request: RefreshLeaseRequest,
    metadata: Metadata,
    options: Partial<CallOptions>,
    callback: (error: ServiceError | null, response: ReserveNamespaceResponse) => void,
  ): ClientUnaryCall;
  /** POST /v1/namespaces/{name}:revoke. */
  revokeNamespace(
    request: RevokeNamespaceRequest,
    callback: (error: ServiceError | null, response: Namespace) => void,
  ): ClientUnaryCall;
  revokeNamespace(
    request: RevokeNamespaceRequest,
    metadata: Metadata,
    callback: (error: ServiceError | null, response: Namespace) => void,
  ): ClientUnaryCall;
  revokeNamespace(
    request: RevokeNamespaceRequest,
    metadata: Metadata,
    options: Partial<CallOptions>,
    callback: (error: ServiceError | null, response: Namespace) => void,
  ): ClientUnaryCall;
  /** DELETE /v1/namespaces/{name} (soft delete, restorable for 7 days). */
  deleteNamespace(
    request: DeleteNamespaceRequest,
    callback: (error: ServiceError | null, response: Namespace) => void,
  ): ClientUnaryCall;
  deleteNamespace(
    request: DeleteNamespaceRequest,
    metadata: Metadata,
    callback: (error: ServiceError | null, response: Namespace) => void,
  ): ClientUnaryCall;
  deleteNamespace(
    request: DeleteNamespaceRequest,
    metadata: Metadata,
    options: Partial<CallOptions>,
    callback: (error: ServiceError | null, response: Namespace) => void,
  ): ClientUnaryCall;
  /** POST /v1/namespaces/{name}:restore: a fresh lease and token. */
  restoreNamespace(
    request: RestoreNamespaceRequest,
    callback: (error: ServiceError | null, response: ReserveNamespaceResponse) => void,
  ): ClientUnaryCall;
  restoreNamespace(
    request: RestoreNamespaceRequest,
    metadata: Metadata,
    callback: (error: ServiceError | null, response: ReserveNamespaceResponse) => void,
  ): ClientUnaryCall;
  restoreNamespace(
    request: RestoreNamespaceRequest,
    metadata: Metadata,
    options: Partial<CallOptions>,
    callback: (error: ServiceError | null, response: ReserveNamespaceResponse) => void,
  ): ClientUnaryCall;
  /** GET /v1/proxies. */
  listProxies(
    request: ListProxiesRequest,
    callback: (error: ServiceError | null, response: ListProxiesResponse) => void,
  ): ClientUnaryCall;
  listProxies(
    request: ListProxiesRequest,
    metadata: Metadata,
    callback: (error: ServiceError | null, response: ListProxiesResponse) => void,
  ): ClientUnaryCall;
  listProxies(
    request: ListProxiesRequest,
    metadata: Metadata,
    options: Partial<CallOptions>,
    callback: (error: ServiceError | null, response: ListProxiesResponse) => void,
  ): ClientUnaryCall;
  /** GET /v1/partition-table. */
  getPartitionTable(
    request: GetPartitionTableRequest,
    callback: (error: ServiceError | null, response: PartitionTable) => void,
  ): ClientUnaryCall;
  getPartitionTable(
    request: GetPartitionTableRequest,
    metadata: Metadata,
    callback: (error: ServiceError | null, response: PartitionTable) => void,
  ): ClientUnaryCall;
  getPartitionTable(
    request: GetPartitionTableRequest,
    metadata: Metadata,
    options: Partial<CallOptions>,
    callback: (error: ServiceError | null, response: PartitionTable) => void,
  ): ClientUnaryCall;
  /** POST /v1/partition-table:plan (dry run). */
  planRebalance(
    request: RebalanceRequest,
    callback: (error: ServiceError | null, response: RebalancePlan) => void,
  ): ClientUnaryCall;
  planRebalance(
    request: RebalanceRequest,
    metadata: Metadata,
    callback: (error: ServiceError | null, response: RebalancePlan) => void,
  ): ClientUnaryCall;
  planRebalance(
    request: RebalanceRequest,
    metadata: Metadata,
    options: Partial<CallOptions>,
    callback: (error: ServiceError | null, response: RebalancePlan) => void,
  ): ClientUnaryCall;
  /**
   * POST /v1/partition-table:apply: with expected_version (a plan's from_version) it is refused with
   * PRISM-TABLE-006 when the table changed since the plan.
   */
  applyRebalance(
    request: RebalanceRequest,
    callback: (error: ServiceError | null, response: RebalancePlan) => void,
  ): ClientUnaryCall;
  applyRebalance(
    request: RebalanceRequest,
    metadata: Metadata,
    callback: (error: ServiceError | null, response: RebalancePlan) => void,
  ): ClientUnaryCall;
  applyRebalance(
    request: RebalanceRequest,
    metadata: Metadata,
    options: Partial<CallOptions>,
    callback: (error: ServiceError | null, response: RebalancePlan) => void,
  ): ClientUnaryCall;
  /**
   * POST /v1/partition-table:rollback: the owners of the table before the last applied change, moved
   * back in rounds.
   */
  rollbackTable(
    request: RollbackRequest,
    callback: (error: ServiceError | null, response: RebalancePlan) => void,
  ): ClientUnaryCall;
  rollbackTable(
    request: RollbackRequest,
    metadata: Metadata,
    callback: (error: ServiceError | null, response: RebalancePlan) => void,
  ): ClientUnaryCall;
  rollbackTable(
    request: RollbackRequest,
    metadata: Metadata,
    options: Partial<CallOptions>,
    callback: (error: ServiceError | null, response: RebalancePlan) => void,
  ): ClientUnaryCall;
  /** GET /v1/partition-table/rollout: the move in progress, the plan waiting for approval, the cooldown. */
  getRollout(
    request: GetRolloutRequest,
    callback: (error: ServiceError | null, response: Rollout) => void,
  ): ClientUnaryCall;
  getRollout(
    request: GetRolloutRequest,
    metadata: Metadata,
    callback: (error: ServiceError | null, response: Rollout) => void,
  ): ClientUnaryCall;
  getRollout(
    request: GetRolloutRequest,
    metadata: Metadata,
    options: Partial<CallOptions>,
    callback: (error: ServiceError | null, response: Rollout) => void,
  ): ClientUnaryCall;
  /** POST /v1/proxies/{id}:drain: its partitions move away in rounds; it gets none until undrained. */
  drainProxy(
    request: DrainProxyRequest,
    callback: (error: ServiceError | null, response: Proxy) => void,
  ): ClientUnaryCall;
  drainProxy(
    request: DrainProxyRequest,
    metadata: Metadata,
    callback: (error: ServiceError | null, response: Proxy) => void,
  ): ClientUnaryCall;
  drainProxy(
    request: DrainProxyRequest,
    metadata: Metadata,
    options: Partial<CallOptions>,
    callback: (error: ServiceError | null, response: Proxy) => void,
  ): ClientUnaryCall;
  /** POST /v1/proxies/{id}:undrain. */
  undrainProxy(
    request: DrainProxyRequest,
    callback: (error: ServiceError | null, response: Proxy) => void,
  ): ClientUnaryCall;
  undrainProxy(
    request: DrainProxyRequest,
    metadata: Metadata,
    callback: (error: ServiceError | null, response: Proxy) => void,
  ): ClientUnaryCall;
  undrainProxy(
    request: DrainProxyRequest,
    metadata: Metadata,
    options: Partial<CallOptions>,
    callback: (error: ServiceError | null, response: Proxy) => void,
  ): ClientUnaryCall;
  /** GET /v1/audit: newest first. */
  listAudit(
    request: ListAuditRequest,
    callback: (error: ServiceError | null, response: ListAuditResponse) => void,
  ): ClientUnaryCall;
  listAudit(
    request: ListAuditRequest,
    metadata: Metadata,
    callback: (error: ServiceError | null, response: ListAuditResponse) => void,
  ): ClientUnaryCall;
  listAudit(
    request: ListAuditRequest,
    metadata: Metadata,
    options: Partial<CallOptions>,
    callback: (error: ServiceError | null, response: ListAuditResponse) => void,
  ): ClientUnaryCall;
}

export const OperatorClient = makeGenericClientConstructor(OperatorService, "prism.admin.v1.Operator") as unknown as {
  new (address: string, credentials: ChannelCredentials, options?: Partial<ClientOptions>): OperatorClient;
  service: typeof OperatorService;
  serviceName: string;
};

function floatToJson(value: number | null | undefined): number | string | null | undefined {
  return typeof value === "number" && !globalThis.Number.isFinite(value) ? globalThis.String(value) : value;
}

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
