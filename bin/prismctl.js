#!/usr/bin/env node
import { runPrismctl } from '../dist/generator/src/cli/prismctl.js';

process.exitCode = await runPrismctl(process.argv.slice(2));
