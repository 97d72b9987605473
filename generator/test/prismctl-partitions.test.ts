import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileRouter, parseTable } from '../../core/src/index.js';
import { runBin } from '../../test-support/run.js';

const dir = mkdtempSync(join(tmpdir(), 'prismctl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const prismctl = (...args: string[]) => runBin('prismctl', args, dir);

/** A coded error for the user: exit 1, the code and the fix on stderr, and never a stack trace. */
function expectCoded(r: { code: number; stdout: string; stderr: string }, code: string, mentions: string) {
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr).toContain(`error ${code}:`);
  expect(r.stderr).toContain(mentions);
  expect(r.stderr).toContain('fix: ');
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('prismctl partition', () => {
  it('prints "NS PARTITION" per line', async () => {
    const r = await prismctl('partition', 'test-namespace', 'orders-prod', 'acme-billing', 'eu-payments', 'a');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('test-namespace 57\norders-prod 147\nacme-billing 73\neu-payments 229\na 67\n');
  });

  it('refuses a name outside the namespace pattern, printing nothing else', async () => {
    expectCoded(await prismctl('partition', 'orders-prod', 'Orders_Prod'), 'PRISM-NS-001', '"Orders_Prod"');
  });

  it('is a usage error (exit 2) without a namespace', async () => {
    expect((await prismctl('partition')).code).toBe(2);
  });
});

describe('prismctl partitions plan', () => {
  it('3 -> 4 -> 3 proxies: 64 partitions move each time, and the summary says so', async () => {
    const v1 = await prismctl('partitions', 'plan', '--proxies', 'a,b,c', '--json');
    expect(v1.code).toBe(0);
    writeFileSync(join(dir, 'v1.json'), v1.stdout);

    const summary = await prismctl('partitions', 'plan', '--proxies', 'a,b,c,d', '--previous', 'v1.json');
    expect(summary.stdout).toContain('Partition table v2, strategy consistent_hash, 4 proxies');
    expect(summary.stdout).toContain('Against v1: 64 of 256 partitions move (25.0%)');
    expect(summary.stdout).toMatch(/^d\s+1\s+64\s+64\.00\s+\+64$/m);

    const v2 = await prismctl('partitions', 'plan', '--proxies', 'a,b,c,d', '--previous', 'v1.json', '--json');
    writeFileSync(join(dir, 'v2.json'), v2.stdout);
    const back = await prismctl('partitions', 'plan', '--proxies', 'a,b,d', '--previous', 'v2.json');
    expect(back.stdout).toContain('Against v2: 64 of 256 partitions move');
    expect(back.stdout).toMatch(/^c \(leaves\)\s+-\s+0\s+-\s+-64$/m);
    expect(back.stdout).toContain('largest share / fair share = 1.008');
  });

  it('prints a proto3 JSON table that parses back, identical whatever the order of --proxies', async () => {
    const a = await prismctl('partitions', 'plan', '--proxies', 'p1,p2,p3,p4,p5', '--weights', 'p1=2', '--json');
    const b = await prismctl('partitions', 'plan', '--proxies', 'p5,p3,p1,p4,p2', '--weights', 'p1=2', '--json');
    expect(b.stdout).toBe(a.stdout);
    const table = parseTable(a.stdout);
    expect(table.version).toBe(1);
    expect(table.assignments).toHaveLength(256);
    expect(table.assignments.filter((x) => x.owner === 'p1')).toHaveLength(85);
    expect(JSON.parse(a.stdout).strategy).toBe('STRATEGY_CONSISTENT_HASH');
  });

  it('key_range and explicit rules land in the table and decide owners', async () => {
    const kr = await prismctl(
      'partitions',
      'plan',
      '--proxies',
      'a,b,c',
      '--strategy',
      'key_range',
      '--prefix',
      'acme-=a',
      '--prefix',
      'eu-=c+b',
      '--json',
    );
    const krRouter = compileRouter(parseTable(kr.stdout));
    expect(krRouter.route('acme-billing')).toMatchObject({ owner: 'a', via: 'prefix', partition: 73 });
    // eu-payments is partition 229; the set [b, c] picks index 229 mod 2 = 1.
    expect(krRouter.route('eu-payments')).toMatchObject({ owner: 'c', via: 'prefix' });

    const ex = await prismctl(
      'partitions',
      'plan',
      '--proxies',
      'a,b,c',
      '--strategy',
      'explicit',
      '--pin',
      'orders-prod=b',
      '--pin-partition',
      '57=c',
      '--json',
    );
    const table = parseTable(ex.stdout);
    expect(table.assignments[57]).toMatchObject({ owner: 'c', pinned: true });
    expect(compileRouter(table).route('orders-prod')).toMatchObject({ owner: 'b', via: 'pin' });
    expect(compileRouter(table).route('test-namespace')).toMatchObject({ owner: 'c', via: 'partition' });
  });

  it.each([
    [['--proxies', 'a,b', '--weights', '0,1'], 'PRISM-PLAN-001', 'weight 0 of proxy "a"'],
    [['--proxies', 'a,b', '--weights', 'a=-1'], 'PRISM-PLAN-001', 'weight -1'],
    [['--proxies', 'a,b', '--weights', 'x=2'], 'PRISM-PLAN-001', '"x"'],
    [['--proxies', 'a,b', '--strategy', 'ring'], 'PRISM-PLAN-002', 'strategy "ring"'],
    [['--proxies', 'a,B'], 'PRISM-PROXY-001', 'proxy id "B"'],
    [['--proxies', 'a,b', '--prefix', 'acme-=a'], 'PRISM-PLAN-005', 'needs strategy key_range'],
    [['--proxies', 'a,b', '--strategy', 'key_range', '--prefix', 'acme-=z'], 'PRISM-PLAN-004', 'proxy "z"'],
    [['--proxies', 'a,b', '--strategy', 'explicit', '--pin-partition', '300=a'], 'PRISM-PLAN-006', 'partition 300'],
    [['--proxies', 'a,b', '--strategy', 'explicit', '--pin', 'Bad=a'], 'PRISM-NS-001', '"Bad"'],
    [['--proxies', 'a', '--previous', 'missing.json'], 'PRISM-TABLE-001', 'missing.json'],
  ])('bad input %j gets %s', async (args, code, mentions) => {
    expectCoded(await prismctl('partitions', 'plan', ...args), code, mentions);
  });

  it('refuses files that are not tables, or inconsistent tables', async () => {
    writeFileSync(join(dir, 'junk.json'), 'hello');
    expectCoded(
      await prismctl('partitions', 'plan', '--proxies', 'a', '--previous', 'junk.json'),
      'PRISM-TABLE-002',
      'is not JSON',
    );
    writeFileSync(join(dir, 'other.json'), JSON.stringify({ name: 'orders-prod', backends: [] }));
    expectCoded(
      await prismctl('partitions', 'plan', '--proxies', 'a', '--previous', 'other.json'),
      'PRISM-TABLE-002',
      'not a partition table',
    );

    const good = JSON.parse((await prismctl('partitions', 'plan', '--proxies', 'a,b', '--json')).stdout);
    good.assignments[3].owner = 'ghost';
    writeFileSync(join(dir, 'ghost.json'), JSON.stringify(good));
    expectCoded(
      await prismctl('partitions', 'plan', '--proxies', 'a', '--previous', 'ghost.json'),
      'PRISM-TABLE-003',
      '"ghost"',
    );
    good.assignments.pop();
    writeFileSync(join(dir, 'short.json'), JSON.stringify(good));
    expectCoded(
      await prismctl('partitions', 'plan', '--proxies', 'a', '--previous', 'short.json'),
      'PRISM-TABLE-003',
      '255 assignments',
    );
  });

  it('keeps the previous table when nothing changed, version included', async () => {
    writeFileSync(
      join(dir, 'same.json'),
      (await prismctl('partitions', 'plan', '--proxies', 'a,b,c', '--json')).stdout,
    );
    const again = await prismctl('partitions', 'plan', '--proxies', 'c,b,a', '--previous', 'same.json', '--json');
    expect(again.stdout).toBe(readFileSync(join(dir, 'same.json'), 'utf8'));
    const summary = await prismctl('partitions', 'plan', '--proxies', 'a,b,c', '--previous', 'same.json');
    expect(summary.stdout).toContain('Same as v1: nothing changes');
  });
});
