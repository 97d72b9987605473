import { execFile } from 'node:child_process';
import type { CheckResult } from './target.js';

/** Runs a load balancer's own config check; a missing binary is reported, not failed, here. */
export function runCheck(binary: string, args: string[], cwd: string, install: string): Promise<CheckResult> {
  return new Promise((resolve) => {
    execFile(binary, args, { cwd, timeout: 30_000 }, (err, stdout, stderr) => {
      const output = `${stdout}${stderr}`.trim();
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
        resolve({ ok: false, output: '', skipped: `${binary} is not installed (${install})` });
        return;
      }
      resolve({ ok: !err, output });
    });
  });
}
