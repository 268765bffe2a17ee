/**
 * What the JSON nesting-depth check (issue 14, finding 4) adds to a request: nestsDeeperThan(text, 1000) on
 * 32 KB bodies beside the JSON.parse the parser does anyway, in ns per body.
 *   chat:      a chat body of 40 messages (the usual shape: few brackets, counted with indexOf, no scan)
 *   token ids: a vLLM generate body of 6,500 token ids (one bracket pair)
 *   worst:     1,600 small objects in one array (over 1,000 brackets: the full scan that skips strings)
 *   deep:      100,000 nested arrays (200 KB), rejected at level 1,001; before the check JSON.parse alone took
 *              45-110 ms on it and the rewrite path overflowed the stack
 *
 * Run: node bench/overhead/json-depth.bench.ts [--iterations 20000]
 */
import { parseArgs } from 'node:util';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../../src/plugins/requesthandling/parsers/json-span.ts';

const { values: opt } = parseArgs({ options: { iterations: { type: 'string', default: '20000' } } });
const N = Number(opt.iterations);

const words = 'the quick brown fox jumps over the lazy dog while a model server streams tokens back '.repeat(8);
const chat = JSON.stringify({
  model: 'meta-llama/Llama-3.1-8B-Instruct',
  stream: true,
  messages: Array.from({ length: 40 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: words.slice(0, 780 + (i % 7)) })),
});
const tokenIds = JSON.stringify({ model: 'm', token_ids: Array.from({ length: 6500 }, (_, i) => (i * 7919) % 32000) });
const worst = JSON.stringify({ model: 'm', messages: Array.from({ length: 1600 }, (_, i) => ({ r: 'u', c: String(i) })) });
const deep = `{"model":"m","prompt":${'['.repeat(100_000)}1${']'.repeat(100_000)}}`;

let sink = 0;
function ns(fn: () => unknown, n: number): number {
  for (let i = 0; i < Math.min(n, 2000); i++) sink += fn() ? 1 : 0; // warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) sink += fn() ? 1 : 0;
  return Number(process.hrtime.bigint() - t0) / n;
}

const rows: string[] = [];
for (const [name, text] of [['chat', chat], ['token ids', tokenIds], ['worst', worst]] as const) {
  const check = ns(() => nestsDeeperThan(text, MAX_JSON_DEPTH), N);
  const parse = ns(() => JSON.parse(text), Math.max(1, N >> 2));
  rows.push(`${name.padEnd(10)} ${(text.length / 1024).toFixed(1).padStart(5)} KB  check ${check.toFixed(0).padStart(7)} ns  JSON.parse ${parse.toFixed(0).padStart(7)} ns  (${((100 * check) / parse).toFixed(1)}% of the parse)`);
}
const deepCheck = ns(() => nestsDeeperThan(deep, MAX_JSON_DEPTH), Math.max(1, N >> 4));
rows.push(`deep       ${(deep.length / 1024).toFixed(1).padStart(5)} KB  check ${deepCheck.toFixed(0).padStart(7)} ns  (rejected)`);
console.log(rows.join('\n'));
if (sink < 0) console.log(sink);
