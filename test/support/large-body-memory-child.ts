/**
 * Child of test/large-body-memory.test.ts (run with --expose-gc): drives large multi-chunk bodies through a
 * director, then prints the memory still held after full GCs, against the baseline before the burst, as JSON.
 */
import { directorFixture } from './director-fixture.ts';
import { RequestContext } from '../../src/requestcontrol/request-context.ts';

const gc = (globalThis as { gc?: () => void }).gc!;
const BODY_MB = Number(process.argv[2] ?? 40);
const ROUNDS = Number(process.argv[3] ?? 8);

function held(): number {
  for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external + m.arrayBuffers;
}

const f = directorFixture();
function send(prompt: string): void {
  const text = Buffer.from(JSON.stringify({ model: 'm', prompt }));
  const half = text.length >> 1;
  const ctx = new RequestContext();
  ctx.request.headers.set(':path', '/v1/completions');
  f.director.handleRequestHeaders(ctx);
  const d = f.director.handleRequest(ctx, { chunks: [text.subarray(0, half), text.subarray(half)], bytes: text.length });
  if (!d.ok) throw new Error(`not routed: ${d.status}`);
  f.director.handleResponseHeaders(ctx, new Map([[':status', '200']]), '');
  f.director.handleResponseComplete(ctx, 'natural');
  f.completed.length = 0; // the fixture's recorder keeps each request: a test artifact, not the picker's
  f.received.length = 0;
}

send('warm up'.repeat(1000)); // the small-body join buffer and the director's own state exist before the baseline
const base = held();
const big = (i: number) => String.fromCharCode(97 + (i % 26)).repeat(BODY_MB * 1024 * 1024);
send(big(0));
const afterOne = held();
for (let i = 1; i < ROUNDS; i++) send(big(i));
const after = held();
const inflight = f.datastore.endpoints().reduce((n, e) => n + e.inflightRequests + e.awaitingHeaders, 0);
process.stdout.write(JSON.stringify({ base, afterOne, after, grownBytes: after - base, burstBytes: after - afterOne, inflight }));
