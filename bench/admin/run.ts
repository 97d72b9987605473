import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { benchFleetChange } from './fleet-change.js';
import { REPO } from './paths.js';
import { formatReport, resultsJson } from './report.js';
import { benchReservationLevels } from './reservations.js';
import { abortAll } from './teardown.js';

const DEADLINE_MS = 115_000;

const deadline = setTimeout(() => {
  console.error(`admin benchmark: not done after ${DEADLINE_MS / 1000} s, aborting`);
  abortAll();
  process.exit(1);
}, DEADLINE_MS);
deadline.unref();

try {
  const startedAt = new Date();
  const started = performance.now();
  const reservations = await benchReservationLevels({ levels: [16, 64], count: 5000, capMs: 20_000 });
  const fleet = await benchFleetChange({ proxies: 200, repeats: 5 });
  const results = { reservations, fleet, startedAt, elapsedS: (performance.now() - started) / 1000 };
  console.log(formatReport(results));

  const dir = join(REPO, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'admin-latest.json');
  writeFileSync(`${file}.tmp`, `${JSON.stringify(resultsJson(results), null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
  console.log(`\nwrote ${relative(REPO, file)}`);
  if (reservations.some((r) => r.failures > 0)) process.exitCode = 1;
} catch (err) {
  console.error('admin benchmark failed:', err);
  abortAll();
  process.exitCode = 1;
} finally {
  clearTimeout(deadline);
}
