#!/usr/bin/env node
// Thin shim: all logic lives in the compiled TypeScript (npm run build).
import('../dist/src/cli/main.js').then((m) => m.main(process.argv.slice(2)));
