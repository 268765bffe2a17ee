#!/usr/bin/env node
// The vLLM simulator (bench/sim): an OpenAI-compatible server with vLLM's /metrics, for local runs and benchmarks.
const { main } = await import(new URL('../bench/sim/cli.ts', import.meta.url).href);
await main();
