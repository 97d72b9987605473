import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CHAOS_ADMIN,
  type ChaosFleet,
  type LbTarget,
  startChaosFleet,
  startLbUnderWatch,
} from '../../test-support/chaos.js';
import { CASES, type CaseName, type CaseResult, notRun, runCase } from '../../test-support/chaos-cases.js';
import { envoyAvailable } from '../../test-support/envoy-process.js';
import { requireBinary } from '../../test-support/lb-binaries.js';
import { requireNginx } from '../../test-support/nginx-process.js';
import { ROOT } from '../../test-support/run.js';
import { goals, markdown } from './report.js';

/**
 * npm run bench:chaos [-- --lb haproxy,nginx,envoy] [--cases rolling-restart,sigkill,...] [--rate 1000]
 * [--seconds 3]: each case of issue #12 under an open-loop load through each load balancer with
 * `prismctl lb watch`, a fresh fleet per load balancer. Writes bench/results/chaos.{json,md}
 * (chaos-only.* when --lb or --cases narrows the run).
 */
const arg = (name: string) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
};
const list = (v: string | undefined) => v?.split(',').filter(Boolean);
const lbs = (list(arg('--lb')) ?? ['haproxy', 'nginx', 'envoy']) as LbTarget[];
const cases = (list(arg('--cases')) ?? [...CASES]) as CaseName[];
const rate = Number(arg('--rate') ?? 1000);
const seconds = Number(arg('--seconds') ?? 3);
const connections = Number(arg('--connections') ?? 16);
const PROXIES = ['p1', 'p2', 'p3', 'p4'];
const NAMESPACES = 64;

const bad = [
  ...lbs.filter((l) => !['haproxy', 'nginx', 'envoy'].includes(l)),
  ...cases.filter((c) => !(CASES as readonly string[]).includes(c)),
];
if (bad.length || !(rate > 0) || !(seconds > 0)) {
  console.error(
    `bench:chaos: --lb takes haproxy,nginx,envoy; --cases takes ${CASES.join(',')}; --rate and --seconds positive numbers (got ${bad.join(', ') || `${rate}, ${seconds}`})`,
  );
  process.exit(2);
}

const started = Date.now();
const progress = (s: string) =>
  process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${s}\n`);
const available: Record<LbTarget, () => boolean> = {
  haproxy: () => requireBinary('haproxy', ['-v'], 'apt-get install haproxy'),
  nginx: requireNginx,
  envoy: envoyAvailable,
};

/** No committed report names a folder of this machine. */
const scrub = (text: string) =>
  text
    .split(`${ROOT}/`)
    .join('')
    .split(ROOT)
    .join('.')
    .replace(new RegExp(`${tmpdir()}/[^\\s:'"]+`, 'g'), '<tmp>');

const results: CaseResult[] = [];
let dropped: string[] = [];
for (const target of lbs) {
  if (!available[target]()) continue;
  progress(`${target}: starting admin, ${PROXIES.length} proxies, ${NAMESPACES} namespaces, prismctl lb watch`);
  let fleet: ChaosFleet | undefined;
  let lb: Awaited<ReturnType<typeof startLbUnderWatch>> | undefined;
  try {
    fleet = await startChaosFleet({ ids: PROXIES, namespaces: NAMESPACES, admin: CHAOS_ADMIN });
    dropped = fleet.dropped;
    lb = await startLbUnderWatch(fleet, target);
    for (const name of cases) {
      if (name === 'lb-restart' && target === 'envoy') continue;
      // Each case starts from a settled table: the joins of the fleet's start (or the previous case)
      // move partitions in rounds of 10% with the admin's settle time between them.
      await fleet.settled(1_000, 120_000);
      progress(`${target}: ${name} at ${rate} req/s`);
      const [r] = await runCase(name, fleet, [lb], {
        rate,
        steadyMs: seconds * 1000,
        afterMs: seconds * 1000,
        connections,
        victim: 'p2',
        joinId: 'p5',
      });
      results.push(r);
      progress(
        r.unsupported
          ? `${target}: ${name} not run: ${r.unsupported}`
          : `${target}: ${name}: ${r.sent} sent, ${r.failed} failed, p99 ${r.p99SteadyMs} → ${r.p99ChangeMs} ms, v${r.versionBefore} → v${r.versionAfter}, LB ${r.lbAlive ? 'alive' : 'DEAD'}`,
      );
      // Leave the next case a whole fleet and a running load balancer.
      if (await lb.revive()) r.notes.push(`${target} was dead after the case: started again for the next one`);
      if (!lb.watcherAlive()) throw new Error('prismctl lb watch exited');
      for (const id of fleet.ids()) if (!fleet.running().includes(id)) await fleet.startProxy(id);
      if (name === 'drain' && !r.unsupported) {
        await fleet.prismctl(['proxies', 'undrain', 'p2']);
        await fleet.settled().catch(() => undefined);
      }
    }
  } catch (err) {
    progress(`${target}: stopped early: ${(err as Error).message}`);
    results.push(notRun(cases[0], target, `stack failed: ${(err as Error).message.split('\n')[0]}`));
  } finally {
    const orphans = (await lb?.stop()) ?? 0;
    if (orphans) {
      progress(`${target}: the watcher left ${orphans} Envoy process(es) running after SIGTERM (killed by PID)`);
      results
        .filter((r) => r.lb === target)
        .at(-1)
        ?.notes.push(`watcher left ${orphans} Envoy running after SIGTERM`);
    }
    await fleet?.stop();
  }
}

const meta = {
  date: new Date().toISOString(),
  cpus: cpus().length,
  node: process.version,
  rate,
  seconds,
  proxies: PROXIES.length,
  namespaces: NAMESPACES,
  connections,
  dropped,
};
for (const r of results) {
  r.notes = r.notes.map(scrub);
  r.unsupported = scrub(r.unsupported);
}
const md = markdown(results, meta);
console.log(`\n${md}`);
const dir = join(ROOT, 'bench', 'results');
mkdirSync(dir, { recursive: true });
const name = arg('--lb') || arg('--cases') ? 'chaos-only' : 'chaos';
writeFileSync(join(dir, `${name}.json`), `${JSON.stringify({ ...meta, results, targets: goals(results) }, null, 2)}\n`);
writeFileSync(join(dir, `${name}.md`), md);
progress(`wrote bench/results/${name}.json, ${name}.md`);
