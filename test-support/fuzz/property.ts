import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { ROOT } from '../run.js';
import { describeFinding, type Finding } from './findings.js';
import { type KnownFailure, knownFailure } from './known.js';
import type { FuzzInput, Target, TargetName } from './targets.js';
import { memory } from './watch.js';

/** What `npm run fuzz -- --replay FILE` reads back. */
export interface ReplayFile {
  target: TargetName;
  /** fast-check's seed and counterexample path: the same generators give the same input again. */
  seed: number;
  path: string | null;
  findings: Finding[];
  input: { chunks: string[]; end?: 'end' | 'cancel' };
  /** The first 4,000 bytes as latin1 text, for reading (socket targets only). */
  text?: string;
}

export function writeReplay(dir: string, r: Omit<ReplayFile, 'input' | 'text'> & { input: FuzzInput }): string {
  mkdirSync(dir, { recursive: true });
  const all = Buffer.concat(r.input.chunks);
  const id = createHash('sha256').update(all).digest('hex').slice(0, 10);
  const base = join(dir, `${r.target}-${id}`);
  const file: ReplayFile = {
    ...r,
    input: { chunks: r.input.chunks.map((c) => c.toString('base64')), end: r.input.end },
    text: r.target === 'grpc' ? undefined : all.subarray(0, 4_000).toString('latin1'),
  };
  writeFileSync(`${base}.json`, `${JSON.stringify(file, null, 2)}\n`);
  // The raw bytes too, for `nc 127.0.0.1 PORT < FILE.bin`.
  if (r.target !== 'grpc') writeFileSync(`${base}.bin`, all);
  return `${base}.json`;
}

export function readReplay(file: string): { target: TargetName; input: FuzzInput; findings: Finding[] } {
  const r = JSON.parse(readFileSync(file, 'utf8')) as ReplayFile;
  return {
    target: r.target,
    input: { chunks: r.input.chunks.map((c) => Buffer.from(c, 'base64')), end: r.input.end },
    findings: r.findings,
  };
}

/** Replay files of failures found before, replayed at the start of every in-suite run. */
export const CORPUS_DIR = join(ROOT, 'test-support', 'fuzz', 'corpus');

/**
 * Sends every corpus input of `target` once. Returns what each broke, apart from known failures, and
 * how often each known failure was seen.
 */
export async function replayCorpus(
  target: Target,
  known: KnownFailure[],
  dir = CORPUS_DIR,
): Promise<{ files: number; known: Map<string, number>; failures: string[] }> {
  const out = { files: 0, known: new Map<string, number>(), failures: [] as string[] };
  for (const name of readdirSync(dir).sort()) {
    if (!name.startsWith(`${target.name}-`) || !name.endsWith('.json')) continue;
    out.files++;
    for (const f of await target.run(readReplay(join(dir, name)).input)) {
      const k = knownFailure(f, target.name, known);
      if (k) out.known.set(k.id, (out.known.get(k.id) ?? 0) + 1);
      else out.failures.push(`${name}: ${describeFinding(f)}`);
    }
  }
  return out;
}

/** A case that takes longer than this is a finding itself: something in the target hangs. */
const CASE_TIMEOUT_MS = 60_000;

async function runWithin(target: Target, input: FuzzInput, ms: number): Promise<Finding[]> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<Finding[]>((resolve) => {
    timer = setTimeout(
      () => resolve([{ property: 'a case finishes', signature: 'case hung', detail: `not finished after ${ms} ms` }]),
      ms,
    );
  });
  try {
    return await Promise.race([target.run(input), hung]);
  } finally {
    clearTimeout(timer);
  }
}

class CaseFailure extends Error {
  constructor(
    readonly findings: Finding[],
    readonly input: FuzzInput,
  ) {
    super(findings.map(describeFinding).join('\n  '));
  }
}

export interface FuzzOptions {
  seed: number;
  numRuns: number;
  timeLimitMs?: number;
  /** Findings that do not fail the run (see known.ts); none in strict mode. */
  known: KnownFailure[];
  /** Where replay files of failures go. */
  failureDir: string;
  /** Record every distinct failure (by signature) and go on, without shrinking. */
  keepGoing?: boolean;
  progress?(runs: number, known: number): void;
}

export interface FuzzReport {
  target: TargetName;
  seed: number;
  runs: number;
  ms: number;
  /** Known failures seen: id → cases. */
  known: Map<string, number>;
  /** The (shrunk) failing case, unless keepGoing. */
  failure?: { findings: Finding[]; file: string; path: string | null };
  /** keepGoing: one replay file per distinct signature. */
  distinct: Map<string, { finding: Finding; file: string }>;
  memory: { before: { rss: number; heap: number }; after: { rss: number; heap: number } };
}

/** Runs `target` under fast-check; every finding not in `known` fails the case. */
export async function fuzz<C>(target: Target<C>, o: FuzzOptions): Promise<FuzzReport> {
  const report: FuzzReport = {
    target: target.name,
    seed: o.seed,
    runs: 0,
    ms: 0,
    known: new Map(),
    distinct: new Map(),
    memory: { before: memory(), after: { rss: 0, heap: 0 } },
  };
  const started = performance.now();
  let knownCases = 0;
  const property = fc.asyncProperty(target.arbitrary, async (c) => {
    report.runs++;
    const input = target.input(c);
    const findings = await runWithin(target, input, CASE_TIMEOUT_MS);
    const unknown: Finding[] = [];
    const seen = new Set<string>();
    for (const f of findings) {
      const k = knownFailure(f, target.name, o.known);
      if (k) seen.add(k.id);
      else unknown.push(f);
    }
    for (const id of seen) report.known.set(id, (report.known.get(id) ?? 0) + 1);
    if (seen.size > 0) knownCases++;
    o.progress?.(report.runs, knownCases);
    if (unknown.length === 0) return;
    if (o.keepGoing) {
      for (const f of unknown) {
        if (report.distinct.has(f.signature)) continue;
        const file = writeReplay(o.failureDir, {
          target: target.name,
          seed: o.seed,
          path: null,
          findings: unknown,
          input,
        });
        report.distinct.set(f.signature, { finding: f, file });
      }
      return;
    }
    throw new CaseFailure(unknown, input);
  });
  const details = await fc.check(property, {
    seed: o.seed,
    numRuns: o.numRuns,
    plugins: o.timeLimitMs ? [fc.interruptAfterTimeLimit(o.timeLimitMs)] : [],
  });
  if (details.failed && details.errorInstance instanceof CaseFailure) {
    const { findings, input } = details.errorInstance;
    const file = writeReplay(o.failureDir, {
      target: target.name,
      seed: details.seed,
      path: details.counterexamplePath,
      findings,
      input,
    });
    report.failure = { findings, file, path: details.counterexamplePath };
  } else if (details.failed) {
    throw details.errorInstance ?? new Error(`fast-check stopped: ${JSON.stringify(details)}`);
  }
  report.ms = performance.now() - started;
  report.memory.after = memory();
  return report;
}

/** Why a report fails, in words a developer can act on; undefined when it passes. */
export function failureMessage(r: FuzzReport): string | undefined {
  if (!r.failure) return undefined;
  return [
    `${r.target}: a case broke ${r.failure.findings.length} propert${r.failure.findings.length === 1 ? 'y' : 'ies'} (seed ${r.seed}, path ${r.failure.path}):`,
    ...r.failure.findings.map((f) => `  ${describeFinding(f)}`),
    `replay: npm run fuzz -- --replay ${relative(process.cwd(), r.failure.file)}`,
  ].join('\n');
}

const MB = 1024 * 1024;

/** RSS and heap (both after a full GC) back near where they started. */
export function memoryFindings(r: FuzzReport['memory'], slack = { heapMB: 48, rssMB: 192 }): Finding[] {
  const out: Finding[] = [];
  const heap = (r.after.heap - r.before.heap) / MB;
  const rss = (r.after.rss - r.before.rss) / MB;
  if (heap > slack.heapMB)
    out.push({
      property: 'memory returns near its start',
      signature: 'heap grew',
      detail: `heap +${heap.toFixed(1)} MB after GC`,
    });
  if (rss > slack.rssMB)
    out.push({
      property: 'memory returns near its start',
      signature: 'RSS grew',
      detail: `RSS +${rss.toFixed(1)} MB after GC`,
    });
  return out;
}

export const formatMemory = (r: FuzzReport['memory']) =>
  `RSS ${(r.before.rss / MB).toFixed(0)} → ${(r.after.rss / MB).toFixed(0)} MB, heap ${(r.before.heap / MB).toFixed(0)} → ${(r.after.heap / MB).toFixed(0)} MB (after GC)`;

/** One line: how many cases, how long, which known failures were seen, memory. */
export function summary(r: FuzzReport): string {
  const known = [...r.known].map(([id, n]) => `${id} ×${n}`).join(', ');
  return `${r.target}: ${r.runs} cases in ${(r.ms / 1000).toFixed(1)} s (seed ${r.seed})${known ? `; known failures: ${known}` : ''}; ${formatMemory(r.memory)}`;
}
