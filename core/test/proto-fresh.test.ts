import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

const files = (dir: string) =>
  walk(dir)
    .map((p) => relative(dir, p))
    .sort();

describe('generated TypeScript in proto/gen', () => {
  const out = mkdtempSync(join(tmpdir(), 'prism-proto-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('is what `npm run proto` generates from proto/ today (regenerate and commit when this fails)', () => {
    execFileSync(process.execPath, [join(root, 'scripts', 'gen-proto.mjs'), out], { cwd: root, stdio: 'pipe' });
    const committed = join(root, 'proto', 'gen');
    expect(files(committed)).toEqual(files(out));
    for (const file of files(out)) {
      expect(readFileSync(join(committed, file), 'utf8'), file).toBe(readFileSync(join(out, file), 'utf8'));
    }
  });

  it('carries the do-not-edit banner on every file', () => {
    for (const file of files(join(root, 'proto', 'gen'))) {
      expect(readFileSync(join(root, 'proto', 'gen', file), 'utf8').split('\n')[0], file).toContain('DO NOT EDIT');
    }
  });
});
