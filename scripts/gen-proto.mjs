#!/usr/bin/env node
// Regenerates proto/gen from proto/prism/**/*.proto with ts-proto, using the protoc binary
// shipped inside the `protoc` npm package (nothing is downloaded).
// Usage: node scripts/gen-proto.mjs [outDir]   (default: proto/gen)
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const protoRoot = join(root, 'proto');
const outDir = resolve(process.argv[2] ?? join(protoRoot, 'gen'));
const require = createRequire(import.meta.url);

const BANNER = '// Code generated from proto/ by `npm run proto` (ts-proto). DO NOT EDIT.\n';
const OPTIONS = [
  'outputServices=grpc-js',
  'esModuleInterop=true',
  'env=node',
  'importSuffix=.js',
  'useOptionals=messages',
  'forceLong=number',
  'useExactTypes=false',
];

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

const protos = walk(join(protoRoot, 'prism'))
  .filter((p) => p.endsWith('.proto'))
  .map((p) => relative(protoRoot, p))
  .sort();

const protocPackage = dirname(require.resolve('protoc/package.json'));
const protocCli = join(protocPackage, 'protoc.cjs');
const plugin = join(root, 'node_modules', '.bin', 'protoc-gen-ts_proto');

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
try {
  execFileSync(
    process.execPath,
    [
      protocCli,
      `--plugin=protoc-gen-ts_proto=${plugin}`,
      `--ts_proto_out=${outDir}`,
      `--ts_proto_opt=${OPTIONS.join(',')}`,
      `-I${protoRoot}`,
      ...protos,
    ],
    { cwd: root, stdio: 'inherit' },
  );
} catch {
  console.error('protoc failed (see above); proto/gen was not updated completely');
  process.exitCode = 1;
}

// The generated header names the protoc version; replace it with one stable banner so the
// output does not depend on which protoc produced it.
for (const file of walk(outDir).filter((p) => p.endsWith('.ts'))) {
  const text = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line, i) => !(i < 8 && /^\/\/ (Code generated|versions:| {2}protoc| {2}protoc-gen|source:)/.test(line)))
    .join('\n')
    .replace(/^\n+/, '');
  writeFileSync(file, BANNER + text);
}
console.log(`generated ${relative(root, outDir) || outDir} from ${protos.length} proto files`);
