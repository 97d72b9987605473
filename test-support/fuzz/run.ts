import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { describeFinding, type Finding } from './findings.js';
import { closeGrpcClients } from './grpc.js';
import { KNOWN_FAILURES, knownFailure } from './known.js';
import { failureMessage, formatMemory, fuzz, memoryFindings, readReplay } from './property.js';
import {
  type AdminEnv,
  adminTarget,
  grpcTarget,
  h2Target,
  type ProxyEnv,
  proxyTarget,
  startAdminEnv,
  startProxyEnv,
  TARGET_NAMES,
  type Target,
  type TargetName,
} from './targets.js';
import { ProcessWatch } from './watch.js';

const USAGE = `usage: npm run fuzz -- --seconds N [--seed S] [--target proxy|admin|grpc|h2] [--keep-going] [--strict] [--out DIR]
       npm run fuzz -- --replay FILE

Starts the targets in this process (prism-admin, prism-proxy, a backend, on 127.0.0.1 port 0) and
sends them random and mutated input for N seconds (split between the targets). A failing case is
shrunk and written to DIR (default fuzz-failures/) as a replay file; --keep-going instead writes
one file per distinct failure and goes on. Known failures (test-support/fuzz/known.ts) only count,
unless --strict.`;

const { values } = parseArgs({
  options: {
    seconds: { type: 'string' },
    seed: { type: 'string' },
    target: { type: 'string', multiple: true },
    'keep-going': { type: 'boolean' },
    strict: { type: 'boolean' },
    out: { type: 'string', default: 'fuzz-failures' },
    replay: { type: 'string' },
    help: { type: 'boolean' },
  },
});

function usage(message?: string): never {
  if (message) console.error(`fuzz: ${message}`);
  console.error(USAGE);
  process.exit(2);
}

if (values.help) usage();
const watch = new ProcessWatch().start();
let proxyEnv: ProxyEnv | undefined;
let adminEnv: AdminEnv | undefined;

async function target(name: TargetName): Promise<Target> {
  if (name === 'proxy' || name === 'h2') {
    proxyEnv ??= await startProxyEnv(watch);
    return (name === 'proxy' ? proxyTarget(proxyEnv, watch) : h2Target(proxyEnv, watch)) as Target;
  }
  adminEnv ??= await startAdminEnv(watch);
  return (name === 'admin' ? adminTarget(adminEnv, watch) : grpcTarget(adminEnv, watch)) as Target;
}

async function stopAll(): Promise<void> {
  closeGrpcClients();
  await proxyEnv?.stop();
  await adminEnv?.stop();
  watch.stop();
}

const print = (findings: Finding[]) => {
  for (const f of findings) {
    const k = knownFailure(f, current, KNOWN_FAILURES);
    console.log(`  ${describeFinding(f)}${k ? `\n    known: ${k.id} (${k.issue})` : ''}`);
  }
};
let current: TargetName = 'proxy';

async function replay(file: string): Promise<number> {
  const r = readReplay(file);
  current = r.target;
  const t = await target(r.target);
  console.log(
    `replaying ${file} against ${r.target} (${r.input.chunks.length} write(s), ${Buffer.concat(r.input.chunks).length} bytes)`,
  );
  const findings = await t.run(r.input);
  if (findings.length === 0) {
    console.log('no property broken: the failure is gone');
    return 0;
  }
  console.log(`${findings.length} finding(s):`);
  print(findings);
  return 1;
}

async function main(): Promise<number> {
  if (values.replay) return replay(values.replay);
  const seconds = Number(values.seconds);
  if (!(seconds > 0)) usage('--seconds N is required');
  const names = (values.target ?? TARGET_NAMES) as TargetName[];
  for (const n of names) if (!TARGET_NAMES.includes(n)) usage(`unknown target ${n}`);
  const seed = values.seed !== undefined ? Number(values.seed) : Date.now() % 2 ** 31;
  if (!Number.isInteger(seed)) usage(`--seed ${values.seed} is not an integer`);
  let failed = 0;
  for (const name of names) {
    current = name;
    const t = await target(name);
    console.log(`${name}: fuzzing for ${(seconds / names.length).toFixed(0)} s with --seed ${seed}`);
    let last = performance.now();
    const handledBefore = watch.handled;
    const report = await fuzz(t, {
      seed,
      numRuns: Number.MAX_SAFE_INTEGER,
      timeLimitMs: (seconds * 1000) / names.length,
      known: values.strict ? [] : KNOWN_FAILURES,
      failureDir: values.out ?? 'fuzz-failures',
      keepGoing: values['keep-going'],
      progress(runs, known) {
        if (performance.now() - last < 2_000) return;
        last = performance.now();
        const rss = Math.round(process.memoryUsage().rss / 1024 / 1024);
        console.log(`${name}: ${runs} cases, ${known} with known failures, RSS ${rss} MB`);
      },
    });
    const handled = watch.handled - handledBefore;
    console.log(
      `${name}: ${report.runs} cases in ${(report.ms / 1000).toFixed(1)} s${handled ? `, ${handled} requests reached the proxy's handler` : ''}; ${formatMemory(report.memory)}`,
    );
    for (const [id, n] of report.known) console.log(`  known failure ${id}: ${n} case(s)`);
    const message = failureMessage(report);
    if (message) {
      failed++;
      console.log(message);
    }
    for (const [signature, d] of report.distinct) {
      failed++;
      console.log(
        `  ${signature}\n    ${d.finding.detail.slice(0, 200)}\n    replay: npm run fuzz -- --replay ${relative('.', d.file)}`,
      );
    }
    // RSS after a long run mostly shows the allocator keeping what big buffers used (it does not shrink
    // when the targets stop either); the heap after GC is the leak signal, RSS only a gross bound.
    const after = [...(await t.healthy()), ...memoryFindings(report.memory, { heapMB: 48, rssMB: 512 })];
    if (after.length) {
      failed++;
      console.log(`${name}: after the run:`);
      print(after);
    }
  }
  return failed ? 1 : 0;
}

try {
  process.exitCode = await main();
} catch (err) {
  console.error('fuzz: the run itself failed:', err);
  process.exitCode = 70;
} finally {
  await stopAll();
}
