import { performance } from 'node:perf_hooks';
import type { ChannelCredentials } from '@grpc/grpc-js';
import { fleetPki } from '../../test-support/pki.js';
import { SimulatedProxy } from './simulated-proxy.js';
import type { SwarmCommand, SwarmReply } from './swarm-protocol.js';

// Child process holding the simulated proxies, so their gRPC work runs on neither the admin's event loop nor the
// one that polls the admin. Driven by fork IPC: one command at a time, one reply each.

const CHANGE_TIMEOUT_MS = 15_000;

const proxies = new Map<string, SimulatedProxy>();
let address = '';
let waiting: { above: number; resolve: (at: number) => void } | undefined;

function reply(message: SwarmReply): Promise<void> {
  return new Promise((resolve) => process.send?.(message, undefined, {}, () => resolve()));
}

/** Called on every table a proxy receives: the last one to reach the awaited version ends the wait. */
function onTable() {
  if (!waiting) return;
  for (const p of proxies.values()) if (p.version <= waiting.above) return;
  const { resolve } = waiting;
  waiting = undefined;
  resolve(performance.now());
}

function allAbove(above: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      waiting = undefined;
      const behind = [...proxies.values()].filter((p) => p.version <= above).length;
      reject(new Error(`${behind} proxies had no table above v${above} after ${CHANGE_TIMEOUT_MS} ms`));
    }, CHANGE_TIMEOUT_MS);
    waiting = {
      above,
      resolve: (at) => {
        clearTimeout(timer);
        resolve(at);
      },
    };
  });
}

/** Each proxy's certificate of the fleet PKI ($PRISM_TEST_PKI, which the parent made), read before any timing. */
const credentials = async (id: string): Promise<ChannelCredentials> => (await fleetPki()).credentials('proxy', id);

function add(id: string, own: ChannelCredentials) {
  proxies.set(id, new SimulatedProxy(address, id, onTable, own));
}

async function handle(cmd: SwarmCommand): Promise<SwarmReply> {
  switch (cmd.op) {
    case 'start': {
      const own = await Promise.all(cmd.ids.map(credentials));
      const started = performance.now();
      address = cmd.address;
      for (const [i, id] of cmd.ids.entries()) add(id, own[i]);
      await Promise.all([...proxies.values()].map((p) => p.registered));
      return { op: 'started', ms: performance.now() - started };
    }
    case 'status': {
      const versions = [...proxies.values()].map((p) => p.version);
      const errors = [...proxies.values()].flatMap((p) => (p.error ? [p.error] : []));
      return {
        op: 'status',
        live: proxies.size,
        minVersion: Math.min(...versions),
        maxVersion: Math.max(...versions),
        errors,
      };
    }
    case 'join':
    case 'leave': {
      const own = cmd.op === 'join' ? await credentials(cmd.id) : undefined;
      const done = allAbove(cmd.above);
      const started = performance.now();
      if (own) add(cmd.id, own);
      else {
        proxies.get(cmd.id)?.cancel();
        proxies.delete(cmd.id);
      }
      const at = await done;
      const version = Math.min(...[...proxies.values()].map((p) => p.version));
      return { op: 'changed', lastTableMs: at - started, version };
    }
    case 'close':
      for (const p of proxies.values()) p.close();
      proxies.clear();
      return { op: 'closed' };
  }
}

process.on('message', async (cmd: SwarmCommand) => {
  await reply(await handle(cmd).catch((err: Error): SwarmReply => ({ op: 'failed', error: err.message })));
  if (cmd.op === 'close') process.disconnect();
});
