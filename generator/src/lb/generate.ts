import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { PrismError } from '../../../core/src/errors.js';
import type { PartitionTable } from '../../../proto/gen/prism/admin/v1/partition.js';
import { buildModel, type LbModel, type ModelOptions } from './model.js';
import { renderTarget } from './render.js';
import type { CheckResult, FragmentOptions, Target, TargetName } from './target.js';
import { envoyTarget } from './targets/envoy.js';
import { haproxyTarget } from './targets/haproxy.js';
import { haproxyFragmentTarget } from './targets/haproxy-fragment.js';
import { nginxTarget } from './targets/nginx.js';

export const TARGETS: Record<TargetName, Target> = { haproxy: haproxyTarget, nginx: nginxTarget, envoy: envoyTarget };

/** `--fragment`: targets that render the part an operator loads beside their own config. */
const FRAGMENTS: Partial<Record<TargetName, (fragment: FragmentOptions, outDir: string) => Target>> = {
  haproxy: haproxyFragmentTarget,
};

/** The whole-config target, or with `fragment` its fragment (`outDir` as given: the default map folder). */
export function targetFor(name: TargetName, outDir: string, fragment?: FragmentOptions): Target {
  if (!fragment) return TARGETS[name];
  const make = FRAGMENTS[name];
  if (!make) throw new PrismError('PRISM-LB-009', `--fragment is not available for --target ${name}`);
  return make(fragment, outDir);
}

export interface GenerateInput extends ModelOptions {
  table: PartitionTable;
  target: TargetName;
  outDir: string;
  /** Only validate; write nothing. */
  checkOnly?: boolean;
  /** Render the fragment an operator loads beside their own config instead of a whole one. */
  fragment?: FragmentOptions;
  /** A target built with its own options (an include-file fragment) instead of TARGETS[target]. */
  targetImpl?: Target;
}

export interface GenerateResult {
  model: LbModel;
  files: Map<string, string>;
  check: CheckResult;
  written: string[];
}

/** Writes one file atomically: a temporary file in the same folder, then rename. */
function writeAtomic(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}

/**
 * input → validate → typed, sorted model → render every file in memory → native check in a scratch
 * folder → atomic writes (the main config last, so a reload never sees it before its maps).
 */
export async function generate(input: GenerateInput): Promise<GenerateResult> {
  const target = input.targetImpl ?? targetFor(input.target, input.outDir, input.fragment);
  const outDir = resolve(input.outDir);
  const model = buildModel(input.table, input);
  const files = renderTarget(target, model, { outDir });

  const scratch = mkdtempSync(join(tmpdir(), `prism-lb-${target.name}-`));
  let check: CheckResult;
  try {
    for (const [path, content] of files) writeAtomic(join(scratch, path), content);
    check = await target.check(scratch);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  if (!check.ok && !check.skipped) {
    throw new PrismError(
      'PRISM-LB-002',
      `${target.name} refused the generated configuration: ${check.output.slice(0, 2000)}`,
    );
  }
  const written: string[] = [];
  if (!input.checkOnly) {
    const [main, ...rest] = [...files.keys()];
    for (const path of [...rest, main]) {
      writeAtomic(join(outDir, path), files.get(path) ?? '');
      written.push(path);
    }
  }
  return { model, files, check, written };
}
