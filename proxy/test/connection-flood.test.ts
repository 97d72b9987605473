import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { type Socket, connect as tcp } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../test-support/proxy-harness.js';
import { fleetConfigFile, type ProgramProcess, spawnProgram } from '../../test-support/spawn-program.js';

// prism-proxy as its own process, so that its file descriptors can be counted in /proc/<pid>/fd.
const FIRST_BYTES_MS = 3_000;
const CONNECTIONS = 2_000;

let dir: string;
let proxy: ProgramProcess;
let port: number;
let ops: string;

const openFds = () => readdirSync(`/proc/${proxy.pid}/fd`).length;

/** One series from the ops port; -1 while the proxy cannot accept the scrape. */
async function metric(series: string): Promise<number> {
  const text = await fetch(`${ops}/metrics`)
    .then((r) => r.text())
    .catch(() => '');
  if (!text) return -1;
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

/** This process needs one descriptor per client socket: raise the soft limit to the hard one if needed. */
function allowOpenFiles(n: number): void {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files')) as string;
  const [soft, hard] = line.split(/\s+/).slice(3, 5);
  if (Number(soft) >= n) return;
  execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${hard}:${hard}`]);
}

function connectSilently(): Promise<{ socket: Socket; openedAt: number; closedAt: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const socket = tcp(port, '127.0.0.1');
    socket.on('error', () => undefined);
    const closedAt = new Promise<number>((r) => socket.once('close', () => r(Date.now())));
    socket.once('connect', () => resolve({ socket, openedAt: Date.now(), closedAt }));
    socket.once('error', reject);
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'prism-flood-'));
  const config = await fleetConfigFile('proxy-1', dir, { limits: { firstBytesTimeoutMs: FIRST_BYTES_MS } });
  // No admin: requests get 503 PRISM-ROUTE-004, which shows the proxy serving.
  proxy = await spawnProgram(
    'prism-proxy.js',
    [
      '--config',
      config,
      '--listen',
      '127.0.0.1:0',
      '--ops-listen',
      '127.0.0.1:0',
      '--admin',
      '127.0.0.1:1',
      '--state-dir',
      join(dir, 'state'),
    ],
    'prism-proxy listening',
  );
  port = Number(String(proxy.ready.data).split(':')[1]);
  ops = `http://${proxy.ready.ops}`;
});

afterAll(async () => {
  await proxy?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('connections that never speak', () => {
  it(`${CONNECTIONS} silent connections are closed within firstBytesTimeoutMs and the fds return to their baseline`, async () => {
    allowOpenFiles(CONNECTIONS + 500);
    const baseline = openFds();
    const clients: Awaited<ReturnType<typeof connectSilently>>[] = [];
    try {
      for (let i = 0; i < CONNECTIONS; i += 100) {
        clients.push(...(await Promise.all(Array.from({ length: 100 }, connectSilently))));
      }
      const peak = openFds();
      // Held while silent (a few may already be closed if connecting took long on a busy machine).
      expect(peak).toBeGreaterThan(baseline + CONNECTIONS / 2);
      const closed = await Promise.race([
        Promise.all(clients.map((c) => c.closedAt)),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error('silent connections still open')), FIRST_BYTES_MS + 15_000),
        ),
      ]);
      clients.forEach((c, i) => {
        expect(closed[i] - c.openedAt).toBeGreaterThanOrEqual(FIRST_BYTES_MS * 0.8);
      });
      await until(() => openFds() <= baseline + 2, 5_000, `fds back to ${baseline}`);
      expect(await metric('prism_proxy_timeouts_total{phase="sniff"}')).toBeGreaterThanOrEqual(CONNECTIONS);
    } finally {
      for (const c of clients) c.socket.destroy();
    }
    const res = await fetch(`http://127.0.0.1:${port}/`, { headers: { 'x-prism-namespace': 'any' } });
    expect(res.status).toBe(503);
  });

  it('a proxy out of file descriptors keeps running, and serves again once connections close', async () => {
    // Room for what the proxy holds now plus a few: most of the connections below cannot be accepted.
    execFileSync('prlimit', ['--pid', String(proxy.pid), `--nofile=${openFds() + 10}`]);
    const closed: Promise<void>[] = [];
    const clients: Socket[] = [];
    for (let i = 0; i < 100; i++) {
      const socket = tcp(port, '127.0.0.1');
      socket.on('error', () => undefined);
      closed.push(new Promise((r) => socket.once('close', () => r())));
      clients.push(socket);
    }
    // libuv closes what it cannot accept; the rest wait out firstBytesTimeoutMs.
    await Promise.race([Promise.all(closed), new Promise((r) => setTimeout(r, FIRST_BYTES_MS + 10_000))]);
    expect(proxy.child.exitCode).toBeNull();
    for (const s of clients) s.destroy();
    const res = await until(
      () => fetch(`http://127.0.0.1:${port}/`, { headers: { 'x-prism-namespace': 'any' } }).catch(() => undefined),
      10_000,
      'a request served',
    );
    expect(res.status).toBe(503);
    expect((await res.json()).error.code).toBe('PRISM-ROUTE-004');
    expect(proxy.child.exitCode).toBeNull();
  });
});
