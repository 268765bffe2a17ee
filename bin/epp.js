#!/usr/bin/env node
// Entry point of the `epp` binary. In a checkout, Node 24 runs the TypeScript sources directly; an installed
// package or the Docker image (no src/) runs the compiled build from dist/ (npm run build).
import { existsSync } from 'node:fs';

const source = new URL('../src/main.ts', import.meta.url);
await import(existsSync(source) ? source.href : new URL('../dist/src/main.js', import.meta.url).href);
