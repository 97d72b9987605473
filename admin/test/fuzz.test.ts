import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProxyMessage } from '../../proto/gen/prism/admin/v1/control_plane.js';
import { closeGrpcClients, controlStream } from '../../test-support/fuzz/grpc.js';
import { KNOWN_FAILURES } from '../../test-support/fuzz/known.js';
import { failureMessage, fuzz, memoryFindings, replayCorpus, summary } from '../../test-support/fuzz/property.js';
import {
  type AdminEnv,
  adminTarget,
  GRPC_FUZZ_ID,
  grpcTarget,
  startAdminEnv,
} from '../../test-support/fuzz/targets.js';
import { memory, ProcessWatch } from '../../test-support/fuzz/watch.js';
import { ROOT } from '../../test-support/run.js';

// Fixed seeds and bounded case counts: the same cases on every run, a few seconds each on 2 cores.
// Longer runs with any seed: npm run fuzz -- --seconds N --target admin|grpc (docs/fuzzing.md).
const SEED = 10;
const known = process.env.PRISM_FUZZ_STRICT ? [] : KNOWN_FAILURES;
const failureDir = join(ROOT, '.vitest', 'fuzz-failures');

const watch = new ProcessWatch();
let env: AdminEnv;
let start: { rss: number; heap: number };

beforeAll(async () => {
  watch.start();
  env = await startAdminEnv(watch);
  start = memory();
});

afterAll(async () => {
  closeGrpcClients();
  await env?.stop();
  watch.stop();
});

describe('fuzz: the admin', () => {
  it('replays the failures found before (test-support/fuzz/corpus/)', async () => {
    const grpc = await replayCorpus(grpcTarget(env, watch), known);
    expect(grpc.failures).toEqual([]);
    expect(grpc.files).toBeGreaterThan(0);
    const admin = await replayCorpus(adminTarget(env, watch), known);
    expect(admin.failures).toEqual([]);
    expect(admin.files).toBeGreaterThan(0);
  });

  // The control stream first: every Register is welcomed with all namespaces, and the operator API cases add many.
  it('control stream: answers random ProxyMessages with a gRPC status and keeps serving the real proxy', async () => {
    const report = await fuzz(grpcTarget(env, watch), { seed: SEED, numRuns: 60, known, failureDir });
    expect(failureMessage(report)).toBeUndefined();
    expect(await grpcTarget(env, watch).healthy()).toEqual([]);
    console.log(summary(report));
  });

  it('operator API: stays up and answers mutated requests and random bodies on every route with coded errors', async () => {
    const report = await fuzz(adminTarget(env, watch), { seed: SEED, numRuns: 300, known, failureDir });
    expect(failureMessage(report)).toBeUndefined();
    expect(await adminTarget(env, watch).healthy()).toEqual([]);
    console.log(summary(report));
  });

  it('gives the memory back', () => {
    expect(memoryFindings({ before: start, after: memory() })).toEqual([]);
  });
});

describe('found by the fuzzer: undecodable control-stream messages', () => {
  const register = (proxyId: string) =>
    Buffer.from(
      ProxyMessage.encode({
        register: {
          proxyId,
          address: '127.0.0.1',
          dataPort: 80,
          opsPort: 81,
          weight: 1,
          knownTableVersion: 0,
          configHash: '',
          softwareVersion: 'x',
        },
      }).finish(),
    );
  // A varint field 1 of 5 bytes that never ends: ts-proto's decoder throws on it.
  const garbage = Buffer.from('08ffffffffff', 'hex');

  it('a registered stream that sends undecodable bytes gets PRISM-FLEET-002 instead of hanging without a status', async () => {
    const r = await controlStream(env.admin.grpc, [register(GRPC_FUZZ_ID), garbage], env.credentials);
    expect(r.registered).toBe(true);
    expect(r.status?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(r.status?.metadata.get('prism-error-code')).toEqual(['PRISM-FLEET-002']);
  });

  it('undecodable bytes as the first message are PRISM-FLEET-002, not INTERNAL', async () => {
    const r = await controlStream(env.admin.grpc, [garbage], env.credentials);
    expect(r.status?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(r.status?.details).toMatch(/^PRISM-FLEET-002: a ProxyMessage could not be decoded/);
  });
});
