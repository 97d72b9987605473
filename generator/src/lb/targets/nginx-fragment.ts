import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { PrismError } from '../../../../core/src/errors.js';
import { type GenerateInput, type GenerateResult, generate } from '../generate.js';
import { runCheck } from '../native-check.js';
import { renderTarget } from '../render.js';
import type { CheckResult, LiveContext, LiveTarget, Target } from '../target.js';
import {
  masterPid,
  NGINX_INSTALL,
  NJS_MODULE,
  nginxRoutingFiles,
  nginxRoutingView,
  nginxTarget,
  reloadMaster,
} from './nginx.js';

export interface NginxFragmentOptions {
  /** Every upstream, variable and the njs module are named `<prefix>_…` (upstreams `<prefix>-<proxy id>`). */
  namePrefix?: string;
  /**
   * The folder as the operator's main nginx.conf reaches the fragment's map and njs files: relative to the
   * main file's folder, or absolute. Default: the output folder as given on the command line.
   */
  includeDir: string;
  /** lb watch: the operator's main file, checked with `nginx -t` before every reload. */
  mainConf?: string;
  /** lb watch: the operator's NGINX master pid file; without it, `nginx -s reload -c MAIN`. */
  pidFile?: string;
}

const PREFIX_PATTERN = /^[a-z][a-z0-9_]{0,30}$/;
const INCLUDE_DIR_PATTERN = /^[A-Za-z0-9._/-]+$/;

/** The files a fragment may hold, njs or not: what a failed check puts back. */
const FRAGMENT_FILES = [
  'prism-http.conf',
  'prism-location.conf',
  ...new Set([true, false].flatMap((nginxNjs) => nginxRoutingFiles({ nginxNjs }).map((f) => f.path))),
];

const bad = (message: string) => new PrismError('PRISM-LB-017', message);

/** `dir` as the include lines spell it: empty for the main file's own folder, else with one trailing `/`. */
export function includePathOf(includeDir: string): string {
  const dir = includeDir.replace(/\/+$/, '') || '/';
  if (!INCLUDE_DIR_PATTERN.test(dir))
    throw bad(
      `--include-dir ${JSON.stringify(includeDir.slice(0, 80))} holds a space, a quote or another character NGINX would need quoted`,
    );
  if (dir === '.') return '';
  return dir === '/' ? '/' : `${dir}/`;
}

/**
 * Prism as two include files for an NGINX the operator runs: prism-http.conf (http context: the maps,
 * upstreams and njs of the whole nginx.conf, from the same template partials) and prism-location.conf
 * (the proxy_pass and its retry policy, inside the operator's location), plus the map and njs files.
 */
export function nginxFragmentTarget(options: NginxFragmentOptions): Target {
  const prefix = options.namePrefix ?? 'prism';
  if (!PREFIX_PATTERN.test(prefix))
    throw bad(
      `--name-prefix ${JSON.stringify(prefix.slice(0, 80))} is not a lower-case word (a-z, 0-9, _; at most 31)`,
    );
  const includePath = includePathOf(options.includeDir);
  const target: Target = {
    name: 'nginx',
    files: (model) => [
      { path: 'prism-http.conf', template: 'prism-http.conf.hbs' },
      { path: 'prism-location.conf', template: 'prism-location.conf.hbs' },
      ...nginxRoutingFiles(model),
    ],
    view: (model) => nginxRoutingView(model, prefix, includePath),
    helpers: nginxTarget.helpers,
    check: (dir) => checkInWrapper(dir, includePath),
    usesNamespaces: nginxTarget.usesNamespaces,
    live: (ctx) => fragmentLive(target, ctx, options),
  };
  return target;
}

/**
 * nginx -t on the rendered fragment inside a minimal main file of our own (in the scratch folder `dir`),
 * with its include paths pointed at `dir`: the files must load in an http block and a location.
 */
function checkInWrapper(dir: string, includePath: string): Promise<CheckResult> {
  const http = readFileSync(join(dir, 'prism-http.conf'), 'utf8');
  const local = includePath
    ? http
        .split('\n')
        .map((l) => (/^\s*(include|js_import)\s/.test(l) ? l.replace(` ${includePath}`, ` ${dir}/`) : l))
        .join('\n')
    : http;
  writeFileSync(join(dir, 'check-http.conf'), local);
  const njs = /^js_import /m.test(http) ? `load_module ${NJS_MODULE};\n` : '';
  writeFileSync(
    join(dir, 'check-main.conf'),
    `${njs}pid check.pid;
error_log stderr warn;
events {}
http {
    client_body_temp_path client_body_temp;
    proxy_temp_path proxy_temp;
    fastcgi_temp_path fastcgi_temp;
    uwsgi_temp_path uwsgi_temp;
    scgi_temp_path scgi_temp;
    include check-http.conf;
    server {
        listen 127.0.0.1:8080;
        location / {
            include prism-location.conf;
        }
    }
}
`,
  );
  return runCheck('nginx', ['-t', '-q', '-e', 'stderr', '-p', dir, '-c', 'check-main.conf'], dir, NGINX_INSTALL);
}

/**
 * `nginx -t` on the operator's main file as it is on disk (so with the fragment it includes). The prefix is
 * a scratch folder: relative pid, log and temp paths land there, so the check runs as a non-root user too;
 * includes resolve against the main file's own folder whatever the prefix.
 */
export async function checkMain(mainConf: string): Promise<CheckResult> {
  const prefix = mkdtempSync(join(tmpdir(), 'prism-nginx-check-'));
  try {
    return await runCheck(
      'nginx',
      ['-t', '-q', '-e', 'stderr', '-p', `${prefix}/`, '-c', resolve(mainConf)],
      prefix,
      NGINX_INSTALL,
    );
  } finally {
    rmSync(prefix, { recursive: true, force: true });
  }
}

type Snapshot = Map<string, string | undefined>;

/** The fragment files in `dir` as they are now (undefined: absent). */
function snapshot(dir: string): Snapshot {
  return new Map(
    FRAGMENT_FILES.map((f) => [f, existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8') : undefined]),
  );
}

function writeAtomic(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}

/** Puts `files` into `dir`; a file the snapshot holds as absent is removed. */
function restore(dir: string, files: Snapshot): void {
  for (const [path, content] of files) {
    if (content !== undefined) writeAtomic(join(dir, path), content);
    else if (existsSync(join(dir, path))) unlinkSync(join(dir, path));
  }
}

/** Checks the operator's main file with the files just written; on a refusal puts `previous` back. */
async function checkOrRestore(dir: string, mainConf: string, previous: Snapshot, version: number): Promise<void> {
  const check = await checkMain(mainConf);
  if (check.ok) return;
  restore(dir, previous);
  throw new PrismError(
    'PRISM-LB-015',
    `nginx -t refused ${mainConf} with the table v${version} fragment; the previous fragment files are back and NGINX was not reloaded: ${(check.skipped ?? check.output).slice(0, 2000)}`,
  );
}

/**
 * `prismctl lb generate --fragment --check-with MAIN`: generate as usual (checked in a wrapper of our
 * own), then `nginx -t` on the operator's main file; a refusal puts the previous files back.
 */
export async function generateNginxFragment(
  input: GenerateInput & { targetImpl: Target },
  checkWith?: string,
): Promise<GenerateResult> {
  const outDir = resolve(input.outDir);
  const previous = snapshot(outDir);
  const result = await generate(input);
  if (checkWith && !input.checkOnly) await checkOrRestore(outDir, checkWith, previous, result.model.version);
  return result;
}

/**
 * Watch mode for an NGINX the watcher did not start. Each apply writes the files of the new table (again:
 * a refused one before may have put older files back), checks the operator's main file with them, puts
 * the last good files back when that fails (PRISM-LB-015), and only then reloads the operator's master:
 * SIGHUP to the pid in the pid file (counted when new workers start), or `nginx -s reload -c MAIN`.
 */
function fragmentLive(target: Target, ctx: LiveContext, options: NginxFragmentOptions): LiveTarget {
  const dir = ctx.outDir;
  let good = snapshot(dir);
  return {
    async apply({ from, to, changed }) {
      const files = renderTarget(target, to, { outDir: dir });
      const [main, ...rest] = [...files.keys()];
      for (const path of [...rest, main]) writeAtomic(join(dir, path), files.get(path) ?? '');
      const written: Snapshot = new Map([...good.keys()].map((f) => [f, files.get(f) ?? good.get(f)]));
      if (from && changed.length === 0) {
        good = written;
        return 'nothing routes differently: no reload';
      }
      if (options.mainConf) await checkOrRestore(dir, options.mainConf, good, to.version);
      const note = await reloadOperatorMaster(options, changed);
      good = written;
      return note;
    },
    async stop() {},
  };
}

/** SIGHUP to the master in the pid file (confirmed by its new workers), else `nginx -s reload -c MAIN`. */
async function reloadOperatorMaster(opts: NginxFragmentOptions, changed: string[]): Promise<string> {
  if (opts.pidFile) {
    const master = masterPid(opts.pidFile);
    if (master === undefined)
      throw new PrismError('PRISM-LB-016', `no NGINX master runs at the pid in ${opts.pidFile}`);
    try {
      return await reloadMaster(master, changed);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EPERM')
        throw new PrismError(
          'PRISM-LB-016',
          `not permitted to signal NGINX master ${master} (pid file ${opts.pidFile}): run the watcher as its user or as root`,
        );
      throw err;
    }
  }
  const mainConf = resolve(opts.mainConf ?? '');
  const out = await new Promise<{ ok: boolean; output: string }>((done) =>
    execFile('nginx', ['-q', '-e', 'stderr', '-s', 'reload', '-c', mainConf], { timeout: 30_000 }, (err, o, e) =>
      done({ ok: !err, output: `${o}${e}`.trim() || (err?.message ?? '') }),
    ),
  );
  if (!out.ok)
    throw new PrismError('PRISM-LB-016', `nginx -s reload -c ${mainConf} failed: ${out.output.slice(0, 2000)}`);
  return `reload signalled (${changed.join(', ')} changed; nginx -s reload, not confirmed: pass --nginx-pid-file to confirm)`;
}

/** The include lines an operator adds, for the CLI's output. */
export function includeLines(includeDir: string): string {
  const p = includePathOf(includeDir);
  const abs = isAbsolute(p) ? '' : ' (relative to the folder of your main nginx.conf)';
  return `http { include ${p}prism-http.conf; ... location / { include ${p}prism-location.conf; } }${abs}`;
}
