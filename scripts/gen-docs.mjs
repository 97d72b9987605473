#!/usr/bin/env node
// Writes the generated documents (run after `npm run build`): docs/errors.md, docs/configuration.md.
import { writeFileSync } from 'node:fs';
import { renderConfigDoc } from '../dist/core/src/config/doc.js';
import { renderErrorCatalog } from '../dist/core/src/error-doc.js';

writeFileSync(new URL('../docs/errors.md', import.meta.url), renderErrorCatalog());
writeFileSync(new URL('../docs/configuration.md', import.meta.url), renderConfigDoc());
console.log('wrote docs/errors.md, docs/configuration.md');
