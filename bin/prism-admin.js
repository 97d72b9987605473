#!/usr/bin/env node
import { runAdminMain } from '../dist/admin/src/main.js';

process.exitCode = await runAdminMain(process.argv.slice(2));
