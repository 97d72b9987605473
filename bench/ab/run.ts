import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { compileRouter } from '../../core/src/route.js';
import { parseTable } from '../../core/src/table.js';
import { adminFetch, settledTable } from '../../test-support/admin-harness.js';
import { freePort } from '../../test-support/lb-binaries.js';
import { ROOT } from '../../test-support/run.js';
import { spawnAdmin } from '../../test-support/spawn-admin.js';
import { type ProgramProcess, spawnProxy } from '../../test-support/spawn-program.js';
import { startServer } from '../shared/servers.js';
import { percentile } from '../shared/stats.js';
import { haproxyHopConfig } from '../suite/hops.js';
import { measure, type Sample } from '../suite/measure.js';
import type { Scenario } from '../suite/stack.js';

const HELP = `npm run bench:ab -- [options]

Runs two builds of prism-proxy side by side as owners of a namespace (same admin, same backend,
same machine, interleaved rounds) with a plain HAProxy hop as the anchor, and prints what the
candidate changes: CPU per request, req/s, p50 and p99 at concurrency 1 and 10.

  --baseline <ref|dir>     git ref built in a temporary worktree, or a built checkout (default HEAD)
  --candidate <dir>        built checkout to test (default: this one, as it is now)
  --node-args=<flags>      Node flags for the candidate proxy (e.g. --node-args="--max-semi-space-size=16")
  --baseline-node-args=<flags>  Node flags for the baseline proxy
  --rounds <n>             interleaved rounds (default 4)
  --seconds <s>            seconds per run (default 4)
  --out <name>             write bench/results/<name>.{json,md} (default ab)
`;

function parse() {
  try {
    return parseArgs({
      options: {
        baseline: { type: 'string', default: 'HEAD' },
        candidate: { type: 'string', default: ROOT },
        'node-args': { type: 'string', default: '' },
        'baseline-node-args': { type: 'string', default: '' },
        rounds: { type: 'string', default: '4' },
        seconds: { type: 'string', default: '4' },
        out: { type: 'string', default: 'ab' },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (err) {
    process.stderr.write(`bench:ab: ${(err as Error).message}\n\n${HELP}`);
    process.exit(2);
  }
}
const opts = parse();
if (opts.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const rounds = Number(opts.rounds);
const seconds = Number(opts.seconds);
const started = Date.now();
const progress = (s: string) =>
  process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${s}\n`);
const flags = (s: string) => s.split(/\s+/).filter(Boolean);

const dir = mkdtempSync(join(tmpdir(), 'prism-ab-'));
const cleanup: (() => Promise<void> | void)[] = [];

/** A built checkout of `ref`: a detached worktree sharing this checkout's node_modules, compiled with tsc. */
function buildBaseline(ref: string): { root: string; label: string } {
  if (existsSync(join(ref, 'bin', 'prism-proxy.js'))) return { root: ref, label: ref };
  const sha = execFileSync('git', ['rev-parse', '--short', ref], { cwd: ROOT, encoding: 'utf8' }).trim();
  const root = join(dir, 'baseline');
  progress(`building baseline ${ref} (${sha}) in a temporary worktree`);
  execFileSync('git', ['worktree', 'add', '--detach', root, sha], { cwd: ROOT, stdio: 'ignore' });
  cleanup.push(() => {
    execFileSync('git', ['worktree', 'remove', '--force', root], { cwd: ROOT, stdio: 'ignore' });
  });
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  return { root, label: ref === sha ? sha : `${ref} (${sha})` };
}

function describeCandidate(root: string): string {
  if (root !== ROOT) return root;
  const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', '.', ':!bench/results'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return dirty.trim() ? `${sha} + uncommitted changes` : sha;
}

const children: ChildProcess[] = [];
const programs: ProgramProcess[] = [];
let exitCode = 0;
try {
  const baseline = buildBaseline(opts.baseline);
  const candidate = { root: opts.candidate, label: describeCandidate(opts.candidate) };

  const backend = await startServer('backend');
  children.push(backend.child);
  const backendPort = backend.port;

  progress('starting admin, the two proxies and an HAProxy hop');
  const admin = await spawnAdmin(join(dir, 'admin'));
  programs.push(admin as unknown as ProgramProcess);
  const sides = [
    { id: 'baseline', ...baseline, nodeArgs: flags(opts['baseline-node-args']) },
    { id: 'candidate', ...candidate, nodeArgs: flags(opts['node-args']) },
  ];
  const proxies: { id: string; port: number; pid: number }[] = [];
  for (const side of sides) {
    const p = await spawnProxy(side.id, admin.grpc, join(dir, side.id), { root: side.root, nodeArgs: side.nodeArgs });
    programs.push(p);
    proxies.push({ id: side.id, port: p.port, pid: p.pid });
  }
  const names = Array.from({ length: 16 }, (_, i) => `ab-${i}`);
  for (const name of names) {
    await adminFetch(admin.http, `/v1/namespaces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.token}` },
      body: JSON.stringify({ name, backends: [`http://127.0.0.1:${backendPort}`] }),
    });
  }
  // Both proxies in the table and the join's move rounds done.
  const table = parseTable(await settledTable(admin.http, (t) => (t.proxies?.length ?? 0) >= 2));
  const router = compileRouter(table);
  const ownedBy = (id: string) => {
    const ns = names.find((n) => router.route(n).owner === id);
    if (!ns) throw new Error(`no namespace of ${names.length} is owned by ${id}`);
    return ns;
  };
  const scenarios: Scenario[] = proxies.map((p) => ({
    name: p.id,
    port: p.port,
    namespaces: [ownedBy(p.id)],
    pids: () => [p.pid],
    proxyOps: [],
  }));
  const hopPort = await freePort();
  mkdirSync(join(dir, 'haproxy'), { recursive: true });
  const haproxy = spawn('haproxy', ['-db', '-f', haproxyHopConfig(join(dir, 'haproxy'), hopPort, backendPort)], {
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  children.push(haproxy);
  scenarios.push({
    name: 'haproxy-hop',
    port: hopPort,
    namespaces: [names[0]],
    pids: () => [haproxy.pid ?? 0],
    proxyOps: [],
  });

  // Both proxies must answer before measuring (the table reaches them after the admin has it).
  for (const s of scenarios) {
    const until = Date.now() + 20_000;
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${s.port}/`, { headers: { 'x-prism-namespace': s.namespaces[0] } })
        .then(async (r) => {
          await r.arrayBuffer();
          return r.status === 200 && r.headers.get('x-prism-forwarded-by') === null;
        })
        .catch(() => false);
      if (ok) break;
      if (Date.now() > until) throw new Error(`${s.name} does not answer ${s.namespaces[0]} itself within 20 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  progress('warming up');
  for (const s of scenarios) await measure(s, 10, 1);
  const samples: Record<string, Sample[]> = {};
  const concurrencies = [1, 10];
  const total = rounds * concurrencies.length * scenarios.length;
  let n = 0;
  for (let round = 0; round < rounds; round++) {
    for (const c of concurrencies) {
      const shift = (round + c) % scenarios.length;
      for (const s of [...scenarios.slice(shift), ...scenarios.slice(0, shift)]) {
        const sample = await measure(s, c, seconds);
        n++;
        progress(
          `${n}/${total} ${s.name} c=${c}: ${sample.cpu_us_per_req.toFixed(1)} µs CPU/req, ${Math.round(sample.rps)} req/s, p50 ${sample.p50_ms.toFixed(3)} ms`,
        );
        samples[`${s.name} c${c}`] ??= [];
        samples[`${s.name} c${c}`].push(sample);
        if (sample.errors) exitCode = 1;
      }
    }
  }
  const med = (key: string, f: (s: Sample) => number) => percentile(samples[key].map(f), 0.5);
  const rows: Record<string, Record<string, number>> = {};
  for (const key of Object.keys(samples)) {
    rows[key] = {
      cpu_us_per_req: med(key, (s) => s.cpu_us_per_req),
      rps: med(key, (s) => s.rps),
      p50_ms: med(key, (s) => s.p50_ms),
      p99_ms: med(key, (s) => s.p99_ms),
    };
  }
  const fmt = (v: number, d: number) => v.toFixed(d);
  const lines = [
    `| run | CPU µs/req | req/s | p50 ms | p99 ms | CPU ÷ HAProxy hop |`,
    '|---|---:|---:|---:|---:|---:|',
  ];
  for (const c of concurrencies) {
    for (const s of scenarios) {
      const r = rows[`${s.name} c${c}`];
      const hop = rows[`haproxy-hop c${c}`].cpu_us_per_req;
      lines.push(
        `| ${s.name} c=${c} | ${fmt(r.cpu_us_per_req, 1)} | ${Math.round(r.rps)} | ${fmt(r.p50_ms, 3)} | ${fmt(r.p99_ms, 3)} | ${fmt(r.cpu_us_per_req / hop, 2)}× |`,
      );
    }
  }
  const change = (c: number, k: string) => rows[`candidate c${c}`][k] / rows[`baseline c${c}`][k];
  const summary = concurrencies
    .map(
      (c) =>
        `c=${c}: CPU/req ×${fmt(change(c, 'cpu_us_per_req'), 2)}, req/s ×${fmt(change(c, 'rps'), 2)}, p50 ×${fmt(change(c, 'p50_ms'), 2)}, p99 ×${fmt(change(c, 'p99_ms'), 2)}`,
    )
    .join('; ');
  const md = [
    '# prism-proxy A/B',
    '',
    `${new Date().toISOString()} · baseline ${baseline.label}${sides[0].nodeArgs.length ? ` with ${sides[0].nodeArgs.join(' ')}` : ''} · candidate ${candidate.label}${sides[1].nodeArgs.length ? ` with ${sides[1].nodeArgs.join(' ')}` : ''} · ${rounds} interleaved rounds of ${seconds} s, medians · wrk, HTTP/1.1 keep-alive · each proxy is the owner of its namespace`,
    '',
    ...lines,
    '',
    `Candidate ÷ baseline: ${summary}.`,
    '',
  ].join('\n');
  console.log(`\n${md}`);
  const results = join(ROOT, 'bench', 'results');
  mkdirSync(results, { recursive: true });
  writeFileSync(
    join(results, `${opts.out}.json`),
    `${JSON.stringify({ date: new Date().toISOString(), baseline: baseline.label, candidate: candidate.label, rounds, seconds, rows }, null, 2)}\n`,
  );
  writeFileSync(join(results, `${opts.out}.md`), md);
  progress(`wrote bench/results/${opts.out}.json and ${opts.out}.md`);
} finally {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? once(c, 'exit') : undefined)));
  for (const p of programs) await p.stop();
  for (const f of cleanup) await f();
  rmSync(dir, { recursive: true, force: true });
}
process.exitCode = exitCode;
