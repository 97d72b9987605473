import { describe, expect, it } from 'vitest';
import { compileRouter, partitionOf, planTable } from '../src/index.js';

describe('compileRouter', () => {
  const proxies = ['a', 'b', 'c'].map((id) => ({ id }));

  it('routes by partition owner without rules', () => {
    const { table } = planTable({ proxies });
    const router = compileRouter(table);
    for (const ns of ['orders-prod', 'acme-billing', 'x']) {
      const r = router.route(ns);
      expect(r.partition).toBe(partitionOf(ns));
      expect(r.owner).toBe(table.assignments[r.partition].owner);
      expect(r.epoch).toBe(1);
      expect(r.via).toBe('partition');
    }
  });

  it('the longest matching prefix wins over a shorter one', () => {
    const rules = {
      prefixRules: [
        { prefix: 'eu-', proxies: ['a'] },
        { prefix: 'eu-west-', proxies: ['b'] },
      ],
      namespacePins: [],
      partitionPins: [],
    };
    const router = compileRouter(planTable({ proxies, strategy: 'key_range', rules }).table);
    expect(router.route('eu-west-orders').owner).toBe('b');
    expect(router.route('eu-orders').owner).toBe('a');
    expect(router.route('us-orders').via).toBe('partition');
  });

  it('a namespace pin wins over its partition owner', () => {
    const owner = planTable({ proxies }).table.assignments[partitionOf('orders-prod')].owner;
    const other = ['a', 'b', 'c'].find((p) => p !== owner) ?? 'a';
    const rules = { prefixRules: [], namespacePins: [{ namespace: 'orders-prod', proxy: other }], partitionPins: [] };
    const router = compileRouter(planTable({ proxies, strategy: 'explicit', rules }).table);
    expect(router.route('orders-prod')).toMatchObject({ owner: other, via: 'pin' });
  });
});
