import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PrismError } from '../../../../core/src/errors.js';
import { haproxyFleetLive } from '../haproxy-fleet.js';
import { type HaproxyLayout, haproxyMaps } from '../haproxy-runtime.js';
import type { LbModel } from '../model.js';
import { runCheck } from '../native-check.js';
import type { CheckResult, FragmentOptions, Target } from '../target.js';
import { hq, hstring } from './haproxy.js';

export const FRAGMENT_FILE = 'prism.cfg';
const CHECK_COPY = 'prism-check.cfg';
const BACKEND_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,31}$/;
const INSTALL = 'apt-get install haproxy';

const hostPort = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

/** The one line an operator adds to the frontend that receives Prism's traffic. */
export const frontendLine = (backend: string) => `use_backend ${backend} if { req.fhdr(x-prism-namespace) -m found }`;

/** Names the fragment declares in the operator's HAProxy: all prefixed, so none clashes with theirs. */
export function fragmentLayout(backendName = 'prism'): HaproxyLayout {
  if (!BACKEND_NAME.test(backendName))
    throw new PrismError(
      'PRISM-LB-001',
      `backend name ${JSON.stringify(backendName.slice(0, 80))} is not a letter followed by up to 31 letters, digits, "_", "." or "-"`,
    );
  return {
    backend: backendName,
    server: (id) => `prism-${id}`,
    maps: {
      partitions: `${backendName}-partitions.map`,
      prefixRules: `${backendName}-prefix-rules.map`,
      prefixOwners: `${backendName}-prefix-owners.map`,
      pins: `${backendName}-namespace-pins.map`,
    },
  };
}

/** Stands in for the operator's file when none is given: a frontend with the one line, so `haproxy -c` sees a complete config. */
const standIn = (backend: string) => `defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend operator_stand_in
    bind 127.0.0.1:8080
    ${frontendLine(backend)}
`;

/**
 * `--fragment` for HAProxy: DIR/prism.cfg holds only the Prism backend (routing as set-var lines and
 * use-server inside it, the consistent-hash fallback, checks, retries) and names its maps under
 * `mapDir` — a path as HAProxy resolves it (relative to the directory it runs in, unless the
 * operator's `default-path` says otherwise), never an absolute path of the machine that rendered it.
 */
export function haproxyFragmentTarget(fragment: FragmentOptions, outDir: string): Target {
  const layout = fragmentLayout(fragment.backendName);
  const mapDir = hq((fragment.mapDir ?? outDir).replace(/(.)\/+$/, '$1'));
  const mapPath = (file: string) => `${mapDir}/${file}`;
  return {
    name: 'haproxy',
    files: () => [
      { path: FRAGMENT_FILE, template: 'prism-fragment.cfg.hbs' },
      { path: layout.maps.partitions, template: 'partitions.map.hbs' },
      { path: layout.maps.prefixRules, template: 'prefix-rules.map.hbs' },
      { path: layout.maps.prefixOwners, template: 'prefix-owners.map.hbs' },
      { path: layout.maps.pins, template: 'namespace-pins.map.hbs' },
    ],
    view: (model: LbModel) => ({
      ...haproxyMaps(model, layout.server),
      backendName: layout.backend,
      mapDir,
      fragmentPath: mapPath(FRAGMENT_FILE),
      frontendLine: frontendLine(layout.backend),
      maps: {
        partitions: mapPath(layout.maps.partitions),
        prefixRules: mapPath(layout.maps.prefixRules),
        prefixOwners: mapPath(layout.maps.prefixOwners),
        pins: mapPath(layout.maps.pins),
      },
      checkInterval: `${model.healthCheckIntervalMs}ms`,
      proxies: model.proxies.map((p) => ({
        ...p,
        serverName: layout.server(p.id),
        address: hostPort(p.host, p.dataPort),
      })),
    }),
    helpers: { hq, hstring },
    check: (dir) => checkFragment(dir, layout, mapDir, fragment.checkWith),
    live: (ctx) => haproxyFleetLive(ctx, layout),
  };
}

/**
 * `haproxy -c` on the operator's file (or a stand-in frontend) plus the rendered fragment, before
 * anything is written: the maps are not under `mapDir` yet, so the copy checked names them here.
 */
async function checkFragment(
  dir: string,
  layout: HaproxyLayout,
  mapDir: string,
  checkWith: string | undefined,
): Promise<CheckResult> {
  const text = readFileSync(join(dir, FRAGMENT_FILE), 'utf8').replaceAll(`(${mapDir}/`, `(${dir}/`);
  writeFileSync(join(dir, CHECK_COPY), text);
  const main = checkWith ? resolve(checkWith) : join(dir, 'operator-stand-in.cfg');
  if (!checkWith) writeFileSync(main, standIn(layout.backend));
  return runCheck('haproxy', ['-c', '-f', main, '-f', join(dir, CHECK_COPY)], process.cwd(), INSTALL);
}

/**
 * After the write, the check the operator will run: `haproxy -c -f FILE -f DIR/prism.cfg` from this
 * directory, so a --map-dir HAProxy would not find is caught now. PRISM-LB-012 when refused.
 */
export async function checkWithOperator(checkWith: string, outDir: string): Promise<CheckResult> {
  const args = ['-c', '-f', checkWith, '-f', join(outDir, FRAGMENT_FILE)];
  const result = await runCheck('haproxy', args, process.cwd(), INSTALL);
  if (!result.ok && !result.skipped)
    throw new PrismError(
      'PRISM-LB-012',
      `haproxy -c -f ${checkWith} -f ${join(outDir, FRAGMENT_FILE)} refused: ${result.output.slice(0, 2000)}`,
    );
  return result;
}
