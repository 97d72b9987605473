#!/usr/bin/env node
// Rewrites absolute paths under the repository root to relative ones in a results file, so no
// committed file names a folder of the machine that produced it.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
for (const file of process.argv.slice(2)) {
  const text = readFileSync(file, 'utf8');
  writeFileSync(file, text.split(`${root}/`).join('').split(root).join('.'));
}
