import { describe, expect, it } from 'vitest';
import { checkNamespace, isValidNamespace, PrismError, partitionOf } from '../src/index.js';

describe('partitionOf', () => {
  // CONTRACT §1 vectors, plus those derived from the original Prism admin's Go code (crc32.ChecksumIEEE % 256).
  it.each([
    ['test-namespace', 57],
    ['orders-prod', 147],
    ['acme-billing', 73],
    ['eu-payments', 229],
    ['a', 67],
    ['order-processing', 76],
    ['user-sessions', 64],
    ['analytics-events', 38],
    ['default', 223],
  ])('%s is in partition %i', (ns, partition) => {
    expect(partitionOf(ns)).toBe(partition);
  });

  it('is the low byte of CRC-32/IEEE, so HAProxy crc32,mod(256) agrees', () => {
    // 0x43c0a939 is the CRC-32 of "test-namespace" (zlib, Go, HAProxy's crc32 without avalanche).
    expect(0x43c0a939 % 256).toBe(partitionOf('test-namespace'));
  });
});

describe('namespace names (CONTRACT §2)', () => {
  it.each(['a', '0', 'orders-prod', 'a_b', 'a'.repeat(63), 'x9-y_z0'])('accepts %s', (name) => {
    expect(isValidNamespace(name)).toBe(true);
    expect(checkNamespace(name)).toBe(name);
  });

  it.each([
    '',
    'A',
    'Orders',
    '-lead',
    'trail-',
    '_x',
    'x_',
    'a'.repeat(64),
    'has space',
    'dot.ted',
    'comma,sep',
    'uni\u00e9',
    'new\nline',
  ])('rejects %j with PRISM-NS-001 naming the value', (name) => {
    expect(isValidNamespace(name)).toBe(false);
    try {
      checkNamespace(name);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(PrismError);
      expect((err as PrismError).code).toBe('PRISM-NS-001');
      expect((err as PrismError).status).toBe(400);
      expect((err as PrismError).message).toContain(
        JSON.stringify(name.length > 80 ? `${name.slice(0, 77)}...` : name),
      );
    }
  });

  it('rejects values that are not strings', () => {
    for (const v of [undefined, null, 42, {}, ['a']]) expect(() => checkNamespace(v)).toThrow(PrismError);
  });
});
