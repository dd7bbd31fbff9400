#!/usr/bin/env node
// Thin binary: the CLI is a command table in dist/cli/main.js (compiled from src/cli/main.ts).
import { main } from '../dist/cli/main.js';

const code = await main({ argv: process.argv.slice(2), env: process.env, stdout: process.stdout, stderr: process.stderr });
if (typeof code === 'number') process.exitCode = code;
