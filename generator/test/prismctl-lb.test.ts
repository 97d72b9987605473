import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeDir } from '../../test-support/proxy-harness.js';
import { runBin } from '../../test-support/run.js';

const dir = mkdtempSync(join(tmpdir(), 'prismctl-lb-'));
afterAll(() => removeDir(dir));

async function tableFile(): Promise<string> {
  const plan = await runBin('prismctl', ['partitions', 'plan', '--proxies', 'a,b,c', '--json']);
  const table = JSON.parse(plan.stdout);
  table.proxies = table.proxies.map((p: { id: string }, i: number) => ({
    ...p,
    address: '127.0.0.1',
    dataPort: 18_000 + i,
    opsPort: 19_000 + i,
  }));
  const file = join(dir, 'table.json');
  writeFileSync(file, JSON.stringify(table));
  return file;
}

describe('prismctl lb generate from a table file', () => {
  it('writes a folder that names the table version, and --check writes nothing', async () => {
    const file = await tableFile();
    const out = join(dir, 'haproxy');
    const r = await runBin('prismctl', [
      'lb',
      'generate',
      '--target',
      'haproxy',
      '--from-file',
      file,
      '--out',
      out,
      '--listen',
      '127.0.0.1:18080',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^table v1: wrote partitions\.map, prefix-rules\.map, prefix-owners\.map, namespace-pins\.map, haproxy\.cfg to .* \(checked by haproxy\)$/m,
    );
    expect(readFileSync(join(out, 'haproxy.cfg'), 'utf8')).toContain('# prism-table-version 1');
    expect(readFileSync(join(out, 'haproxy.cfg'), 'utf8')).toContain('bind 127.0.0.1:18080');

    const checkOnly = join(dir, 'check-only');
    const c = await runBin('prismctl', [
      'lb',
      'generate',
      '--target',
      'nginx',
      '--from-file',
      file,
      '--out',
      checkOnly,
      '--check',
    ]);
    expect(c.code).toBe(0);
    expect(c.stdout).toMatch(/nginx files render and are valid \(checked by nginx\); nothing written/);
    expect(existsSync(checkOnly)).toBe(false);
  });

  it('refuses an unknown target, a bad balance factor and a file that is not a table, with coded errors', async () => {
    const file = await tableFile();
    const bad = await runBin('prismctl', [
      'lb',
      'generate',
      '--target',
      'traefik',
      '--from-file',
      file,
      '--out',
      join(dir, 'x'),
    ]);
    expect([bad.code, bad.stderr]).toEqual([1, expect.stringContaining('error PRISM-LB-001: target "traefik"')]);
    const factor = await runBin('prismctl', [
      'lb',
      'generate',
      '--target',
      'haproxy',
      '--from-file',
      file,
      '--out',
      join(dir, 'x'),
      '--hash-balance-factor',
      '50',
    ]);
    expect(factor.stderr).toContain('error PRISM-CONFIG-001: option lb.hashBalanceFactor = 50');
    writeFileSync(join(dir, 'junk.json'), '{"assignments": 3}');
    const junk = await runBin('prismctl', [
      'lb',
      'generate',
      '--target',
      'envoy',
      '--from-file',
      join(dir, 'junk.json'),
      '--out',
      join(dir, 'x'),
    ]);
    expect(junk.stderr).toContain('error PRISM-TABLE-002');
    expect(existsSync(join(dir, 'x')) ? readdirSync(join(dir, 'x')) : []).toEqual([]);
  });
});
