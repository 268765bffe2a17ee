// In-process request cycle: ExtProcStream + Director + scheduler over 100 endpoints, FULL_DUPLEX, 200 B body.
import pino from 'pino';
import { directorFixture } from './test/support/director-fixture.ts';
import { ExtProcStream } from './src/extproc/stream.ts';
const N = Number(process.argv[2] ?? 20000);
const f = directorFixture({ pods: 100 });
const call = { write() {}, writeStreamedBody() {}, end() {} };
const hb = (h: Record<string, string>) => ({ headers: Object.entries(h).map(([key, v]) => ({ key, raw_value: Buffer.from(v) })) });
const body = Buffer.from(JSON.stringify({ model: 'm', prompt: 'x'.repeat(160) }));
const opts = { director: f.director, logger: pino({ level: 'silent' }), maxBodyBytes: 1 << 20, requestBodyMode: 'FULL_DUPLEX_STREAMED' as const, responseBodyMode: 'FULL_DUPLEX_STREAMED' as const };
const msgs = [
  { request: 'request_headers', request_headers: { headers: hb({ ':method': 'POST', ':path': '/v1/completions', 'x-request-id': 'r' }), end_of_stream: false } },
  { request: 'request_body', request_body: { body, end_of_stream: true } },
  { request: 'response_headers', response_headers: { headers: hb({ ':status': '200' }), end_of_stream: false } },
  { request: 'response_body', response_body: { body: Buffer.from('{"usage":{"prompt_tokens":40,"completion_tokens":10}}'), end_of_stream: true } },
] as any[];
const t0 = performance.now();
for (let i = 0; i < N; i++) {
  const s = new ExtProcStream(call as any, opts as any);
  for (const m of msgs) s.onMessage(m);
  s.onEnd();
}
console.log(`${N} requests, ${(((performance.now() - t0) * 1000) / N).toFixed(2)} us/request`);
