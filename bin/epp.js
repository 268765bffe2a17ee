#!/usr/bin/env node
// Entry point of the `epp` binary: the compiled build when present (npm run build, the Docker image), else the
// TypeScript sources, which Node 24 runs directly.
import { existsSync } from 'node:fs';

const built = new URL('../dist/src/main.js', import.meta.url);
await import(existsSync(built) ? built.href : new URL('../src/main.ts', import.meta.url).href);
