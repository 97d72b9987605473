#!/usr/bin/env node
import { runProxyMain } from '../dist/proxy/src/main.js';

process.exitCode = await runProxyMain(process.argv.slice(2));
