import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The package root, from the sources or from dist/. */
function findRoot(from: string): string {
  for (let dir = from; dirname(dir) !== dir; dir = dirname(dir)) {
    if (existsSync(join(dir, 'lb-templates')) && existsSync(join(dir, 'package.json'))) return dir;
  }
  throw new Error(`cannot find lb-templates above ${from}`);
}

export const ROOT_DIR = findRoot(import.meta.dirname);
