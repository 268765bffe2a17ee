/** The prompt block hash lives with the producer that hashes; re-exported where bench/pick.bench.ts imports it. */
export { hashBytes, hashPromptBlocks, seedHash } from '../../../requestcontrol/data-producer/approx-prefix-cache/prefix-hash.ts';
