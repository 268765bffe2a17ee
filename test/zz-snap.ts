import { writeHeapSnapshot } from 'node:v8';
import { startFixture } from './support/picker-fixture.ts';
const MB = 2 ** 20;
const f = await startFixture({ servers: 2 });
await f.synced();
const unit = 'the quick brown fox jumps over the lazy dog. ';
const content = unit.repeat(Math.ceil((30 * MB) / unit.length)).slice(0, 30 * MB - 200);
const big = JSON.stringify({ model: 'm', messages: [{ role: 'user', content }] });
const envoy = f.envoy;
for (let i = 0; i < 2; i++) {
  const { session } = await envoy.request({ path: '/v1/chat/completions', body: big, chunkSize: MB });
  await envoy.respond(session, { status: 200, chunks: ['{"choices":[]}'] });
  session.close();
}
await new Promise((r) => setTimeout(r, 200));
(globalThis as any).gc?.();
const m = process.memoryUsage();
console.log('ab', Math.round(m.arrayBuffers / MB), 'heap', Math.round(m.heapUsed / MB));
console.log(writeHeapSnapshot('/tmp/snap/s.heapsnapshot'));
await f.close();
process.exit(0);
