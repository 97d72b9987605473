import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { PROXY_ID_PATTERN } from '../../core/src/names.js';
import { AdminMessage, ControlPlaneClient } from '../../proto/gen/prism/admin/v1/control_plane.js';
import type { Finding } from './findings.js';
import { httpArbitraries } from './http1.js';
import type { FuzzInput } from './targets.js';

/**
 * Random and mutated `ProxyMessage`s on the control stream (`ControlPlane.Connect`), encoded by a
 * small protobuf writer rather than ts-proto so that what ts-proto would refuse to write goes out
 * too: uint64 values past 2^53, 10-byte varints in uint32 fields, wrong wire types, both oneof
 * members at once, unknown fields, truncated and bit-flipped encodings.
 */
class Writer {
  private readonly parts: Buffer[] = [];
  varint(value: bigint): this {
    const bytes: number[] = [];
    let v = BigInt.asUintN(64, value);
    while (v >= 0x80n) {
      bytes.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    bytes.push(Number(v));
    this.parts.push(Buffer.from(bytes));
    return this;
  }
  tag(field: number, wire: number): this {
    return this.varint(BigInt((field << 3) | wire));
  }
  uint(field: number, value: bigint): this {
    return this.tag(field, 0).varint(value);
  }
  raw(field: number, data: Uint8Array): this {
    this.tag(field, 2).varint(BigInt(data.length));
    this.parts.push(Buffer.from(data));
    return this;
  }
  string(field: number, s: string): this {
    return this.raw(field, Buffer.from(s, 'utf8'));
  }
  message(field: number, w: Writer): this {
    return this.raw(field, w.done());
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

export type Msg =
  | {
      k: 'register';
      proxyId: string;
      address: string;
      dataPort: bigint;
      opsPort: bigint;
      weight: bigint;
      known: bigint;
      software: string;
      /** proxy_id sent as a varint instead of a string. */
      wrongWire: boolean;
    }
  | {
      k: 'heartbeat';
      proxyId: string;
      applied: bigint;
      seconds: bigint;
      nanos: bigint;
      entries: [string, bigint][];
      many: number;
    }
  | { k: 'ack'; version: bigint; ok: bigint; error: string }
  | { k: 'empty' }
  | { k: 'both' }
  | { k: 'unknown-field'; field: number }
  | { k: 'raw'; bytes: number[] }
  | { k: 'huge'; size: number };

export interface GrpcCase {
  messages: (Msg | { k: 'mutated'; base: Msg; flips: [number, number][]; cut: number | null })[];
  end: 'end' | 'cancel';
}

function register(m: Extract<Msg, { k: 'register' }>): Writer {
  const w = new Writer();
  if (m.wrongWire) w.uint(1, 7n);
  else w.string(1, m.proxyId);
  return w
    .string(2, m.address)
    .uint(3, m.dataPort)
    .uint(4, m.opsPort)
    .uint(5, m.weight)
    .uint(6, m.known)
    .string(7, m.software);
}

function encode(m: Msg): Buffer {
  switch (m.k) {
    case 'register':
      return new Writer().message(1, register(m)).done();
    case 'heartbeat': {
      const hb = new Writer().string(1, m.proxyId).uint(2, m.applied);
      hb.message(3, new Writer().uint(1, m.seconds).uint(2, m.nanos));
      const entries: [string, bigint][] = [
        ...m.entries,
        ...Array.from({ length: m.many }, (_, i) => [`ns-${i}`, 1n] as [string, bigint]),
      ];
      for (const [key, value] of entries) hb.message(4, new Writer().string(1, key).uint(2, value));
      return new Writer().message(2, hb).done();
    }
    case 'ack':
      return new Writer().message(3, new Writer().uint(1, m.version).uint(2, m.ok).string(3, m.error)).done();
    case 'empty':
      return Buffer.alloc(0);
    case 'both':
      return new Writer()
        .message(1, new Writer().string(1, 'both-a').uint(3, 80n).uint(4, 81n))
        .message(2, new Writer().string(1, 'both-a'))
        .done();
    case 'unknown-field':
      return new Writer()
        .uint(m.field, 1n)
        .raw(m.field + 1, Buffer.from([1, 2, 3]))
        .done();
    case 'raw':
      return Buffer.from(m.bytes);
    case 'huge':
      return new Writer().message(1, new Writer().string(7, 'h'.repeat(m.size))).done();
  }
}

export function grpcInput(c: GrpcCase): FuzzInput {
  const chunks = c.messages.map((m) => {
    if (m.k !== 'mutated') return encode(m);
    let b = Buffer.from(encode(m.base));
    for (const [at, xor] of m.flips) if (b.length) b[Math.min(b.length - 1, Math.floor(at * b.length))] ^= xor;
    if (m.cut !== null) b = b.subarray(0, Math.floor(m.cut * b.length));
    return b;
  });
  return { chunks, end: c.end };
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

const { frac } = httpArbitraries;
const U64_MAX = 2n ** 64n - 1n;
const uint64 = fc.oneof(
  fc.constantFrom(0n, 1n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n + 1n, 2n ** 63n, U64_MAX),
  fc.bigInt({ min: 0n, max: U64_MAX }),
);
const port = fc.oneof(
  fc.constantFrom(0n, 1n, 8980n, 65_535n, 65_536n, 2n ** 32n - 1n, U64_MAX),
  fc.bigInt({ min: 0n, max: 70_000n }),
);
const proxyId = fc.oneof(
  // The client certificate names fuzz-grpc: with mTLS only that id can register.
  { weight: 3, arbitrary: fc.constant('fuzz-grpc') },
  { weight: 2, arbitrary: fc.stringMatching(PROXY_ID_PATTERN) },
  fc.constantFrom('fuzz-proxy', '', 'UPPER', 'a\0b', '../x', 'x'.repeat(100_000)),
  fc.string({ maxLength: 10 }),
);
const text = fc.oneof(
  fc.string({ maxLength: 16 }),
  fc.constantFrom('', '::1', 'evil\nhost', '127.0.0.1', 'h'.repeat(5_000)),
);

const msg: fc.Arbitrary<Msg> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      k: fc.constant('register' as const),
      proxyId,
      address: text,
      dataPort: port,
      opsPort: port,
      weight: fc.oneof(fc.constantFrom(0n, 1n, 256n, 257n), uint64),
      known: uint64,
      software: text,
      wrongWire: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('heartbeat' as const),
      proxyId,
      applied: uint64,
      seconds: fc.oneof(fc.constantFrom(0n, -1n, 2n ** 62n, U64_MAX), fc.bigInt({ min: 0n, max: 2n ** 40n })),
      nanos: fc.oneof(fc.constantFrom(0n, 999_999_999n, 1_000_000_000n, -1n), fc.bigInt({ min: 0n, max: 2n ** 32n })),
      entries: fc.array(
        fc.tuple(fc.oneof(fc.string({ maxLength: 70 }), fc.constantFrom('fuzz-a', '__proto__', 'constructor')), uint64),
        {
          maxLength: 4,
        },
      ),
      many: fc.constantFrom(0, 0, 0, 5_000),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('ack' as const),
      version: uint64,
      ok: fc.constantFrom(0n, 1n, 2n, U64_MAX),
      error: text,
    }),
  },
  fc.constant({ k: 'empty' as const }),
  fc.constant({ k: 'both' as const }),
  fc.record({ k: fc.constant('unknown-field' as const), field: fc.integer({ min: 4, max: 536_870_000 }) }),
  {
    weight: 2,
    arbitrary: fc.record({ k: fc.constant('raw' as const), bytes: fc.array(fc.nat(255), { maxLength: 48 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ k: fc.constant('huge' as const), size: fc.constantFrom(70_000, 70_000, 4_200_000) }),
  },
);

export const grpcCase = (): fc.Arbitrary<GrpcCase> =>
  fc.record({
    messages: fc.array(
      fc.oneof(
        { weight: 4, arbitrary: msg },
        {
          weight: 1,
          arbitrary: fc.record({
            k: fc.constant('mutated' as const),
            base: msg,
            flips: fc.array(fc.tuple(frac, fc.integer({ min: 1, max: 255 })), { maxLength: 3 }),
            cut: fc.option(frac),
          }),
        },
      ),
      { maxLength: 5 },
    ),
    end: fc.constantFrom<'end' | 'cancel'>('end', 'end', 'end', 'cancel'),
  });

// ---------------------------------------------------------------------------------------------
// Running a case

const CONNECT = '/prism.admin.v1.ControlPlane/Connect';
const STATUS_WAIT_MS = 3_000;
const identity = (b: Buffer) => b;

const clients = new Map<string, ControlPlaneClient>();
const rawClients = new Map<string, grpc.Client>();

/** The admin still answers a well-formed unary call on its gRPC port. */
async function answersUnary(address: string, credentials: grpc.ChannelCredentials): Promise<string | undefined> {
  let client = clients.get(address);
  if (!client) {
    client = new ControlPlaneClient(address, credentials);
    clients.set(address, client);
  }
  const c = client;
  return new Promise((resolve) => {
    c.getPartitionTable({ afterVersion: 0 }, new grpc.Metadata(), { deadline: Date.now() + STATUS_WAIT_MS }, (err) =>
      resolve(err ? `${grpc.status[err.code]}: ${err.details}` : undefined),
    );
  });
}

export function closeGrpcClients(): void {
  for (const c of [...clients.values(), ...rawClients.values()]) c.close();
  clients.clear();
  rawClients.clear();
}

export interface StreamResult {
  /** undefined: no status within the wait. */
  status?: grpc.StatusObject;
  /** The admin answered Register. */
  registered: boolean;
  /** Messages from the admin that are not AdminMessages. */
  undecodable: string[];
}

/**
 * Opens a control stream with a raw client (identity serializers), writes `chunks` as messages, then
 * half-closes (or cancels) it and waits for the status.
 */
export async function controlStream(
  address: string,
  chunks: Buffer[],
  credentials: grpc.ChannelCredentials,
  end: 'end' | 'cancel' = 'end',
): Promise<StreamResult> {
  // One channel per admin for every stream: a channel per stream is slow, and grpc-js keeps a closed
  // channel whose last call was cancelled until its server goes away.
  let client = rawClients.get(address);
  if (!client) {
    client = new grpc.Client(address, credentials);
    rawClients.set(address, client);
  }
  const call = client.makeBidiStreamRequest(CONNECT, identity, identity);
  const result: StreamResult = { registered: false, undecodable: [] };
  call.on('data', (b: Buffer) => {
    try {
      if (AdminMessage.decode(b).registered) result.registered = true;
    } catch {
      result.undecodable.push(b.toString('hex').slice(0, 100));
    }
  });
  call.on('error', () => undefined);
  const status = new Promise<grpc.StatusObject | undefined>((resolve) => {
    const timer = setTimeout(() => resolve(undefined), STATUS_WAIT_MS);
    call.on('status', (s: grpc.StatusObject) => {
      clearTimeout(timer);
      resolve(s);
    });
  });
  for (const chunk of chunks) call.write(chunk);
  if (end === 'cancel') call.cancel();
  else call.end();
  result.status = await status;
  return result;
}

/**
 * One case: the admin owes a status after a half-close whatever came before (a stream that
 * registered ends OK, anything else with a coded error), and still answers a unary call afterwards.
 */
export async function runGrpcCase(
  address: string,
  input: FuzzInput,
  credentials: grpc.ChannelCredentials,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  const end = input.end ?? 'end';
  const r = await controlStream(address, input.chunks, credentials, end);
  for (const hex of r.undecodable)
    findings.push({ property: 'answers are well-formed protobuf', signature: 'undecodable AdminMessage', detail: hex });
  const s = r.status;
  if (!s) {
    findings.push({
      property: 'the admin answers with a gRPC status',
      signature: `no status after ${end}`,
      detail: `no status within ${STATUS_WAIT_MS} ms of the client's ${end}${r.registered ? ' (registered)' : ''}`,
    });
  } else if (end === 'end' && s.code !== grpc.status.OK && s.code !== grpc.status.RESOURCE_EXHAUSTED) {
    // RESOURCE_EXHAUSTED is grpc-js's own answer to a message over its size limit, before the admin sees it.
    const code = s.metadata.get('prism-error-code')[0];
    if (!code || code === 'PRISM-STORE-001') {
      findings.push({
        property: 'gRPC errors for client input are coded',
        signature: `${grpc.status[s.code]} ${code ?? ''} ${s.details.replace(/\d+/g, 'N').slice(0, 60)}`.replace(
          '  ',
          ' ',
        ),
        detail: `${grpc.status[s.code]}: ${s.details.slice(0, 300)}`,
      });
    }
  }
  const unary = await answersUnary(address, credentials);
  if (unary && !unary.includes('PRISM-TABLE-004')) {
    findings.push({
      property: 'the admin keeps serving gRPC',
      signature: `GetPartitionTable ${unary.split(':')[0]}`,
      detail: unary,
    });
  }
  return findings;
}
