#!/usr/bin/env node
// Working on this repository: runs the TypeScript sources through tsx (a dev
// dependency), so the CLI needs no build step. The package's executable is
// the compiled dist/cli/bin.js (`npm run build`).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
