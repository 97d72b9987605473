import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * Whether a binary runs (and the files it needs exist); under CI=true a missing one is a failure,
 * locally a loud skip naming the install command.
 */
export function requireBinary(binary: string, versionArgs: string[], install: string, files: string[] = []): boolean {
  let missing: string | undefined;
  try {
    execFileSync(binary, versionArgs, { stdio: 'ignore' });
    missing = files.find((f) => !existsSync(f));
    if (missing) missing = `${missing} is missing`;
  } catch {
    missing = `${binary} is not installed`;
  }
  if (!missing) return true;
  const message = `${missing}: run \`npm run setup\` (or \`${install}\`) to run these tests`;
  if (process.env.CI === 'true') throw new Error(`${message} (CI=true: a missing binary is a failure)`);
  console.warn(`\n*** SKIPPING: ${message} ***\n`);
  return false;
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
