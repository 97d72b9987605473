import { bench, describe } from 'vitest';
import { planTable } from '../../core/src/assign/plan.js';
import { partitionOf } from '../../core/src/partition.js';
import { compileRouter } from '../../core/src/route.js';
import { BENCH, cycle, sink } from './options.js';

const proxies = Array.from({ length: 16 }, (_, i) => ({ id: `proxy-${String(i).padStart(2, '0')}` }));
const ids = proxies.map((p) => p.id);

const plain = compileRouter(planTable({ proxies }).table);

const prefixes = Array.from({ length: 50 }, (_, i) => `tenant${String(i).padStart(2, '0')}-`);
const withPrefixes = compileRouter(
  planTable({
    proxies,
    strategy: 'key_range',
    rules: {
      prefixRules: prefixes.map((prefix, i) => ({ prefix, proxies: [ids[i % 16], ids[(i + 5) % 16]] })),
      namespacePins: [],
      partitionPins: [],
    },
  }).table,
);

const pinnedNames = Array.from({ length: 1000 }, (_, i) => `pinned-${i}`);
const withPins = compileRouter(
  planTable({
    proxies,
    strategy: 'explicit',
    rules: {
      prefixRules: [],
      namespacePins: pinnedNames.map((namespace, i) => ({ namespace, proxy: ids[i % 16] })),
      partitionPins: [],
    },
  }).table,
);

const N = 1024;
const ordinary = Array.from({ length: N }, (_, i) => `team-${i % 97}-orders-${i}`);
const nextOrdinary = cycle(ordinary);
// Spread over all 50 rules, so on average half the (equal-length) prefixes are tried before the match.
const nextPrefixed = cycle(Array.from({ length: N }, (_, i) => `${prefixes[i % 50]}orders-${i}`));
// Shares the rules' 'tenant' stem but matches none: every one of the 50 comparisons runs 7 characters deep.
const nextNearMiss = cycle(Array.from({ length: N }, (_, i) => `tenant${50 + (i % 50)}-orders-${i}`));
const nextPinned = cycle(Array.from({ length: N }, (_, i) => pinnedNames[i % 1000]));

const owners = Array.from({ length: 256 }, (_, p) => plain.ownerOfPartition(p));
const nextPartition = cycle(ordinary.map(partitionOf));

describe('partition lookup (16 proxies)', () => {
  bench(
    'route(ns), table without overrides',
    () => {
      sink.value = plain.route(nextOrdinary());
    },
    BENCH,
  );
  bench(
    'route(ns), key_range + 50 prefix rules, ns matches a rule',
    () => {
      sink.value = withPrefixes.route(nextPrefixed());
    },
    BENCH,
  );
  bench(
    'route(ns), key_range + 50 prefix rules, ns matches none (all 50 tried, differ at 3rd char)',
    () => {
      sink.value = withPrefixes.route(nextOrdinary());
    },
    BENCH,
  );
  bench(
    'route(ns), key_range + 50 prefix rules, ns matches none (all 50 tried, share the stem)',
    () => {
      sink.value = withPrefixes.route(nextNearMiss());
    },
    BENCH,
  );
  bench(
    'route(ns), explicit + 1,000 namespace pins, ns pinned',
    () => {
      sink.value = withPins.route(nextPinned());
    },
    BENCH,
  );
  bench(
    'route(ns), explicit + 1,000 namespace pins, ns not pinned',
    () => {
      sink.value = withPins.route(nextOrdinary());
    },
    BENCH,
  );
  bench(
    'baseline: owners[partitionOf(ns)]',
    () => {
      sink.value = owners[partitionOf(nextOrdinary())];
    },
    BENCH,
  );
  bench(
    'baseline: owners[partition] (partition precomputed)',
    () => {
      sink.value = owners[nextPartition()];
    },
    BENCH,
  );
});
