#!/usr/bin/env node
// Entry point of the `epp-sim` binary. In a checkout, Node 24 runs the TypeScript sources directly; an installed
// package has no sources (Node does not strip types under node_modules) and runs the build in dist/ (`npm pack`
// builds it first).
import { existsSync } from 'node:fs';

const source = new URL('../cli.ts', import.meta.url);
const { main } = await import(existsSync(source) ? source.href : new URL('../dist/cli.js', import.meta.url).href);
try {
  await main();
} catch (err) {
  console.error(`epp-sim: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
