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

export const protobufPackage = "prism.admin.v1";

export const protobufFileName = "prism/admin/v1/auth.proto";

/**
 * Operator credentials (admin HTTP/JSON port 8982, proto3 JSON mapping). Every operator API call is
 * made by a principal: a bearer token this admin signed, or an operator client certificate.
 */

/** Issue a token. */
export interface CreateTokenRequest {
  /** Principal name (sub), 1-63 of a-z 0-9 . - _; default: the caller's name. */
  name: string;
  /** viewer, operator or admin. */
  role: string;
  /** Lifetime; 0 means auth.defaultTokenTtlSeconds (86400), at most auth.maxTokenTtlSeconds. */
  ttlSeconds: number;
}

/** A new token: shown once, the admin keeps only its metadata. */
export interface CreateTokenResponse {
  /** The JWT for Authorization: Bearer. */
  token: string;
  /** Its id, for revocation. */
  jti: string;
  /** Principal name. */
  name: string;
  /** Role. */
  role: string;
  /** When it was made. */
  createdAt?:
    | Date
    | undefined;
  /** When it stops verifying. */
  expiresAt?:
    | Date
    | undefined;
  /** The principal that made it. */
  createdBy: string;
}

/** What the admin keeps of an issued token. */
export interface OperatorToken {
  /** Token id. */
  jti: string;
  /** Principal name. */
  name: string;
  /** Role. */
  role: string;
  /** When it was made. */
  createdAt?:
    | Date
    | undefined;
  /** When it stops verifying. */
  expiresAt?:
    | Date
    | undefined;
  /** The principal that made it (token:alice), or bootstrap. */
  createdBy: string;
  /** When it was revoked; unset while it is valid. */
  revokedAt?: Date | undefined;
}

/** List tokens. */
export interface ListTokensRequest {
}

/** Tokens that have not expired. */
export interface ListTokensResponse {
  /** Newest first. */
  tokens: OperatorToken[];
}

/** Revoke a token. */
export interface RevokeTokenRequest {
  /** The token's id (printed by prismctl auth token create, listed by prismctl auth token list). */
  jti: string;
}

/** Ask who you are. */
export interface WhoAmIRequest {
}

/** The verified caller. */
export interface WhoAmIResponse {
  /** As the audit log writes it: token:NAME, cert:NAME, or insecure:ADDRESS. */
  principal: string;
  /** Principal name. */
  name: string;
  /** Role. */
  role: string;
  /** token, certificate or insecure. */
  via: string;
  /** Token id, for tokens. */
  jti: string;
  /** Token expiry, for tokens. */
  expiresAt?: Date | undefined;
}

function createBaseCreateTokenRequest(): CreateTokenRequest {
  return { name: "", role: "", ttlSeconds: 0 };
}

export const CreateTokenRequest: MessageFns<CreateTokenRequest> = {
  encode(message: CreateTokenRequest, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.name !== "") {
      writer.uint32(10).string(message.name);
    }
    if (message.role !== "") {
      writer.uint32(18).string(message.role);
    }
    if (message.ttlSeconds !== 0) {
      writer.uint32(24).uint32(message.ttlSeconds);
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): CreateTokenRequest {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseCreateTokenRequest();
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

            message.role = reader.string();
            continue;
          }
          case 3: {
            if (tag !== 24) {
              break;
            }

            message.ttlSeconds = reader.uint32();
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

  fromJSON(object: any): CreateTokenRequest {
    return {
      name: isSet(object.name) ? globalThis.String(object.name) : "",
      role: isSet(object.role) ? globalThis.String(object.role) : "",
      ttlSeconds: isSet(object.ttlSeconds)
        ? globalThis.Number(object.ttlSeconds)
        : isSet(object.ttl_seconds)
        ? globalThis.Number(object.ttl_seconds)
        : 0,
    };
  },

  toJSON(message: CreateTokenRequest): unknown {
    const obj: any = {};
    if (message.name !== "") {
      obj.name = message.name;
    }
    if (message.role !== "") {
      obj.role = message.role;
    }
    if (message.ttlSeconds !== 0) {
      obj.ttlSeconds = Math.round(message.ttlSeconds);
    }
    return obj;
  },

  create(base?: DeepPartial<CreateTokenRequest>): CreateTokenRequest {
    return CreateTokenRequest.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<CreateTokenRequest>): CreateTokenRequest {
    const message = createBaseCreateTokenRequest();
    message.name = object.name ?? "";
    message.role = object.role ?? "";
    message.ttlSeconds = object.ttlSeconds ?? 0;
    return message;
  },
};

function createBaseCreateTokenResponse(): CreateTokenResponse {
  return { token: "", jti: "", name: "", role: "", createdAt: undefined, expiresAt: undefined, createdBy: "" };
}

export const CreateTokenResponse: MessageFns<CreateTokenResponse> = {
  encode(message: CreateTokenResponse, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.token !== "") {
      writer.uint32(10).string(message.token);
    }
    if (message.jti !== "") {
      writer.uint32(18).string(message.jti);
    }
    if (message.name !== "") {
      writer.uint32(26).string(message.name);
    }
    if (message.role !== "") {
      writer.uint32(34).string(message.role);
    }
    if (message.createdAt !== undefined) {
      Timestamp.encode(toTimestamp(message.createdAt), writer.uint32(42).fork()).join();
    }
    if (message.expiresAt !== undefined) {
      Timestamp.encode(toTimestamp(message.expiresAt), writer.uint32(50).fork()).join();
    }
    if (message.createdBy !== "") {
      writer.uint32(58).string(message.createdBy);
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): CreateTokenResponse {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseCreateTokenResponse();
      while (reader.pos < end) {
        const tag = reader.uint32();
        switch (tag >>> 3) {
          case 1: {
            if (tag !== 10) {
              break;
            }

            message.token = reader.string();
            continue;
          }
          case 2: {
            if (tag !== 18) {
              break;
            }

            message.jti = reader.string();
            continue;
          }
          case 3: {
            if (tag !== 26) {
              break;
            }

            message.name = reader.string();
            continue;
          }
          case 4: {
            if (tag !== 34) {
              break;
            }

            message.role = reader.string();
            continue;
          }
          case 5: {
            if (tag !== 42) {
              break;
            }

            message.createdAt = fromTimestamp(Timestamp.decode(reader, reader.uint32()));
            continue;
          }
          case 6: {
            if (tag !== 50) {
              break;
            }

            message.expiresAt = fromTimestamp(Timestamp.decode(reader, reader.uint32()));
            continue;
          }
          case 7: {
            if (tag !== 58) {
              break;
            }

            message.createdBy = reader.string();
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

  fromJSON(object: any): CreateTokenResponse {
    return {
      token: isSet(object.token) ? globalThis.String(object.token) : "",
      jti: isSet(object.jti) ? globalThis.String(object.jti) : "",
      name: isSet(object.name) ? globalThis.String(object.name) : "",
      role: isSet(object.role) ? globalThis.String(object.role) : "",
      createdAt: isSet(object.createdAt)
        ? fromJsonTimestamp(object.createdAt)
        : isSet(object.created_at)
        ? fromJsonTimestamp(object.created_at)
        : undefined,
      expiresAt: isSet(object.expiresAt)
        ? fromJsonTimestamp(object.expiresAt)
        : isSet(object.expires_at)
        ? fromJsonTimestamp(object.expires_at)
        : undefined,
      createdBy: isSet(object.createdBy)
        ? globalThis.String(object.createdBy)
        : isSet(object.created_by)
        ? globalThis.String(object.created_by)
        : "",
    };
  },

  toJSON(message: CreateTokenResponse): unknown {
    const obj: any = {};
    if (message.token !== "") {
      obj.token = message.token;
    }
    if (message.jti !== "") {
      obj.jti = message.jti;
    }
    if (message.name !== "") {
      obj.name = message.name;
    }
    if (message.role !== "") {
      obj.role = message.role;
    }
    if (message.createdAt !== undefined) {
      obj.createdAt = message.createdAt.toISOString();
    }
    if (message.expiresAt !== undefined) {
      obj.expiresAt = message.expiresAt.toISOString();
    }
    if (message.createdBy !== "") {
      obj.createdBy = message.createdBy;
    }
    return obj;
  },

  create(base?: DeepPartial<CreateTokenResponse>): CreateTokenResponse {
    return CreateTokenResponse.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<CreateTokenResponse>): CreateTokenResponse {
    const message = createBaseCreateTokenResponse();
    message.token = object.token ?? "";
    message.jti = object.jti ?? "";
    message.name = object.name ?? "";
    message.role = object.role ?? "";
    message.createdAt = object.createdAt ?? undefined;
    message.expiresAt = object.expiresAt ?? undefined;
    message.createdBy = object.createdBy ?? "";
    return message;
  },
};

function createBaseOperatorToken(): OperatorToken {
  return {
    jti: "",
    name: "",
    role: "",
    createdAt: undefined,
    expiresAt: undefined,
    createdBy: "",
    revokedAt: undefined,
  };
}

export const OperatorToken: MessageFns<OperatorToken> = {
  encode(message: OperatorToken, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.jti !== "") {
      writer.uint32(10).string(message.jti);
    }
    if (message.name !== "") {
      writer.uint32(18).string(message.name);
    }
    if (message.role !== "") {
      writer.uint32(26).string(message.role);
    }
    if (message.createdAt !== undefined) {
      Timestamp.encode(toTimestamp(message.createdAt), writer.uint32(34).fork()).join();
    }
    if (message.expiresAt !== undefined) {
      Timestamp.encode(toTimestamp(message.expiresAt), writer.uint32(42).fork()).join();
    }
    if (message.createdBy !== "") {
      writer.uint32(50).string(message.createdBy);
    }
    if (message.revokedAt !== undefined) {
      Timestamp.encode(toTimestamp(message.revokedAt), writer.uint32(58).fork()).join();
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): OperatorToken {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseOperatorToken();
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

            message.name = reader.string();
            continue;
          }
          case 3: {
            if (tag !== 26) {
              break;
            }

            message.role = reader.string();
            continue;
          }
          case 4: {
            if (tag !== 34) {
              break;
            }

            message.createdAt = fromTimestamp(Timestamp.decode(reader, reader.uint32()));
            continue;
          }
          case 5: {
            if (tag !== 42) {
              break;
            }

            message.expiresAt = fromTimestamp(Timestamp.decode(reader, reader.uint32()));
            continue;
          }
          case 6: {
            if (tag !== 50) {
              break;
            }

            message.createdBy = reader.string();
            continue;
          }
          case 7: {
            if (tag !== 58) {
              break;
            }

            message.revokedAt = fromTimestamp(Timestamp.decode(reader, reader.uint32()));
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

  fromJSON(object: any): OperatorToken {
    return {
      jti: isSet(object.jti) ? globalThis.String(object.jti) : "",
      name: isSet(object.name) ? globalThis.String(object.name) : "",
      role: isSet(object.role) ? globalThis.String(object.role) : "",
      createdAt: isSet(object.createdAt)
        ? fromJsonTimestamp(object.createdAt)
        : isSet(object.created_at)
        ? fromJsonTimestamp(object.created_at)
        : undefined,
      expiresAt: isSet(object.expiresAt)
        ? fromJsonTimestamp(object.expiresAt)
        : isSet(object.expires_at)
        ? fromJsonTimestamp(object.expires_at)
        : undefined,
      createdBy: isSet(object.createdBy)
        ? globalThis.String(object.createdBy)
        : isSet(object.created_by)
        ? globalThis.String(object.created_by)
        : "",
      revokedAt: isSet(object.revokedAt)
        ? fromJsonTimestamp(object.revokedAt)
        : isSet(object.revoked_at)
        ? fromJsonTimestamp(object.revoked_at)
        : undefined,
    };
  },

  toJSON(message: OperatorToken): unknown {
    const obj: any = {};
    if (message.jti !== "") {
      obj.jti = message.jti;
    }
    if (message.name !== "") {
      obj.name = message.name;
    }
    if (message.role !== "") {
      obj.role = message.role;
    }
    if (message.createdAt !== undefined) {
      obj.createdAt = message.createdAt.toISOString();
    }
    if (message.expiresAt !== undefined) {
      obj.expiresAt = message.expiresAt.toISOString();
    }
    if (message.createdBy !== "") {
      obj.createdBy = message.createdBy;
    }
    if (message.revokedAt !== undefined) {
      obj.revokedAt = message.revokedAt.toISOString();
    }
    return obj;
  },

  create(base?: DeepPartial<OperatorToken>): OperatorToken {
    return OperatorToken.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<OperatorToken>): OperatorToken {
    const message = createBaseOperatorToken();
    message.jti = object.jti ?? "";
    message.name = object.name ?? "";
    message.role = object.role ?? "";
    message.createdAt = object.createdAt ?? undefined;
    message.expiresAt = object.expiresAt ?? undefined;
    message.createdBy = object.createdBy ?? "";
    message.revokedAt = object.revokedAt ?? undefined;
    return message;
  },
};

function createBaseListTokensRequest(): ListTokensRequest {
  return {};
}

export const ListTokensRequest: MessageFns<ListTokensRequest> = {
  encode(_: ListTokensRequest, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): ListTokensRequest {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseListTokensRequest();
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

  fromJSON(_: any): ListTokensRequest {
    return {};
  },

  toJSON(_: ListTokensRequest): unknown {
    const obj: any = {};
    return obj;
  },

  create(base?: DeepPartial<ListTokensRequest>): ListTokensRequest {
    return ListTokensRequest.fromPartial(base ?? {});
  },
  fromPartial(_: DeepPartial<ListTokensRequest>): ListTokensRequest {
    const message = createBaseListTokensRequest();
    return message;
  },
};

function createBaseListTokensResponse(): ListTokensResponse {
  return { tokens: [] };
}

export const ListTokensResponse: MessageFns<ListTokensResponse> = {
  encode(message: ListTokensResponse, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    for (const v of message.tokens) {
      OperatorToken.encode(v!, writer.uint32(10).fork()).join();
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): ListTokensResponse {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseListTokensResponse();
      while (reader.pos < end) {
        const tag = reader.uint32();
        switch (tag >>> 3) {
          case 1: {
            if (tag !== 10) {
              break;
            }

            message.tokens.push(OperatorToken.decode(reader, reader.uint32()));
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

  fromJSON(object: any): ListTokensResponse {
    return {
      tokens: globalThis.Array.isArray(object?.tokens) ? object.tokens.map((e: any) => OperatorToken.fromJSON(e)) : [],
    };
  },

  toJSON(message: ListTokensResponse): unknown {
    const obj: any = {};
    if (message.tokens?.length) {
      obj.tokens = message.tokens.map((e) => OperatorToken.toJSON(e));
    }
    return obj;
  },

  create(base?: DeepPartial<ListTokensResponse>): ListTokensResponse {
    return ListTokensResponse.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<ListTokensResponse>): ListTokensResponse {
    const message = createBaseListTokensResponse();
    message.tokens = object.tokens?.map((e) => OperatorToken.fromPartial(e)) || [];
    return message;
  },
};

function createBaseRevokeTokenRequest(): RevokeTokenRequest {
  return { jti: "" };
}

export const RevokeTokenRequest: MessageFns<RevokeTokenRequest> = {
  encode(message: RevokeTokenRequest, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.jti !== "") {
      writer.uint32(10).string(message.jti);
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): RevokeTokenRequest {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseRevokeTokenRequest();
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

  fromJSON(object: any): RevokeTokenRequest {
    return { jti: isSet(object.jti) ? globalThis.String(object.jti) : "" };
  },

  toJSON(message: RevokeTokenRequest): unknown {
    const obj: any = {};
    if (message.jti !== "") {
      obj.jti = message.jti;
    }
    return obj;
  },

  create(base?: DeepPartial<RevokeTokenRequest>): RevokeTokenRequest {
    return RevokeTokenRequest.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<RevokeTokenRequest>): RevokeTokenRequest {
    const message = createBaseRevokeTokenRequest();
    message.jti = object.jti ?? "";
    return message;
  },
};

function createBaseWhoAmIRequest(): WhoAmIRequest {
  return {};
}

export const WhoAmIRequest: MessageFns<WhoAmIRequest> = {
  encode(_: WhoAmIRequest, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): WhoAmIRequest {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseWhoAmIRequest();
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

  fromJSON(_: any): WhoAmIRequest {
    return {};
  },

  toJSON(_: WhoAmIRequest): unknown {
    const obj: any = {};
    return obj;
  },

  create(base?: DeepPartial<WhoAmIRequest>): WhoAmIRequest {
    return WhoAmIRequest.fromPartial(base ?? {});
  },
  fromPartial(_: DeepPartial<WhoAmIRequest>): WhoAmIRequest {
    const message = createBaseWhoAmIRequest();
    return message;
  },
};

function createBaseWhoAmIResponse(): WhoAmIResponse {
  return { principal: "", name: "", role: "", via: "", jti: "", expiresAt: undefined };
}

export const WhoAmIResponse: MessageFns<WhoAmIResponse> = {
  encode(message: WhoAmIResponse, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (message.principal !== "") {
      writer.uint32(10).string(message.principal);
    }
    if (message.name !== "") {
      writer.uint32(18).string(message.name);
    }
    if (message.role !== "") {
      writer.uint32(26).string(message.role);
    }
    if (message.via !== "") {
      writer.uint32(34).string(message.via);
    }
    if (message.jti !== "") {
      writer.uint32(42).string(message.jti);
    }
    if (message.expiresAt !== undefined) {
      Timestamp.encode(toTimestamp(message.expiresAt), writer.uint32(50).fork()).join();
    }
    return writer;
  },

  decode(input: BinaryReader | Uint8Array, length?: number): WhoAmIResponse {
    const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
    const previousRecursionDepth = (reader as any).__tsProtoDecodeDepth ?? 0;
    if (previousRecursionDepth >= 100) {
      throw new globalThis.Error("protobuf decode recursion limit exceeded");
    }
    (reader as any).__tsProtoDecodeDepth = previousRecursionDepth + 1;
    try {
      const end = length === undefined ? reader.len : reader.pos + length;
      const message = createBaseWhoAmIResponse();
      while (reader.pos < end) {
        const tag = reader.uint32();
        switch (tag >>> 3) {
          case 1: {
            if (tag !== 10) {
              break;
            }

            message.principal = reader.string();
            continue;
          }
          case 2: {
            if (tag !== 18) {
              break;
            }

            message.name = reader.string();
            continue;
          }
          case 3: {
            if (tag !== 26) {
              break;
            }

            message.role = reader.string();
            continue;
          }
          case 4: {
            if (tag !== 34) {
              break;
            }

            message.via = reader.string();
            continue;
          }
          case 5: {
            if (tag !== 42) {
              break;
            }

            message.jti = reader.string();
            continue;
          }
          case 6: {
            if (tag !== 50) {
              break;
            }

            message.expiresAt = fromTimestamp(Timestamp.decode(reader, reader.uint32()));
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

  fromJSON(object: any): WhoAmIResponse {
    return {
      principal: isSet(object.principal) ? globalThis.String(object.principal) : "",
      name: isSet(object.name) ? globalThis.String(object.name) : "",
      role: isSet(object.role) ? globalThis.String(object.role) : "",
      via: isSet(object.via) ? globalThis.String(object.via) : "",
      jti: isSet(object.jti) ? globalThis.String(object.jti) : "",
      expiresAt: isSet(object.expiresAt)
        ? fromJsonTimestamp(object.expiresAt)
        : isSet(object.expires_at)
        ? fromJsonTimestamp(object.expires_at)
        : undefined,
    };
  },

  toJSON(message: WhoAmIResponse): unknown {
    const obj: any = {};
    if (message.principal !== "") {
      obj.principal = message.principal;
    }
    if (message.name !== "") {
      obj.name = message.name;
    }
    if (message.role !== "") {
      obj.role = message.role;
    }
    if (message.via !== "") {
      obj.via = message.via;
    }
    if (message.jti !== "") {
      obj.jti = message.jti;
    }
    if (message.expiresAt !== undefined) {
      obj.expiresAt = message.expiresAt.toISOString();
    }
    return obj;
  },

  create(base?: DeepPartial<WhoAmIResponse>): WhoAmIResponse {
    return WhoAmIResponse.fromPartial(base ?? {});
  },
  fromPartial(object: DeepPartial<WhoAmIResponse>): WhoAmIResponse {
    const message = createBaseWhoAmIResponse();
    message.principal = object.principal ?? "";
    message.name = object.name ?? "";
    message.role = object.role ?? "";
    message.via = object.via ?? "";
    message.jti = object.jti ?? "";
    message.expiresAt = object.expiresAt ?? undefined;
    return message;
  },
};

/** Tokens for the operator API and who is calling. */
export type OperatorAuthService = typeof OperatorAuthService;
export const OperatorAuthService = {
  /** POST /v1/auth/tokens (role admin): a new bearer token. */
  createToken: {
    path: "/prism.admin.v1.OperatorAuth/CreateToken" as const,
    requestStream: false as const,
    responseStream: false as const,
    requestSerialize: (value: CreateTokenRequest): Buffer => Buffer.from(CreateTokenRequest.encode(value).finish()),
    requestDeserialize: (value: Buffer): CreateTokenRequest => CreateTokenRequest.decode(value),
    responseSerialize: (value: CreateTokenResponse): Buffer => Buffer.from(CreateTokenResponse.encode(value).finish()),
    responseDeserialize: (value: Buffer): CreateTokenResponse => CreateTokenResponse.decode(value),
  },
  /** GET /v1/auth/tokens (role admin): the tokens that have not expired, newest first. */
  listTokens: {
    path: "/prism.admin.v1.OperatorAuth/ListTokens" as const,
    requestStream: false as const,
    responseStream: false as const,
    requestSerialize: (value: ListTokensRequest): Buffer => Buffer.from(ListTokensRequest.encode(value).finish()),
    requestDeserialize: (value: Buffer): ListTokensRequest => ListTokensRequest.decode(value),
    responseSerialize: (value: ListTokensResponse): Buffer => Buffer.from(ListTokensResponse.encode(value).finish()),
    responseDeserialize: (value: Buffer): ListTokensResponse => ListTokensResponse.decode(value),
  },
  /** POST /v1/auth/tokens:revoke (role admin): refuse a token from now on. */
  revokeToken: {
    path: "/prism.admin.v1.OperatorAuth/RevokeToken" as const,
    requestStream: false as const,
    responseStream: false as const,
    requestSerialize: (value: RevokeTokenRequest): Buffer => Buffer.from(RevokeTokenRequest.encode(value).finish()),
    requestDeserialize: (value: Buffer): RevokeTokenRequest => RevokeTokenRequest.decode(value),
    responseSerialize: (value: OperatorToken): Buffer => Buffer.from(OperatorToken.encode(value).finish()),
    responseDeserialize: (value: Buffer): OperatorToken => OperatorToken.decode(value),
  },
  /** GET /v1/auth/whoami (any role): the principal the admin sees. */
  whoAmI: {
    path: "/prism.admin.v1.OperatorAuth/WhoAmI" as const,
    requestStream: false as const,
    responseStream: false as const,
    requestSerialize: (value: WhoAmIRequest): Buffer => Buffer.from(WhoAmIRequest.encode(value).finish()),
    requestDeserialize: (value: Buffer): WhoAmIRequest => WhoAmIRequest.decode(value),
    responseSerialize: (value: WhoAmIResponse): Buffer => Buffer.from(WhoAmIResponse.encode(value).finish()),
    responseDeserialize: (value: Buffer): WhoAmIResponse => WhoAmIResponse.decode(value),
  },
} as const;

export interface OperatorAuthServer extends UntypedServiceImplementation {
  /** POST /v1/auth/tokens (role admin): a new bearer token. */
  createToken: handleUnaryCall<CreateTokenRequest, CreateTokenResponse>;
  /** GET /v1/auth/tokens (role admin): the tokens that have not expired, newest first. */
  listTokens: handleUnaryCall<ListTokensRequest, ListTokensResponse>;
  /** POST /v1/auth/tokens:revoke (role admin): refuse a token from now on. */
  revokeToken: handleUnaryCall<RevokeTokenRequest, OperatorToken>;
  /** GET /v1/auth/whoami (any role): the principal the admin sees. */
  whoAmI: handleUnaryCall<WhoAmIRequest, WhoAmIResponse>;
}

export interface OperatorAuthClient extends Client {
  /** POST /v1/auth/tokens (role admin): a new bearer token. */
  createToken(
    request: CreateTokenRequest,
    callback: (error: ServiceError | null, response: CreateTokenResponse) => void,
  ): ClientUnaryCall;
  createToken(
    request: CreateTokenRequest,
    metadata: Metadata,
    callback: (error: ServiceError | null, response: CreateTokenResponse) => void,
  ): ClientUnaryCall;
  createToken(
    request: CreateTokenRequest,
    metadata: Metadata,
    options: Partial<CallOptions>,
    callback: (error: ServiceError | null, response: CreateTokenResponse) => void,
  ): ClientUnaryCall;
  /** GET /v1/auth/tokens (role admin): the tokens that have not expired, newest first. */
  listTokens(
    request: ListTokensRequest,
    callback: (error: ServiceError | null, response: ListTokensResponse) => void,
  ): ClientUnaryCall;
  listTokens(
    request: ListTokensRequest,
    metadata: Metadata,
    callback: (error: ServiceError | null, response: ListTokensResponse) => void,
  ): ClientUnaryCall;
  listTokens(
    request: ListTokensRequest,
    metadata: Metadata,
    options: Partial<CallOptions>,
    callback: (error: ServiceError | null, response: ListTokensResponse) => void,
  ): ClientUnaryCall;
  /** POST /v1/auth/tokens:revoke (role admin): refuse a token from now on. */
  revokeToken(
    request: RevokeTokenRequest,
    callback: (error: ServiceError | null, response: OperatorToken) => void,
  ): ClientUnaryCall;
  revokeToken(
    request: RevokeTokenRequest,
    metadata: Metadata,
    callback: (error: ServiceError | null, response: OperatorToken) => void,
  ): ClientUnaryCall;
  revokeToken(
    request: RevokeTokenRequest,
    metadata: Metadata,
    options: Partial<CallOptions>,
    callback: (error: ServiceError | null, response: OperatorToken) => void,
  ): ClientUnaryCall;
  /** GET /v1/auth/whoami (any role): the principal the admin sees. */
  whoAmI(
    request: WhoAmIRequest,
    callback: (error: ServiceError | null, response: WhoAmIResponse) => void,
  ): ClientUnaryCall;
  whoAmI(
    request: WhoAmIRequest,
    metadata: Metadata,
    callback: (error: ServiceError | null, response: WhoAmIResponse) => void,
  ): ClientUnaryCall;
  whoAmI(
    request: WhoAmIRequest,
    metadata: Metadata,
    options: Partial<CallOptions>,
    callback: (error: ServiceError | null, response: WhoAmIResponse) => void,
  ): ClientUnaryCall;
}

export const OperatorAuthClient = makeGenericClientConstructor(
  OperatorAuthService,
  "prism.admin.v1.OperatorAuth",
) as unknown as {
  new (address: string, credentials: ChannelCredentials, options?: Partial<ClientOptions>): OperatorAuthClient;
  service: typeof OperatorAuthService;
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
