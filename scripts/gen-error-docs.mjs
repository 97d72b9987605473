#!/usr/bin/env node
// Writes docs/errors.md from the error catalog (run after `npm run build`).
import { writeFileSync } from 'node:fs';
import { renderErrorCatalog } from '../dist/core/src/error-doc.js';

writeFileSync(new URL('../docs/errors.md', import.meta.url), renderErrorCatalog());
console.log('wrote docs/errors.md');
