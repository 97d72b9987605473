// Code generated from proto/ by `npm run proto` (ts-proto). DO NOT EDIT.
/* eslint-disable */
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import {
  type CallOptions,
  type ChannelCredentials,
  Client,
  type ClientDuplexStream,
  type ClientOptions,
  type ClientUnaryCall,
  type handleBidiStreamingCall,
  type handleUnaryCall,
  makeGenericClientConstructor,
  type Metadata,
  type ServiceError,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { Timestamp } from "../../../google/protobuf/timestamp.js";
import { NamespaceAdvertisement, Revocation } from "./namespace.js";
import { GetPartitionTableRequest, PartitionTable } from "./partition.js";

export const protobufPackage = "prism.admin.v1";

export const protobufFileName = "prism/admin/v1/control_plane.proto";

/** The proxy <-> admin control plane (gRPC, admin port 8981). */

/** Proxy -> admin. */
export interface ProxyMessage {
  /** First message of a stream. */
  register?:
    | Register
    | undefined;
  /** Periodic liveness. */
  heartbeat?:
    | Heartbeat
    | undefined;
  /** A table version was applied. */
  ack?:
    | TableAck
    | undefined;
  /** Answer to Prepare: the proxy is ready to own the partitions. */
  prepared?: Prepared | undefined;
}

/** Admin -> proxy. */
export interface AdminMessage {
  /** Answer to Register. */
  registered?:
    | RegisterAck
    | undefined;
  /** A new table version. */
  table?:
    | PartitionTable
    | undefined;
  /** A namespace was added, changed or removed. */
  advertisement?:
    | NamespaceAdvertisement
    | undefined;
  /** Tokens revoked since the last push (or all of them when full is set). */
  revocations?:
    | RevocationList
    | undefined;
  /** The keys namespace tokens verify against; sent on register and after every rotation. */
  keys?:
    | KeySet
    | undefined;
  /** Partitions about to move to this proxy (first phase of a move round). */
  prepare?: Prepare | undefined;
}

/** The admin's public signing keys. */
export interface KeySet {
  /** JWKS JSON, as served at /.well-known/jwks.json. */
  jwksJson: string;
}

/** A proxy joins the fleet. */
export interface Register {
  /** Proxy id; refused while another live stream holds it. */
  proxyId: string;
  /** Host or IP peers and load balancers use to reach it. */
  address: string;
  /** Data-plane port. */
  dataPort: number;
  /** Ops port. */
  opsPort: number;
  /** Relative capacity 1-256; 0 means 1. */
  weight: number;
  /** Table version the proxy already holds (from disk), 0 if none. */
  knownTableVersion: number;
  /** Software version of the proxy, for the operator. */
  softwareVersion: string;
  /**
   * Fingerprint of the proxy's effective configuration without what differs per proxy by design
   * (id, addresses, state dir, certificate paths, log): proxies that differ from the majority drift.
   */
  configHash: string;
}

/** Reply to Register. */
export interface RegisterAck {
  /** The registered id. */
  proxyId: string;
  /** Interval the admin expects heartbeats at. */
  heartbeatIntervalMs: number;
  /** Current table version; a table message follows when it differs from known_table_version. */
  tableVersion: number;
}

/** Liveness and progress. */
export interface Heartbeat {
  /** Proxy id. */
  proxyId: string;
  /** Table version the proxy is routing with. */
  appliedTableVersion: number;
  /** Proxy clock at send time. */
  sentAt?:
    | Date
    | undefined;
  /** Requests served per namespace since the previous heartbeat; the admin does not purge namespaces in use. */
  namespaceRequests: { [key: string]: number };
  /** As in Register: changes when the proxy's configuration is reloaded. */
  configHash: string;
}

export interface Heartbeat_NamespaceRequestsEntry {
  key: string;
  value: number;
}

/** The proxy applied (or refused) a table version. */
export interface TableAck {
  /** Version acknowledged. */
  version: number;
  /** False when the table could not be applied. */
  ok: boolean;
  /** Why it could not be applied; empty when ok. */
  error: string;
}

/** Revoked tokens. */
export interface RevocationList {
  /** True when this is the complete list and replaces what the proxy holds. */
  full: boolean;
  /** Entries. */
  revocations: Revocation[];
}

/**
 * First phase of a move round: the receiving proxy is about to own these partitions. It makes sure it
 * holds the advertisements of their namespaces and warms connection pools to their backends, then
 * answers Prepared. The admin cuts over (a new table version) once every new owner answered, or after
 * its prepare timeout.
 */
export interface Prepare {
  /** The round, echoed in Prepared. */
  round: number;
  /** The table version that will make the move. */
  tableVersion: number;
  /** Partitions the receiver owns from that version on, sorted. */
  partitions: number[];
}

/** A proxy is ready for the partitions of a Prepare. */
export interface Prepared {
  /** The round of the Prepare. */
  round: number;
  /** False when it could not prepare (it still takes the partitions at cut-over). */
  ok: boolean;
  /** Why not; empty when ok. */
  error: string;
  /** Backend connections opened to warm the pools. */
  warmedBackends: number;
}

function createBaseProxyMessage(): ProxyMessage {
  return { register: undefined, heartbeat: undefined, ack: undefined, prepared: undefined };
}

export const ProxyMessage: MessageFns<ProxyMessage> = {
  encode(message: ProxyMessage, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.register !== undefined) {
      Register.encode(message.register, writer.uint32(10).fork()).join();
    }
    if (message.heartbeat !== undefined) {
      Heartbeat.encode(message.heartbeat, writer.uint32(18).fork()).join();
    }
    if (message.ack !== undefined) {
      TableAck.encode(message.ack, writer.uint32(26).fork()).join();
    }
    if (message.prepared !== undefined) {
      Prepared.encode(message.prepared, writer.uint32(34).fork()).join();
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): ProxyMessage {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseProxyMessage();
      while (reader.pos < end) {
        const tag = reader.uint32();
        switch (tag >>> 3) {
          case 1: {
            if (tag !== 10) {
              break;
            }

            message.register = Register.decode(reader, reader.uint32());
            continue;
          }
          case 2: {
            if (tag !== 18) {
              break;
            }

            message.heartbeat = Heartbeat.decode(reader, reader.uint32());
            continue;
          }
          case 3: {
            if (tag !== 26) {
              break;
            }

            message.ack = TableAck.decode(reader, reader.uint32());
            continue;
          }
          case 4: {
            if (tag !== 34) {
              break;
            }

            message.prepared = Prepared.decode(reader, reader.uint32());
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

  fromJSON(object: any): ProxyMessage {
    return {
      register: isSet(object.register) ? Register.fromJSON(object.register) : undefined,
      heartbeat: isSet(object.heartbeat) ? Heartbeat.fromJSON(object.heartbeat) : undefined,
      ack: isSet(object.ack) ? TableAck.fromJSON(object.ack) : undefined,
      prepared: isSet(object.prepared) ? Prepared.fromJSON(object.prepared) : undefined,
    };
  },

  toJSON(message: ProxyMessage): unknown {
    const obj: any = {};
    if (message.register !== undefined) {
      obj.register = Register.toJSON(message.register);
    }
    if (message.heartbeat !== undefined) {
      obj.heartbeat = Heartbeat.toJSON(message.heartbeat);
    }
    if (message.ack !== undefined) {
      obj.ack = TableAck.toJSON(message.ack);
    }
    if (message.prepared !== undefined) {
      obj.prepared = Prepared.toJSON(message.prepared);
    }
    return obj;
  },

  create(base?: DeepPartial<ProxyMessage>): ProxyMessage {
    return ProxyMessage.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<ProxyMessage>): ProxyMessage {
    const message = createBaseProxyMessage();
    message.register = (object.register !== undefined && object.register !== null)
      ? Register.fromPartial(object.register)
      : undefined;
    message.heartbeat = (object.heartbeat !== undefined && object.heartbeat !== null)
      ? Heartbeat.fromPartial(object.heartbeat)
      : undefined;
    message.ack = (object.ack !== undefined && object.ack !== null) ? TableAck.fromPartial(object.ack) : undefined;
    message.prepared = (object.prepared !== undefined && object.prepared !== null)
      ? Prepared.fromPartial(object.prepared)
      : undefined;
    return message;
  },
};

function createBaseAdminMessage(): AdminMessage {
  return {
    registered: undefined,
    table: undefined,
    advertisement: undefined,
    revocations: undefined,
    keys: undefined,
    prepare: undefined,
  };
}

export const AdminMessage: MessageFns<AdminMessage> = {
  encode(message: AdminMessage, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.registered !== undefined) {
      RegisterAck.encode(message.registered, writer.uint32(10).fork()).join();
    }
    if (message.table !== undefined) {
      PartitionTable.encode(message.table, writer.uint32(18).fork()).join();
    }
    if (message.advertisement !== undefined) {
      NamespaceAdvertisement.encode(message.advertisement, writer.uint32(26).fork()).join();
    }
    if (message.revocations !== undefined) {
      RevocationList.encode(message.revocations, writer.uint32(34).fork()).join();
    }
    if (message.keys !== undefined) {
      KeySet.encode(message.keys, writer.uint32(42).fork()).join();
    }
    if (message.prepare !== undefined) {
      Prepare.encode(message.prepare, writer.uint32(50).fork()).join();
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): AdminMessage {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseAdminMessage();
      while (reader.pos < end) {
        const tag = reader.uint32();
        switch (tag >>> 3) {
          case 1: {
            if (tag !== 10) {
              break;
            }

            message.registered = RegisterAck.decode(reader, reader.uint32());
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
            if (tag !== 26) {
              break;
            }

            message.advertisement = NamespaceAdvertisement.decode(reader, reader.uint32());
            continue;
          }
          case 4: {
            if (tag !== 34) {
              break;
            }

            message.revocations = RevocationList.decode(reader, reader.uint32());
            continue;
          }
          case 5: {
            if (tag !== 42) {
              break;
            }

            message.keys = KeySet.decode(reader, reader.uint32());
            continue;
          }
          case 6: {
            if (tag !== 50) {
              break;
            }

            message.prepare = Prepare.decode(reader, reader.uint32());
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

  fromJSON(object: any): AdminMessage {
    return {
      registered: isSet(object.registered) ? RegisterAck.fromJSON(object.registered) : undefined,
      table: isSet(object.table) ? PartitionTable.fromJSON(object.table) : undefined,
      advertisement: isSet(object.advertisement) ? NamespaceAdvertisement.fromJSON(object.advertisement) : undefined,
      revocations: isSet(object.revocations) ? RevocationList.fromJSON(object.revocations) : undefined,
      keys: isSet(object.keys) ? KeySet.fromJSON(object.keys) : undefined,
      prepare: isSet(object.prepare) ? Prepare.fromJSON(object.prepare) : undefined,
    };
  },

  toJSON(message: AdminMessage): unknown {
    const obj: any = {};
    if (message.registered !== undefined) {
      obj.registered = RegisterAck.toJSON(message.registered);
    }
    if (message.table !== undefined) {
      obj.table = PartitionTable.toJSON(message.table);
    }
    if (message.advertisement !== undefined) {
      obj.advertisement = NamespaceAdvertisement.toJSON(message.advertisement);
    }
    if (message.revocations !== undefined) {
      obj.revocations = RevocationList.toJSON(message.revocations);
    }
    if (message.keys !== undefined) {
      obj.keys = KeySet.toJSON(message.keys);
    }
    if (message.prepare !== undefined) {
      obj.prepare = Prepare.toJSON(message.prepare);
    }
    return obj;
  },

  create(base?: DeepPartial<AdminMessage>): AdminMessage {
    return AdminMessage.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<AdminMessage>): AdminMessage {
    const message = createBaseAdminMessage();
    message.registered = (object.registered !== undefined && object.registered !== null)
      ? RegisterAck.fromPartial(object.registered)
      : undefined;
    message.table = (object.table !== undefined && object.table !== null)
      ? PartitionTable.fromPartial(object.table)
      : undefined;
    message.advertisement = (object.advertisement !== undefined && object.advertisement !== null)
      ? NamespaceAdvertisement.fromPartial(object.advertisement)
      : undefined;
    message.revocations = (object.revocations !== undefined && object.revocations !== null)
      ? RevocationList.fromPartial(object.revocations)
      : undefined;
    message.keys = (object.keys !== undefined && object.keys !== null) ? KeySet.fromPartial(object.keys) : undefined;
    message.prepare = (object.prepare !== undefined && object.prepare !== null)
      ? Prepare.fromPartial(object.prepare)
      : undefined;
    return message;
  },
};

function createBaseKeySet(): KeySet {
  return { jwksJson: "" };
}

export const KeySet: MessageFns<KeySet> = {
  encode(message: KeySet, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.jwksJson !== "") {
      writer.uint32(10).string(message.jwksJson);
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): KeySet {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseKeySet();
      while (reader.pos < end) {
        const tag = reader.uint32();
        switch (tag >>> 3) {
          case 1: {
            if (tag !== 10) {
              break;
            }

            message.jwksJson = reader.string();
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

  fromJSON(object: any): KeySet {
    return {
      jwksJson: isSet(object.jwksJson)
        ? globalThis.String(object.jwksJson)
        : isSet(object.jwks_json)
        ? globalThis.String(object.jwks_json)
        : "",
    };
  },

  toJSON(message: KeySet): unknown {
    const obj: any = {};
    if (message.jwksJson !== "") {
      obj.jwksJson = message.jwksJson;
    }
    return obj;
  },

  create(base?: DeepPartial<KeySet>): KeySet {
    return KeySet.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<KeySet>): KeySet {
    const message = createBaseKeySet();
    message.jwksJson = object.jwksJson ?? "";
    return message;
  },
};

function createBaseRegister(): Register {
  return {
    proxyId: "",
    address: "",
    dataPort: 0,
    opsPort: 0,
    weight: 0,
    knownTableVersion: 0,
    softwareVersion: "",
    configHash: "",
  };
}

export const Register: MessageFns<Register> = {
  encode(message: Register, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.proxyId !== "") {
      writer.uint32(10).string(message.proxyId);
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
    if (message.knownTableVersion !== 0) {
      writer.uint32(48).uint64(message.knownTableVersion);
    }
    if (message.softwareVersion !== "") {
      writer.uint32(58).string(message.softwareVersion);
    }
    if (message.configHash !== "") {
      writer.uint32(66).string(message.configHash);
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): Register {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseRegister();
      while (reader.pos < end) {
        const tag = reader.uint32();
        switch (tag >>> 3) {
          case 1: {
            if (tag !== 10) {
              break;
            }

            message.proxyId = reader.string();
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

            message.knownTableVersion = longToNumber(reader.uint64());
            continue;
          }
          case 7: {
            if (tag !== 58) {
              break;
            }

            message.softwareVersion = reader.string();
            continue;
          }
          case 8: {
            if (tag !== 66) {
              break;
            }

            message.configHash = reader.string();
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

  fromJSON(object: any): Register {
    return {
      proxyId: isSet(object.proxyId)
        ? globalThis.String(object.proxyId)
        : isSet(object.proxy_id)
        ? globalThis.String(object.proxy_id)
        : "",
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
      knownTableVersion: isSet(object.knownTableVersion)
        ? globalThis.Number(object.knownTableVersion)
        : isSet(object.known_table_version)
        ? globalThis.Number(object.known_table_version)
        : 0,
      softwareVersion: isSet(object.softwareVersion)
        ? globalThis.String(object.softwareVersion)
        : isSet(object.software_version)
        ? globalThis.String(object.software_version)
        : "",
      configHash: isSet(object.configHash)
        ? globalThis.String(object.configHash)
        : isSet(object.config_hash)
        ? globalThis.String(object.config_hash)
        : "",
    };
  },

  toJSON(message: Register): unknown {
    const obj: any = {};
    if (message.proxyId !== "") {
      obj.proxyId = message.proxyId;
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
    if (message.knownTableVersion !== 0) {
      obj.knownTableVersion = Math.round(message.knownTableVersion);
    }
    if (message.softwareVersion !== "") {
      obj.softwareVersion = message.softwareVersion;
    }
    if (message.configHash !== "") {
      obj.configHash = message.configHash;
    }
    return obj;
  },

  create(base?: DeepPartial<Register>): Register {
    return Register.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<Register>): Register {
    const message = createBaseRegister();
    message.proxyId = object.proxyId ?? "";
    message.address = object.address ?? "";
    message.dataPort = object.dataPort ?? 0;
    message.opsPort = object.opsPort ?? 0;
    message.weight = object.weight ?? 0;
    message.knownTableVersion = object.knownTableVersion ?? 0;
    message.softwareVersion = object.softwareVersion ?? "";
    message.configHash = object.configHash ?? "";
    return message;
  },
};

function createBaseRegisterAck(): RegisterAck {
  return { proxyId: "", heartbeatIntervalMs: 0, tableVersion: 0 };
}

export const RegisterAck: MessageFns<RegisterAck> = {
  encode(message: RegisterAck, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.proxyId !== "") {
      writer.uint32(10).string(message.proxyId);
    }
    if (message.heartbeatIntervalMs !== 0) {
      writer.uint32(16).uint32(message.heartbeatIntervalMs);
    }
    if (message.tableVersion !== 0) {
      writer.uint32(24).uint64(message.tableVersion);
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): RegisterAck {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseRegisterAck();
      while (reader.pos < end) {
        const tag = reader.uint32();
        switch (tag >>> 3) {
          case 1: {
            if (tag !== 10) {
              break;
            }

            message.proxyId = reader.string();
            continue;
          }
          case 2: {
            if (tag !== 16) {
              break;
            }

            message.heartbeatIntervalMs = reader.uint32();
            continue;
          }
          case 3: {
            if (tag !== 24) {
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

  fromJSON(object: any): RegisterAck {
    return {
      proxyId: isSet(object.proxyId)
        ? globalThis.String(object.proxyId)
        : isSet(object.proxy_id)
        ? globalThis.String(object.proxy_id)
        : "",
      heartbeatIntervalMs: isSet(object.heartbeatIntervalMs)
        ? globalThis.Number(object.heartbeatIntervalMs)
        : isSet(object.heartbeat_interval_ms)
        ? globalThis.Number(object.heartbeat_interval_ms)
        : 0,
      tableVersion: isSet(object.tableVersion)
        ? globalThis.Number(object.tableVersion)
        : isSet(object.table_version)
        ? globalThis.Number(object.table_version)
        : 0,
    };
  },

  toJSON(message: RegisterAck): unknown {
    const obj: any = {};
    if (message.proxyId !== "") {
      obj.proxyId = message.proxyId;
    }
    if (message.heartbeatIntervalMs !== 0) {
      obj.heartbeatIntervalMs = Math.round(message.heartbeatIntervalMs);
    }
    if (message.tableVersion !== 0) {
      obj.tableVersion = Math.round(message.tableVersion);
    }
    return obj;
  },

  create(base?: DeepPartial<RegisterAck>): RegisterAck {
    return RegisterAck.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<RegisterAck>): RegisterAck {
    const message = createBaseRegisterAck();
    message.proxyId = object.proxyId ?? "";
    message.heartbeatIntervalMs = object.heartbeatIntervalMs ?? 0;
    message.tableVersion = object.tableVersion ?? 0;
    return message;
  },
};

function createBaseHeartbeat(): Heartbeat {
  return { proxyId: "", appliedTableVersion: 0, sentAt: undefined, namespaceRequests: {}, configHash: "" };
}

export const Heartbeat: MessageFns<Heartbeat> = {
  encode(message: Heartbeat, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.proxyId !== "") {
      writer.uint32(10).string(message.proxyId);
    }
    if (message.appliedTableVersion !== 0) {
      writer.uint32(16).uint64(message.appliedTableVersion);
    }
    if (message.sentAt !== undefined) {
      Timestamp.encode(toTimestamp(message.sentAt), writer.uint32(26).fork()).join();
    }
    globalThis.Object.entries(message.namespaceRequests).forEach(([key, value]: [string, number]) => {
      Heartbeat_NamespaceRequestsEntry.encode({ key: key as any, value }, writer.uint32(34).fork()).join();
    });
    if (message.configHash !== "") {
      writer.uint32(42).string(message.configHash);
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): Heartbeat {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseHeartbeat();
      while (reader.pos < end) {
        const tag = reader.uint32();
        switch (tag >>> 3) {
          case 1: {
            if (tag !== 10) {
              break;
            }

            message.proxyId = reader.string();
            continue;
          }
          case 2: {
            if (tag !== 16) {
              break;
            }

            message.appliedTableVersion = longToNumber(reader.uint64());
            continue;
          }
          case 3: {
            if (tag !== 26) {
              break;
            }

            message.sentAt = fromTimestamp(Timestamp.decode(reader, reader.uint32()));
            continue;
          }
          case 4: {
            if (tag !== 34) {
              break;
            }

            const entry4 = Heartbeat_NamespaceRequestsEntry.decode(reader, reader.uint32());
            if (entry4.value !== undefined) {
              message.namespaceRequests[entry4.key] = entry4.value;
            }
            continue;
          }
          case 5: {
            if (tag !== 42) {
              break;
            }

            message.configHash = reader.string();
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

  fromJSON(object: any): Heartbeat {
    return {
      proxyId: isSet(object.proxyId)
        ? globalThis.String(object.proxyId)
        : isSet(object.proxy_id)
        ? globalThis.String(object.proxy_id)
        : "",
      appliedTableVersion: isSet(object.appliedTableVersion)
        ? globalThis.Number(object.appliedTableVersion)
        : isSet(object.applied_table_version)
        ? globalThis.Number(object.applied_table_version)
        : 0,
      sentAt: isSet(object.sentAt)
        ? fromJsonTimestamp(object.sentAt)
        : isSet(object.sent_at)
        ? fromJsonTimestamp(object.sent_at)
        : undefined,
      namespaceRequests: isObject(object.namespaceRequests)
        ? (globalThis.Object.entries(object.namespaceRequests) as [string, any][]).reduce(
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
        : isObject(object.namespace_requests)
        ? (globalThis.Object.entries(object.namespace_requests) as [string, any][]).reduce(
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
      configHash: isSet(object.configHash)
        ? globalThis.String(object.configHash)
        : isSet(object.config_hash)
        ? globalThis.String(object.config_hash)
        : "",
    };
  },

  toJSON(message: Heartbeat): unknown {
    const obj: any = {};
    if (message.proxyId !== "") {
      obj.proxyId = message.proxyId;
    }
    if (message.appliedTableVersion !== 0) {
      obj.appliedTableVersion = Math.round(message.appliedTableVersion);
    }
    if (message.sentAt !== undefined) {
      obj.sentAt = message.sentAt.toISOString();
    }
    if (message.namespaceRequests) {
      const entries = globalThis.Object.entries(message.namespaceRequests) as [string, number][];
      if (entries.length > 0) {
        obj.namespaceRequests = {};
        entries.forEach(([k, v]) => {
          obj.namespaceRequests[k] = Math.round(v);
        });
      }
    }
    if (message.configHash !== "") {
      obj.configHash = message.configHash;
    }
    return obj;
  },

  create(base?: DeepPartial<Heartbeat>): Heartbeat {
    return Heartbeat.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<Heartbeat>): Heartbeat {
    const message = createBaseHeartbeat();
    message.proxyId = object.proxyId ?? "";
    message.appliedTableVersion = object.appliedTableVersion ?? 0;
    message.sentAt = object.sentAt ?? undefined;
    message.namespaceRequests = (globalThis.Object.entries(object.namespaceRequests ?? {}) as [string, number][])
      .reduce((acc: { [key: string]: number }, [key, value]: [string, number]) => {
        if (value !== undefined) {
          acc[key] = globalThis.Number(value);
        }
        return acc;
      }, {});
    message.configHash = object.configHash ?? "";
    return message;
  },
};

function createBaseHeartbeat_NamespaceRequestsEntry(): Heartbeat_NamespaceRequestsEntry {
  return { key: "", value: 0 };
}

export const Heartbeat_NamespaceRequestsEntry: MessageFns<Heartbeat_NamespaceRequestsEntry> = {
  encode(message: Heartbeat_NamespaceRequestsEntry, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.key !== "") {
      writer.uint32(10).string(message.key);
    }
    if (message.value !== 0) {
      writer.uint32(16).uint64(message.value);
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): Heartbeat_NamespaceRequestsEntry {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseHeartbeat_NamespaceRequestsEntry();
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

            message.value = longToNumber(reader.uint64());
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

  fromJSON(object: any): Heartbeat_NamespaceRequestsEntry {
    return {
      key: isSet(object.key) ? globalThis.String(object.key) : "",
      value: isSet(object.value) ? globalThis.Number(object.value) : 0,
    };
  },

  toJSON(message: Heartbeat_NamespaceRequestsEntry): unknown {
    const obj: any = {};
    if (message.key !== "") {
      obj.key = message.key;
    }
    if (message.value !== 0) {
      obj.value = Math.round(message.value);
    }
    return obj;
  },

  create(base?: DeepPartial<Heartbeat_NamespaceRequestsEntry>): Heartbeat_NamespaceRequestsEntry {
    return Heartbeat_NamespaceRequestsEntry.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<Heartbeat_NamespaceRequestsEntry>): Heartbeat_NamespaceRequestsEntry {
    const message = createBaseHeartbeat_NamespaceRequestsEntry();
    message.key = object.key ?? "";
    message.value = object.value ?? 0;
    return message;
  },
};

function createBaseTableAck(): TableAck {
  return { version: 0, ok: false, error: "" };
}

export const TableAck: MessageFns<TableAck> = {
  encode(message: TableAck, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.version !== 0) {
      writer.uint32(8).uint64(message.version);
    }
    if (message.ok !== false) {
      writer.uint32(16).bool(message.ok);
    }
    if (message.error !== "") {
      writer.uint32(26).string(message.error);
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): TableAck {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseTableAck();
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

            message.ok = reader.bool();
            continue;
          }
          case 3: {
            if (tag !== 26) {
              break;
            }

            message.error = reader.string();
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

  fromJSON(object: any): TableAck {
    return {
      version: isSet(object.version) ? globalThis.Number(object.version) : 0,
      ok: isSet(object.ok) ? globalThis.Boolean(object.ok) : false,
      error: isSet(object.error) ? globalThis.String(object.error) : "",
    };
  },

  toJSON(message: TableAck): unknown {
    const obj: any = {};
    if (message.version !== 0) {
      obj.version = Math.round(message.version);
    }
    if (message.ok !== false) {
      obj.ok = message.ok;
    }
    if (message.error !== "") {
      obj.error = message.error;
    }
    return obj;
  },

  create(base?: DeepPartial<TableAck>): TableAck {
    return TableAck.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<TableAck>): TableAck {
    const message = createBaseTableAck();
    message.version = object.version ?? 0;
    message.ok = object.ok ?? false;
    message.error = object.error ?? "";
    return message;
  },
};

function createBaseRevocationList(): RevocationList {
  return { full: false, revocations: [] };
}

export const RevocationList: MessageFns<RevocationList> = {
  encode(message: RevocationList, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.full !== false) {
      writer.uint32(8).bool(message.full);
    }
    for (const v of message.revocations) {
      Revocation.encode(v!, writer.uint32(18).fork()).join();
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): RevocationList {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseRevocationList();
      while (reader.pos < end) {
        const tag = reader.uint32();
        switch (tag >>> 3) {
          case 1: {
            if (tag !== 8) {
              break;
            }

            message.full = reader.bool();
            continue;
          }
          case 2: {
            if (tag !== 18) {
              break;
            }

            message.revocations.push(Revocation.decode(reader, reader.uint32()));
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

  fromJSON(object: any): RevocationList {
    return {
      full: isSet(object.full) ? globalThis.Boolean(object.full) : false,
      revocations: globalThis.Array.isArray(object?.revocations)
        ? object.revocations.map((e: any) => Revocation.fromJSON(e))
        : [],
    };
  },

  toJSON(message: RevocationList): unknown {
    const obj: any = {};
    if (message.full !== false) {
      obj.full = message.full;
    }
    if (message.revocations?.length) {
      obj.revocations = message.revocations.map((e) => Revocation.toJSON(e));
    }
    return obj;
  },

  create(base?: DeepPartial<RevocationList>): RevocationList {
    return RevocationList.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<RevocationList>): RevocationList {
    const message = createBaseRevocationList();
    message.full = object.full ?? false;
    message.revocations = object.revocations?.map((e) => Revocation.fromPartial(e)) || [];
    return message;
  },
};

function createBasePrepare(): Prepare {
  return { round: 0, tableVersion: 0, partitions: [] };
}

export const Prepare: MessageFns<Prepare> = {
  encode(message: Prepare, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.round !== 0) {
      writer.uint32(8).uint64(message.round);
    }
    if (message.tableVersion !== 0) {
      writer.uint32(16).uint64(message.tableVersion);
    }
    if (message.partitions.length !== 0) {
      writer.uint32(26).fork();
      for (const v of message.partitions) {
        writer.uint32(v);
      }
      writer.join();
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): Prepare {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBasePrepare();
      while (reader.pos < end) {
        const tag = reader.uint32();
        switch (tag >>> 3) {
          case 1: {
            if (tag !== 8) {
              break;
            }

            message.round = longToNumber(reader.uint64());
            continue;
          }
          case 2: {
            if (tag !== 16) {
              break;
            }

            message.tableVersion = longToNumber(reader.uint64());
            continue;
          }
          case 3: {
            if (tag === 24) {
              message.partitions.push(reader.uint32());

              continue;
            }

            if (tag === 26) {
              const end2 = reader.uint32() + reader.pos;
              while (reader.pos < end2) {
                message.partitions.push(reader.uint32());
              }

              continue;
            }

            break;
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

  fromJSON(object: any): Prepare {
    return {
      round: isSet(object.round) ? globalThis.Number(object.round) : 0,
      tableVersion: isSet(object.tableVersion)
        ? globalThis.Number(object.tableVersion)
        : isSet(object.table_version)
        ? globalThis.Number(object.table_version)
        : 0,
      partitions: globalThis.Array.isArray(object?.partitions)
        ? object.partitions.map((e: any) => globalThis.Number(e))
        : [],
    };
  },

  toJSON(message: Prepare): unknown {
    const obj: any = {};
    if (message.round !== 0) {
      obj.round = Math.round(message.round);
    }
    if (message.tableVersion !== 0) {
      obj.tableVersion = Math.round(message.tableVersion);
    }
    if (message.partitions?.length) {
      obj.partitions = message.partitions.map((e) => Math.round(e));
    }
    return obj;
  },

  create(base?: DeepPartial<Prepare>): Prepare {
    return Prepare.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<Prepare>): Prepare {
    const message = createBasePrepare();
    message.round = object.round ?? 0;
    message.tableVersion = object.tableVersion ?? 0;
    message.partitions = object.partitions?.map((e) => e) || [];
    return message;
  },
};

function createBasePrepared(): Prepared {
  return { round: 0, ok: false, error: "", warmedBackends: 0 };
}

export const Prepared: MessageFns<Prepared> = {
  encode(message: Prepared, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.round !== 0) {
      writer.uint32(8).uint64(message.round);
    }
    if (message.ok !== false) {
      writer.uint32(16).bool(message.ok);
    }
    if (message.error !== "") {
      writer.uint32(26).string(message.error);
    }
    if (message.warmedBackends !== 0) {
      writer.uint32(32).uint32(message.warmedBackends);
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): Prepared {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBasePrepared();
      while (reader.pos < end) {
        const tag = reader.uint32();
        switch (tag >>> 3) {
          case 1: {
            if (tag !== 8) {
              break;
            }

            message.round = longToNumber(reader.uint64());
            continue;
          }
          case 2: {
            if (tag !== 16) {
              break;
            }

            message.ok = reader.bool();
            continue;
          }
          case 3: {
            if (tag !== 26) {
              break;
            }

            message.error = reader.string();
            continue;
          }
          case 4: {
            if (tag !== 32) {
              break;
            }

            message.warmedBackends = reader.uint32();
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

  fromJSON(object: any): Prepared {
    return {
      round: isSet(object.round) ? globalThis.Number(object.round) : 0,
      ok: isSet(object.ok) ? globalThis.Boolean(object.ok) : false,
      error: isSet(object.error) ? globalThis.String(object.error) : "",
      warmedBackends: isSet(object.warmedBackends)
        ? globalThis.Number(object.warmedBackends)
        : isSet(object.warmed_backends)
        ? globalThis.Number(object.warmed_backends)
        : 0,
    };
  },

  toJSON(message: Prepared): unknown {
    const obj: any = {};
    if (message.round !== 0) {
      obj.round = Math.round(message.round);
    }
    if (message.ok !== false) {
      obj.ok = message.ok;
    }
    if (message.error !== "") {
      obj.error = message.error;
    }
    if (message.warmedBackends !== 0) {
      obj.warmedBackends = Math.round(message.warmedBackends);
    }
    return obj;
  },

  create(base?: DeepPartial<Prepared>): Prepared {
    return Prepared.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<Prepared>): Prepared {
    const message = createBasePrepared();
    message.round = object.round ?? 0;
    message.ok = object.ok ?? false;
    message.error = object.error ?? "";
    message.warmedBackends = object.warmedBackends ?? 0;
    return message;
  },
};

/** Spoken by every proxy to an admin. */
export type ControlPlaneService = typeof ControlPlaneService;
export const ControlPlaneService = {
  /**
   * One long-lived stream per proxy: register first, then heartbeats and acks; the admin pushes tables,
   * advertisements and revocations.
   */
  connect: {
    path: "/prism.admin.v1.ControlPlane/Connect" as const,
    requestStream: true as const,
    responseStream: true as const,
    requestSerialize: (value: ProxyMessage): Buffer => Buffer.from(ProxyMessage.encode(value).finish()),
    requestDeserialize: (value: Buffer): ProxyMessage => ProxyMessage.decode(value),
    responseSerialize: (value: AdminMessage): Buffer => Buffer.from(AdminMessage.encode(value).finish()),
    responseDeserialize: (value: Buffer): AdminMessage => AdminMessage.decode(value),
  },
  /** The current table; proxies pull it every 30 s and whenever they see a version gap. */
  getPartitionTable: {
    path: "/prism.admin.v1.ControlPlane/GetPartitionTable" as const,
    requestStream: false as const,
    responseStream: false as const,
    requestSerialize: (value: GetPartitionTableRequest): Buffer =>
      Buffer.from(GetPartitionTableRequest.encode(value).finish()),
    requestDeserialize: (value: Buffer): GetPartitionTableRequest => GetPartitionTableRequest.decode(value),
    responseSerialize: (value: PartitionTable): Buffer => Buffer.from(PartitionTable.encode(value).finish()),
    responseDeserialize: (value: Buffer): PartitionTable => PartitionTable.decode(value),
  },
} as const;

export interface ControlPlaneServer extends UntypedServiceImplementation {
  /**
   * One long-lived stream per proxy: register first, then heartbeats and acks; the admin pushes tables,
   * advertisements and revocations.
   */
  connect: handleBidiStreamingCall<ProxyMessage, AdminMessage>;
  /** The current table; proxies pull it every 30 s and whenever they see a version gap. */
  getPartitionTable: handleUnaryCall<GetPartitionTableRequest, PartitionTable>;
}

export interface ControlPlaneClient extends Client {
  /**
   * One long-lived stream per proxy: register first, then heartbeats and acks; the admin pushes tables,
   * advertisements and revocations.
   */
  connect(): ClientDuplexStream<ProxyMessage, AdminMessage>;
  connect(options: Partial<CallOptions>): ClientDuplexStream<ProxyMessage, AdminMessage>;
  connect(metadata: Metadata, options?: Partial<CallOptions>): ClientDuplexStream<ProxyMessage, AdminMessage>;
  /** The current table; proxies pull it every 30 s and whenever they see a version gap. */
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
}

export const ControlPlaneClient = makeGenericClientConstructor(
  ControlPlaneService,
  "prism.admin.v1.ControlPlane",
) as unknown as {
  new (address: string, credentials: ChannelCredentials, options?: Partial<ClientOptions>): ControlPlaneClient;
  service: typeof ControlPlaneService;
  serviceName: string;
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
