import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { api, settledTable } from '../../test-support/admin-harness.js';
import { spawnAdmin } from '../../test-support/spawn-admin.js';
import { type ProgramProcess, spawnProxy } from '../../test-support/spawn-program.js';
import { TRACED_SCENARIO } from './report.js';
import { type Scenario, until } from './stack.js';

/**
 * An OTLP/HTTP collector that reads every export and answers 200 {}: the proxy pays for making,
 * batching, serializing and sending its spans, nothing for a slow collector. Returns the URL and
 * how many spans arrived (counted from the JSON, so the report can say they were really sent).
 */
async function startSink(): Promise<{ url: string; server: Server; spans: () => number }> {
  let spans = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      // Counting "spanId" keys is enough to know the exports carried spans, without parsing each batch.
      const body = Buffer.concat(chunks).toString('latin1');
      for (let i = body.indexOf('"spanId"'); i >= 0; i = body.indexOf('"spanId"', i + 8)) spans++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, server, spans: () => spans };
}

/**
 * A one-proxy fleet (its own admin, so the plaintext fleet's table stays four proxies) whose proxy
 * has tracing on with the defaults an operator gets (every request sampled, batches every 5 s or
 * 512 spans) and exports to a local sink: the same build and configuration as the plaintext owner
 * but tracing. Alone in its fleet, the proxy owns every partition, so its requests take the owner path.
 */
export async function startTracedOwner(input: {
  dir: string;
  log: (s: string) => void;
  backendUrl: string;
  namespace: string;
  programs: ProgramProcess[];
}): Promise<{ scenario: Scenario; stop: () => Promise<void>; spans: () => number }> {
  const { dir, log } = input;
  const sink = await startSink();
  const stop = () =>
    new Promise<void>((resolve) => {
      sink.server.closeAllConnections();
      sink.server.close(() => resolve());
    });
  try {
    log('starting the traced fleet: admin, 1 proxy with tracing on, an OTLP sink');
    const admin = await spawnAdmin(join(dir, 'traced-admin'), ['--insecure']);
    input.programs.push(admin as unknown as ProgramProcess);
    const config = join(dir, 'traced.json');
    writeFileSync(config, JSON.stringify({ insecure: true, tracing: { enabled: true, otlpEndpoint: sink.url } }));
    const proxy = await spawnProxy('tr1', admin.grpc, join(dir, 'tr1'), { config });
    input.programs.push(proxy);
    await settledTable(admin.http, (t) => t.proxies?.length === 1);
    const res = await api(admin.http, 'POST', '/v1/namespaces', {
      name: input.namespace,
      backends: [input.backendUrl],
    });
    if (res.status !== 201 && res.status !== 200)
      throw new Error(`bench stack: reserving ${input.namespace} on the traced fleet answered ${res.status}`);
    await until('the traced proxy', async () => {
      const r = await fetch(`http://127.0.0.1:${proxy.port}/`, { headers: { 'x-prism-namespace': input.namespace } });
      await r.arrayBuffer();
      return r.status === 200;
    });
    return {
      scenario: {
        name: TRACED_SCENARIO,
        port: proxy.port,
        namespaces: [input.namespace],
        pids: () => [proxy.pid],
        proxyOps: [proxy.ops],
      },
      stop,
      spans: sink.spans,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
