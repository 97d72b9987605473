#!/usr/bin/env node
// The main job, as far as it exists today: plan a 3-proxy table, add a 4th proxy, then take one
// away, printing what moves each time. Offline; writes the tables to a temporary folder it removes.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const prismctl = join(import.meta.dirname, '..', 'bin', 'prismctl.js');
const dir = mkdtempSync(join(tmpdir(), 'prism-demo-'));
const run = (args) => execFileSync(process.execPath, [prismctl, ...args], { encoding: 'utf8' });
const show = (title, args) => {
  console.log(`\n$ prismctl ${args.join(' ').replaceAll(`${dir}/`, '')}\n# ${title}`);
  process.stdout.write(run(args));
};

try {
  show('where namespaces live (crc32 mod 256)', ['partition', 'orders-prod', 'acme-billing', 'eu-payments']);
  const v1 = join(dir, 'v1.json');
  const v2 = join(dir, 'v2.json');
  writeFileSync(v1, run(['partitions', 'plan', '--proxies', 'proxy-a,proxy-b,proxy-c', '--json']));
  show('three proxies, from scratch', ['partitions', 'plan', '--proxies', 'proxy-a,proxy-b,proxy-c']);
  writeFileSync(
    v2,
    run(['partitions', 'plan', '--proxies', 'proxy-a,proxy-b,proxy-c,proxy-d', '--previous', v1, '--json']),
  );
  show('a fourth proxy joins: exactly 64 partitions move, all to it', [
    'partitions',
    'plan',
    '--proxies',
    'proxy-a,proxy-b,proxy-c,proxy-d',
    '--previous',
    v1,
  ]);
  show('proxy-c leaves: only its 64 partitions move', [
    'partitions',
    'plan',
    '--proxies',
    'proxy-a,proxy-b,proxy-d',
    '--previous',
    v2,
  ]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
