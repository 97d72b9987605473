import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KNOWN_FAILURES } from '../../test-support/fuzz/known.js';
import { exchange } from '../../test-support/fuzz/net.js';
import { failureMessage, fuzz, memoryFindings, replayCorpus, summary } from '../../test-support/fuzz/property.js';
import { h2Target, type ProxyEnv, probe, proxyTarget, startProxyEnv } from '../../test-support/fuzz/targets.js';
import { memory, ProcessWatch } from '../../test-support/fuzz/watch.js';
import { ROOT } from '../../test-support/run.js';

// Fixed seeds and bounded case counts: the same cases on every run, a few seconds each on 2 cores.
// Longer runs with any seed: npm run fuzz -- --seconds N --target proxy|h2 (docs/fuzzing.md).
const SEED = 10;
const known = process.env.PRISM_FUZZ_STRICT ? [] : KNOWN_FAILURES;
const failureDir = join(ROOT, '.vitest', 'fuzz-failures');

const watch = new ProcessWatch();
let env: ProxyEnv;
let start: { rss: number; heap: number };

beforeAll(async () => {
  watch.start();
  env = await startProxyEnv(watch);
  start = memory();
});

afterAll(async () => {
  await env?.stop();
  watch.stop();
});

describe('fuzz: the proxy data port', () => {
  it('replays the failures found before (test-support/fuzz/corpus/)', async () => {
    const proxy = await replayCorpus(proxyTarget(env, watch), known);
    expect(proxy.failures).toEqual([]);
    expect(proxy.files).toBeGreaterThan(0);
    const h2 = await replayCorpus(h2Target(env, watch), known);
    expect(h2.failures).toEqual([]);
    expect(h2.files).toBeGreaterThan(0);
  });

  it('stays up and answers every mutated HTTP/1.1 request with a coded error or a success', async () => {
    const report = await fuzz(proxyTarget(env, watch), { seed: SEED, numRuns: 300, known, failureDir });
    expect(failureMessage(report)).toBeUndefined();
    expect(await proxyTarget(env, watch).healthy()).toEqual([]);
    console.log(summary(report));
  });

  it('stays up under random HTTP/2 frame sequences and keeps serving', async () => {
    const report = await fuzz(h2Target(env, watch), { seed: SEED, numRuns: 100, known, failureDir });
    expect(failureMessage(report)).toBeUndefined();
    expect(await h2Target(env, watch).healthy()).toEqual([]);
    console.log(summary(report));
  });

  it('gives the memory back', () => {
    expect(memoryFindings({ before: start, after: memory() })).toEqual([]);
  });
});

describe('found by the fuzzer', () => {
  // 10,055 cases into a long run every request to the backend hung: each request-target undici
  // refused (here "*") left one pooled connection marked busy for good, and after
  // pools.connectionsPerBackend of them nothing reached the backend. One connection makes it one request.
  it('a request-target undici refuses does not wedge the connection pool of the backend', async () => {
    const wedge = await startProxyEnv(watch, { connectionsPerBackend: 1, backendRetryMs: 100 });
    try {
      const star = Buffer.from('OPTIONS * HTTP/1.1\r\nHost: x\r\nX-Prism-Namespace: fuzz\r\n\r\n', 'latin1');
      await exchange(wedge.port, [star], { done: () => 'all', quietMs: 0, waitMs: 2_000 });
      await new Promise((r) => setTimeout(r, 150));
      const after = await probe(`${wedge.proxy.url}/`, {
        headers: { 'x-prism-namespace': 'fuzz-b' },
        timeoutMs: 1_500,
      });
      expect(after.status).toBe(200);
    } finally {
      await wedge.stop();
    }
  });
});
