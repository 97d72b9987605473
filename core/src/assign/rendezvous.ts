import { crc32 } from 'node:zlib';

/** Per-proxy seed for rendezvous scores, computed once per plan. */
export function proxySeed(proxyId: string): number {
  return crc32(proxyId);
}

/**
 * Rendezvous (highest random weight) score of a partition for a proxy. The proxy seed is mixed with
 * the partition through murmur3's 32-bit finalizer, so every (partition, proxy) pair gets an
 * independent-looking, reproducible 32-bit score. Only plan time uses it, never the request path.
 */
export function rendezvousScore(partition: number, seed: number): number {
  let h = (seed ^ Math.imul(partition + 1, 0x9e3779b1)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
