#!/usr/bin/env node
// The package's executable: the compiled CLI (dist/cli/bin.js), no TypeScript at run time.
import { main } from './main.ts';

await main(process.argv);
