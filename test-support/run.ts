import { execFile } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..');

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
): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin', `${name}.js`), ...args],
      { cwd, timeout: 20_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
