/** The prompt block hash now lives with the producer that hashes; re-exported for bench/pick.bench.ts. */
export { hashBytes, hashPromptBlocks, seedHash } from '../../../requestcontrol/data-producer/approx-prefix-cache/prefix-hash.ts';
