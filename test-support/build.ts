import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FLEET_PKI_ENV, makeRunPki, PRE_MADE_PROXIES } from './pki.js';

/**
 * Tests that run the executables need dist/ to match the sources. Every test starts its admins and
 * proxies with real certificates: one PKI for the whole run (openssl takes ~0.3 s per PKI), whose
 * folder the test processes find in $PRISM_TEST_PKI.
 */
export default async function setup(): Promise<() => void> {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  execFileSync(
    process.execPath,
    [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  const pki = await makeRunPki(PRE_MADE_PROXIES);
  process.env[FLEET_PKI_ENV] = pki.dir;
  return () => pki.remove();
}
