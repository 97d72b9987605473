import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The repository root, whether this file runs from the sources or compiled under dist/. */
function findRoot(from: string): string {
  for (let dir = from; dirname(dir) !== dir; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  throw new Error(`no package.json above ${from}`);
}

export const ROOT = findRoot(import.meta.dirname);

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one of the executables in bin/ as a user would, and collects its exit status and output. */
export function runBin(
  name: 'prismctl' | 'prism-admin' | 'prism-proxy',
  args: string[],
  cwd = ROOT,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin', `${name}.js`), ...args],
      { cwd, timeout: 20_000, env },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
