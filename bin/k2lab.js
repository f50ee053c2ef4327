#!/usr/bin/env node
// Thin launcher: the CLI runs the compiled JavaScript in dist/ (built by `npm ci` via `prepare`).
import '../dist/src/cli.js';
