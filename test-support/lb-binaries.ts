import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';

/** Whether a binary runs; under CI=true a missing one is a failure, locally a loud skip. */
export function requireBinary(binary: string, versionArgs: string[], install: string): boolean {
  try {
    execFileSync(binary, versionArgs, { stdio: 'ignore' });
    return true;
  } catch {
    const message = `${binary} is not installed: run \`${install}\` to run these tests`;
    if (process.env.CI === 'true') throw new Error(`${message} (CI=true: a missing binary is a failure)`);
    console.warn(`\n*** SKIPPING: ${message} ***\n`);
    return false;
  }
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
