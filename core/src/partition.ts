import { crc32 } from 'node:zlib';

/** Fixed for the life of every Prism deployment (CONTRACT §1). */
export const PARTITION_COUNT = 256;

/**
 * partition(ns) = CRC-32/IEEE(UTF-8 bytes of ns) mod 256. HAProxy computes the same value with
 * `req.fhdr(x-prism-namespace),crc32,mod(256)`. The caller validates the name first.
 */
export function partitionOf(namespace: string): number {
  return crc32(namespace) % PARTITION_COUNT;
}
