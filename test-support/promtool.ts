import { execFile } from 'node:child_process';
import { requireBinary } from './lb-binaries.js';

export const PROMTOOL_INSTALL = 'apt-get install prometheus';

/** Whether promtool runs (Debian package prometheus); under CI=true a missing one is a failure. */
export const requirePromtool = () => requireBinary('promtool', ['--version'], PROMTOOL_INSTALL);

export interface PromtoolResult {
  status: number;
  /** stdout and stderr together: promtool reports problems on either, depending on the command. */
  output: string;
}

/** Runs promtool with `args`, `input` on its stdin (for `check metrics`). */
export function promtool(args: string[], input?: string, cwd?: string): Promise<PromtoolResult> {
  return new Promise((resolve, reject) => {
    const child = execFile('promtool', args, { cwd, timeout: 60_000 }, (err, stdout, stderr) => {
      const status = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      if (err && status === -1) reject(err);
      else resolve({ status, output: `${stdout}${stderr}` });
    });
    child.stdin?.end(input ?? '');
  });
}
