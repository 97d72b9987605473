import { PrismError } from '../../core/src/errors.js';

/**
 * The key layout of the etcd store, relative to its prefix (etcd.prefix, default /prism/). Every
 * value is JSON `{"v": 1, "value": ...}`; docs/etcd.md shows the layout with examples.
 */
export const SCHEMA_VERSION = 1;

/** Sixteen digits hold every millisecond time until the year 318857. */
const pad = (n: number, width = 16) => String(Math.max(0, Math.trunc(n))).padStart(width, '0');
/** Audit keys count down from here: 15 digits of milliseconds last until the year 33658. */
const TIME_MAX = 999_999_999_999_999;
const SEQ_MAX = 9_999_999_999;

export const keys = {
  namespace: (name: string) => `ns/${name}`,
  namespaces: 'ns/',
  /** One empty key per live (not soft-deleted) namespace, ordered by the end of its grace period. */
  live: (graceUntil: number, name: string) => `idx/live/${pad(graceUntil)}/${name}`,
  liveIndex: 'idx/live/',
  liveBefore: (time: number) => `idx/live/${pad(time)}/`,
  /** One empty key per soft-deleted namespace, ordered by its deletion time. */
  deleted: (deletedAt: number, name: string) => `idx/deleted/${pad(deletedAt)}/${name}`,
  deletedIndex: 'idx/deleted/',
  deletedBefore: (time: number) => `idx/deleted/${pad(time)}/`,
  /** Live namespaces per team; a reservation compares it in its transaction (the quota). */
  team: (team: string) => `teams/t=${encodeURIComponent(team)}`,
  /**
   * Newest first in key order: etcd 3.4 answers a descending range by reading the whole range, an
   * ascending one reads only `limit` keys. Ties in one millisecond go by the writer's sequence.
   */
  audit: (at: number, seq: number, writer: string) => `audit/${auditSuffix(at, seq, writer)}`,
  auditLog: 'audit/',
  auditOf: (target: string, at: number, seq: number, writer: string) =>
    `audit-target/${encodeURIComponent(target)}/${auditSuffix(at, seq, writer)}`,
  auditTarget: (target: string) => `audit-target/${encodeURIComponent(target)}/`,
  revocation: (jti: string) => `revocations/${jti}`,
  revocations: 'revocations/',
  key: (kid: string) => `keys/${kid}`,
  signingKeys: 'keys/',
  table: 'table',
  proxy: (id: string) => `proxies/${id}`,
  proxies: 'proxies/',
  /** A proxy's control stream on some admin, under that admin's lease: gone when the stream or the admin is. */
  presence: (id: string) => `presence/${id}`,
  presences: 'presence/',
  /** A Prepare the leader relays to the admin holding the proxy's stream, under the leader's presence lease. */
  relayPrepare: (id: string) => `relay/prepare/${id}`,
  relayPrepares: 'relay/prepare/',
  /** The proxy's answer, under the presence lease of the admin that holds its stream. */
  relayPrepared: (id: string) => `relay/prepared/${id}`,
  relayPrepareds: 'relay/prepared/',
  setting: (key: string) => `settings/${key}`,
  settings: 'settings/',
};

function auditSuffix(at: number, seq: number, writer: string): string {
  return `${pad(TIME_MAX - at, 15)}.${pad(SEQ_MAX - seq, 10)}.${writer}`;
}

/** The first key after every key that starts with `prefix` (etcd's range_end for a prefix). */
export function prefixEnd(prefix: string): Buffer {
  const b = Buffer.from(prefix);
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i] < 0xff) {
      const end = b.subarray(0, i + 1);
      end[i]++;
      return end;
    }
  }
  return Buffer.from([0]);
}

export function encode(value: unknown): string {
  return JSON.stringify({ v: SCHEMA_VERSION, value });
}

export function decode<T>(key: string, raw: Buffer | string): T {
  const parsed = JSON.parse(raw.toString()) as { v?: unknown; value?: unknown };
  if (parsed.v !== SCHEMA_VERSION) {
    throw new PrismError(
      'PRISM-STORE-009',
      `etcd key ${JSON.stringify(key)} has schema version ${JSON.stringify(parsed.v)}; this admin reads version ${SCHEMA_VERSION}`,
    );
  }
  return parsed.value as T;
}
