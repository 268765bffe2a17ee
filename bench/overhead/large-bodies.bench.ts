/**
 * Memory after large request bodies (issue 14, finding 6): RSS of a picker child (startPicker with the image's
 * node flags and MALLOC_ARENA_MAX=1, 3 endpoints from the metric farm) before, right after, and for a few
 * seconds after a burst of `--bodies` bodies of `--mb` MB (FULL_DUPLEX chat bodies in 1 MB messages, one at a
 * time, routed and echoed as Envoy would see them), with a small request every 50 ms throughout, as traffic.
 * No GC is forced: what is measured is what the picker gives back by itself.
 *
 * Run: npm exec -- node bench/overhead/large-bodies.bench.ts [--bodies 8] [--mb 30] [--settle-s 12]
 */
import { parseArgs } from 'node:util';
import { PICKER_ENV, PICKER_NODE_FLAGS } from '../dev-stack/procs.ts';
import { EnvoyDriver } from '../../test/support/envoy-driver.ts';
import { Child } from './extproc-cost/children.ts';

const { values: opt } = parseArgs({ options: { bodies: { type: 'string', default: '8' }, mb: { type: 'string', default: '30' }, 'settle-s': { type: 'string', default: '12' } } });
const MB = 2 ** 20;
const here = (p: string) => new URL(`./extproc-cost/${p}`, import.meta.url);

const farm = await Child.start('metric-farm', here('metric-farm.ts'), ['3', 'small']);
const picker = await Child.start('picker', here('picker-server.ts'), [String(farm.info.port), '3'], [...PICKER_NODE_FLAGS], 60_000, { ...PICKER_ENV, ...JSON.parse(process.env.EPP_BENCH_ENV ?? '{}') });
const envoy = new EnvoyDriver(picker.info.address as string, undefined, { 'grpc.max_send_message_length': 64 * MB, 'grpc.max_receive_message_length': 64 * MB });

async function one(body: string, chunkSize?: number): Promise<void> {
  const { session, responses } = await envoy.request({ path: '/v1/chat/completions', body, ...(chunkSize ? { chunkSize } : {}) });
  if (responses[0]?.immediate_response) throw new Error(`rejected: ${JSON.stringify(responses[0].immediate_response.status)}`);
  await envoy.respond(session, { status: 200, chunks: ['{"choices":[]}'] });
  session.close();
}
const small = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hello' }] });
const rssMB = async () => Math.round((await picker.stats()).rss / MB);

for (let i = 0; i < 50; i++) await one(small);
const baseline = await rssMB();
const st0 = await picker.stats();
const unit = 'the quick brown fox jumps over the lazy dog. ';
const content = unit.repeat(Math.ceil((Number(opt.mb) * MB) / unit.length)).slice(0, Number(opt.mb) * MB - 200);
const big = JSON.stringify({ model: 'm', messages: [{ role: 'user', content }] });
let peak = baseline;
for (let i = 0; i < Number(opt.bodies); i++) {
  await one(big, MB);
  peak = Math.max(peak, await rssMB());
}
const after = await rssMB();
const samples: number[] = [];
const settleMs = Number(opt['settle-s']) * 1000;
for (let t = 0; t < settleMs; t += 50) {
  await one(small);
  await new Promise((r) => setTimeout(r, 50));
  if (t % 1000 === 0) samples.push(await rssMB());
}
const settled = await rssMB();
const st = await picker.stats();
const mb = (n: number) => Math.round(n / MB);
const detail = `baseline heap ${Math.round(st0.heapUsed / MB)}/${Math.round(st0.heapTotal / MB)}, array buffers ${Math.round(st0.arrayBuffers / MB)}; after: heap used ${mb(st.heapUsed)} MB of ${mb(st.heapTotal)} committed, array buffers ${mb(st.arrayBuffers)} MB`;
console.log(`RSS MB: baseline ${baseline}, peak ${peak}, after the burst ${after}, each second after: ${samples.join(' ')}, at ${opt['settle-s']} s ${settled} (+${settled - baseline} over baseline); ${detail}`);
envoy.close();
await picker.stop();
await farm.stop();
