import assert from 'node:assert/strict';
import { test } from 'node:test';
import { directorFixture, type DirectorFixture } from '../../test/support/director-fixture.ts';
import type { Endpoint } from '../framework/endpoint.ts';
import { RequestContext } from './request-context.ts';

const STALL = 2000;

function route(f: DirectorFixture): { ctx: RequestContext; ep: Endpoint } {
  const ctx = new RequestContext();
  ctx.request.headers.set(':path', '/v1/completions');
  f.director.handleRequestHeaders(ctx);
  const b = Buffer.from(JSON.stringify({ model: 'm', prompt: 'hello there' }));
  const d = f.director.handleRequest(ctx, { chunks: [b], bytes: b.length });
  assert.ok(d.ok);
  return { ctx, ep: d.endpoints[0]! };
}

test('director: a pod whose /metrics answers but that sends no response headers past the stall timeout gets no more requests', () => {
  const f = directorFixture({ inferenceStallMs: STALL, pods: 2 });
  const hung = route(f);
  const ok = f.datastore.endpoints().find((e) => e !== hung.ep)!;
  ok.waitingQueue = 4; // the hung pod's frozen metrics look idle: without the watch it draws the traffic
  f.clock.advance(STALL + 1);
  for (let i = 0; i < 20; i++) {
    const r = route(f);
    assert.equal(r.ep, ok, `request ${i} went to the hung pod`);
    f.director.handleResponseHeaders(r.ctx, new Map([[':status', '200']]), '');
    f.director.handleResponseComplete(r.ctx, 'natural');
  }
  assert.equal(hung.ep.consecutiveScrapeFailures, 0);
  // It answers the request at last: back in the candidates, nothing left waiting.
  f.director.handleResponseHeaders(hung.ctx, new Map([[':status', '200']]), '');
  f.director.handleResponseComplete(hung.ctx, 'natural');
  assert.equal(hung.ep.awaitingHeaders, 0);
  const seen = new Set<Endpoint>();
  for (let i = 0; i < 20; i++) {
    const r = route(f);
    seen.add(r.ep);
    f.director.handleResponseComplete(r.ctx, 'natural'); // cancelled before any deadline: no evidence
  }
  assert.ok(seen.has(hung.ep), 'traffic comes back once it answers');
  assert.deepEqual(f.datastore.endpoints().map((e) => [e.inflightRequests, e.awaitingHeaders]), [[0, 0], [0, 0]]);
});
